"""Benchmarks: lrschedule against the best hand-written NumPy code for the same formula.

Run ``python benchmarks/run.py`` (what ``nox -s bench`` runs). It prints every table and writes
docs/performance.md (``--no-write`` leaves that file alone; ``--quick`` takes fewer repeats, for a
smoke test). See benchmarks/README.md for the method. This is a measurement, never a test: nothing
here fails on a slow result.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import gc
import inspect
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import lrschedule

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"

STEP = 5000  # the per-call step: past the warmup, inside the decay, mid-period for the restarts
N_VECTOR = 10_000_000  # the vectorized steps: np.arange(N_VECTOR), int64
GOAL_SCALAR = 3.0
GOAL_VECTOR = 1.25

BOUNDARIES = [1000 * (i + 1) for i in range(10)]
VALUES = [0.1 * 0.5**i for i in range(11)]

# The schedules, as constructed (the text is what the report shows).
SCHEDULES: dict[str, str] = {
    "ExponentialDecay": "ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)",
    "CosineDecay+warmup": (
        "CosineDecay(0.0, decay_steps=10_000, warmup_target=0.1, warmup_steps=1000)"
    ),
    "PiecewiseConstant": "PiecewiseConstantDecay(BOUNDARIES, VALUES)",
    "CosineDecayRestarts": "CosineDecayRestarts(0.1, first_decay_steps=1000)",
}


def make_schedules() -> dict[str, Any]:
    env = {"BOUNDARIES": BOUNDARIES, "VALUES": VALUES, **vars(lrschedule)}
    return {name: eval(text, env) for name, text in SCHEDULES.items()}


# --------------------------------------------------------------------------------------------------
# Hand-written comparators, Python int step -> np.float64. Every variant computes the value on each
# call (nothing cached) and returns np.float64(<Python float>), as the schedule does. The fastest
# variant of each schedule is the comparator; all are printed.
# --------------------------------------------------------------------------------------------------


def exp_pow(step):
    return np.float64(0.1 * 0.96 ** (step / 1000))


def exp_numpy(step):  # the formula with NumPy's functions, as the 0.8 us figure was taken
    return 0.1 * np.power(0.96, step / 1000)


LOG_RATE_PER_STEP = math.log(0.96) / 1000


def exp_exp(step, _exp=math.exp, _c=LOG_RATE_PER_STEP, _f64=np.float64):
    return _f64(0.1 * _exp(step * _c))


def cos_branch(step):
    if step < 1000:
        return np.float64(0.1 * step / 1000)
    t = min(step - 1000, 10_000)
    return np.float64(0.05 * (1.0 + math.cos(math.pi * t / 10_000)))


def cos_branch_locals(step, _cos=math.cos, _c=math.pi / 10_000, _f64=np.float64):
    if step < 1000:
        return _f64(step * 1e-4)
    t = step - 1000
    if t > 10_000:
        t = 10_000
    return _f64(0.05 * (1.0 + _cos(t * _c)))


def pw_bisect(step):
    return np.float64(VALUES[bisect.bisect_left(BOUNDARIES, step)])


def pw_bisect_locals(step, _b=BOUNDARIES, _v=VALUES, _bl=bisect.bisect_left, _f64=np.float64):
    return _f64(_v[_bl(_b, step)])


def pw_loop(step):
    for boundary, value in zip(BOUNDARIES, VALUES, strict=False):
        if step <= boundary:
            return np.float64(value)
    return np.float64(VALUES[-1])


def sgdr_log2(step):
    i = math.floor(math.log2(1.0 + step / 1000))
    length = 1000.0 * 2.0**i
    start = length - 1000.0
    return np.float64(0.05 * (1.0 + math.cos(math.pi * (step - start) / length)))


def sgdr_bits(step, _cos=math.cos, _pi=math.pi, _f64=np.float64):
    # t_mul=2: period i starts at 1000 * (2**i - 1) and lasts 1000 * 2**i steps
    length = 1000 << ((step // 1000 + 1).bit_length() - 1)
    return _f64(0.05 * (1.0 + _cos(_pi * (step - (length - 1000)) / length)))


SCALAR_HAND: dict[str, list[Callable[[int], Any]]] = {
    "ExponentialDecay": [exp_numpy, exp_pow, exp_exp],
    "CosineDecay+warmup": [cos_branch, cos_branch_locals],
    "PiecewiseConstant": [pw_bisect, pw_bisect_locals, pw_loop],
    "CosineDecayRestarts": [sgdr_log2, sgdr_bits],
}

# --------------------------------------------------------------------------------------------------
# Hand-written comparators, int64 array -> float64 array (same shape). The fastest is the comparator.
# --------------------------------------------------------------------------------------------------

_B = np.asarray(BOUNDARIES, dtype=np.int64)
_V = np.asarray(VALUES, dtype=np.float64)


def vexp_pow(s):
    return 0.1 * 0.96 ** (s / 1000)


def vexp_exp(s):
    return 0.1 * np.exp(s * (np.log(0.96) / 1000))


def vexp_inplace(s):
    out = np.multiply(s, math.log(0.96) / 1000)  # int64 * float -> a new float64 array
    np.exp(out, out=out)
    out *= 0.1
    return out


def vcos_where(s):
    warm = s * (0.1 / 1000)
    t = np.minimum(s - 1000, 10_000)
    decay = 0.05 * (1.0 + np.cos(t * (np.pi / 10_000)))
    return np.where(s < 1000, warm, decay)


def vcos_inplace(s):
    out = np.subtract(s, 1000, dtype=np.float64)
    np.minimum(out, 10_000, out=out)
    out *= np.pi / 10_000
    np.cos(out, out=out)
    out += 1.0
    out *= 0.05
    warm = s < 1000
    out[warm] = s[warm] * (0.1 / 1000)
    return out


def vpw_searchsorted(s):
    return _V[np.searchsorted(_B, s)]  # side="left": values[i] for b[i-1] < t <= b[i]


def vpw_take(s):
    return np.take(_V, np.searchsorted(_B, s))


def vpw_digitize(s):
    return _V[np.digitize(s, _B, right=True)]


def vpw_masks(s):
    out = np.full(s.shape, VALUES[0])
    for boundary, value in zip(BOUNDARIES, VALUES[1:], strict=True):
        out[s > boundary] = value
    return out


def vsgdr_log2(s):
    x = s / 1000 + 1.0
    length = 2.0 ** np.floor(np.log2(x))  # in units of first_decay_steps
    return 0.05 * (1.0 + np.cos(np.pi * (x / length - 1.0)))


def vsgdr_inplace(s):
    x = np.divide(s, 1000.0)
    x += 1.0
    length = np.log2(x)
    np.floor(length, out=length)
    np.exp2(length, out=length)
    x /= length
    x -= 1.0
    x *= np.pi
    np.cos(x, out=x)
    x += 1.0
    x *= 0.05
    return x


VECTOR_HAND: dict[str, list[Callable[[np.ndarray], np.ndarray]]] = {
    "ExponentialDecay": [vexp_pow, vexp_exp, vexp_inplace],
    "CosineDecay+warmup": [vcos_where, vcos_inplace],
    "PiecewiseConstant": [vpw_searchsorted, vpw_take, vpw_digitize, vpw_masks],
    "CosineDecayRestarts": [vsgdr_log2, vsgdr_inplace],
}


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------


@dataclass
class Series:
    """Repeated measurements of one candidate, in seconds per call."""

    label: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def q1(self) -> float:
        return _quantile(self.samples, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.samples, 0.75)


def _quantile(samples: list[float], q: float) -> float:
    xs = sorted(samples)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _loops(timer: timeit.Timer, target: float) -> int:
    """The number of loops that takes about ``target`` seconds."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= target / 5 or number >= 10**7:
            return max(1, int(number * target / max(elapsed, 1e-9)))
        number *= 10


