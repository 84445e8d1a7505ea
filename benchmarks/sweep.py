"""Vectorized sweep: lrschedule over 1e3 to 1e8 steps against the best hand-written code, per backend.

Issue 5, item 2. For each backend (NumPy, torch CPU, JAX under ``jax.jit`` with x64 off and on, dask)
the same schedule object is timed against several hand-written expressions of the same formula in
that library; Keras 3 (NumPy backend) and optax (jitted, array input) are timed beside them as peers.
Every candidate's values are checked against lrschedule before it is timed (a candidate that
disagrees is dropped and the reason recorded). Each backend runs in its own subprocess (JAX's x64
flag is per process; peak memory is per process), with the candidates of a point timed in
interleaved rounds whose order rotates; the ratio is lrschedule's median over the fastest hand-written
median from the same rounds.

Peak memory of one call at 1e7 steps (1e6 with ``quick``), the result included, is measured in a
second pass (fresh processes, glibc's mmap threshold fixed at 64 KiB so that large buffers are
mapped and unmapped one by one) two ways: ``tracemalloc`` (NumPy only: it sees NumPy's buffers, not
torch's or XLA's) and, for every backend, the growth of the process's peak resident set size
(``VmHWM`` in /proc/self/status, reset through /proc/self/clear_refs just before the call; Linux).

``python benchmarks/sweep.py [--quick]`` runs it alone and prints the markdown; the suite's
orchestrator (benchmarks/run.py) calls :func:`run` and :func:`render`. A measurement, never a test.
"""

from __future__ import annotations

import argparse
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
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Vectorized: 1e3 to 1e8 steps"
GOAL = 1.25
SIZES = [10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
QUICK_MAX = 10**6
MEMORY_SIZE = 10**7  # peak memory is measured at this size (QUICK_MAX with quick)
WORKER_TIMEOUT = 900
MEMORY_ENV = "LRSCHEDULE_SWEEP_MEMORY"  # set in the peak-memory pass's workers

BOUNDARIES = [1000 * (i + 1) for i in range(10)]
VALUES = [0.1 * 0.5**i for i in range(11)]
C_EXP = math.log(0.96) / 1000  # ExponentialDecay: 0.1 * exp(step * C_EXP)

SCHEDULES: dict[str, str] = {
    "ExponentialDecay": "ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)",
    "CosineDecay+warmup": (
        "CosineDecay(0.0, decay_steps=10_000, warmup_target=0.1, warmup_steps=1000)"
    ),
    "PiecewiseConstant": "PiecewiseConstantDecay(BOUNDARIES, VALUES)",
    "CosineDecayRestarts": "CosineDecayRestarts(0.1, first_decay_steps=1000)",
}

# Which step dtypes each backend runs, and the largest size for each (1e8 points are expensive:
# each backend runs 1e8 in the step dtype its users most often have).
PLAN: dict[str, dict[str, int]] = {
    "numpy": {"int64": 10**8, "int32": 10**6},
    "torch": {"int32": 10**8, "int64": 10**7},
    "jax": {"int32": 10**8},
    "jax-x64": {"int64": 10**8, "int32": 10**6},
    "dask": {"int64": 10**8, "int32": 10**6},
    "keras": {"int64": 10**7, "int32": 10**6},
}
BACKEND_TITLES = {
    "numpy": "NumPy",
    "torch": "torch CPU",
    "jax": "JAX jit (x64 off: float32)",
    "jax-x64": "JAX jit (x64 on: float64)",
    "dask": "dask",
    "keras": "Keras 3 (NumPy backend) beside lrschedule on NumPy",
}
DASK_CHUNK = 5_000_000


def make_schedules() -> dict[str, Any]:
    import lrschedule

    env = {"BOUNDARIES": BOUNDARIES, "VALUES": VALUES, **vars(lrschedule)}
    return {name: eval(text, env) for name, text in SCHEDULES.items()}


# --------------------------------------------------------------------------------------------------
# Hand-written comparators. Each takes the integer step array and returns the rates as a new array
# in the same library, with lrschedule's result dtype. The fastest of a schedule's variants is the
# comparator; all are timed and shown. None clips negative steps, which lrschedule does.
# --------------------------------------------------------------------------------------------------

# NumPy: int array -> float64 array.
_B = np.asarray(BOUNDARIES, dtype=np.int64)
_V = np.asarray(VALUES, dtype=np.float64)


def vexp_pow(s):
    return 0.1 * 0.96 ** (s / 1000)


def vexp_exp(s):
    return 0.1 * np.exp(s * C_EXP)


def vexp_out(s):
    out = np.multiply(s, C_EXP)  # int * float -> a new float64 array, then in place
    np.exp(out, out=out)
    out *= 0.1
    return out


def vcos_where(s):
    warm = s * (0.1 / 1000)
    t = np.minimum(s - 1000, 10_000)
    decay = 0.05 * (1.0 + np.cos(t * (np.pi / 10_000)))
    return np.where(s < 1000, warm, decay)


def vcos_out(s):
    out = np.subtract(s, 1000, dtype=np.float64)
    np.minimum(out, 10_000, out=out)
    out *= np.pi / 10_000
    np.cos(out, out=out)
    out += 1.0
    out *= 0.05
    warm = s < 1000
    out[warm] = s[warm] * (0.1 / 1000)
    return out


def vpw_index(s):
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


def vsgdr_out(s):
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


NUMPY_HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [vexp_pow, vexp_exp, vexp_out],
    "CosineDecay+warmup": [vcos_where, vcos_out],
    "PiecewiseConstant": [vpw_index, vpw_take, vpw_digitize, vpw_masks],
    "CosineDecayRestarts": [vsgdr_log2, vsgdr_out],
}

# torch: int tensor -> float32 tensor (torch's default dtype, lrschedule's result dtype). The *_f32
# variants compute in float32, as a torch user writes them; the *_f64 variants compute in float64, as
# lrschedule does, and cast the result. The module is bound when the torch worker starts.
torch: Any = None
_TB: dict[Any, Any] = {}  # boundaries per step dtype
_TV: Any = None  # values, float32


def t_exp_f32(t):
    return 0.1 * torch.exp(t * C_EXP)


def t_exp_f64(t):
    x = t.to(torch.float64)
    x.mul_(C_EXP).exp_().mul_(0.1)
    return x.to(torch.float32)


