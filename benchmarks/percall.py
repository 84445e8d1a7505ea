"""Per call, scalar step: ``schedule(5000)`` against hand-written expressions, Keras 3, optax and
``torch.optim``, each checked against lrschedule before it is timed (benchmarks/README.md)."""

from __future__ import annotations

import bisect
import functools
import json
import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import common  # benchmarks/ is on sys.path: the script's own directory
from common import BOUNDARIES, STEP, VALUES

TITLE = "Per call, scalar step"
GOAL_HAND = 3.0  # at most 3x the fastest hand-written Python/NumPy expression
GOAL_PEERS = 10.0  # at least 10x faster than Keras 3's fastest backend and optax eager
KINDS = {
    "python": "Python `int`",
    "numpy": "NumPy `int64` scalar",
    "torch": "0-d torch tensor (int64)",
    "jax": "0-d JAX array (int32, x64 off)",
    "torch.optim": "`torch.optim.lr_scheduler` `step()` after 5000 steps",
}


# Hand-written, Python int (or NumPy int64) step -> np.float64 computed on each call, as the schedule
# does; some bind globals as default arguments, as a user chasing speed would.
def exp_pow(step):
    return np.float64(0.1 * 0.96 ** (step / 1000))


def exp_exp(step, _exp=math.exp, _c=common.C_EXP, _f64=np.float64):
    return _f64(0.1 * _exp(step * _c))


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


def seq_branch_locals(step, _cos=math.cos, _c=math.pi / 9000, _f64=np.float64):
    if step < 1000:
        return _f64(step * 1e-4)
    t = step - 1000
    if t > 9000:
        t = 9000
    return _f64(0.05 * (1.0 + _cos(t * _c)))


def sgdr_bits(step, _cos=math.cos, _pi=math.pi, _f64=np.float64):
    # t_mul=2: period i starts at 1000 * (2**i - 1) and lasts 1000 * 2**i steps
    length = 1000 << ((int(step) // 1000 + 1).bit_length() - 1)
    return _f64(0.05 * (1.0 + _cos(_pi * (step - (length - 1000)) / length)))


HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [exp_pow, exp_exp],
    "CosineDecay+warmup": [cos_branch_locals],
    "PiecewiseConstant": [pw_bisect, pw_bisect_locals],
    "Warmup+Sequential": [seq_branch_locals],
    "CosineDecayRestarts": [sgdr_bits],
}
CHECK_STEPS = (0, 1, 999, 1000, 1001, 2999, 3000, STEP, 9999, 10_000, 12_345, 10**6)


def check_scalar(name: str, schedule: Any, convert: Callable[[int], Any]) -> None:
    """Each hand-written variant agrees with ``schedule`` (relative 1e-9, same type); or raises."""
    for fn in HAND[name]:
        for step in CHECK_STEPS:
            ours, hand = schedule(convert(step)), fn(convert(step))
            same = type(hand) is type(ours) and math.isclose(
                ours, hand, rel_tol=1e-9, abs_tol=1e-15
            )
            if not same:
                raise AssertionError(f"{name}: {fn.__name__}({step}) = {hand!r}, ours {ours!r}")


def check_close(what: str, got: Any, want: Any, rel: float) -> None:
    if not math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-9):
        raise AssertionError(f"{what}: {float(got)} vs lrschedule {float(want)}")


# The same formulas in torch and jax.numpy (0-d step in), and the peers' own schedules
def hand_in(xp_name: str, compilable: bool = False) -> dict[str, Callable[[Any], Any]]:
    """Hand-written torch or jax.numpy; ``compilable``: a lookup torch.compile(fullgraph) takes."""
    if xp_name == "torch":
        import torch as xp

        b, v = xp.tensor(BOUNDARIES), xp.tensor(VALUES, dtype=xp.get_default_dtype())

        def minimum(x: Any, m: float) -> Any:
            return xp.clamp(x, max=m)

        def lookup(t: Any) -> Any:
            if compilable:  # v[i] with a 0-d tensor i is data-dependent to torch.compile
                return v.gather(0, xp.bucketize(t, b).reshape(-1)).reshape(t.shape)
            return v[xp.bucketize(t, b)]  # the fastest eager (gather: about 3x slower)

    else:
        import jax.numpy as xp

        b, v = xp.asarray(BOUNDARIES), xp.asarray(VALUES)
        minimum = xp.minimum

        def lookup(t: Any) -> Any:
            return v[xp.searchsorted(b, t)]

    def warm_cos(t: Any, decay_steps: int) -> Any:
        decay = 0.05 * (1.0 + xp.cos(minimum(t - 1000, decay_steps) * (math.pi / decay_steps)))
        return xp.where(t < 1000, t * (0.1 / 1000), decay)

    def sgdr(t: Any) -> Any:
        x = t / 1000 + 1.0
        length = xp.exp2(xp.floor(xp.log2(x)))
        return 0.05 * (1.0 + xp.cos(math.pi * (x / length - 1.0)))

    return {
        "ExponentialDecay": lambda t: 0.1 * xp.exp(t * common.C_EXP),
        "CosineDecay+warmup": lambda t: warm_cos(t, 10_000),
        "PiecewiseConstant": lookup,
        "Warmup+Sequential": lambda t: warm_cos(t, 9000),
        "CosineDecayRestarts": sgdr,
    }


