"""Compiled (issue 5, item 3): the schedule inside ``jax.jit`` and ``torch.compile(fullgraph=True)``.

JAX: two compiled functions per schedule, each with three implementations of the learning rate
(lrschedule, optax's own schedule, a hand-written ``jax.numpy`` expression): the schedule alone
(``jax.jit(lambda t: schedule(t))``) and an optax Adam update of a small pytree whose learning rate
is the schedule. Reported: time per compiled call, the ratio to the hand-written and optax versions,
the optimized HLO's instruction count and XLA's cost analysis, and how often each function is
traced across 100 steps. torch: ``torch.compile(fullgraph=True)`` of ``p - schedule(t) * g`` on a
0-d int64 step tensor, lrschedule against the hand-written torch expression: graph breaks
(``fullgraph=True`` raises on one), graphs compiled across 100 steps, and time per compiled call. Run
alone with ``python benchmarks/compiled.py [--quick]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
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
STEPS = 100  # steps run through each compiled function to count traces / recompiles
ADAM_LOOP = 100  # Adam updates per compiled call in the `adam` rows

# Instructions that move or name data rather than compute: not counted as ops.
_NOT_OPS = {"parameter", "constant", "tuple", "get-tuple-element", "bitcast", "copy"}
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%[\w.\-]+ = [^=]*?\s([a-z][\w\-]*)\(", re.M)


def hlo_ops(text: str) -> dict[str, int]:
    """Counts of the optimized HLO's instructions: all, compute ops (``_NOT_OPS`` left out),
    fusions, and transcendental-looking ops (exp, log, cos, sin, power, tanh)."""
    opcodes = _INSTRUCTION.findall(text)
    counts = collections.Counter(opcodes)
    return {
        "instructions": len(opcodes),
        "ops": sum(n for op, n in counts.items() if op not in _NOT_OPS),
        "fusions": counts.get("fusion", 0),
        "transcendental": sum(
            counts.get(op, 0)
            for op in (
                "exponential",
                "log",
                "cosine",
                "sine",
                "power",
                "tanh",
                "exponential-minus-one",
            )
        ),
    }


def _cost(compiled: Any) -> dict[str, float]:
    try:
        cost = compiled.cost_analysis()
    except Exception:  # not every backend has it
        return {}
    if isinstance(cost, list):
        cost = cost[0] if cost else {}
    return {k: float(cost[k]) for k in ("flops", "transcendentals", "bytes accessed") if k in cost}


def _jax(rounds: int, target: float) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp
    import optax

    schedules = percall.make_schedules()
    hand = percall._hand_in("jax")
    ox = percall.optax_schedules()
    params = {"w": jnp.ones((256,), jnp.float32), "b": jnp.zeros((16,), jnp.float32)}
    grads = jax.tree_util.tree_map(lambda x: jnp.full_like(x, 0.5), params)
    out: dict[str, Any] = {}
    for name, s in schedules.items():
        impls: dict[str, Callable[[Any], Any]] = {
            "lrschedule": lambda t, s=s: s(t),
            "optax": ox[name][0],
            "hand": hand[name],
        }
        per: dict[str, Any] = {"schedule": {}, "adam": {}}
        timed: dict[str, dict[str, Callable[[], Any]]] = {"schedule": {}, "adam": {}}
        for impl, lr in impls.items():
            traces = [0]

            def sched_only(
                t: Any, lr: Callable[[Any], Any] = lr, traces: list[int] = traces
            ) -> Any:
                traces[0] += 1
                return lr(t)

            f = jax.jit(sched_only)
            step = jnp.asarray(percall.STEP)
            compiled = f.lower(step).compile()
            for i in range(STEPS):
                f(jnp.asarray(i * 97)).block_until_ready()
            per["schedule"][impl] = {
                "hlo": hlo_ops(compiled.as_text()),
                "cost": _cost(compiled),
                "traces": traces[0],
                "value": float(f(step)),
            }
            timed["schedule"][impl] = lambda f=f, step=step: f(step).block_until_ready()

            opt = optax.adam(learning_rate=lr)
            state = opt.init(params)
            traces_adam = [0]

            def update(
                p: Any, g: Any, st: Any, opt: Any = opt, traces: list[int] = traces_adam
            ) -> tuple[Any, Any]:
                # ADAM_LOOP updates in one compiled call: the schedule's cost inside the
                # training step, not XLA's hand-off of a call to its CPU thread (tens of us,
                # varying with the machine's load, the same for every schedule)
                traces[0] += 1

                def body(_: Any, carry: tuple[Any, Any]) -> tuple[Any, Any]:
                    p, st = carry
                    updates, st = opt.update(g, st, p)
                    return optax.apply_updates(p, updates), st

                return jax.lax.fori_loop(0, ADAM_LOOP, body, (p, st))  # type: ignore[no-any-return]

            u = jax.jit(update)
            compiled = u.lower(params, grads, state).compile()
            p, st = params, state
            for _ in range(STEPS):
                p, st = u(p, grads, st)
            jax.block_until_ready(p)
            per["adam"][impl] = {
                "hlo": hlo_ops(compiled.as_text()),
                "cost": _cost(compiled),
                "traces": traces_adam[0],
            }
            timed["adam"][impl] = lambda u=u, p=p, st=st: jax.block_until_ready(u(p, grads, st))
        want = per["schedule"]["hand"]["value"]
        for impl, got in per["schedule"].items():
            if abs(got["value"] - want) > 1e-5 * abs(want) + 1e-9:
                raise AssertionError(f"jax.jit {name} {impl}: {got['value']} vs {want}")
        for kind in ("schedule", "adam"):
            series = common.time_statements(timed[kind], rounds, target)
            for impl, s in series.items():
                per[kind][impl]["time"] = s.to_json()
        print(
            f"  jax.jit {name:20}",
            "  ".join(
                f"{kind}/{impl} {common.ns(per[kind][impl]['time']['median'])} ns "
                f"({per[kind][impl]['hlo']['ops']} ops)"
                for kind in per
                for impl in per[kind]
            ),
            flush=True,
        )
        out[name] = per
    return {"versions": {"jax": jax.__version__, "optax": optax.__version__}, "schedules": out}


def _step_fn(lr: Callable[[Any], Any], name: str) -> Callable[[Any, Any, Any], Any]:
    """``fn(p, g, t) = p - lr(t) * g`` with a code object of its own, named ``name``."""

    def fn(p: Any, g: Any, t: Any) -> Any:
        return p - lr(t) * g

    code = fn.__code__.replace(co_name=f"step_{name}", co_qualname=f"step_{name}")
    return types.FunctionType(code, fn.__globals__, code.co_name, None, fn.__closure__)


def torch_one(name: str, rounds: int, target: float) -> dict[str, Any]:
    """One schedule under ``torch.compile(fullgraph=True)``, in a process of its own (the caller's
    job: lrschedule's per-namespace cache must start cold, as in a fresh training script)."""
    import logging

    import torch
    from torch._dynamo.utils import counters

    torch.set_num_threads(1)
    reasons: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            reasons.extend(
                line.strip()[2:][:300]
                for line in text.splitlines()
                if re.match(r"\s*- \d+/\d+: ", line)
            )

    torch._logging.set_logs(recompiles=True)
    logging.getLogger("torch._dynamo").addHandler(Grab())
    schedule = percall.make_schedules()[name]
    hand = percall._hand_in("torch", compilable=True)[name]
    p = torch.ones(256)
    g = torch.full((256,), 0.5)
    step = torch.tensor(percall.STEP)
    per: dict[str, Any] = {}
    calls: dict[str, Callable[[], Any]] = {}
    for impl, lr in (("lrschedule", schedule), ("hand", hand)):
        # Each its own code object: dynamo caches per code object, and one shared by both would
        # count the second compilation as a recompilation of the first.
        fn = _step_fn(lr, impl)
        entry: dict[str, Any] = {}
        compiled = torch.compile(fn, fullgraph=True)
        before = counters["stats"]["unique_graphs"]
        breaks_before = sum(counters["graph_break"].values())
        del reasons[:]
        t0 = time.perf_counter()
        try:
            compiled(p, g, torch.tensor(0))
        except Exception as exc:  # fullgraph=True raises on a graph break
            entry["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        else:
            entry["first_call_s"] = time.perf_counter() - t0
            for i in range(1, STEPS):
                compiled(p, g, torch.tensor(i * 97))
            entry["graphs"] = counters["stats"]["unique_graphs"] - before
            entry["recompile_reasons"] = sorted(set(reasons))
            entry["value0"] = float(compiled(p, g, step)[0])
            calls[impl] = lambda c=compiled: c(p, g, step)
            calls[f"{impl} eager"] = lambda fn=fn: fn(p, g, step)
        # fullgraph=True raises on any graph break: a call that returns proves there was none.
        # (torch._dynamo.explain would count them too, but it slows the compiled function down
        # for the rest of the process.) dynamo's own counter is recorded as well.
        entry["graph_breaks"] = sum(counters["graph_break"].values()) - breaks_before
        entry["break_reasons"] = (
            sorted(counters["graph_break"])[:5] if entry["graph_breaks"] else []
        )
        per[impl] = entry
    if "lrschedule" in calls and "hand" in calls:
        a, b = per["lrschedule"]["value0"], per["hand"]["value0"]
        if abs(a - b) > 1e-5:
            raise AssertionError(f"torch.compile {name}: {a} vs {b}")
    series = common.time_statements(calls, rounds, target)
    per["times"] = {label: s.to_json() for label, s in series.items()}
    per["version"] = torch.__version__
    return per


_TORCH_ONE = """
import json, sys
sys.path.insert(0, "benchmarks")
import compiled
print(json.dumps(compiled.torch_one(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
"""


def _torch(rounds: int, target: float, quick: bool) -> dict[str, Any]:
    import torch  # only to skip the part cleanly when torch is missing

    names = list(percall.SCHEDULES)[: 2 if quick else None]
    out: dict[str, Any] = {}
    for name in names:
        text = common.run_python(_TORCH_ONE, name, str(rounds), str(target), timeout=300)
        per = json.loads(text.strip().splitlines()[-1])
        out[name] = per
        print(
            f"  torch.compile {name:20}",
            "  ".join(f"{k} {common.ns(v['median'])} ns" for k, v in per["times"].items()),
            f"breaks {per['lrschedule'].get('graph_breaks')}, "
            f"graphs {per['lrschedule'].get('graphs')}",
            flush=True,
        )
    return {"versions": {"torch": torch.__version__}, "schedules": out}


def run(quick: bool = False) -> dict[str, Any]:
    """Measure the JAX and torch parts (each skipped, with a note, when not installed)."""
    rounds, target = (
        (3, 0.005) if quick else (25, 0.01)
    )  # many short rounds: the medians ride out bursts of load
    results: dict[str, Any] = {
        "title": TITLE,
        "rounds": rounds,
        "steps": STEPS,
        "step": percall.STEP,
        "versions": common.versions("numpy", "lrschedule"),
        "schedules": percall.SCHEDULES,
        "notes": [],
    }
    try:
        results["jax"] = _jax(rounds, target)
        results["versions"].update(results["jax"]["versions"])
    except ImportError as exc:
        results["notes"].append(f"jax.jit part skipped: {exc}")
    try:
        results["torch"] = _torch(rounds, target, quick)
        results["versions"].update(results["torch"]["versions"])
    except ImportError as exc:
        results["notes"].append(f"torch.compile part skipped: {exc}")
    return results


def _med(entry: dict[str, Any]) -> float:
    return float(entry["time"]["median"]) if "time" in entry else float(entry["median"])


def summary(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) for issue 5 item 3."""
    out: list[tuple[str, str, bool | None]] = []
    jx = results.get("jax", {}).get("schedules", {})
    if jx:
        for kind, what in (("adam", "Adam step"), ("schedule", "schedule alone")):
            worst = max(
                (
                    _med(per[kind]["lrschedule"])
                    / min(_med(per[kind][o]) for o in ("hand", "optax")),
                    name,
                )
                for name, per in jx.items()
            )
            out.append(
                (
                    f"jax.jit ({what}): within {GOAL:g}x of the hand-written / optax schedule",
                    f"worst {common.ratio(worst[0])}x ({worst[1]})",
                    worst[0] <= GOAL,
                )
            )
        retraces = sum(per[k]["lrschedule"]["traces"] - 1 for per in jx.values() for k in per)
        out.append(
            (
                f"jax.jit: traced once across {results['steps']} steps",
                f"{retraces} extra traces",
                retraces == 0,
            )
        )
    tc = results.get("torch", {}).get("schedules", {})
    if tc:
        breaks = sum(per["lrschedule"].get("graph_breaks", 0) for per in tc.values())
        errors = [n for n, per in tc.items() if "error" in per["lrschedule"]]
        recompiles = sum(max(per["lrschedule"].get("graphs", 1) - 1, 0) for per in tc.values())
        out.append(
            (
                "torch.compile(fullgraph=True): no graph break",
                f"{breaks} breaks" + (f", fails: {', '.join(errors)}" if errors else ""),
                breaks == 0 and not errors,
            )
        )
        out.append(
            (
                f"torch.compile: no recompilation across {results['steps']} steps",
                f"{recompiles} recompilations in all",
                recompiles == 0,
            )
        )
        ratios = [
            (per["times"]["lrschedule"]["median"] / per["times"]["hand"]["median"], name)
            for name, per in tc.items()
            if "lrschedule" in per.get("times", {}) and "hand" in per.get("times", {})
        ]
        if ratios:
            worst = max(ratios)
            out.append(
                (
                    f"torch.compile: within {GOAL:g}x of the hand-written expression",
                    f"worst {common.ratio(worst[0])}x ({worst[1]})",
                    worst[0] <= GOAL,
                )
            )
    return out


def render(results: dict[str, Any], assets: pathlib.Path) -> str:
    """The section's markdown (pure given the results)."""
    out: list[str] = []
    w = out.append
    w(f"## {TITLE}\n")
    w(
        f"Times are medians of {results['rounds']} interleaved timeit rounds of one compiled call "
        f"(ending in `block_until_ready()` for JAX), step `{results['step']}`. Goal: lrschedule "
        f"within {GOAL:g}x of the hand-written schedule in the same compiled function. "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".\n"
    )
    jx = results.get("jax", {}).get("schedules", {})
    if jx:
        w(
            "### jax.jit\n\n"
            "`schedule`: `jax.jit(lambda t: lr(t))` on a 0-d int32 step. `adam`: `jax.jit` of "
            f"{ADAM_LOOP} `optax.adam(learning_rate=lr)` updates and `apply_updates` in one "
            "`lax.fori_loop`, on a pytree of 272 float32 parameters (the schedule is evaluated "
            "on Adam's step count at every update; the time is of the whole call, so the hand-off "
            "of a call to XLA's CPU thread, tens of microseconds that vary with the load, is "
            "spread over the updates). Ops: "
            "instructions of the optimized HLO (`jit(f).lower(...).compile().as_text()`) other "
            "than parameters, constants, tuples and bitcasts/copies; transc.: exp/log/cos/pow "
            "ops among them; XLA's cost analysis flops beside. Traces: how many times the "
            f"function was traced across {results['steps']} calls with different steps.\n"
        )
        rows = []
        for name, per in jx.items():
            for kind in ("schedule", "adam"):
                e = per[kind]
                ours, hand, ox = e["lrschedule"], e["hand"], e["optax"]
                rows.append(
                    [
                        name,
                        kind,
                        common.ns(_med(ours)),
                        common.ns(_med(hand)),
                        common.ns(_med(ox)),
                        common.ratio(_med(ours) / _med(hand)),
                        common.ratio(_med(ours) / _med(ox)),
                        " / ".join(
                            f"{x['hlo']['ops']} ({x['hlo']['transcendental']})"
                            for x in (ours, hand, ox)
                        ),
                        " / ".join(
                            f"{x['cost'].get('flops', float('nan')):.0f}" for x in (ours, hand, ox)
                        ),
                        " / ".join(str(x["traces"]) for x in (ours, hand, ox)),
                    ]
                )
        w(
            common.table(
                [
                    "schedule",
                    "function",
                    "lrschedule ns",
                    "hand ns",
                    "optax ns",
                    "vs hand",
                    "vs optax",
                    "ops (transc.) ours/hand/optax",
                    "flops ours/hand/optax",
                    "traces",
                ],
                rows,
                right={2, 3, 4, 5, 6},
            )
        )
        w("")
        w(
            "The optax and hand-written formulas are the per-call section's (`optax` list there); "
            "the values of the three are checked equal (relative 1e-5) before timing.\n"
        )
    tc = results.get("torch", {}).get("schedules", {})
    if tc:
        w(
            "### torch.compile(fullgraph=True)\n\n"
            "`fn(p, g, t) = p - lr(t) * g` with `p`, `g` float32 tensors of 256 elements and `t` a "
            "0-d int64 tensor (one intra-op thread, inductor on the CPU). Graph breaks: "
            "`fullgraph=True` raises on any, so a compiled call that returns shows there was "
            "none (dynamo's `graph_break` counter is recorded too). Graphs: how many graphs dynamo compiled (its `unique_graphs` "
            f"counter) across {results['steps']} calls with different steps, from a cold start "
            "(each schedule in a fresh process, lrschedule first): 1 means no recompilation. "
            "First call: compilation included (inductor's on-disk cache may already hold the "
            "code). Times are taken after those calls (steady state). Eager columns: the same `fn` "
            "uncompiled.\n"
        )
        rows = []
        for name, per in tc.items():
            ours, hand = per["lrschedule"], per["hand"]
            times = per.get("times", {})

            def t(label: str, times: dict[str, Any] = times) -> str:
                return common.ns(times[label]["median"]) if label in times else "n/a"

            rows.append(
                [
                    name,
                    str(ours.get("graph_breaks", "?")) + (" (fails)" if "error" in ours else ""),
                    f"{ours.get('graphs', 'n/a')} / {hand.get('graphs', 'n/a')}",
                    f"{ours.get('first_call_s', float('nan')):.1f}",
                    t("lrschedule"),
                    t("hand"),
                    common.ratio(times["lrschedule"]["median"] / times["hand"]["median"])
                    if "lrschedule" in times and "hand" in times
                    else "n/a",
                    t("lrschedule eager"),
                    t("hand eager"),
                ]
            )
        w(
            common.table(
                [
                    "schedule",
                    "graph breaks",
                    "graphs ours/hand",
                    "first call s",
                    "lrschedule ns",
                    "hand ns",
                    "ratio",
                    "lrschedule eager ns",
                    "hand eager ns",
                ],
                rows,
            )
        )
        w("")
        for name, per in tc.items():
            for impl in ("lrschedule", "hand"):
                e = per[impl]
                if e.get("break_reasons") or "error" in e:
                    w(f"- {name} ({impl}): {e.get('error', '')} {'; '.join(e['break_reasons'])}")
                for reason in e.get("recompile_reasons", []):
                    w(f"- {name} ({impl}) recompiled on the guard failure `{reason}`")
        w("")
    for note in results.get("notes", []):
        w(f"- {note}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    print(render(results, common.ASSETS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