def t_cos_f32(t):
    decay = 0.05 * (1.0 + torch.cos(torch.clamp(t - 1000, max=10_000) * (math.pi / 10_000)))
    return torch.where(t < 1000, t * (0.1 / 1000), decay)


def t_cos_f64(t):
    x = t.to(torch.float64)
    decay = (x - 1000).clamp_(max=10_000).mul_(math.pi / 10_000).cos_().add_(1.0).mul_(0.05)
    return torch.where(t < 1000, x.mul_(0.1 / 1000), decay).to(torch.float32)


def t_pw_bucketize(t):
    return _TV[torch.bucketize(t, _TB[t.dtype])]  # right=False: b[i-1] < t <= b[i] -> i


def t_pw_searchsorted(t):
    return torch.take(_TV, torch.searchsorted(_TB[t.dtype], t))


def t_sgdr_f32(t):
    x = t / 1000 + 1.0
    length = torch.exp2(torch.floor(torch.log2(x)))
    return 0.05 * (1.0 + torch.cos(math.pi * (x / length - 1.0)))


def t_sgdr_f64(t):
    x = t.to(torch.float64).div_(1000.0).add_(1.0)
    length = torch.log2(x).floor_().exp2_()
    x.div_(length).sub_(1.0).mul_(math.pi).cos_().add_(1.0).mul_(0.05)
    return x.to(torch.float32)


TORCH_HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [t_exp_f32, t_exp_f64],
    "CosineDecay+warmup": [t_cos_f32, t_cos_f64],
    "PiecewiseConstant": [t_pw_bucketize, t_pw_searchsorted],
    "CosineDecayRestarts": [t_sgdr_f32, t_sgdr_f64],
}
TORCH_F32 = {"t_exp_f32", "t_cos_f32", "t_sgdr_f32"}  # compute in float32

# JAX, each under jax.jit: int array -> JAX's default float (float32, or float64 with x64). The
# module is bound when the JAX worker starts.
jnp: Any = None
_JB: Any = None
_JV: Any = None


def j_exp(t):
    return 0.1 * jnp.exp(t * C_EXP)


def j_exp_pow(t):
    return 0.1 * jnp.power(0.96, t / 1000)


def j_cos(t):
    decay = 0.05 * (1.0 + jnp.cos(jnp.minimum(t - 1000, 10_000) * (math.pi / 10_000)))
    return jnp.where(t < 1000, t * (0.1 / 1000), decay)


def j_pw_searchsorted(t):
    return _JV[jnp.searchsorted(_JB, t)]


def j_pw_compare(t):
    return _JV[jnp.searchsorted(_JB, t, method="compare_all")]


def j_pw_where(t):
    out = jnp.full(t.shape, VALUES[0])
    for boundary, value in zip(BOUNDARIES, VALUES[1:], strict=True):
        out = jnp.where(t > boundary, value, out)
    return out


def j_sgdr(t):
    x = t / 1000 + 1.0
    length = jnp.exp2(jnp.floor(jnp.log2(x)))
    return 0.05 * (1.0 + jnp.cos(math.pi * (x / length - 1.0)))


def j_sgdr_int(t):
    # The period from integer steps: XLA turns t / 1000 into t * 0.001, which puts step 7000
    # (a restart) at the end of the previous period in the closed form above.
    # XLA's log2 is log(x) / log(2), a hair below 3 at 8: one correction each way.
    k = (t // 1000 + 1).astype(jnp.result_type(float))
    length = jnp.exp2(jnp.floor(jnp.log2(k)))  # in units of first_decay_steps
    length = jnp.where(2.0 * length <= k, 2.0 * length, length)
    length = jnp.where(length > k, 0.5 * length, length)
    f = (t - 1000 * (length - 1.0)) / (1000 * length)
    return 0.05 * (1.0 + jnp.cos(math.pi * f))


JAX_HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [j_exp, j_exp_pow],
    "CosineDecay+warmup": [j_cos],
    "PiecewiseConstant": [j_pw_searchsorted, j_pw_compare, j_pw_where],
    "CosineDecayRestarts": [j_sgdr, j_sgdr_int],
}

# dask: a lazy int array -> a lazy float64 array; timed with .compute(). Either an expression of
# dask.array functions or map_blocks of the fastest NumPy variant. Bound when the dask worker starts.
da: Any = None


def d_exp(s):
    return 0.1 * da.exp(s * C_EXP)


def d_exp_blocks(s):
    return s.map_blocks(vexp_out, dtype=np.float64)


def d_cos(s):
    decay = 0.05 * (1.0 + da.cos(da.minimum(s - 1000, 10_000) * (math.pi / 10_000)))
    return da.where(s < 1000, s * (0.1 / 1000), decay)


def d_cos_blocks(s):
    return s.map_blocks(vcos_out, dtype=np.float64)


def d_pw_where(s):
    out = da.full_like(s, VALUES[0], dtype=np.float64)
    for boundary, value in zip(BOUNDARIES, VALUES[1:], strict=True):
        out = da.where(s > boundary, value, out)
    return out


def d_pw_blocks(s):
    return s.map_blocks(vpw_take, dtype=np.float64)


def d_sgdr(s):
    x = s / 1000 + 1.0
    length = 2.0 ** da.floor(da.log2(x))
    return 0.05 * (1.0 + da.cos(math.pi * (x / length - 1.0)))


def d_sgdr_blocks(s):
    return s.map_blocks(vsgdr_out, dtype=np.float64)


DASK_HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [d_exp, d_exp_blocks],
    "CosineDecay+warmup": [d_cos, d_cos_blocks],
    "PiecewiseConstant": [d_pw_where, d_pw_blocks],
    "CosineDecayRestarts": [d_sgdr, d_sgdr_blocks],
}

HAND_SOURCES: dict[str, dict[str, list[Callable[[Any], Any]]]] = {
    "numpy": NUMPY_HAND,
    "torch": TORCH_HAND,
    "jax": JAX_HAND,
    "dask": DASK_HAND,
}


# --------------------------------------------------------------------------------------------------
# Measurement helpers
# --------------------------------------------------------------------------------------------------


