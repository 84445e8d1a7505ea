"""Per call, scalar step (issue 5, item 1): lrschedule against hand-written code and the peers.

One call ``schedule(step)`` at step 5000, with the step a Python ``int``, a NumPy ``int64`` scalar, a
0-d torch tensor and a 0-d JAX array. Comparators: hand-written expressions of the same formula in
the same library (several variants, the fastest is the comparator), Keras 3 with its numpy, torch
and jax backends (each in its own process), optax's own schedules eager and under ``jax.jit``, and
``torch.optim.lr_scheduler`` ``step()`` on a dummy optimizer. Run alone with
``python benchmarks/percall.py [--quick]``; ``benchmarks/run.py`` saves the results and renders the
page.
"""

from __future__ import annotations

import argparse
import bisect
import inspect
import json
import math
import pathlib
import sys
import textwrap
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import common  # benchmarks/ is on sys.path: the script's own directory
import lrschedule

TITLE = "Per call, scalar step"
STEP = 5000  # past the warmup, inside the decay, mid-period for the restarts
GOAL_HAND = 3.0  # at most 3x the hand-written NumPy expression
GOAL_PEERS = 10.0  # at least 10x faster than Keras 3's fastest backend and optax eager

BOUNDARIES = [1000 * (i + 1) for i in range(10)]
VALUES = [0.1 * 0.5**i for i in range(11)]

# The schedules, as constructed (the text is what the page shows).
SCHEDULES: dict[str, str] = {
    "ExponentialDecay": "ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)",
    "CosineDecay+warmup": (
        "CosineDecay(0.0, decay_steps=10_000, warmup_target=0.1, warmup_steps=1000)"
    ),
    "PiecewiseConstant": "PiecewiseConstantDecay(BOUNDARIES, VALUES)",
    "Warmup+Sequential": (
        "Sequential([Warmup(Constant(0.1), 1000), CosineDecay(0.1, decay_steps=9000)], [1000])"
    ),
    "CosineDecayRestarts": "CosineDecayRestarts(0.1, first_decay_steps=1000)",
}

STEP_KINDS = {
    "python": "Python `int`",
    "numpy": "NumPy `int64` scalar",
    "torch": "0-d torch tensor (int64)",
    "jax": "0-d JAX array (int32)",
    "torch.optim": "`torch.optim.lr_scheduler` `step()`",
}


def make_schedules() -> dict[str, Any]:
    """The schedules of :data:`SCHEDULES`, constructed."""
    env = {"BOUNDARIES": BOUNDARIES, "VALUES": VALUES, **vars(lrschedule)}
    return {name: eval(text, env) for name, text in SCHEDULES.items()}


# --------------------------------------------------------------------------------------------------
# Hand-written comparators, Python int (or NumPy int64) step -> np.float64. Every variant computes the
# value on each call (nothing cached) and returns np.float64, as the schedule does. The fastest
# variant of each schedule is the comparator; all are shown.
# --------------------------------------------------------------------------------------------------


def exp_numpy(step):  # the formula with NumPy's functions, as the 0.8 us figure was taken
    return 0.1 * np.power(0.96, step / 1000)


def exp_pow(step):
    return np.float64(0.1 * 0.96 ** (step / 1000))


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


def seq_branch(step):
    if step < 1000:
        return np.float64(0.1 * step / 1000)
    t = min(step - 1000, 9000)
    return np.float64(0.05 * (1.0 + math.cos(math.pi * t / 9000)))


def seq_branch_locals(step, _cos=math.cos, _c=math.pi / 9000, _f64=np.float64):
    if step < 1000:
        return _f64(step * 1e-4)
    t = step - 1000
    if t > 9000:
        t = 9000
    return _f64(0.05 * (1.0 + _cos(t * _c)))