def optax_schedules() -> dict[str, Callable[[Any], Any]]:
    """optax's own schedule for each row."""
    import optax

    sgdr_bounds = [1000 * (2 ** (i + 1) - 1) for i in range(7)]
    # optax switches *at* a boundary, Keras (and lrschedule) after it: b + 1 for int steps
    scales = {b + 1: 0.5 for b in BOUNDARIES}
    return {
        "ExponentialDecay": optax.exponential_decay(0.1, transition_steps=1000, decay_rate=0.96),
        "CosineDecay+warmup": optax.warmup_cosine_decay_schedule(0.0, 0.1, 1000, 11_000),
        "PiecewiseConstant": optax.piecewise_constant_schedule(0.1, scales),
        "Warmup+Sequential": optax.join_schedules(
            [optax.linear_schedule(0.0, 0.1, 1000), optax.cosine_decay_schedule(0.1, 9000)], [1000]
        ),
        "CosineDecayRestarts": optax.join_schedules(
            [optax.cosine_decay_schedule(0.1, 1000 * 2**i) for i in range(8)], sgdr_bounds
        ),
    }


def torch_schedulers() -> dict[str, Callable[[Any], Any]]:
    """For each row, ``optimizer -> scheduler`` of ``torch.optim.lr_scheduler``."""
    from torch.optim import lr_scheduler as lr

    milestones = [b + 1 for b in BOUNDARIES]

    def cos_factor(t: int) -> float:  # LambdaLR multiplies the optimizer's lr (0.1)
        decay = 0.5 * (1.0 + math.cos(math.pi * min(t - 1000, 10_000) / 10_000))
        return t / 1000 if t < 1000 else decay

    def warmup_cosine(opt: Any) -> Any:
        warm = lr.LinearLR(opt, 1e-8, 1.0, total_iters=1000)
        return lr.SequentialLR(opt, [warm, lr.CosineAnnealingLR(opt, T_max=9000)], [1000])

    return {
        "ExponentialDecay": lambda opt: lr.ExponentialLR(opt, gamma=0.96 ** (1 / 1000)),
        "CosineDecay+warmup": lambda opt: lr.LambdaLR(opt, cos_factor),
        "PiecewiseConstant": lambda opt: lr.MultiStepLR(opt, milestones, gamma=0.5),
        "Warmup+Sequential": warmup_cosine,
        "CosineDecayRestarts": lambda opt: lr.CosineAnnealingWarmRestarts(opt, T_0=1000, T_mult=2),
    }


# Keras 3, one backend per process (KERAS_BACKEND is read once, at import). Keras has no
# Sequential/Warmup composite: its row is the equivalent CosineDecay with warmup.
KERAS_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, "benchmarks")
import common, keras
S = keras.optimizers.schedules
rounds, target = json.loads(sys.argv[1])
schedules = {
    "ExponentialDecay": S.ExponentialDecay(0.1, 1000, 0.96),
    "CosineDecay+warmup": S.CosineDecay(0.0, 10_000, warmup_target=0.1, warmup_steps=1000),
    "PiecewiseConstant": S.PiecewiseConstantDecay(common.BOUNDARIES, common.VALUES),
    "Warmup+Sequential": S.CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000),
    "CosineDecayRestarts": S.CosineDecayRestarts(0.1, 1000),
}
native = keras.ops.convert_to_tensor(common.STEP)
out = {"version": keras.__version__, "values": {n: float(s(common.STEP)) for n, s in schedules.items()}}
for kind, arg in (("python", common.STEP), (keras.backend.backend(), native)):
    thunks = {n: (lambda s=s: float(s(arg))) for n, s in schedules.items()}
    out[kind] = {n: common.median(x) for n, x in common.interleave(thunks, rounds, target).items()}
