"""Compiled: the schedule in ``jax.jit`` (alone and in an optax Adam loop) and in
``torch.compile(fullgraph=True)`` against hand-written and optax's (benchmarks/README.md)."""

from __future__ import annotations

import collections
import json
import logging
import re
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory
import percall

TITLE = "Compiled: jax.jit and torch.compile"
GOAL = 1.1  # within 1.1x of the hand-written schedule in the same compiled function
STEPS = 100  # steps run through each compiled function to count traces and recompilations
ADAM_LOOP = 100  # Adam updates per compiled call in the `adam` rows

# Instructions that move or name data rather than compute: not counted as ops.
NOT_OPS = {"parameter", "constant", "tuple", "get-tuple-element", "bitcast", "copy"}
TRANSCENDENTAL = {"exponential", "log", "cosine", "sine", "power", "tanh", "exponential-minus-one"}
INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%[\w.\-]+ = [^=]*?\s([a-z][\w\-]*)\(", re.M)


def hlo(compiled: Any) -> list[int]:
    """[compute ops, transcendental ops, XLA's flops] of a compiled function."""
    counts = collections.Counter(INSTRUCTION.findall(compiled.as_text()))
    ops = sum(n for op, n in counts.items() if op not in NOT_OPS)
    try:
        cost = compiled.cost_analysis()
        flops = int((cost[0] if isinstance(cost, list) else cost).get("flops", -1))
    except Exception:  # not every backend has it
        flops = -1
    return [ops, sum(counts[op] for op in TRANSCENDENTAL), flops]


def jax_one(lr: Callable[[Any], Any]) -> dict[str, Any]:
    """The schedule alone and the Adam loop, each jitted: op counts, traces, value, timed thunk."""
    import jax
    import optax

    params = {"w": jax.numpy.ones((256,), "float32"), "b": jax.numpy.zeros((16,), "float32")}
    grads = {k: jax.numpy.full_like(v, 0.5) for k, v in params.items()}
    traces = collections.Counter()

    def alone(t: Any) -> Any:
        traces["schedule"] += 1
        return lr(t)

    opt = optax.adam(learning_rate=lr)

    def adam(p: Any, st: Any) -> Any:
        # ADAM_LOOP updates in one compiled call: the schedule's cost inside the training step,
        # not XLA's hand-off of a call to its CPU thread (tens of us, varying with the load)
        traces["adam"] += 1

        def body(_: Any, carry: Any) -> Any:
            updates, st = opt.update(grads, carry[1], carry[0])
            return optax.apply_updates(carry[0], updates), st

        return jax.lax.fori_loop(0, ADAM_LOOP, body, (p, st))

    f, u = jax.jit(alone), jax.jit(adam)
    step, state = jax.numpy.asarray(common.STEP), opt.init(params)
    lowered = {"schedule": f.lower(step), "adam": u.lower(params, state)}
    counts = {k: hlo(x.compile()) for k, x in lowered.items()}
    p, st = params, state
    for i in range(STEPS):
        f(jax.numpy.asarray(i * 97)).block_until_ready()
        p, st = u(p, st)
    thunks = {"schedule": lambda: f(step).block_until_ready()}
    thunks["adam"] = lambda: jax.block_until_ready(u(p, st))
    return {"counts": counts, "traces": traces, "value": float(f(step)), "thunks": thunks}


def jax_part(rounds: int, target: float) -> dict[str, Any]:
    """lrschedule's plain float32 formula against the float32 hand-written and optax schedules
    (like for like; its default there, float-float pairs, is float_float.py's)."""
    import lrschedule

    with lrschedule.set_raw_float32(True):  # read while tracing: the functions compile here
        return _jax_part(rounds, target)


def _jax_part(rounds: int, target: float) -> dict[str, Any]:
    hand, ox = percall.hand_in("jax"), percall.optax_schedules()
    out = {}
    for name, s in common.make_schedules().items():
        impls = {"lrschedule": lambda t, s=s: s(t), "hand": hand[name], "optax": ox[name]}
        got = {impl: jax_one(lr) for impl, lr in impls.items()}
        for impl, g in got.items():
            percall.check_close(f"jax.jit {name} {impl}", g["value"], s(common.STEP), 1e-5)
        out[name] = {}
        for kind in ("schedule", "adam"):
            thunks = {impl: g["thunks"][kind] for impl, g in got.items()}
            times = common.medians(thunks, rounds, target)
            out[name][kind] = {
                i: [times[i], *g["counts"][kind], g["traces"][kind]] for i, g in got.items()
            }
        print(f"  jax.jit {name:20} {out[name]}", flush=True)
    return out


def _step_fn(lr: Callable[[Any], Any], name: str) -> Callable[[Any, Any, Any], Any]:
    """``fn(p, g, t) = p - lr(t) * g`` with a code object of its own: dynamo caches per code
    object, and one shared by both would count the second compilation as a recompilation."""

    def fn(p: Any, g: Any, t: Any) -> Any:
        return p - lr(t) * g

    code = fn.__code__.replace(co_name=f"step_{name}", co_qualname=f"step_{name}")
    return types.FunctionType(code, fn.__globals__, code.co_name, None, fn.__closure__)


def torch_one(name: str, rounds: int, target: float) -> dict[str, Any]:
    """One schedule under ``torch.compile(fullgraph=True)``, alone in a process (cold caches)."""
    import torch
    from torch._dynamo.utils import counters

    torch.set_num_threads(1)
    reasons: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines = record.getMessage().splitlines()
            reasons.extend(x.strip()[2:][:300] for x in lines if re.match(r"\s*- \d+/\d+: ", x))

    torch._logging.set_logs(recompiles=True)
    logging.getLogger("torch._dynamo").addHandler(Grab())
    lrs = {"lrschedule": common.make_schedules([name])[name]}
    lrs["hand"] = percall.hand_in("torch", compilable=True)[name]
    p, g, step = torch.ones(256), torch.full((256,), 0.5), torch.tensor(common.STEP)
    out: dict[str, Any] = {"graphs": [], "breaks": 0, "first_s": [], "reasons": []}
    thunks: dict[str, Callable[[], Any]] = {}
    for impl, lr in lrs.items():
        fn = _step_fn(lr, impl)
        compiled = torch.compile(fn, fullgraph=True)
        graphs, breaks = counters["stats"]["unique_graphs"], sum(counters["graph_break"].values())
        t0 = time.perf_counter()
        compiled(p, g, torch.tensor(0))  # fullgraph=True raises on any graph break
        out["first_s"].append(round(time.perf_counter() - t0, 2))
        for i in range(1, STEPS):
            compiled(p, g, torch.tensor(i * 97))
        out["graphs"].append(counters["stats"]["unique_graphs"] - graphs)
        out["breaks"] += sum(counters["graph_break"].values()) - breaks
        want = 1 - 0.5 * lrs["lrschedule"](step)
        percall.check_close(f"torch.compile {name} {impl}", compiled(p, g, step)[0], want, 1e-6)
        thunks[impl] = lambda c=compiled: c(p, g, step)
        thunks[f"{impl} eager"] = lambda fn=fn: fn(p, g, step)
    out["reasons"] = sorted(set(reasons))
    out["times"] = common.medians(thunks, rounds, target)
    return out


def worker(name: str, rounds: str, target: str, quick: bool) -> dict[str, Any]:
    """``compiled.py --worker NAME ROUNDS TARGET``: :func:`torch_one` in a fresh process."""
    return torch_one(name, int(rounds), float(target))


def torch_part(rounds: int, target: float, quick: bool) -> dict[str, Any]:
    out = {}
    for name in list(common.SCHEDULES)[: 2 if quick else None]:
        text = common.run_python(__file__, "--worker", name, str(rounds), str(target))
        out[name] = json.loads(text.strip().splitlines()[-1])
        print(f"  torch.compile {name:20} {out[name]['times']}", flush=True)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    # many short rounds: the medians ride out bursts of load
    rounds, target = (3, 0.005) if quick else (25, 0.01)
    versions = common.versions("lrschedule", "jax", "optax", "torch")
    data: dict[str, Any] = {"rounds": rounds, "versions": versions}
    if "optax" in data["versions"]:
        data["jax"] = jax_part(rounds, target)
    if "torch" in data["versions"]:
        data["torch"] = torch_part(rounds, target, quick)
    return data


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    jx, tc = data.get("jax", {}), data.get("torch", {})
    out = [
        common.goal(f"jax.jit ({what}): within {GOAL:g}x of the hand-written / optax schedule",
                    ((p[k]["lrschedule"][0] / min(p[k]["hand"][0], p[k]["optax"][0]), n) for n, p in jx.items()), GOAL)
        for k, what in (("adam", "Adam loop"), ("schedule", "schedule alone"))
    ]  # fmt: skip
    retraces = sum(p[k]["lrschedule"][-1] - 1 for p in jx.values() for k in p)
    breaks = sum(p["breaks"] for p in tc.values())
    recompiles = sum(p["graphs"][0] - 1 for p in tc.values())
    return [
        *out,
        (f"jax.jit: traced once across {STEPS} steps", f"{retraces} extra traces", retraces == 0),
        ("torch.compile(fullgraph=True): no graph break", f"{breaks} breaks", breaks == 0),
        (f"torch.compile: no recompilation across {STEPS} steps", f"{recompiles} recompilations", recompiles == 0),
        common.goal(f"torch.compile: within {GOAL:g}x of the hand-written expression",
                    ((p["times"]["lrschedule"] / p["times"]["hand"], n) for n, p in tc.items()), GOAL),
    ]  # fmt: skip


def _jax_row(name: str, kind: str, impls: dict[str, list[Any]]) -> list[str]:
    both = ours, hand, optax = [impls[k] for k in ("lrschedule", "hand", "optax")]
    ratios = [common.ratio(ours[0] / hand[0]), common.ratio(ours[0] / optax[0])]
    counts = [" / ".join(f"{x[1]} ({x[2]})" for x in both)]
    counts += [" / ".join(str(x[i]) for x in both) for i in (3, 4)]
    return [name, kind, *(common.ns(x[0]) for x in both), *ratios, *counts]


def _torch_row(name: str, p: dict[str, Any]) -> list[str]:
    t = p["times"]
    head = [name, str(p["breaks"]), *(" / ".join(map(str, p[k])) for k in ("graphs", "first_s"))]
    times = [common.ns(t[k]) for k in ("lrschedule", "hand", "lrschedule eager", "hand eager")]
    return [*head, *times[:2], common.ratio(t["lrschedule"] / t["hand"]), *times[2:]]


def render(data: dict[str, Any]) -> str:
    jx, tc = data.get("jax", {}), data.get("torch", {})
    jax_rows = [_jax_row(n, k, impls) for n, per in jx.items() for k, impls in per.items()]
    torch_rows = [_torch_row(n, p) for n, p in tc.items()]
    reasons = [f"- {n} recompiled: {r}" for n, p in tc.items() for r in p["reasons"]]
    out = [
        f"## {TITLE}\n",
        f"Medians of {data['rounds']} interleaved rounds of one compiled call, step `{common.STEP}`. "
        f"Goal: lrschedule within {GOAL:g}x of the hand-written schedule in the same compiled "
        f"function. {common.listing(data['versions'])}.\n",
        "### jax.jit\n",
        "`schedule`: `jax.jit(lambda t: lr(t))` on a 0-d int32 step. `adam`: `jax.jit` of "
        f"{ADAM_LOOP} `optax.adam(learning_rate=lr)` updates in one `lax.fori_loop` on 272 float32 "
        "parameters. Ops: compute instructions of the optimized HLO (transcendental ones in "
        f"brackets); flops: XLA's cost analysis; traces: across {STEPS} calls with different steps. "
        "The values of the three are checked equal before timing. JAX's x64 is off: lrschedule "
        "runs its plain float32 formula (`set_raw_float32(True)`), the arithmetic of the other "
        "two; its default there, float-float pairs, is measured in the float_float section.\n",
        common.table(
            "schedule | function | lrschedule ns | hand ns | optax ns | vs hand | vs optax | "
            "ops ours/hand/optax | flops | traces",
            jax_rows,
        ),
        "### torch.compile(fullgraph=True)\n",
        "`fn(p, g, t) = p - lr(t) * g`, `p` and `g` 256 float32, `t` a 0-d int64 tensor, one thread, "
        "inductor on the CPU, each schedule in a fresh process (lrschedule first). `fullgraph=True` "
        f"raises on a graph break; graphs: dynamo's `unique_graphs` across {STEPS} steps (1: no "
        "recompilation); first call: compilation included (inductor's disk cache may hold the "
        "code). Eager: the same `fn` uncompiled.\n",
        common.table(
            "schedule | graph breaks | graphs ours/hand | first call s ours/hand | lrschedule ns | "
            "hand ns | ratio | lrschedule eager ns | hand eager ns",
            torch_rows,
        ),
        *reasons,
    ]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