def sgdr_log2(step):
    i = math.floor(math.log2(1.0 + step / 1000))
    length = 1000.0 * 2.0**i
    start = length - 1000.0
    return np.float64(0.05 * (1.0 + math.cos(math.pi * (step - start) / length)))


def sgdr_bits(step, _cos=math.cos, _pi=math.pi, _f64=np.float64):
    # t_mul=2: period i starts at 1000 * (2**i - 1) and lasts 1000 * 2**i steps
    length = 1000 << ((int(step) // 1000 + 1).bit_length() - 1)
    return _f64(0.05 * (1.0 + _cos(_pi * (step - (length - 1000)) / length)))


SCALAR_HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [exp_numpy, exp_pow, exp_exp],
    "CosineDecay+warmup": [cos_branch, cos_branch_locals],
    "PiecewiseConstant": [pw_bisect, pw_bisect_locals, pw_loop],
    "Warmup+Sequential": [seq_branch, seq_branch_locals],
    "CosineDecayRestarts": [sgdr_log2, sgdr_bits],
}

PREAMBLE = """\
import bisect
import math

import numpy as np

BOUNDARIES = [1000 * (i + 1) for i in range(10)]
VALUES = [0.1 * 0.5**i for i in range(11)]
LOG_RATE_PER_STEP = math.log(0.96) / 1000
"""


def check_scalar(name: str, schedule: Any, convert: Callable[[int], Any]) -> None:
    """Each hand-written variant agrees with ``schedule`` (relative 1e-9, same type) on steps of
    every regime, given as ``convert(step)``; raises otherwise."""
    for fn in SCALAR_HAND[name]:
        for step in (0, 1, 999, 1000, 1001, 2999, 3000, STEP, 9999, 10_000, 12_345, 10**6):
            ours, hand = schedule(convert(step)), fn(convert(step))
            if type(hand) is not type(ours) or not math.isclose(
                ours, hand, rel_tol=1e-9, abs_tol=1e-15
            ):
                raise AssertionError(f"{name}: {fn.__name__}({step}) = {hand!r}, ours {ours!r}")


# --------------------------------------------------------------------------------------------------
# torch and JAX: hand-written expressions of the same formulas, and the peers' own schedules
# --------------------------------------------------------------------------------------------------


def _hand_in(xp_name: str, compilable: bool = False) -> dict[str, Callable[[Any], Any]]:
    """Hand-written expressions in torch (``"torch"``) or jax.numpy (``"jax"``), 0-d step in.
    ``compilable``: the torch lookup that ``torch.compile(fullgraph=True)`` accepts."""
    if xp_name == "torch":
        import torch as xp

        b = xp.tensor(BOUNDARIES)
        v = xp.tensor(VALUES, dtype=xp.get_default_dtype())

        def minimum(x: Any, m: float) -> Any:
            return xp.clamp(x, max=m)

        def lookup(t: Any) -> Any:
            if compilable:  # v[i] with a 0-d tensor i is data-dependent to torch.compile
                return v.gather(0, xp.bucketize(t, b).reshape(-1)).reshape(t.shape)
            return v[xp.bucketize(t, b)]  # the fastest eager (gather: about 3x slower)

    else:
        import jax.numpy as xp

        b, v = xp.asarray(BOUNDARIES), xp.asarray(VALUES)

        def minimum(x: Any, m: float) -> Any:
            return xp.minimum(x, m)

        def lookup(t: Any) -> Any:
            return v[xp.searchsorted(b, t)]

    c_exp = math.log(0.96) / 1000

    def h_exp(t):
        return 0.1 * xp.exp(t * c_exp)

    def h_cos(t):
        decay = 0.05 * (1.0 + xp.cos(minimum(t - 1000, 10_000) * (math.pi / 10_000)))
        return xp.where(t < 1000, t * (0.1 / 1000), decay)

    def h_seq(t):
        decay = 0.05 * (1.0 + xp.cos(minimum(t - 1000, 9000) * (math.pi / 9000)))
        return xp.where(t < 1000, t * (0.1 / 1000), decay)

    def h_sgdr(t):
        x = t / 1000 + 1.0
        length = xp.exp2(xp.floor(xp.log2(x)))
        return 0.05 * (1.0 + xp.cos(math.pi * (x / length - 1.0)))

    return {
        "ExponentialDecay": h_exp,
        "CosineDecay+warmup": h_cos,
        "PiecewiseConstant": lookup,
        "Warmup+Sequential": h_seq,
        "CosineDecayRestarts": h_sgdr,
    }


def optax_schedules() -> dict[str, tuple[Callable[[Any], Any], str]]:
    """optax's own schedule for each row, with the code that makes it."""
    import optax

    sgdr_bounds = [1000 * (2 ** (i + 1) - 1) for i in range(7)]
    texts = {
        "ExponentialDecay": "optax.exponential_decay(0.1, transition_steps=1000, decay_rate=0.96)",
        "CosineDecay+warmup": (
            "optax.warmup_cosine_decay_schedule(0.0, 0.1, warmup_steps=1000, decay_steps=11_000)"
        ),
        # optax switches *at* a boundary, Keras (and lrschedule) after it: b + 1 for int steps.
        "PiecewiseConstant": (
            "optax.piecewise_constant_schedule(0.1, {b + 1: 0.5 for b in BOUNDARIES})"
        ),
        "Warmup+Sequential": (
            "optax.join_schedules([optax.linear_schedule(0.0, 0.1, 1000), "
            "optax.cosine_decay_schedule(0.1, 9000)], [1000])"
        ),
        "CosineDecayRestarts": (
            "optax.join_schedules([optax.cosine_decay_schedule(0.1, 1000 * 2**i) "
            "for i in range(8)], SGDR_BOUNDS)  # SGDR_BOUNDS = [1000 * (2**(i+1) - 1) ...]"
        ),
    }
    env = {"optax": optax, "BOUNDARIES": BOUNDARIES, "SGDR_BOUNDS": sgdr_bounds}
    return {name: (eval(text.split("  #")[0], env), text) for name, text in texts.items()}


def torch_schedulers() -> dict[str, tuple[Callable[[Any], Any], str]]:
    """For each row, a factory ``optimizer -> scheduler`` of ``torch.optim.lr_scheduler``."""
    from torch.optim import lr_scheduler

    def cos_factor(t: int) -> float:  # LambdaLR multiplies the optimizer's lr (0.1)
        if t < 1000:
            return t / 1000
        return 0.5 * (1.0 + math.cos(math.pi * min(t - 1000, 10_000) / 10_000))

    texts = {
        "ExponentialDecay": "ExponentialLR(opt, gamma=0.96 ** (1 / 1000))",
        "CosineDecay+warmup": "LambdaLR(opt, cos_factor)  # the formula as a Python function",
        "PiecewiseConstant": "MultiStepLR(opt, milestones=[b + 1 for b in BOUNDARIES], gamma=0.5)",
        "Warmup+Sequential": (
            "SequentialLR(opt, [LinearLR(opt, 1e-8, 1.0, total_iters=1000), "
            "CosineAnnealingLR(opt, T_max=9000)], milestones=[1000])"
        ),
        "CosineDecayRestarts": "CosineAnnealingWarmRestarts(opt, T_0=1000, T_mult=2)",
    }
    env = {**vars(lr_scheduler), "BOUNDARIES": BOUNDARIES, "cos_factor": cos_factor}
    return {
        name: (eval(f"lambda opt: {text.split('  #')[0]}", env), text)
        for name, text in texts.items()
    }


# --------------------------------------------------------------------------------------------------
# Keras 3, one backend per process
# --------------------------------------------------------------------------------------------------

KERAS_SCRIPT = """
import json, sys, timeit, warnings
warnings.simplefilter("ignore")
import keras
S = keras.optimizers.schedules
b, v, step, rounds, target = json.loads(sys.argv[1])
backend = keras.backend.backend()
schedules = {
    "ExponentialDecay": S.ExponentialDecay(0.1, 1000, 0.96),
    "CosineDecay+warmup": S.CosineDecay(0.0, 10_000, warmup_target=0.1, warmup_steps=1000),
    "PiecewiseConstant": S.PiecewiseConstantDecay(b, v),
    "Warmup+Sequential": S.CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000),
    "CosineDecayRestarts": S.CosineDecayRestarts(0.1, 1000),
}
if backend == "torch":
    import torch
    native, native_label = torch.tensor(step), "torch"
elif backend == "jax":
    import jax.numpy as jnp
    native, native_label = jnp.asarray(step), "jax"
else:
    import numpy as np
    native, native_label = np.int64(step), "numpy"
out = {"version": keras.__version__, "backend": backend, "times": {}, "values": {}}
for kind, arg in (("python", step), (native_label, native)):
    timers = {
        name: timeit.Timer("float(s(step))", globals={"s": s, "step": arg})
        for name, s in schedules.items()
    }
    loops = {name: max(1, int(target / max(t.timeit(20) / 20, 1e-9))) for name, t in timers.items()}
    times = {name: [] for name in schedules}
    for _ in range(rounds):
        for name, t in timers.items():
            times[name].append(t.timeit(loops[name]) / loops[name])
    out["times"][kind] = times
out["values"] = {name: float(s(step)) for name, s in schedules.items()}
print(json.dumps(out))
"""


def run_keras(backend: str, rounds: int, target: float) -> dict[str, Any]:
    """Keras 3's schedules in a subprocess with ``KERAS_BACKEND=backend``."""
    args = json.dumps([BOUNDARIES, VALUES, STEP, rounds, target])
    try:
        out = common.run_python(KERAS_SCRIPT, args, env={"KERAS_BACKEND": backend}, timeout=300)
    except Exception as exc:  # a missing backend is reported, not fatal
        return {"error": str(exc)}
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    data["times"] = {
        kind: {name: common.Series(name, s).to_json() for name, s in per.items()}
        for kind, per in data["times"].items()
    }
    return data


# --------------------------------------------------------------------------------------------------
# Measure
# --------------------------------------------------------------------------------------------------


def _js(series: dict[str, common.Series]) -> dict[str, Any]:
    return {label: s.to_json() for label, s in series.items()}


def _close(a: Any, b: Any, rel: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-9)


def run(quick: bool = False) -> dict[str, Any]:
    """Time every step kind and comparator; returns the JSON-serializable results."""
    rounds, target = (3, 0.005) if quick else (15, 0.02)
    keras_rounds, keras_target = (2, 0.005) if quick else (7, 0.02)
    schedules = make_schedules()
    timings: dict[str, dict[str, Any]] = {kind: {} for kind in STEP_KINDS}
    notes: list[str] = []
    vers = common.versions("numpy", "lrschedule")

    # Python int and NumPy int64, against every hand-written variant.
    for kind, convert in (("python", int), ("numpy", np.int64)):
        for name, s in schedules.items():
            check_scalar(name, s, convert)
            cands: dict[str, Callable[[Any], Any]] = {"lrschedule": s}
            cands.update({f"hand: {fn.__name__}": fn for fn in SCALAR_HAND[name]})
            got = common.time_per_call(cands, convert(STEP), rounds, target)
            timings[kind][name] = _js(got)
            print(f"  {kind:6} {name:20}", _brief(got), flush=True)

    # torch: 0-d tensor, and torch.optim.lr_scheduler step() on a dummy optimizer.
    try:
        import torch
    except ImportError:
        notes.append("torch: not installed, skipped")
    else:
        vers["torch"] = torch.__version__
        torch.set_num_threads(1)
        step = torch.tensor(STEP)
        hand = _hand_in("torch")
        for name, s in schedules.items():
            if not _close(s(step), hand[name](step), 1e-6):
                raise AssertionError(f"torch hand {name}: {hand[name](step)} vs {s(step)}")
            got = common.time_per_call(
                {"lrschedule": s, "hand: torch": hand[name]}, step, rounds, target
            )
            timings["torch"][name] = _js(got)
            print(f"  torch  {name:20}", _brief(got), flush=True)
        timings["torch.optim"] = _time_torch_optim(schedules, rounds, target)

    # JAX: 0-d array, eager and jitted; optax's own schedules, eager and jitted.
    try:
        import jax
        import optax
    except ImportError:
        notes.append("jax/optax: not installed, skipped")
    else:
        vers["jax"], vers["optax"] = jax.__version__, optax.__version__
        step = jax.numpy.asarray(STEP)
        hand = _hand_in("jax")
        ox = optax_schedules()
        for name, s in schedules.items():
            cands = {
                "lrschedule": s,
                "lrschedule jit": jax.jit(lambda t, s=s: s(t)),
                "hand: jnp": hand[name],
                "hand: jnp jit": jax.jit(hand[name]),
                "optax eager": ox[name][0],
                "optax jit": jax.jit(ox[name][0]),
            }
            want = float(s(step))
            for label, fn in cands.items():
                if not _close(fn(step), want, 1e-5):
                    raise AssertionError(f"jax {name} {label}: {float(fn(step))} vs {want}")
            got = common.time_per_call(cands, step, rounds, target, ".block_until_ready()")
            timings["jax"][name] = _js(got)
            # optax with a Python int step too (its schedules accept one): keep its fastest input.
            py = common.time_per_call(
                {"optax eager (Python int)": ox[name][0]},
                STEP,
                rounds,
                target,
                ".block_until_ready()",
            )
            timings["python"][name].update(_js(py))
            print(f"  jax    {name:20}", _brief(got), flush=True)
        notes.append(
            "JAX runs with x64 off (its default): the 0-d step is int32 and results are float32; "
            "every JAX call ends with `.block_until_ready()`"
        )

    keras: dict[str, Any] = {}
    for backend in ("numpy", "torch", "jax"):
        keras[backend] = run_keras(backend, keras_rounds, keras_target)
        if "error" not in keras[backend]:
            vers["keras"] = keras[backend]["version"]
            for name, value in keras[backend]["values"].items():
                if not _close(value, schedules[name](STEP), 1e-5):
                    raise AssertionError(f"keras {backend} {name}: {value}")
        print(f"  keras  {backend}: {keras[backend].get('error', 'done')}", flush=True)

    return {
        "title": TITLE,
        "step": STEP,
        "rounds": rounds,
        "target_s": target,
        "keras_rounds": keras_rounds,
        "versions": vers,
        "schedules": SCHEDULES,
        "timings": timings,
        "keras": keras,
        "optax": {name: text for name, (_, text) in optax_schedules().items()}
        if "optax" in vers
        else {},
        "torch_optim": {name: text for name, (_, text) in torch_schedulers().items()}
        if "torch" in vers
        else {},
        "notes": notes,
    }


def _time_torch_optim(schedules: dict[str, Any], rounds: int, target: float) -> dict[str, Any]:
    """Seconds per ``scheduler.step()``: torch's own scheduler, and lrschedule.torch.LRScheduler."""
    import torch

    from lrschedule.torch import LRScheduler

    out: dict[str, Any] = {}
    for name, (factory, _) in torch_schedulers().items():
        makers = {
            "torch.optim": factory,
            "lrschedule.torch.LRScheduler": lambda opt, s=schedules[name]: LRScheduler(opt, s),
        }
        steppers = {}
        for label, make in makers.items():
            opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
            opt.step()  # scheduler.step() before optimizer.step() only warns
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched = make(opt)
                for _ in range(STEP):
                    sched.step()
            steppers[label] = sched.step
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = common.time_statements(steppers, rounds, target)
        out[name] = _js(got)
        print(f"  optim  {name:20}", _brief(got), flush=True)
    return out


def _brief(series: dict[str, common.Series]) -> str:
    return "  ".join(f"{k} {common.ns(v.median)} ns" for k, v in series.items())


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _med(entry: dict[str, Any]) -> float:
    return float(entry["median"])


def _best(cands: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]] | None:
    found = [(k, v) for k, v in cands.items() if k.startswith(prefix)]
    return min(found, key=lambda kv: _med(kv[1])) if found else None