def time_per_call(
    candidates: dict[str, Callable[[Any], Any]],
    arg: Any,
    rounds: int,
    target: float,
    suffix: str = "",
) -> dict[str, Series]:
    """Interleaved timeit rounds: each round times every candidate once, ``target`` s each."""
    timers = {
        label: timeit.Timer(f"f(step){suffix}", globals={"f": fn, "step": arg})
        for label, fn in candidates.items()
    }
    loops = {label: _loops(t, target) for label, t in timers.items()}
    series = {label: Series(label) for label in candidates}
    for _ in range(rounds):
        for label, timer in timers.items():
            series[label].samples.append(timer.timeit(loops[label]) / loops[label])
    return series


def time_vector(
    candidates: dict[str, Callable[[Any], Any]], steps: np.ndarray, rounds: int
) -> dict[str, Series]:
    """Interleaved single calls on the big array; the result is freed between calls."""
    series = {label: Series(label) for label in candidates}
    for fn in candidates.values():  # warm up: page in code paths, settle the allocator
        del_me = fn(steps)
        del del_me
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for label, fn in candidates.items():
                t0 = time.perf_counter()
                result = fn(steps)
                t1 = time.perf_counter()
                del result
                series[label].samples.append(t1 - t0)
    finally:
        if gc_was:
            gc.enable()
    return series