print(json.dumps(out))
"""


def run_keras(backend: str, rounds: int, target: float, ours: dict[str, Any]) -> dict[str, Any]:
    """Keras 3's schedules in a subprocess with ``KERAS_BACKEND=backend``, values checked."""
    env = {"KERAS_BACKEND": backend}
    try:
        text = common.run_python("-c", KERAS_SCRIPT, json.dumps([rounds, target]), env=env)
    except Exception as exc:  # a missing backend is reported, not fatal
        return {"error": str(exc)}
    data: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    for name, value in data.pop("values").items():
        check_close(f"keras {backend} {name}", value, ours[name](STEP), 1e-5)
    return data


# Measure
def _scalar(schedules: dict[str, Any], kind: str, rounds: int, target: float) -> dict[str, Any]:
    convert = int if kind == "python" else np.int64
    out = {}
    for name, s in schedules.items():
        check_scalar(name, s, convert)
        fns = {"lrschedule": s} | {f"hand: {fn.__name__}": fn for fn in HAND[name]}
        thunks = {k: functools.partial(f, convert(STEP)) for k, f in fns.items()}
        out[name] = common.medians(thunks, rounds, target)
        print(f"  {kind:6} {name:20} {out[name]}", flush=True)
    return out


def _torch(schedules: dict[str, Any], rounds: int, target: float) -> dict[str, Any]:
    import torch

    from lrschedule.torch import LRScheduler

    torch.set_num_threads(1)
    step, hand, out = torch.tensor(STEP), hand_in("torch"), {"torch": {}, "torch.optim": {}}
    for name, s in schedules.items():
        check_close(f"torch hand {name}", hand[name](step), s(step), 1e-6)
        thunks = {"lrschedule": lambda s=s: s(step), "hand: torch": lambda f=hand[name]: f(step)}
        out["torch"][name] = common.medians(thunks, rounds, target)
    with warnings.catch_warnings():  # scheduler.step() before optimizer.step() only warns
        warnings.simplefilter("ignore")
        for name, make in torch_schedulers().items():
            steppers = {}
            for label, factory in (("torch.optim", make), ("lrschedule.torch.LRScheduler", None)):
                opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
                opt.step()
                sched = factory(opt) if factory else LRScheduler(opt, schedules[name])
                for _ in range(STEP):
                    sched.step()
                steppers[label] = sched
            for label, sched in steppers.items():  # recursive formulas drift: relative 1e-4
                check_close(f"{label} {name}", sched.get_last_lr()[0], schedules[name](STEP), 1e-4)
            thunks = {k: v.step for k, v in steppers.items()}
            out["torch.optim"][name] = common.medians(thunks, rounds, target)
    return out


def _jax(schedules: dict[str, Any], rounds: int, target: float) -> dict[str, Any]:
    import jax

    step, hand, ox, out = jax.numpy.asarray(STEP), hand_in("jax"), optax_schedules(), {}
    for name, s in schedules.items():
        fns = {"lrschedule": s, "lrschedule jit": jax.jit(lambda t, s=s: s(t))}
        fns |= {"hand: jnp": hand[name], "hand: jnp jit": jax.jit(hand[name])}
        fns |= {"optax eager": ox[name], "optax jit": jax.jit(ox[name])}
        for label, fn in fns.items():
            check_close(f"jax {name} {label}", fn(step), s(step), 1e-5)
        thunks = {k: (lambda f=f: f(step).block_until_ready()) for k, f in fns.items()}
        thunks["optax eager (Python int)"] = lambda f=ox[name]: f(STEP).block_until_ready()
        out[name] = common.medians(thunks, rounds, target)
        print(f"  jax    {name:20} {out[name]}", flush=True)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Time every step kind and comparator; the medians the page shows."""
    rounds, target = (3, 0.005) if quick else (15, 0.02)
    schedules = common.make_schedules()
    data: dict[str, Any] = {"rounds": rounds, "times": {}, "keras": {}}
    data["versions"] = common.versions("numpy", "lrschedule", "torch", "jax", "optax")
    for kind in ("python", "numpy"):
        data["times"][kind] = _scalar(schedules, kind, rounds, target)
    if "torch" in data["versions"]:
        data["times"].update(_torch(schedules, rounds, target))
    if "optax" in data["versions"]:
        data["times"]["jax"] = _jax(schedules, rounds, target)
    keras_settings = (2, 0.005) if quick else (7, 0.02)
    for backend in ("numpy", "torch", "jax"):
        data["keras"][backend] = run_keras(backend, *keras_settings, schedules)
        data["versions"].setdefault("keras", data["keras"][backend].pop("version", None))
        print(f"  keras  {backend}: {data['keras'][backend].get('error', 'done')}", flush=True)
    return data


# Report
def headline(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per schedule: lrschedule (Python int), the fastest hand-written, Keras's and optax's."""
    rows, times = [], data["times"]
    for name, py in times["python"].items():
        hand = min((v, k[6:]) for k, v in py.items() if k.startswith("hand: "))
        np_hand = min(v for k, v in times["numpy"][name].items() if k.startswith("hand: "))
        jx = times.get("jax", {}).get(name, {})
        keras = [
            (t[name], f"{b} backend, {kind} step")
            for b, d in data["keras"].items()
            for kind, t in d.items()
            if kind != "error"
        ]
        rows.append({
            "name": name, "ours": py["lrschedule"], "hand": hand, "ratio": py["lrschedule"] / hand[0],
            "np_ratio": times["numpy"][name]["lrschedule"] / np_hand, "keras": min(keras, default=None),
            "optax": min(((v, "Python int step" if "int" in k else "0-d JAX step") for k, v in jx.items() if k.startswith("optax eager")), default=None),
        })  # fmt: skip
    return rows


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    rows = headline(data)
    out = [
        common.goal(f"Per call ({what} step): lrschedule <= {GOAL_HAND:g}x the hand-written expression",
                    ((r[key], r["name"]) for r in rows), GOAL_HAND)
        for key, what in (("ratio", "Python int"), ("np_ratio", "NumPy int64"))
    ]  # fmt: skip
    for key, what in (("keras", "Keras 3's fastest backend"), ("optax", "optax eager")):
        speedups = [(r[key][0] / r["ours"], r["name"]) for r in rows if r[key]]
        least = min(speedups, default=(math.nan, "none"))
        text = f"Per call: lrschedule >= {GOAL_PEERS:g}x faster than {what}"
        out.append((text, f"least {common.ratio(least[0])}x ({least[1]})", least[0] >= GOAL_PEERS))
    return out