def _keras_best(results: dict[str, Any], name: str) -> tuple[str, float] | None:
    """Keras 3's fastest (backend, step kind) for a schedule, in seconds."""
    best: tuple[str, float] | None = None
    for backend, data in results["keras"].items():
        for kind, per in data.get("times", {}).items():
            if name in per and (best is None or _med(per[name]) < best[1]):
                best = (f"{backend} backend, {kind} step", _med(per[name]))
    return best


def _optax_best(results: dict[str, Any], name: str) -> tuple[str, float] | None:
    """optax eager at its fastest input (Python int or 0-d JAX array)."""
    cands = []
    if "optax eager" in results["timings"]["jax"].get(name, {}):
        cands.append(("0-d JAX step", _med(results["timings"]["jax"][name]["optax eager"])))
    py = results["timings"]["python"].get(name, {}).get("optax eager (Python int)")
    if py:
        cands.append(("Python int step", _med(py)))
    return min(cands, key=lambda c: c[1]) if cands else None


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per schedule: lrschedule (Python int), the hand-written best, Keras, optax, ratios."""
    rows = []
    for name in results["schedules"]:
        row: dict[str, Any] = {"schedule": name}
        py = results["timings"]["python"][name]
        row["ours"] = _med(py["lrschedule"])
        hand = _best(py, "hand: ")
        if hand:
            row["hand"], row["hand_label"] = _med(hand[1]), hand[0][6:]
            row["hand_ratio"] = row["ours"] / row["hand"]
        np_ = results["timings"]["numpy"].get(name, {})
        hand_np = _best(np_, "hand: ")
        if hand_np and "lrschedule" in np_:
            row["np_ratio"] = _med(np_["lrschedule"]) / _med(hand_np[1])
            row["np_hand_label"] = hand_np[0][6:]
        keras = _keras_best(results, name)
        if keras:
            row["keras_label"], row["keras"] = keras
            row["keras_speedup"] = keras[1] / row["ours"]
        optax = _optax_best(results, name)
        if optax:
            row["optax_label"], row["optax"] = optax
            row["optax_speedup"] = optax[1] / row["ours"]
        jx = results["timings"]["jax"].get(name, {})
        if "lrschedule" in jx and "optax eager" in jx:
            row["jax_same_input"] = _med(jx["optax eager"]) / _med(jx["lrschedule"])
        rows.append(row)
    return rows


def summary(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """The goals of issue 5 item 1: (goal, measured, met)."""
    rows = headline(results)
    out: list[tuple[str, str, bool | None]] = []

    def worst(key: str, larger_is_worse: bool) -> tuple[float, str] | None:
        got = [(r[key], r["schedule"]) for r in rows if key in r]
        if not got:
            return None
        return max(got) if larger_is_worse else min(got)

    for key, what in (("hand_ratio", "Python int"), ("np_ratio", "NumPy int64")):
        w = worst(key, True)
        if w:
            out.append(
                (
                    f"Per call ({what} step): lrschedule <= {GOAL_HAND:g}x the hand-written NumPy "
                    "expression",
                    f"worst {common.ratio(w[0])}x ({w[1]})",
                    w[0] <= GOAL_HAND,
                )
            )
    for key, what in (
        ("keras_speedup", "Keras 3's fastest backend"),
        ("optax_speedup", "optax eager"),
    ):
        w = worst(key, False)
        if w:
            out.append(
                (
                    f"Per call: lrschedule >= {GOAL_PEERS:g}x faster than {what}",
                    f"least {common.ratio(w[0])}x ({w[1]})",
                    w[0] >= GOAL_PEERS,
                )
            )
    return out


def render(results: dict[str, Any], assets: pathlib.Path) -> str:
    """The section's markdown (pure given the results; writes one plot into ``assets``)."""
    out: list[str] = []
    w = out.append
    rows = headline(results)
    v = results["versions"]
    w(f"## {TITLE}\n")
    w(
        f"One call at step `{results['step']}`. Median of {results['rounds']} interleaved timeit "
        f"rounds (Keras: {results['keras_rounds']} rounds in its own process per backend). "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + ".\n"
    )
    w(
        "Schedules (with `BOUNDARIES = [1000, 2000, ..., 10000]`, `VALUES = [0.1 * 0.5**i for i "
        "in range(11)]`):\n"
    )
    for name, text in results["schedules"].items():
        w(f"- {name}: `{text}`")
    w("")

    w(
        f"**Headline.** lrschedule with a Python `int` step against the fastest hand-written "
        f"Python/NumPy variant (goal: ratio <= {GOAL_HAND:g}), and how many times faster it is than "
        f"Keras 3 at its fastest backend and step kind and optax eager at its fastest input "
        f"(goal: >= {GOAL_PEERS:g}x).\n"
    )
    table_rows = []
    for r in rows:
        table_rows.append(
            [
                r["schedule"],
                common.ns(r["ours"]),
                f"{common.ns(r['hand'])} (`{r['hand_label']}`)" if "hand" in r else "n/a",
                common.ratio(r["hand_ratio"]) if "hand_ratio" in r else "n/a",
                common.ratio(r["np_ratio"]) if "np_ratio" in r else "n/a",
                f"{common.us(r['keras'])} ({r['keras_label']})" if "keras" in r else "n/a",
                f"{common.ratio(r['keras_speedup'])}x" if "keras" in r else "n/a",
                f"{common.us(r['optax'])} ({r['optax_label']})" if "optax" in r else "n/a",
                f"{common.ratio(r['optax_speedup'])}x" if "optax" in r else "n/a",
            ]
        )
    w(
        common.table(
            [
                "schedule",
                "lrschedule ns",
                "hand-written ns",
                "ratio",
                "ratio, NumPy int64 step",
                "Keras 3 fastest us",
                "speedup",
                "optax eager us",
                "speedup",
            ],
            table_rows,
        )
    )
    w("")
    same = [r for r in rows if "jax_same_input" in r]
    if same:
        w(
            "With the same 0-d JAX step for both (no goal; lrschedule then runs JAX's eager ops, "
            "as optax does), optax eager's time over lrschedule's (above 1: lrschedule faster): "
            + ", ".join(f"{common.ratio(r['jax_same_input'])} ({r['schedule']})" for r in same)
            + ".\n"
        )
    if _plot(results, rows, assets / "percall.png"):
        w("![Per-call time, log scale](img/percall.png)\n")

    w("### Every step kind and comparator\n")
    w("Per call, ns: median (interquartile range). `hand: ...` are the hand-written variants.\n")
    for kind, label in STEP_KINDS.items():
        per = results["timings"].get(kind) or {}
        if not per:
            continue
        w(f"**{label}**\n")
        trs = []
        for name, cands in per.items():
            for cand, s in cands.items():
                trs.append(
                    [
                        name,
                        f"`{cand}`",
                        common.ns(_med(s)),
                        f"{common.ns(s['q1'])}-{common.ns(s['q3'])}",
                    ]
                )
        w(common.table(["schedule", "candidate", "median ns", "IQR ns"], trs, right={2, 3}))
        w("")
    w("**Keras 3**, one process per backend (`KERAS_BACKEND`)\n")
    trs = []
    for backend, data in results["keras"].items():
        if "error" in data:
            trs.append([backend, "-", "-", f"not run: {data['error']}", ""])
            continue
        for kind, per in data["times"].items():
            for name, s in per.items():
                trs.append(
                    [
                        backend,
                        kind,
                        name,
                        common.us(_med(s)),
                        f"{common.us(s['q1'])}-{common.us(s['q3'])}",
                    ]
                )
    w(common.table(["backend", "step", "schedule", "median us", "IQR us"], trs, right={3, 4}))
    w("")
    w(
        "Keras 3 has no Sequential/Warmup composite: its row is the equivalent "
        "`CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000)`. Each Keras call is "
        "wrapped in `float()` to get a number out (its schedules return backend tensors).\n"
    )

    w("### The comparators\n")
    if results.get("optax"):
        w("optax (its own schedules):\n")
        for name, text in results["optax"].items():
            w(f"- {name}: `{text}`")
        w("")
    if results.get("torch_optim"):
        w(
            "torch.optim.lr_scheduler (time per `scheduler.step()` after 5000 steps, on "
            "`SGD([torch.zeros(1)], lr=0.1)`; beside it `lrschedule.torch.LRScheduler(opt, "
            "schedule).step()`):\n"
        )
        for name, text in results["torch_optim"].items():
            w(f"- {name}: `{text}`")
        w("")
    for note in results.get("notes", []):
        w(f"- {note}")
    w("")
    w(
        "Hand-written variants (each checked against lrschedule at 12 steps across all regimes "
        "before timing, relative 1e-9; they compute the value on every call and return "
        "`np.float64`; none clips negative steps, which lrschedule does). The torch and JAX "
        "hand-written expressions are the same formulas with `torch`/`jax.numpy` functions "
        "(`benchmarks/percall.py`, `_hand_in`).\n"
    )
    w("```python")
    w(PREAMBLE)
    for fns in SCALAR_HAND.values():
        for fn in fns:
            w("")
            w(textwrap.dedent(inspect.getsource(fn)).rstrip())
            w("")
    w("```")
    return "\n".join(out) + "\n"