def peak_memory(fn: Callable[[Any], Any], steps: np.ndarray) -> int:
    """Peak bytes allocated (tracemalloc sees NumPy's buffers) during one call, result included."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn(steps)
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def ratio_spread(ours: Series, hand: Series) -> tuple[float, float]:
    """Range (min, max) of the per-round ratios ours/hand."""
    ratios = [a / b for a, b in zip(ours.samples, hand.samples, strict=True)]
    return min(ratios), max(ratios)


# --------------------------------------------------------------------------------------------------
# Checks that the comparators compute the same thing
# --------------------------------------------------------------------------------------------------


def check_scalar(name: str, schedule: Any) -> None:
    for fn in SCALAR_HAND[name]:
        for step in (0, 1, 999, 1000, 1001, 2999, 3000, STEP, 12_345, 10**6):
            ours, hand = schedule(step), fn(step)
            if type(hand) is not type(ours) or not math.isclose(
                ours, hand, rel_tol=1e-9, abs_tol=1e-15
            ):
                raise AssertionError(f"{name}: {fn.__name__}({step}) = {hand!r}, ours {ours!r}")


def check_vector(name: str, schedule: Any, steps: np.ndarray) -> None:
    ours = schedule(steps)
    for fn in VECTOR_HAND[name]:
        hand = fn(steps)
        if hand.dtype != ours.dtype or hand.shape != ours.shape:
            raise AssertionError(f"{name}: {fn.__name__} gives {hand.dtype}{hand.shape}")
        if not np.allclose(hand, ours, rtol=1e-9, atol=1e-15):
            worst = int(np.argmax(np.abs(hand - ours)))
            raise AssertionError(
                f"{name}: {fn.__name__} differs at step {worst}: {hand[worst]} vs {ours[worst]}"
            )
        del hand


# --------------------------------------------------------------------------------------------------
# Optional: torch, JAX, Keras 3 (numpy backend, in a subprocess), optax
# --------------------------------------------------------------------------------------------------


def _torch_hand() -> tuple[Any, dict[str, Callable[[Any], Any]]]:
    import torch

    b, v = torch.tensor(BOUNDARIES), torch.tensor(VALUES, dtype=torch.get_default_dtype())
    c_exp = math.log(0.96) / 1000

    def t_exp(t):
        return 0.1 * torch.exp(t * c_exp)

    def t_cos(t):
        decay = 0.05 * (1.0 + torch.cos(torch.clamp(t - 1000, max=10_000) * (math.pi / 10_000)))
        return torch.where(t < 1000, t * (0.1 / 1000), decay)

    def t_pw(t):
        return v[torch.bucketize(t, b)]

    def t_sgdr(t):
        x = t / 1000 + 1.0
        length = torch.exp2(torch.floor(torch.log2(x)))
        return 0.05 * (1.0 + torch.cos(math.pi * (x / length - 1.0)))

    hand = {
        "ExponentialDecay": t_exp,
        "CosineDecay+warmup": t_cos,
        "PiecewiseConstant": t_pw,
        "CosineDecayRestarts": t_sgdr,
    }
    return torch.tensor(STEP), hand


def _jax_hand() -> tuple[Any, dict[str, Callable[[Any], Any]]]:
    import jax.numpy as jnp

    b, v = jnp.asarray(BOUNDARIES), jnp.asarray(VALUES)
    c_exp = math.log(0.96) / 1000

    def j_exp(t):
        return 0.1 * jnp.exp(t * c_exp)

    def j_cos(t):
        decay = 0.05 * (1.0 + jnp.cos(jnp.minimum(t - 1000, 10_000) * (math.pi / 10_000)))
        return jnp.where(t < 1000, t * (0.1 / 1000), decay)

    def j_pw(t):
        return v[jnp.searchsorted(b, t)]

    def j_sgdr(t):
        x = t / 1000 + 1.0
        length = jnp.exp2(jnp.floor(jnp.log2(x)))
        return 0.05 * (1.0 + jnp.cos(math.pi * (x / length - 1.0)))

    hand = {
        "ExponentialDecay": j_exp,
        "CosineDecay+warmup": j_cos,
        "PiecewiseConstant": j_pw,
        "CosineDecayRestarts": j_sgdr,
    }
    return jnp.asarray(STEP), hand


def _optax() -> dict[str, Callable[[Any], Any]]:
    import optax

    return {
        "ExponentialDecay": optax.exponential_decay(0.1, transition_steps=1000, decay_rate=0.96),
        "CosineDecay+warmup": optax.warmup_cosine_decay_schedule(
            init_value=0.0, peak_value=0.1, warmup_steps=1000, decay_steps=11_000, end_value=0.0
        ),
        # optax scales *at* a boundary; Keras (and lrschedule) after it: b + 1 for integer steps.
        "PiecewiseConstant": optax.piecewise_constant_schedule(
            VALUES[0], {b + 1: 0.5 for b in BOUNDARIES}
        ),
    }


KERAS_SCRIPT = """
import json, sys, timeit
import keras
S = keras.optimizers.schedules
b, v, step, rounds, target = json.loads(sys.argv[1])
schedules = {
    "ExponentialDecay": S.ExponentialDecay(0.1, 1000, 0.96),
    "CosineDecay+warmup": S.CosineDecay(0.0, 10_000, warmup_target=0.1, warmup_steps=1000),
    "PiecewiseConstant": S.PiecewiseConstantDecay(b, v),
    "CosineDecayRestarts": S.CosineDecayRestarts(0.1, 1000),
}
out = {"version": keras.__version__, "backend": keras.backend.backend(), "times": {}}
for name, s in schedules.items():
    t = timeit.Timer("s(step)", globals={"s": s, "step": step})
    n = max(1, int(target / max(t.timeit(20) / 20, 1e-9)))
    out["times"][name] = [t.timeit(n) / n for _ in range(rounds)]