def _headline_row(r: dict[str, Any]) -> list[str]:
    row = [r["name"], common.ns(r["ours"]), f"{common.ns(r['hand'][0])} (`{r['hand'][1]}`)"]
    row += [common.ratio(r["ratio"]), common.ratio(r["np_ratio"])]
    for peer in (r["keras"], r["optax"]):
        took = f"{common.us(peer[0])} ({peer[1]})" if peer else "n/a"
        row += [took, f"{common.ratio(peer[0] / r['ours'])}x" if peer else "n/a"]
    return row


def render(data: dict[str, Any]) -> str:
    out = [
        f"## {TITLE}\n",
        f"One call at step `{STEP}`, median of {data['rounds']} interleaved timeit rounds "
        f"({common.listing(data['versions'])}). Schedules: "
        + "; ".join(f"{k} `{v}`" for k, v in common.SCHEDULES.items())
        + ", with `BOUNDARIES = [1000, ..., 10000]`, `VALUES = [0.1 * 0.5**i for i in range(11)]`. "
        "The comparators (hand-written variants, optax's schedules, `torch.optim` schedulers, Keras 3 "
        "in one process per backend) are in `benchmarks/percall.py`; each is checked against "
        "lrschedule before it is timed.\n",
        f"**Headline.** lrschedule with a Python `int` step against the fastest hand-written "
        f"variant (goal: ratio <= {GOAL_HAND:g}), and its speedup over Keras 3 at its fastest "
        f"backend and step kind and over optax eager at its fastest input (goal: >= {GOAL_PEERS:g}x).\n",
        common.table("schedule | lrschedule ns | hand-written ns | ratio | ratio, NumPy int64 step | "
                     "Keras 3 fastest us | speedup | optax eager us | speedup",
                     [_headline_row(r) for r in headline(data)]),
        "### Every step kind and comparator\n",
        "Median ns per call (`hand: ...` the hand-written variants); JAX with x64 off, each call "
        "ending with `.block_until_ready()`; torch with one intra-op thread.\n",
    ]  # fmt: skip
    for kind, per in data["times"].items():
        cells = [[n, common.ns(t["lrschedule"] if "lrschedule" in t else t["torch.optim"]),
                  ", ".join(f"`{k}` {common.ns(v)}" for k, v in t.items() if k not in ("lrschedule", "torch.optim"))]
                 for n, t in per.items()]  # fmt: skip
        mine = "lrschedule ns" if kind != "torch.optim" else "`torch.optim` ns"
        out += [f"**{KINDS[kind]}**\n", common.table(["schedule", mine, "the others, ns"], cells)]
    keras = [[b, kind, *(common.us(t[n]) for n in common.SCHEDULES)]
             for b, d in data["keras"].items() for kind, t in d.items() if kind != "error"]  # fmt: skip
    out += ["**Keras 3**, us per `float(schedule(step))`, one process per backend\n",
            common.table(["backend", "step", *common.SCHEDULES], keras)]  # fmt: skip
    out += [
        f"- Keras {b}: not run ({d['error']})" for b, d in data["keras"].items() if "error" in d
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