def _plot(results: dict[str, Any], rows: list[dict[str, Any]], path: pathlib.Path) -> bool:
    """A grouped bar chart (log scale) of the per-call times; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: dict[str, list[float]] = {
        "lrschedule (Python int)": [],
        "hand-written (Python int)": [],
        "lrschedule (0-d torch)": [],
        "torch.optim step()": [],
        "optax jit": [],
        "optax eager": [],
        "Keras 3 fastest": [],
    }
    nan = float("nan")
    for r in rows:
        name = r["schedule"]
        t = results["timings"]
        series["lrschedule (Python int)"].append(r["ours"])
        series["hand-written (Python int)"].append(r.get("hand", nan))
        series["lrschedule (0-d torch)"].append(
            _med(t["torch"][name]["lrschedule"]) if name in t.get("torch", {}) else nan
        )
        series["torch.optim step()"].append(
            _med(t["torch.optim"][name]["torch.optim"]) if name in t.get("torch.optim", {}) else nan
        )
        series["optax jit"].append(
            _med(t["jax"][name]["optax jit"]) if name in t.get("jax", {}) else nan
        )
        series["optax eager"].append(r.get("optax", nan))
        series["Keras 3 fastest"].append(r.get("keras", nan))
    names = [r["schedule"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        xs = [j + (i - len(series) / 2 + 0.5) * width for j in range(len(names))]
        ax.bar(xs, [x * 1e6 for x in values], width, label=label)
    ax.set_yscale("log")
    ax.set_ylabel("time per call (us, log scale)")
    ax.set_xticks(range(len(names)), names, fontsize=8)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(f"Per call at step {results['step']} (median)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    print(render(results, common.ASSETS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