print(json.dumps(out))
"""


def run_keras(rounds: int, target: float) -> tuple[str, dict[str, Series]] | str:
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    args = json.dumps([BOUNDARIES, VALUES, STEP, rounds, target])
    try:
        proc = subprocess.run(
            [sys.executable, "-c", KERAS_SCRIPT, args],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        return "timed out"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"not available ({last[:120]})"
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    series = {name: Series("keras", samples) for name, samples in data["times"].items()}
    return f"keras {data['version']} ({data['backend']} backend)", series


def run_extras(schedules: dict[str, Any], rounds: int, target: float) -> dict[str, Any]:
    """Per-call times with 0-d torch and JAX arrays, Keras 3 and optax; skip what is missing."""
    columns: dict[str, dict[str, Series]] = {}
    notes: list[str] = []

    try:
        import torch
    except ImportError:
        notes.append("torch: not installed, skipped")
    else:
        torch.set_num_threads(1)
        step, hand = _torch_hand()
        for name, s in schedules.items():
            got = time_per_call({"ours": s, "hand": hand[name]}, step, rounds, target)
            columns.setdefault("torch (ours)", {})[name] = got["ours"]
            columns.setdefault("torch (hand)", {})[name] = got["hand"]
        notes.append(
            f"torch {torch.__version__}: step `torch.tensor({STEP})` (int64), result float32 "
            "(the default dtype); one intra-op thread"
        )

    try:
        import jax
    except ImportError:
        notes.append("jax: not installed, skipped")
    else:
        step, hand = _jax_hand()
        for name, s in schedules.items():
            cands = {
                "ours": s,
                "hand": hand[name],
                "ours jit": jax.jit(s.__call__),
                "hand jit": jax.jit(hand[name]),
            }
            got = time_per_call(cands, step, rounds, target, suffix=".block_until_ready()")
            names = {
                "ours": "JAX (ours)",
                "hand": "JAX (hand)",
                "ours jit": "JAX jit (ours)",
                "hand jit": "JAX jit (hand)",
            }
            for key, series in got.items():
                columns.setdefault(names[key], {})[name] = series
        notes.append(
            f"JAX {jax.__version__} ({jax.default_backend()}): step `jnp.asarray({STEP})` (int32), "
            "result float32 (x64 off); eager and under `jax.jit`; every call ends with "
            "`.block_until_ready()`"
        )
        try:
            import optax
        except ImportError:
            notes.append("optax: not installed, skipped")
        else:
            for name, fn in _optax().items():
                got = time_per_call(
                    {"optax": fn}, step, rounds, target, suffix=".block_until_ready()"
                )
                columns.setdefault("optax (eager)", {})[name] = got["optax"]
            notes.append(
                f"optax {optax.__version__}: eager, same JAX step; `warmup_cosine_decay_schedule`, "
                "`exponential_decay`, `piecewise_constant_schedule` (boundaries + 1, as optax "
                "switches *at* a boundary); no closed-form SGDR in optax (n/a)"
            )

    keras = run_keras(rounds, target)
    if isinstance(keras, str):
        notes.append(f"keras: {keras}, skipped")
    else:
        label, series = keras
        columns["Keras 3 (numpy)"] = series
        notes.append(f"{label}: Python int step, in a subprocess with KERAS_BACKEND=numpy")
    return {"columns": columns, "notes": notes}


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    import array_api_compat

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical, {usable} usable",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "array_api_compat": array_api_compat.__version__,
        "lrschedule": f"{lrschedule.__version__} (git {commit or 'unknown'})",
    }


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of all CPUs busy with other processes over ``seconds`` (Linux only): this
    process's own CPU time is subtracted (library thread pools may still spin after the runs)."""

    def sample() -> tuple[int, int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        return sum(fields[:8]), fields[3] + fields[4], int(own[11]) + int(own[12])

    try:
        total0, idle0, own0 = sample()
        time.sleep(seconds)
        total1, idle1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    busy = (total1 - total0) - (idle1 - idle0) - (own1 - own0)
    return max(0.0, busy / max(total1 - total0, 1))


def ns(seconds: float) -> str:
    return f"{seconds * 1e9:,.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.0f}"


def table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(header)))
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def load(average: tuple[float, float, float], busy: float | None) -> str:
    text = "load average " + "/".join(f"{x:.2f}" for x in average)
    return text if busy is None else f"{text}, CPUs {busy:.0%} busy with other work over 1 s"