def _rss_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak_rss() -> int | None:
    """Reset the process's peak RSS to its current RSS; return that RSS in KiB (None: not Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return _rss_kib("VmRSS")


def measure(
    candidates: dict[str, Callable[[], Any]],
    *,
    rounds: int,
    target: float,
    warm: bool,
    calibrate: bool,
    memory: bool,
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Time zero-argument calls in interleaved rounds (the order rotates each round).

    ``warm`` calls each candidate once first (JAX compiles, allocators settle); ``calibrate`` times
    one more call to choose a loop count that takes about ``target`` seconds (else one call per
    sample). With ``memory``, the first round's calls also record the peak RSS growth in bytes.
    Returns seconds per call per candidate, and the peak RSS growth per candidate.
    """
    loops = dict.fromkeys(candidates, 1)
    for label, fn in candidates.items():
        if warm:
            result = fn()
            del result
        if calibrate:
            t0 = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - t0
            del result
            loops[label] = max(1, min(100_000, round(target / max(elapsed, 1e-9))))
    samples: dict[str, list[float]] = {label: [] for label in candidates}
    peaks: dict[str, int] = {}
    labels = list(candidates)
    gc.collect()
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            shift = r % len(labels)
            for label in labels[shift:] + labels[:shift]:
                fn, n = candidates[label], loops[label]
                base = None
                if memory and r == 0:
                    n = 1  # one call: a second would overlap the first's result
                    base = _reset_peak_rss()
                t0 = time.perf_counter()
                for _ in range(n):
                    result = fn()
                t1 = time.perf_counter()
                if base is not None:
                    peak = _rss_kib("VmHWM")
                    if peak is not None:
                        peaks[label] = (peak - base) * 1024
                del result
                samples[label].append((t1 - t0) / n)
    finally:
        if gc_was:
            gc.enable()
    return samples, peaks


def tracemalloc_peak(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (tracemalloc sees NumPy's buffers) during one call, result included."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def check_steps(limit: int) -> np.ndarray:
    """Steps covering every regime: dense to 30k, log-spaced to 1e8, and both sides of every
    restart of CosineDecayRestarts(first_decay_steps=1000) and every boundary; below ``limit``."""
    starts = [1000 * (2**i - 1) for i in range(18)] + BOUNDARIES + [11_000]
    near = [s + d for s in starts for d in (-1, 0, 1)]
    steps = np.concatenate(
        [
            np.arange(30_000),
            np.geomspace(1, 10**8 - 1, 20_000).astype(np.int64),
            np.asarray(near, dtype=np.int64),
        ]
    )
    steps = np.unique(steps)
    return steps[(steps >= 0) & (steps < limit)]


F32_CHECK_LIMIT = 2**21
"""Float32-compute candidates are checked below 2**21 steps: past that, float32 rounding in the
usual closed form of the restart period (``floor(log2(step / 1000 + 1))``: the log rounds up to the
next integer just before a restart at 4,094,999 steps) moves whole periods. lrschedule computes in
float64 wherever the backend offers it and corrects the period in exact step units."""


def check(label: str, hand: np.ndarray, ours: np.ndarray, steps: np.ndarray, f32: bool) -> str:
    """'' when ``hand`` matches ``ours``, else the reason (with the worst step)."""
    if hand.shape != ours.shape:
        return f"shape {hand.shape} != {ours.shape}"
    if hand.dtype != ours.dtype:
        return f"dtype {hand.dtype} != {ours.dtype}"
    if f32:
        rtol, atol = 1e-4, 1e-7
    elif ours.dtype == np.float32:
        rtol, atol = 1e-6, 1e-12
    else:
        rtol, atol = 1e-9, 1e-15
    a, b = hand.astype(np.float64), ours.astype(np.float64)
    if np.allclose(a, b, rtol=rtol, atol=atol):
        return ""
    worst = int(np.argmax(np.abs(a - b) - rtol * np.abs(b)))
    return f"{label} differs at step {int(steps[worst])}: {a[worst]!r} vs lrschedule {b[worst]!r}"


# --------------------------------------------------------------------------------------------------
# Workers: one per backend, each in its own process
# --------------------------------------------------------------------------------------------------


class Recorder:
    """Collects one worker's points and notes, and prints progress to stderr."""

    def __init__(self, backend: str, quick: bool) -> None:
        self.backend = backend
        self.quick = quick
        self.memory_only = os.environ.get(MEMORY_ENV) == "1"
        self.points: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.candidates: dict[str, dict[str, str]] = {}  # label -> kind, compute
        self.dropped: dict[str, str] = {}

    def plan(self) -> list[tuple[str, int]]:
        """(step dtype, size) pairs, small sizes first; for the memory pass, one size."""
        if self.memory_only:
            size = QUICK_MAX if self.quick else MEMORY_SIZE
            return [(d, size) for d, largest in PLAN[self.backend].items() if largest >= size]
        out = []
        for dtype, largest in PLAN[self.backend].items():
            top = min(largest, QUICK_MAX) if self.quick else largest
            out += [(dtype, n) for n in SIZES if n <= top]
        return out

    def settings(self, n: int) -> dict[str, Any]:
        """Rounds and loop target for a size: fewer rounds at large sizes."""
        if self.memory_only:
            return {"rounds": 1, "target": 0.0, "calibrate": False}
        if self.quick:
            return {"rounds": 3, "target": 0.003, "calibrate": True}
        if n >= 10**8:
            return {"rounds": 3, "target": 0.0, "calibrate": False}
        if n >= 10**7:
            return {"rounds": 5, "target": 0.0, "calibrate": False}
        return {"rounds": 7, "target": 0.01, "calibrate": True}

    def add(
        self,
        dtype: str,
        n: int,
        name: str,
        samples: dict[str, list[float]],
        peaks: dict[str, int],
        traced: dict[str, int] | None = None,
    ) -> None:
        point: dict[str, Any] = {
            "dtype": dtype,
            "size": n,
            "schedule": name,
            "seconds": samples,
        }
        if peaks:
            point["peak_rss_bytes"] = peaks
        if traced:
            point["tracemalloc_bytes"] = traced
        self.points.append(point)
        meds = {k: statistics.median(v) for k, v in samples.items()}
        hands = [v for k, v in meds.items() if self.candidates[k]["kind"] == "hand"]
        ratio = f"ratio {meds['lrschedule'] / min(hands):.2f}" if hands else ""
        print(
            f"  {self.backend:8} {dtype} {n:>11,} {name:20} {ratio:11} "
            + " ".join(f"{k} {v * 1e3:.3g}ms" for k, v in meds.items()),
            file=sys.stderr,
            flush=True,
        )

    def result(self, versions: dict[str, str]) -> dict[str, Any]:
        return {
            "status": "ok",
            "versions": versions,
            "notes": self.notes,
            "candidates": self.candidates,
            "dropped": self.dropped,
            "points": self.points,
        }


def _prune(rec: Recorder, dtype: str, name: str, labels: list[str]) -> list[str]:
    """From 1e7 steps on, only lrschedule, the peers and the fastest hand-written variant of each
    compute precision at the size before (every variant is timed up to 1e6)."""
    done = [p for p in rec.points if p["dtype"] == dtype and p["schedule"] == name]
    if not done:
        return labels
    last = max(done, key=lambda p: p["size"])
    meds = {k: statistics.median(v) for k, v in last["seconds"].items()}
    keep = {k for k in labels if rec.candidates[k]["kind"] != "hand"}
    for compute in ("float32", "float64"):
        hands = [
            k
            for k in labels
            if rec.candidates[k]["kind"] == "hand"
            and rec.candidates[k]["compute"] == compute
            and k in meds
        ]
        if hands:
            keep.add(min(hands, key=meds.__getitem__))
    return [k for k in labels if k in keep]


def _sweep(
    rec: Recorder,
    make_steps: Callable[[str, int], Any],
    candidates_for: Callable[[str, Any], dict[str, Callable[[Any], Any]]],
    call: Callable[[Callable[[Any], Any], Any], Any],
    *,
    tracemalloc_too: bool = False,
    warm_always: bool = False,
) -> None:
    """The sweep loop shared by the workers: every (dtype, size), every schedule."""
    schedules = make_schedules()
    memory = rec.memory_only
    for dtype, n in rec.plan():
        steps = make_steps(dtype, n)
        cfg = rec.settings(n)
        for name in schedules:
            fns = candidates_for(name, schedules[name])
            labels = [k for k in fns if k not in rec.dropped]
            if n >= 10**7:
                labels = _prune(rec, dtype, name, labels)
            thunks = {k: (lambda f=fns[k], s=steps: call(f, s)) for k in labels}
            samples, peaks = measure(
                thunks,
                rounds=cfg["rounds"],
                target=cfg["target"],
                # at 1e8 only the size's first schedule warms up: the first call at a new size
                # pays a one-off cost (the kernel finding ~1 GB of pages), seen up to 4x
                warm=warm_always or n < 10**8 or name == next(iter(schedules)),
                calibrate=cfg["calibrate"],
                memory=memory,
            )
            traced = None
            if tracemalloc_too and memory:
                traced = {k: tracemalloc_peak(t) for k, t in thunks.items()}
            del thunks
            rec.add(dtype, n, name, samples, peaks, traced)
        del steps
        gc.collect()


def _check_all(
    rec: Recorder,
    dtype: str,
    make_check_steps: Callable[[np.ndarray], Any],
    candidates_for: Callable[[str, Any], dict[str, Callable[[Any], Any]]],
    to_numpy: Callable[[Any], np.ndarray],
    ours_f32: bool = False,
) -> None:
    """Check each candidate against lrschedule on :func:`check_steps`; drop those that differ."""
    schedules = make_schedules()
    for name, schedule in schedules.items():
        for label, fn in candidates_for(name, schedule).items():
            if label == "lrschedule" or label in rec.dropped:
                continue
            f32 = ours_f32 or rec.candidates[label]["compute"] == "float32"
            raw = check_steps(F32_CHECK_LIMIT if f32 else 10**8)
            if dtype == "int32" and not f32:
                raw = raw[raw < 2**31 - 1]
            steps = make_check_steps(raw.astype(dtype))
            why = check(label, to_numpy(fn(steps)), to_numpy(schedule(steps)), raw, f32)
            if why:
                rec.dropped[label] = f"{dtype}: {why}"
                rec.notes.append(f"dropped {label} (values differ, {dtype}): {why}")


def worker_numpy(quick: bool) -> dict[str, Any]:
    import lrschedule

    rec = Recorder("numpy", quick)

    def candidates_for(name: str, schedule: Any) -> dict[str, Callable[[Any], Any]]:
        out: dict[str, Callable[[Any], Any]] = {"lrschedule": schedule}
        out.update({fn.__name__: fn for fn in NUMPY_HAND[name]})
        return out

    rec.candidates["lrschedule"] = {"kind": "ours", "compute": "float64"}
    for fns in NUMPY_HAND.values():
        for fn in fns:
            rec.candidates[fn.__name__] = {"kind": "hand", "compute": "float64"}
    for dtype in PLAN["numpy"]:
        _check_all(rec, dtype, lambda s: s, candidates_for, np.asarray)
    _sweep(
        rec,
        lambda dtype, n: np.arange(n, dtype=dtype),
        candidates_for,
        lambda f, s: f(s),
        tracemalloc_too=True,
    )
    rec.notes.append("steps `np.arange(n, dtype=...)`; result float64 (NumPy's default)")
    return rec.result({"numpy": np.__version__, "lrschedule": lrschedule.__version__})


def worker_torch(quick: bool) -> dict[str, Any]:
    global torch, _TV
    import torch as torch_module

    import lrschedule

    torch = torch_module
    torch.set_num_threads(1)
    _TV = torch.tensor(VALUES, dtype=torch.float32)
    _TB.update({d: torch.tensor(BOUNDARIES, dtype=d) for d in (torch.int32, torch.int64)})
    rec = Recorder("torch", quick)

    def candidates_for(name: str, schedule: Any) -> dict[str, Callable[[Any], Any]]:
        out: dict[str, Callable[[Any], Any]] = {"lrschedule": schedule}
        out.update({fn.__name__: fn for fn in TORCH_HAND[name]})
        return out

    rec.candidates["lrschedule"] = {"kind": "ours", "compute": "float64"}
    for fns in TORCH_HAND.values():
        for fn in fns:
            compute = "float32" if fn.__name__ in TORCH_F32 else "float64"
            rec.candidates[fn.__name__] = {"kind": "hand", "compute": compute}
    with torch.no_grad():
        for dtype in PLAN["torch"]:
            _check_all(rec, dtype, torch.from_numpy, candidates_for, lambda t: t.numpy())
        _sweep(
            rec,
            lambda dtype, n: torch.arange(n, dtype=getattr(torch, dtype)),
            candidates_for,
            lambda f, s: f(s),
        )
    rec.notes.append(
        f"steps `torch.arange(n, dtype=...)`; result float32 (torch's default dtype; lrschedule "
        f"computes in float64 and casts); `torch.set_num_threads(1)`; `torch.no_grad()`; "
        f"{', '.join(sorted(TORCH_F32))} compute in float32, the other hand-written variants in "
        "float64 as lrschedule does"
    )
    return rec.result({"torch": torch.__version__, "lrschedule": lrschedule.__version__})


def worker_jax(quick: bool, x64: bool) -> dict[str, Any]:
    global jnp, _JB, _JV
    import jax

    if x64:
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp_module

    import lrschedule

    jnp = jnp_module
    _JB, _JV = jnp.asarray(BOUNDARIES), jnp.asarray(VALUES)
    backend = "jax-x64" if x64 else "jax"
    compute = "float64" if x64 else "float32"
    rec = Recorder(backend, quick)
    peers: dict[str, Callable[[Any], Any]] = {}
    versions = {"jax": jax.__version__, "lrschedule": lrschedule.__version__}
    if not x64:
        try:
            import optax
        except ImportError:
            rec.notes.append("optax: not installed, skipped")
        else:
            versions["optax"] = optax.__version__
            peers = {
                "ExponentialDecay": optax.exponential_decay(0.1, 1000, 0.96),
                "CosineDecay+warmup": optax.warmup_cosine_decay_schedule(
                    init_value=0.0, peak_value=0.1, warmup_steps=1000, decay_steps=11_000
                ),
                # optax scales *at* a boundary, Keras (and lrschedule) after it: b + 1.
                "PiecewiseConstant": optax.piecewise_constant_schedule(
                    VALUES[0], {b + 1: 0.5 for b in BOUNDARIES}
                ),
            }
            rec.candidates["optax"] = {"kind": "peer", "compute": "float32"}
            rec.notes.append(
                f"optax {optax.__version__}: `jax.jit` of `exponential_decay`, "
                "`warmup_cosine_decay_schedule`, `piecewise_constant_schedule` (boundaries + 1) on "
                "the same array; no closed-form SGDR in optax"
            )
    jitted: dict[tuple[str, str], Any] = {}

    def candidates_for(name: str, schedule: Any) -> dict[str, Callable[[Any], Any]]:
        fns: dict[str, Callable[[Any], Any]] = {"lrschedule": schedule.__call__}
        fns.update({fn.__name__: fn for fn in JAX_HAND[name]})
        if name in peers:
            fns["optax"] = peers[name]
        out = {}
        for label, fn in fns.items():
            key = (name, label)
            if key not in jitted:
                jitted[key] = jax.jit(fn)
            out[label] = jitted[key]
        return out

    rec.candidates["lrschedule"] = {"kind": "ours", "compute": compute}
    for fns in JAX_HAND.values():
        for fn in fns:
            rec.candidates[fn.__name__] = {"kind": "hand", "compute": compute}
    for dtype in PLAN[backend]:
        _check_all(rec, dtype, jnp.asarray, candidates_for, np.asarray, ours_f32=not x64)
    _sweep(
        rec,
        lambda dtype, n: jnp.arange(n, dtype=dtype),
        candidates_for,
        lambda f, s: f(s).block_until_ready(),
        warm_always=True,
    )
    if rec.memory_only:  # XLA's own account of the compiled call: output + temporaries
        schedules = make_schedules()
        for p in rec.points:
            steps = jnp.arange(p["size"], dtype=p["dtype"])
            fns = candidates_for(p["schedule"], schedules[p["schedule"]])
            p["xla_bytes"] = {}
            for label in p["seconds"]:
                stats = fns[label].lower(steps).compile().memory_analysis()
                if stats is not None:
                    p["xla_bytes"][label] = stats.output_size_in_bytes + stats.temp_size_in_bytes
    rec.notes.append(
        f"JAX {jax.__version__} ({jax.default_backend()}), x64 {'on' if x64 else 'off'}: steps "
        f"`jnp.arange(n, dtype=...)`, every candidate under `jax.jit` (lrschedule as "
        f"`jax.jit(schedule.__call__)`), warmed up (compiled) per shape before timing, each call "
        f"ends with `.block_until_ready()`; result and compute {compute}"
    )
    return rec.result(versions)


def worker_dask(quick: bool) -> dict[str, Any]:
    global da
    import dask
    import dask.array as da_module

    import lrschedule

    da = da_module
    rec = Recorder("dask", quick)

    def candidates_for(name: str, schedule: Any) -> dict[str, Callable[[Any], Any]]:
        out: dict[str, Callable[[Any], Any]] = {"lrschedule": schedule}
        out.update({fn.__name__: fn for fn in DASK_HAND[name]})
        return out

    rec.candidates["lrschedule"] = {"kind": "ours", "compute": "float64"}
    for fns in DASK_HAND.values():
        for fn in fns:
            rec.candidates[fn.__name__] = {"kind": "hand", "compute": "float64"}
    for dtype in PLAN["dask"]:
        _check_all(
            rec,
            dtype,
            lambda s: da.from_array(s, chunks=len(s) // 3 + 1),
            candidates_for,
            lambda x: np.asarray(x.compute()),
        )
    _sweep(
        rec,
        lambda dtype, n: da.arange(n, dtype=dtype, chunks=min(n, DASK_CHUNK)),
        candidates_for,
        lambda f, s: f(s).compute(),
    )
    rec.notes.append(
        f"dask {dask.__version__}: steps `dask.array.arange(n, chunks={DASK_CHUNK:_})` (one chunk "
        "below that); each call builds the graph and runs `.compute()` on the default threaded "
        "scheduler (2 threads here); `*_blocks` variants are `map_blocks` of the NumPy variants"
    )
    return rec.result({"dask": dask.__version__, "lrschedule": lrschedule.__version__})


def worker_keras(quick: bool) -> dict[str, Any]:
    import keras

    import lrschedule

    S = keras.optimizers.schedules
    peers = {
        "ExponentialDecay": S.ExponentialDecay(0.1, 1000, 0.96),
        "CosineDecay+warmup": S.CosineDecay(0.0, 10_000, warmup_target=0.1, warmup_steps=1000),
        "PiecewiseConstant": S.PiecewiseConstantDecay(BOUNDARIES, VALUES),
        "CosineDecayRestarts": S.CosineDecayRestarts(0.1, 1000),
    }
    rec = Recorder("keras", quick)
    rec.candidates["lrschedule"] = {"kind": "ours", "compute": "float64"}
    rec.candidates["keras"] = {"kind": "peer", "compute": "float32"}

    def candidates_for(name: str, schedule: Any) -> dict[str, Callable[[Any], Any]]:
        if name in peers:
            return {"lrschedule": schedule, "keras": peers[name]}
        return {"lrschedule": schedule}

    for dtype in PLAN["keras"]:  # Keras returns float32: compare in float32, below 2**21
        raw = check_steps(F32_CHECK_LIMIT).astype(dtype)
        for name, schedule in make_schedules().items():
            if name not in peers:
                continue
            try:
                hand = np.asarray(peers[name](raw))
            except Exception as exc:  # a peer that refuses arrays is a finding, not a failure
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                rec.notes.append(
                    f"Keras {name} does not accept a step array ({type(exc).__name__}: "
                    f"{first[:100]}): lrschedule alone"
                )
                del peers[name]
                continue
            why = check("keras", hand, schedule(raw).astype(np.float32), raw, True)
            if why:
                rec.notes.append(f"keras {name} {dtype}: values differ ({why}); timed anyway")
    _sweep(
        rec,
        lambda dtype, n: np.arange(n, dtype=dtype),
        candidates_for,
        lambda f, s: f(s),
    )
    rec.notes.append(
        f"Keras {keras.__version__} with `KERAS_BACKEND={keras.backend.backend()}` (float32 "
        "result), in its own process, interleaved with lrschedule on the same NumPy steps "
        "(float64 result); Keras is a peer here, not the comparator"
    )
    return rec.result({"keras": keras.__version__, "lrschedule": lrschedule.__version__})


WORKERS: dict[str, tuple[Callable[[bool], dict[str, Any]], dict[str, str]]] = {
    "numpy": (worker_numpy, {}),
    "torch": (worker_torch, {}),
    "jax": (lambda quick: worker_jax(quick, x64=False), {}),
    "jax-x64": (lambda quick: worker_jax(quick, x64=True), {}),
    "dask": (worker_dask, {}),
    "keras": (worker_keras, {"KERAS_BACKEND": "numpy"}),
}


def _run_worker(name: str, quick: bool, memory: bool = False) -> dict[str, Any]:
    """Run one backend's worker in a fresh process; a failure becomes a skip with the reason.

    ``memory``: the peak-memory pass, with glibc's mmap threshold fixed at 64 KiB so that every
    large buffer is its own mapping, in the RSS while it lives and unmapped when freed (by default
    the threshold grows to 32 MiB after a free, and freed buffers below it stay resident, hiding
    later allocations from the peak RSS). Not used for timing: it makes allocations slower.
    """
    env = {**os.environ, **WORKERS[name][1]}
    if memory:
        env.update({MEMORY_ENV: "1", "MALLOC_MMAP_THRESHOLD_": "65536"})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name]
    if quick:
        cmd.append("--quick")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"status": f"skipped: timed out after {WORKER_TIMEOUT} s"}
    sys.stderr.write(proc.stderr)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        err = proc.stderr.strip().splitlines() or ["no output"]
        missing = next((x for x in err if "ModuleNotFoundError" in x), None)
        why = f"not installed ({missing.split(':', 1)[1].strip()})" if missing else err[-1]
        return {"status": f"skipped: {why[:200]}"}
    data: dict[str, Any] = json.loads(lines[-1])
    data["seconds"] = round(time.perf_counter() - started, 1)
    return data


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _source(fns: dict[str, list[Callable[[Any], Any]]]) -> str:
    return "\n\n".join(
        textwrap.dedent(inspect.getsource(fn)).rstrip() for group in fns.values() for fn in group
    )


def run(quick: bool) -> dict[str, Any]:
    """Measure every backend (each in its own process); JSON-serializable results."""
    started = time.perf_counter()
    load_before = _load()
    backends = {}
    for name in WORKERS:
        backends[name] = _run_worker(name, quick)
        if backends[name].get("status") == "ok" and name != "keras":
            mem = _run_worker(name, quick, memory=True)
            backends[name]["memory_points"] = mem.get("points", [])
            if mem.get("status") != "ok":
                backends[name]["notes"].append(f"peak memory pass {mem.get('status')}")
    versions = {"python": platform.python_version()}
    for data in backends.values():
        versions.update(data.get("versions", {}))
    return {
        "section": "sweep",
        "quick": quick,
        "versions": versions,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": platform.machine(),
        "sizes": SIZES,
        "plan": PLAN,
        "goal": GOAL,
        "schedules": SCHEDULES,
        "memory_size": QUICK_MAX if quick else MEMORY_SIZE,
        "load_before": load_before,
        "load_after": _load(),
        "elapsed_s": round(time.perf_counter() - started, 1),
        "backends": backends,
        "sources": {name: _source(fns) for name, fns in HAND_SOURCES.items()},
    }


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _ms(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds * 1e3:,.0f}"
    if seconds >= 0.001:
        return f"{seconds * 1e3:.1f}"
    return f"{seconds * 1e3:.3f}"


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.0f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|---|" + "|".join("---:" for _ in header[1:]) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _size(n: int) -> str:
    return f"1e{round(math.log10(n))}"


def point_summary(point: dict[str, Any], candidates: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Medians, the fastest hand-written variant, the ratio and its range over the rounds."""
    meds = {k: _median(v) for k, v in point["seconds"].items()}
    hands = [k for k in meds if candidates[k]["kind"] == "hand"]
    out: dict[str, Any] = {"medians": meds, "ours": meds.get("lrschedule")}
    if hands and "lrschedule" in meds:
        best = min(hands, key=meds.__getitem__)
        ours, hand = point["seconds"]["lrschedule"], point["seconds"][best]
        per_round = [a / b for a, b in zip(ours, hand, strict=True)]
        out.update(
            best=best,
            hand=meds[best],
            ratio=meds["lrschedule"] / meds[best],
            spread=(min(per_round), max(per_round)),
        )
        same = [k for k in hands if candidates[k]["compute"] == candidates["lrschedule"]["compute"]]
        if same and set(same) != set(hands):
            best_same = min(same, key=meds.__getitem__)
            out["ratio_same"] = meds["lrschedule"] / meds[best_same]
            out["best_same"] = best_same
    return out


def _ok(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in results["backends"].items() if v.get("status") == "ok"}


def headline(results: dict[str, Any]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """(backend, dtype, size) -> schedule -> point summary, for every measured point."""
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    for backend, data in _ok(results).items():
        for p in data["points"]:
            key = (backend, p["dtype"], p["size"])
            out.setdefault(key, {})[p["schedule"]] = point_summary(p, data["candidates"])
    return out


def summary(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) rows for the page's summary table: the worst ratio per backend at the
    largest two sizes measured."""
    rows: list[tuple[str, str, bool | None]] = []
    points = headline(results)
    goal = results["goal"]
    for backend, data in results["backends"].items():
        title = BACKEND_TITLES.get(backend, backend)
        if data.get("status") != "ok":
            rows.append(
                (f"Vectorized {title}: <= {goal:g}x best hand-written", data["status"], None)
            )
            continue
        if backend == "keras":
            continue
        sizes = sorted({n for (b, _, n) in points if b == backend})[-2:]
        worst: tuple[float, str] | None = None
        for (b, dtype, n), by_schedule in points.items():
            if b != backend or n not in sizes:
                continue
            for name, s in by_schedule.items():
                if "ratio" in s and (worst is None or s["ratio"] > worst[0]):
                    worst = (s["ratio"], f"{name}, {dtype}, {_size(n)} steps")
        if worst is None:
            continue
        where = " and ".join(_size(n) for n in sizes)
        rows.append(
            (
                f"Vectorized {title}, {where} steps: <= {goal:g}x the best hand-written",
                f"worst {worst[0]:.2f}x ({worst[1]})",
                worst[0] <= goal,
            )
        )
    return rows


def _plot(results: dict[str, Any], backend: str, assets: Path) -> str | None:
    """Time against steps, log-log, one panel per schedule, one line per candidate and dtype."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    data = results["backends"][backend]
    cands = data["candidates"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    for ax, name in zip(axes.flat, SCHEDULES, strict=True):
        lines: dict[tuple[str, str], dict[int, float]] = {}
        for p in data["points"]:
            if p["schedule"] != name:
                continue
            for label, xs in p["seconds"].items():
                lines.setdefault((label, p["dtype"]), {})[p["size"]] = _median(xs)
        for (label, dtype), series in sorted(lines.items()):
            if len(series) < 2:
                continue
            kind = cands[label]["kind"]
            style = {"ours": "-", "hand": "--", "peer": ":"}[kind]
            n = sorted(series)
            ax.plot(
                n,
                [series[k] for k in n],
                style,
                marker="o" if kind == "ours" else ".",
                linewidth=2.2 if kind == "ours" else 1.2,
                label=f"{label} ({dtype})",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=6.5, loc="upper left")
    for ax in axes[1]:
        ax.set_xlabel("steps in one call")
    for ax in axes[:, 0]:
        ax.set_ylabel("seconds per call (median)")
    fig.suptitle(f"{BACKEND_TITLES.get(backend, backend)}: time per call against number of steps")
    fig.tight_layout()
    assets.mkdir(parents=True, exist_ok=True)
    file = f"sweep-{backend}.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text: a smaller file
        fig.savefig(assets / file, format="svg", metadata={"Date": None})
    plt.close(fig)
    return file


def render(results: dict[str, Any], assets: Path) -> str:
    """The section's markdown (tables, peak memory, plots into ``assets``) from ``run``'s results."""
    out: list[str] = []
    w = out.append
    goal = results["goal"]
    points = headline(results)
    ok = _ok(results)
    w(f"## {TITLE}\n")
    w(
        "One call on `arange(n)` steps, n = 1e3 to 1e8, against the fastest of several hand-written "
        "expressions of the same formula in the same library (each checked against lrschedule "
        f"before timing; all shown). Goal: lrschedule at most {goal:g}x the best hand-written time "
        "on every backend, headline at 1e7 and 1e8 steps. Generated by `benchmarks/sweep.py`.\n"
    )
    w(
        f"Each backend runs in its own process; the candidates of a point are timed in interleaved "
        f"rounds (order rotating), median reported: 7 rounds up to 1e6 steps (loops of about 10 ms), "
        f"5 single calls at 1e7, 3 at 1e8; from 1e7 on only lrschedule, the peers and the fastest "
        f"hand-written variant at the size before (per compute precision) run. Ratio range: over the rounds. "
        f"Section run time {results['elapsed_s']:.0f} s, load average "
        f"{'/'.join(map(str, results['load_before']))} before and "
        f"{'/'.join(map(str, results['load_after']))} after"
        + (" (**quick run**: few rounds, at most 1e6 steps)" if results["quick"] else "")
        + ".\n"
    )

    # Headline: ratio per backend and schedule at the largest sizes.
    w("### Headline: lrschedule / best hand-written\n")
    rows = []
    for (backend, dtype, n), by_schedule in sorted(
        points.items(),
        key=lambda kv: (list(results["backends"]).index(kv[0][0]), kv[0][1], kv[0][2]),
    ):
        if backend == "keras" or n < (10**6 if results["quick"] else 10**7):
            continue
        row = [f"{BACKEND_TITLES[backend]}, {dtype}, {_size(n)}"]
        for name in SCHEDULES:
            s = by_schedule.get(name, {})
            if "ratio" not in s:
                row.append("n/a")
                continue
            mark = "" if s["ratio"] <= goal else " **missed**"
            row.append(f"{s['ratio']:.2f} ({s['spread'][0]:.2f}-{s['spread'][1]:.2f}){mark}")
        rows.append(row)
    w(_table(["backend, steps dtype, size", *SCHEDULES], rows))
    w("")
    lines = [
        (b, d, n, name, s)
        for (b, d, n), by in points.items()
        for name, s in by.items()
        if "ratio_same" in s and n >= (10**6 if results["quick"] else 10**7)
    ]
    if lines:
        w(
            "torch's fastest hand-written variant may compute in float32 where lrschedule computes "
            "in float64 (and casts to torch's float32 default): against the fastest variant that "
            "also computes in float64, the ratios are "
            + "; ".join(
                f"{name} {d} {_size(n)}: {s['ratio_same']:.2f} (`{s['best_same']}`)"
                for b, d, n, name, s in lines
            )
            + ".\n"
        )

    for backend, data in results["backends"].items():
        title = BACKEND_TITLES.get(backend, backend)
        w(f"### {title}\n")
        if data.get("status") != "ok":
            w(f"{data.get('status')}.\n")
            continue
        for dtype in PLAN[backend]:
            rows = []
            for n in SIZES:
                by = points.get((backend, dtype, n))
                if not by:
                    continue
                row = [_size(n)]
                for name in SCHEDULES:
                    s = by.get(name)
                    if s is None:
                        row.append("")
                        continue
                    if backend == "keras":
                        k = s["medians"].get("keras")
                        if k:
                            r = k / s["ours"]
                            who = f"lrschedule {r:.1f}x" if r >= 1 else f"Keras {1 / r:.1f}x"
                            row.append(f"{_ms(s['ours'])} / {_ms(k)} ms ({who} faster)")
                        else:
                            row.append(_ms(s["ours"]))
                    elif "ratio" in s:
                        extra = (
                            f"; optax {_ms(s['medians']['optax'])}"
                            if "optax" in s["medians"]
                            else ""
                        )
                        row.append(
                            f"**{s['ratio']:.2f}** ({_ms(s['ours'])} / {_ms(s['hand'])} ms "
                            f"`{s['best']}`{extra})"
                        )
                    else:
                        row.append(_ms(s["ours"]))
                rows.append(row)
            if not rows:
                continue
            what = (
                "lrschedule / Keras ms"
                if backend == "keras"
                else "ratio (lrschedule / best hand ms)"
            )
            w(f"Steps {dtype}; each cell: {what}.\n")
            w(_table(["steps", *SCHEDULES], rows))
            w("")
        file = _plot(results, backend, assets)
        if file:
            w(f"![{title}: time against steps](img/{file})\n")
        for note in data.get("notes", []):
            w(f"- {note}")
        versions = ", ".join(f"{k} {v}" for k, v in data.get("versions", {}).items())
        w(f"- versions: {versions}; worker run time {data.get('seconds', 0):.0f} s\n")

    # Peak memory.
    w(f"### Peak memory of one call, {_size(results['memory_size'])} steps\n")
    w(
        "MiB, the result included; measured in a separate pass (fresh processes, one call per "
        "candidate after a warm-up call) with glibc's mmap threshold fixed at 64 KiB "
        "(`MALLOC_MMAP_THRESHOLD_=65536`), so that every large buffer is mapped while it lives and "
        "unmapped when freed. The number is the growth of the process's peak resident set size "
        "during the call (`VmHWM` reset through `/proc/self/clear_refs`; every backend), and for "
        "NumPy also the peak of `tracemalloc`'s traced allocations, which include NumPy's buffers "
        "but not torch's, XLA's or dask's. For JAX the first number is XLA's own account of the "
        "compiled call (`memory_analysis()`: output plus temporaries), the RSS growth beside it "
        "(XLA reuses freed buffers, so it can read low). The hand-written column is the fastest variant at that "
        "size in the timing run. A result of n float64 is "
        f"{_mib(results['memory_size'] * 8)} MiB, float32 half that.\n"
    )
    rows = []
    for backend, data in ok.items():
        timed = {(p["dtype"], p["size"], p["schedule"]): p for p in data["points"]}
        for p in data.get("memory_points", []):
            if "peak_rss_bytes" not in p:
                continue
            same = timed.get((p["dtype"], p["size"], p["schedule"]))
            s = point_summary(same, data["candidates"]) if same else {}
            other = s.get("best") or next((k for k in p["seconds"] if k != "lrschedule"), None)
            rss, traced = p["peak_rss_bytes"], p.get("tracemalloc_bytes", {})
            xla = p.get("xla_bytes", {})

            def cell(
                label: str | None,
                rss: dict[str, int] = rss,
                traced: dict[str, int] = traced,
                xla: dict[str, int] = xla,
            ) -> str:
                if label is None or label not in rss:
                    return ""
                if label in xla:
                    return f"{_mib(xla[label])} (rss {_mib(rss[label])})"
                text = _mib(rss[label])
                return f"{text} (tracemalloc {_mib(traced[label])})" if label in traced else text

            rows.append(
                [
                    f"{BACKEND_TITLES[backend]}, {p['dtype']}",
                    p["schedule"],
                    cell("lrschedule"),
                    f"{cell(other)} `{other}`" if other else "",
                ]
            )
    w(_table(["backend, steps", "schedule", "lrschedule MiB", "hand-written (or peer) MiB"], rows))
    w("")

    dropped = [(b, k, why) for b, d in ok.items() for k, why in d.get("dropped", {}).items()]
    if dropped:
        w("Candidates dropped because their values differ from lrschedule's:\n")
        for b, k, why in dropped:
            w(f"- {b}: `{k}`: {why}")
        w("")

    w("### The hand-written comparators\n")
    w(
        "`BOUNDARIES = [1000, ..., 10000]`, `VALUES = [0.1 * 0.5**i for i in range(11)]`, "
        "`C_EXP = math.log(0.96) / 1000`, `_B`/`_V` (and torch's `_TB`/`_TV`, JAX's `_JB`/`_JV`) "
        "their arrays. Float32-compute variants are checked below 2**21 steps (relative 1e-4), "
        "float64 ones up to 1e8 (relative 1e-9, or 1e-6 for float32 results).\n"
    )
    for name, src in results.get("sources", {}).items():
        w(f"<details><summary>{name}</summary>\n")
        w("```python")
        w(src)
        w("```")
        w("</details>\n")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, at most 1e6 steps")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker][0](args.quick)))
        return 0
    results = run(args.quick)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(render(results, ROOT / "docs" / "img"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