def verdict(ratio: float, goal: float) -> str:
    return "met" if ratio <= goal else "**missed**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/performance.md")
    parser.add_argument("--no-extras", action="store_true", help="skip torch/JAX/Keras/optax")
    args = parser.parse_args(argv)

    scalar_rounds, scalar_target = (3, 0.01) if args.quick else (21, 0.04)
    vector_rounds = 2 if args.quick else 9
    extra_rounds, extra_target = (2, 0.01) if args.quick else (7, 0.03)
    n_vector = N_VECTOR // 10 if args.quick else N_VECTOR

    info = machine()
    load_before = os.getloadavg()
    busy_before = cpu_busy()
    started = time.perf_counter()
    print("lrschedule benchmarks:", ", ".join(f"{k}: {v}" for k, v in info.items()), flush=True)

    schedules = make_schedules()
    steps = np.arange(n_vector, dtype=np.int64)
    for name, s in schedules.items():
        check_scalar(name, s)
        check_vector(name, s, steps[: 2 * 10**5] * 97)  # all regimes, incl. far past the end

    # 1. Per call, Python int step.
    scalar: dict[str, dict[str, Series]] = {}
    for name, s in schedules.items():
        cands: dict[str, Callable[[Any], Any]] = {"lrschedule": s}
        cands.update({fn.__name__: fn for fn in SCALAR_HAND[name]})
        scalar[name] = time_per_call(cands, STEP, scalar_rounds, scalar_target)
        print(
            f"  per call  {name:20}",
            "  ".join(f"{k} {ns(v.median)} ns" for k, v in scalar[name].items()),
            flush=True,
        )

    # 2. Vectorized, 10M int64 steps.
    vector: dict[str, dict[str, Series]] = {}
    memory: dict[str, dict[str, int]] = {}
    for name, s in schedules.items():
        check_vector(name, s, steps)
        cands = {"lrschedule": s}
        cands.update({fn.__name__: fn for fn in VECTOR_HAND[name]})
        vector[name] = time_vector(cands, steps, vector_rounds)
        memory[name] = {label: peak_memory(fn, steps) for label, fn in cands.items()}
        print(
            f"  vector    {name:20}",
            "  ".join(f"{k} {ms(v.median)} ms" for k, v in vector[name].items()),
            flush=True,
        )

    # 3. Optional libraries.
    extras = None if args.no_extras else run_extras(schedules, extra_rounds, extra_target)

    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    busy_after = cpu_busy()
    command = "python benchmarks/run.py" + "".join(f" {a}" for a in (argv or sys.argv[1:]))
    report = render(
        info,
        scalar,
        vector,
        memory,
        extras,
        n_vector,
        elapsed,
        (load_before, busy_before),
        (load_after, busy_after),
        command,
        scalar_rounds,
        vector_rounds,
        extra_rounds,
    )
    print()
    print(report)
    if not args.no_write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(report)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def best(series: dict[str, Series]) -> Series:
    return min((v for k, v in series.items() if k != "lrschedule"), key=lambda v: v.median)


def render(
    info: dict[str, str],
    scalar: dict[str, dict[str, Series]],
    vector: dict[str, dict[str, Series]],
    memory: dict[str, dict[str, int]],
    extras: dict[str, Any] | None,
    n_vector: int,
    elapsed: float,
    load_before: tuple[tuple[float, float, float], float | None],
    load_after: tuple[tuple[float, float, float], float | None],
    command: str,
    scalar_rounds: int,
    vector_rounds: int,
    extra_rounds: int,
) -> str:
    out: list[str] = []
    w = out.append
    w("# Performance\n")
    w(
        "How fast a schedule call is, against the best hand-written NumPy code for the same formula. "
        "Generated by `benchmarks/run.py`; do not edit by hand (see benchmarks/README.md for the "
        "method).\n"
    )
    w(f"- Date: {info['date']}")
    w(f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}, {info['os']}")
    w(
        f"- Python {info['python']}, NumPy {info['numpy']}, array-api-compat "
        f"{info['array_api_compat']}, lrschedule {info['lrschedule']}"
    )
    w(f"- Command: `{command}` (also `nox -s bench`); total run time {elapsed:.0f} s")
    w(f"- Machine load before: {load(*load_before)}; after: {load(*load_after)}\n")

    w(
        "Schedules (with `BOUNDARIES = [1000, 2000, ..., 10000]`, `VALUES = [0.1 * 0.5**i for i in "
        "range(11)]`):\n"
    )
    for name, text in SCHEDULES.items():
        w(f"- {name}: `{text}`")
    w("")

    w("## Headline\n")
    w(
        f"**1. Per call**, Python int step `{STEP}` -> `numpy.float64`. Median of {scalar_rounds} "
        f"interleaved timeit rounds; the ratio's range is over the rounds. Goal: ratio <= "
        f"{GOAL_SCALAR:g}.\n"
    )
    rows = []
    for name, series in scalar.items():
        ours, hand = series["lrschedule"], best(series)
        lo, hi = ratio_spread(ours, hand)
        ratio = ours.median / hand.median
        rows.append(
            [
                name,
                ns(ours.median),
                f"{ns(hand.median)} (`{hand.label}`)",
                f"{ratio:.2f} ({lo:.2f}-{hi:.2f})",
                verdict(ratio, GOAL_SCALAR),
            ]
        )
    w(table(["schedule", "lrschedule ns", "hand-written ns", "ratio", "goal"], rows))
    w("")
    w(
        f"**2. Vectorized**, `np.arange({n_vector:_})` int64 steps -> float64 array. Median of "
        f"{vector_rounds} interleaved calls. Peak memory: extra bytes allocated during one call, "
        f"the {mib(n_vector * 8)} MiB result included (tracemalloc). Goal: ratio <= "
        f"{GOAL_VECTOR:g}.\n"
    )
    rows = []
    for name, series in vector.items():
        ours, hand = series["lrschedule"], best(series)
        lo, hi = ratio_spread(ours, hand)
        ratio = ours.median / hand.median
        rows.append(
            [
                name,
                ms(ours.median),
                f"{ms(hand.median)} (`{hand.label}`)",
                f"{ratio:.2f} ({lo:.2f}-{hi:.2f})",
                verdict(ratio, GOAL_VECTOR),
                mib(memory[name]["lrschedule"]),
                mib(memory[name][hand.label]),
            ]
        )
    w(
        table(
            [
                "schedule",
                "lrschedule ms",
                "hand-written ms",
                "ratio",
                "goal",
                "peak MiB (ours)",
                "peak MiB (hand)",
            ],
            rows,
        )
    )
    w("")

    w("## Every variant\n")
    w("Per call, ns: median (interquartile range).\n")
    rows = []
    for name, series in scalar.items():
        for label, s in series.items():
            rows.append([name, f"`{label}`", ns(s.median), f"{ns(s.q1)}-{ns(s.q3)}"])
    w(table(["schedule", "candidate", "median ns", "IQR ns"], rows, right={2, 3}))
    w("")
    w("Vectorized, ms: median (interquartile range), and peak extra memory.\n")
    rows = []
    for name, series in vector.items():
        for label, s in series.items():
            rows.append(
                [
                    name,
                    f"`{label}`",
                    ms(s.median),
                    f"{ms(s.q1)}-{ms(s.q3)}",
                    mib(memory[name][label]),
                ]
            )
    w(table(["schedule", "candidate", "median ms", "IQR ms", "peak MiB"], rows, right={2, 3, 4}))
    w("")

    if extras is not None:
        w("## Other libraries (per call, ns)\n")
        w(
            f'Extra columns, not goals: median of {extra_rounds} rounds. "hand" is a hand-written '
            "expression of the same formula in that library (see below).\n"
        )
        columns = extras["columns"]
        if columns:
            header = ["schedule", "NumPy scalar (ours)", *columns]
            rows = []
            for name in SCHEDULES:
                row = [name, ns(scalar[name]["lrschedule"].median)]
                for col in columns.values():
                    row.append(ns(col[name].median) if name in col else "n/a")
                rows.append(row)
            w(table(header, rows))
            w("")
        for note in extras["notes"]:
            w(f"- {note}")
        w("")

    w("## The hand-written comparators\n")
    w(
        "The fastest variant of each schedule is the comparator in the headline. Each variant is checked "
        "against lrschedule before timing (relative 1e-9). Per call, each variant computes the value on "
        "every call and returns `np.float64(<Python float>)`, as the schedule does; vectorized, each "
        "returns a new float64 array of the step's shape. Neither clips negative steps, which "
        "lrschedule does.\n"
    )
    w("```python")
    w(PREAMBLE)
    for fns in (*SCALAR_HAND.values(), *VECTOR_HAND.values()):
        for fn in fns:
            w("")
            w(textwrap.dedent(inspect.getsource(fn)).rstrip())
            w("")
    w("```")
    return "\n".join(out) + "\n"


PREAMBLE = """\
import bisect
import math

import numpy as np

BOUNDARIES = [1000 * (i + 1) for i in range(10)]
VALUES = [0.1 * 0.5**i for i in range(11)]
_B = np.asarray(BOUNDARIES, dtype=np.int64)
_V = np.asarray(VALUES, dtype=np.float64)
LOG_RATE_PER_STEP = math.log(0.96) / 1000
"""


if __name__ == "__main__":
    sys.exit(main())
