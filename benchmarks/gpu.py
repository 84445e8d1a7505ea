"""GPU section (issue 5, item 5): CuPy, torch CUDA and JAX GPU against hand-written expressions.

**This module has not run on a GPU yet.** It was written on a machine without one (the task that
wrote it was not lent a GPU machine); only its no-GPU path (every backend skipped, with the reason)
and its CPU dry run (``python benchmarks/gpu.py --dry-run-cpu``: the torch and JAX timing and value
checks on the CPU, no CUDA parts) have run. Expect to fix small things on the first GPU run.

What it measures, for ExponentialDecay, CosineDecay with warmup, PiecewiseConstantDecay (10
boundaries) and CosineDecayRestarts (the schedules of benchmarks/sweep.py), per backend:

1. **Per call**, a 0-d step on the device (``cupy.asarray(5000)``, ``torch.full((), 5000,
   device="cuda")``, a JAX array on the GPU): many calls enqueued, one synchronization at the end,
   time per call (the launch cost a training loop pays); JAX eager and under ``jax.jit``.
2. **Vectorized**, ``arange(1e8)`` steps on the device (int64 for CuPy and torch, int32 for JAX
   with x64 off) against the fastest hand-written expression in the same library (the variants of
   benchmarks/sweep.py; CuPy's own here). Goal: at most 1.1x. Synchronized before and after every
   timed call.
3. **No host synchronization**: calls captured into a CUDA graph and replayed with new step values
   (CuPy ``stream.begin_capture()``/``end_capture()``, ``torch.cuda.graph``), the replayed values
   compared with the schedule's Python-int values; ``torch.cuda.set_sync_debug_mode("error")``
   around calls; ``cupyx.allow_synchronize(False)`` around calls; for JAX, jitted calls under
   ``jax.transfer_guard("disallow")``.

A backend that is missing at run time (not installed, no CUDA device) is skipped with the reason
recorded. ``run(quick)`` on a machine without a GPU returns results saying "skipped: no CUDA
device". Each part is guarded: an exception is recorded in the results, the rest still runs.
Run it with ``python benchmarks/run.py --only gpu`` (writes benchmarks/results/gpu.json) or
``python benchmarks/gpu.py [--quick] [--json FILE]``; on the device machine, ``bash
benchmarks/device.sh`` runs it after the GPU tests, as one command (its header says how).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import sweep  # benchmarks/sweep.py: the schedules, the torch/JAX hand-written variants, the checks

TITLE = "GPU"
GOAL = 1.1
STEP = 5000  # the per-call step
N_VECTOR = 10**8
GRAPH_STEPS = [0, 1, 999, 1000, 1001, 2999, 3000, 5000, 7000, 12_345, 10**6]
SCHEDULES = sweep.SCHEDULES

# CuPy hand-written variants: int array -> float64 array (CuPy's default float, lrschedule's result).
cp: Any = None
_CB: Any = None
_CV: Any = None


def c_exp(s):
    return 0.1 * cp.exp(s * sweep.C_EXP)


def c_exp_out(s):
    out = cp.multiply(s, sweep.C_EXP)
    cp.exp(out, out=out)
    out *= 0.1
    return out


def c_cos(s):
    decay = 0.05 * (1.0 + cp.cos(cp.minimum(s - 1000, 10_000) * (math.pi / 10_000)))
    return cp.where(s < 1000, s * (0.1 / 1000), decay)


def c_pw(s):
    return _CV[cp.searchsorted(_CB, s)]


def c_pw_take(s):
    return cp.take(_CV, cp.searchsorted(_CB, s))


def c_sgdr(s):
    x = s / 1000 + 1.0
    length = 2.0 ** cp.floor(cp.log2(x))
    return 0.05 * (1.0 + cp.cos(math.pi * (x / length - 1.0)))


def c_sgdr_out(s):
    x = cp.divide(s, 1000.0)
    x += 1.0
    length = cp.log2(x)
    cp.floor(length, out=length)
    cp.exp2(length, out=length)
    x /= length
    x -= 1.0
    x *= math.pi
    cp.cos(x, out=x)
    x += 1.0
    x *= 0.05
    return x


CUPY_HAND: dict[str, list[Callable[[Any], Any]]] = {
    "ExponentialDecay": [c_exp, c_exp_out],
    "CosineDecay+warmup": [c_cos],
    "PiecewiseConstant": [c_pw, c_pw_take],
    "CosineDecayRestarts": [c_sgdr, c_sgdr_out],
}


# --------------------------------------------------------------------------------------------------
# Timing and checks
# --------------------------------------------------------------------------------------------------


def time_calls(
    candidates: dict[str, Callable[[], Any]],
    sync: Callable[[Any], None],
    rounds: int,
    target: float,
) -> dict[str, list[float]]:
    """Seconds per call: each candidate warmed up, then a loop count chosen to take about
    ``target`` s; interleaved rounds (order rotating), each a synchronized loop of calls.

    ``sync(result)`` waits until the device has finished (everything queued, or for JAX the
    given result: JAX runs a device's computations in order)."""
    loops = {}
    for label, fn in candidates.items():
        fn()
        sync(fn())
        t0 = time.perf_counter()
        result = fn()
        sync(result)
        elapsed = time.perf_counter() - t0
        del result
        loops[label] = max(1, min(100_000, round(target / max(elapsed, 1e-7))))
    samples: dict[str, list[float]] = {label: [] for label in candidates}
    labels = list(candidates)
    for r in range(rounds):
        shift = r % len(labels)
        for label in labels[shift:] + labels[:shift]:
            fn, n = candidates[label], loops[label]
            sync(None)
            t0 = time.perf_counter()
            for _ in range(n):
                result = fn()
            sync(result)
            t1 = time.perf_counter()
            del result
            samples[label].append((t1 - t0) / n)
    return samples


def _guard(part: dict[str, Any], key: str, fn: Callable[[], Any]) -> None:
    """``part[key] = fn()``; an exception is recorded as ``part[key + "_error"]`` instead."""
    try:
        part[key] = fn()
    except Exception as exc:  # an untested GPU path: record, go on with the other parts
        tail = traceback.format_exc().strip().splitlines()[-6:]
        part[key + "_error"] = f"{type(exc).__name__}: {exc}"[:300] + " | " + " / ".join(tail)
        print(f"  [gpu] {key} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


def _hand_labels(hand: dict[str, list[Callable[[Any], Any]]], name: str) -> dict[str, Any]:
    return {fn.__name__: fn for fn in hand[name]}


def _check_candidates(
    fns: dict[str, Callable[[Any], Any]],
    schedule: Callable[[Any], Any],
    to_device: Callable[[np.ndarray], Any],
    to_numpy: Callable[[Any], np.ndarray],
    dtype: str,
    f32: set[str],
) -> dict[str, str]:
    """Check each hand-written variant against lrschedule (sweep's rules); the reasons to drop."""
    dropped = {}
    for label, fn in fns.items():
        limit = sweep.F32_CHECK_LIMIT if label in f32 else 10**8
        raw = sweep.check_steps(limit).astype(dtype)
        steps = to_device(raw)
        why = sweep.check(label, to_numpy(fn(steps)), to_numpy(schedule(steps)), raw, label in f32)
        if why:
            dropped[label] = why
    return dropped


def _suite(
    *,
    schedules: dict[str, Any],
    hand: dict[str, list[Callable[[Any], Any]]],
    f32: set[str],
    wrap: Callable[[Callable[[Any], Any]], Callable[[Any], Any]],
    sync: Callable[[Any], None],
    scalar_step: Any,
    make_steps: Callable[[int], Any],
    to_device: Callable[[np.ndarray], Any],
    to_numpy: Callable[[Any], np.ndarray],
    dtype: str,
    n_vector: int,
    rounds: int,
    extra_percall: dict[str, Callable[[Any, Any], Callable[[Any], Any]]] | None = None,
) -> dict[str, Any]:
    """Per call and vectorized timings of one backend; values checked first."""
    out: dict[str, Any] = {"dropped": {}, "percall": {}, "vector": {}}
    for name, schedule in schedules.items():
        fns = {"lrschedule": wrap(schedule.__call__)}
        fns.update({k: wrap(f) for k, f in _hand_labels(hand, name).items()})
        hands = {k: f for k, f in fns.items() if k != "lrschedule"}
        dropped = _check_candidates(hands, fns["lrschedule"], to_device, to_numpy, dtype, f32)
        out["dropped"].update({f"{name}: {k}": why for k, why in dropped.items()})
        fns = {k: f for k, f in fns.items() if k not in dropped}
        per = {k: (lambda f=f: f(scalar_step)) for k, f in fns.items()}
        first = next(f for k, f in _hand_labels(hand, name).items() if k not in dropped)
        for label, make in (extra_percall or {}).items():
            extra = make(schedule, first)
            per[label] = lambda f=extra: f(scalar_step)
        out["percall"][name] = time_calls(per, sync, rounds, 0.05)
        steps = make_steps(n_vector)
        vec = {k: (lambda f=f, s=steps: f(s)) for k, f in fns.items()}
        out["vector"][name] = time_calls(vec, sync, rounds, 0.02)
        del steps, vec
        print(f"  [gpu] {name}: timed", file=sys.stderr, flush=True)
    return out


def _compare(got: float, want: float, f32: bool) -> bool:
    return math.isclose(got, want, rel_tol=1e-6 if f32 else 1e-12, abs_tol=1e-30)


# --------------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------------


def run_cupy(quick: bool) -> dict[str, Any]:
    global cp, _CB, _CV
    try:
        import cupy
    except ImportError as exc:
        return {"status": f"skipped: CuPy not installed ({exc})"}
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        return {"status": f"skipped: no CUDA device ({type(exc).__name__}: {exc})"}
    if count == 0:
        return {"status": "skipped: no CUDA device"}
    cp = cupy
    _CB = cupy.asarray(sweep.BOUNDARIES, dtype=cupy.int64)
    _CV = cupy.asarray(sweep.VALUES, dtype=cupy.float64)
    schedules = sweep.make_schedules()
    props = cupy.cuda.runtime.getDeviceProperties(0)
    result: dict[str, Any] = {
        "status": "ok",
        "versions": {"cupy": cupy.__version__},
        "device": props["name"].decode() if isinstance(props["name"], bytes) else props["name"],
        "candidates": _candidates(CUPY_HAND, set(), "float64"),
    }

    def sync(result: Any) -> None:
        cupy.cuda.Device().synchronize()

    _guard(
        result,
        "timings",
        lambda: _suite(
            schedules=schedules,
            hand=CUPY_HAND,
            f32=set(),
            wrap=lambda f: f,
            sync=sync,
            scalar_step=cupy.asarray(STEP),
            make_steps=lambda n: cupy.arange(n, dtype=cupy.int64),
            to_device=cupy.asarray,
            to_numpy=cupy.asnumpy,
            dtype="int64",
            n_vector=10**7 if quick else N_VECTOR,
            rounds=3 if quick else 9,
        ),
    )
    cupy.get_default_memory_pool().free_all_blocks()
    _guard(result, "graph", lambda: _cupy_graph(cupy, schedules))
    _guard(result, "allow_synchronize", lambda: _cupy_no_sync(cupy, schedules))
    cupy.get_default_memory_pool().free_all_blocks()
    return result


def _cupy_graph(cupy: Any, schedules: dict[str, Any]) -> dict[str, Any]:
    """Capture each schedule's call on a 0-d step into a CUDA graph; replay with new steps."""
    runtime = cupy.cuda.runtime
    mode = getattr(runtime, "streamCaptureModeRelaxed", None)
    out: dict[str, Any] = {}
    for name, schedule in schedules.items():
        entry: dict[str, Any] = {"captured": False}
        stream = cupy.cuda.Stream(non_blocking=True)
        try:
            with stream:
                step = cupy.zeros((), dtype=cupy.int64)
                for _ in range(3):  # warm up: kernels compiled, pool blocks cached
                    schedule(step)
                stream.synchronize()
                if mode is None:
                    stream.begin_capture()
                else:
                    stream.begin_capture(mode)
                try:
                    value = schedule(step)
                finally:
                    graph = stream.end_capture()
                entry["captured"] = True
                wrong = []
                for k in GRAPH_STEPS:
                    step.fill(k)
                    graph.launch(stream)
                    stream.synchronize()
                    got, want = float(value.get()), float(schedule(k))
                    if not _compare(got, want, f32=False):
                        wrong.append([k, got, want])
                entry.update(replays=len(GRAPH_STEPS), wrong=wrong)
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
        out[name] = entry
    return out


def _cupy_no_sync(cupy: Any, schedules: dict[str, Any]) -> dict[str, Any]:
    import cupyx

    step0, steps = cupy.asarray(STEP), cupy.arange(10**6, dtype=cupy.int64)
    out: dict[str, Any] = {}
    for name, schedule in schedules.items():
        try:
            with cupyx.allow_synchronize(False):
                schedule(step0)
                schedule(steps)
            out[name] = "no synchronization"
        except Exception as exc:
            out[name] = f"{type(exc).__name__}: {exc}"[:300]
    return out


def _bind_torch_hand(torch: Any, device: Any) -> None:
    """Point sweep.py's torch variants at ``device``."""
    sweep.torch = torch
    sweep._TV = torch.tensor(sweep.VALUES, dtype=torch.float32, device=device)
    sweep._TB.clear()
    sweep._TB.update(
        {
            d: torch.tensor(sweep.BOUNDARIES, dtype=d, device=device)
            for d in (torch.int32, torch.int64)
        }
    )


def run_torch(quick: bool, device: str = "cuda") -> dict[str, Any]:
    try:
        import torch
    except ImportError as exc:
        return {"status": f"skipped: torch not installed ({exc})"}
    if device == "cuda" and not torch.cuda.is_available():
        return {"status": "skipped: no CUDA device (torch.cuda.is_available() is False)"}
    _bind_torch_hand(torch, device)
    schedules = sweep.make_schedules()
    result: dict[str, Any] = {
        "status": "ok",
        "versions": {"torch": torch.__version__},
        "device": torch.cuda.get_device_name() if device == "cuda" else device,
        "candidates": _candidates(sweep.TORCH_HAND, sweep.TORCH_F32, "float64"),
    }

    def sync(result: Any) -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    if device == "cuda":  # first, so that the first (cold) calls are checked too
        _guard(result, "sync_debug", lambda: _torch_sync_debug(torch, schedules))
    with torch.no_grad():
        _guard(
            result,
            "timings",
            lambda: _suite(
                schedules=schedules,
                hand=sweep.TORCH_HAND,
                f32=sweep.TORCH_F32,
                wrap=lambda f: f,
                sync=sync,
                scalar_step=torch.full((), STEP, device=device),
                make_steps=lambda n: torch.arange(n, dtype=torch.int64, device=device),
                to_device=lambda a: torch.from_numpy(a).to(device),
                to_numpy=lambda t: t.cpu().numpy(),
                dtype="int64",
                n_vector=(10**6 if device == "cpu" else 10**7) if quick else N_VECTOR,
                rounds=3 if quick else 9,
            ),
        )
    if device == "cuda":
        torch.cuda.empty_cache()
        _guard(result, "graph", lambda: _torch_graph(torch, schedules))
        torch.cuda.empty_cache()
    return result


def _torch_sync_debug(torch: Any, schedules: dict[str, Any]) -> dict[str, Any]:
    """Calls on 0-d and 1-d CUDA steps (int64 and int32) with the sync debug mode raising."""
    steps = [
        torch.full((), STEP, device="cuda"),
        torch.arange(10**6, device="cuda"),
        torch.arange(10**6, device="cuda", dtype=torch.int32),
    ]
    torch.cuda.synchronize()
    out: dict[str, Any] = {}
    for name, schedule in schedules.items():
        torch.cuda.set_sync_debug_mode("error")
        try:
            for s in steps:
                schedule(s)
            out[name] = "no synchronization"
        except Exception as exc:
            out[name] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            torch.cuda.set_sync_debug_mode(0)
    return out


def _torch_graph(torch: Any, schedules: dict[str, Any]) -> dict[str, Any]:
    """Capture each schedule's call on a 0-d step with ``torch.cuda.graph``; replay new steps."""
    out: dict[str, Any] = {}
    for name, schedule in schedules.items():
        entry: dict[str, Any] = {"captured": False}
        try:
            step = torch.zeros((), dtype=torch.int64, device="cuda")
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm up on a side stream, as torch asks
                for _ in range(3):
                    schedule(step)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                value = schedule(step)
            entry["captured"] = True
            wrong = []
            for k in GRAPH_STEPS:
                step.fill_(k)
                graph.replay()
                got, want = float(value.item()), float(schedule(k))
                if not _compare(got, want, f32=value.dtype != torch.float64):
                    wrong.append([k, got, want])
            entry.update(replays=len(GRAPH_STEPS), wrong=wrong, dtype=str(value.dtype))
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
        out[name] = entry
    return out


def _bind_jax_hand(jnp: Any, device: Any) -> None:
    import jax

    sweep.jnp = jnp
    sweep._JB = jax.device_put(jnp.asarray(sweep.BOUNDARIES), device)
    sweep._JV = jax.device_put(jnp.asarray(sweep.VALUES), device)


def run_jax(quick: bool, platform_name: str = "gpu") -> dict[str, Any]:
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # share the GPU
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        return {"status": f"skipped: JAX not installed ({exc})"}
    try:
        device = jax.devices(platform_name)[0]
    except RuntimeError as exc:
        return {
            "status": f"skipped: no CUDA device (JAX has no {platform_name} backend: {exc})"[:300]
        }
    _bind_jax_hand(jnp, device)
    schedules = sweep.make_schedules()
    x64 = bool(jax.config.jax_enable_x64)
    compute = "float64" if x64 else "float32"
    f32 = set() if x64 else {fn.__name__ for fns in sweep.JAX_HAND.values() for fn in fns}
    candidates = _candidates(sweep.JAX_HAND, f32, compute)
    # eager calls: their own column, never the comparator of the jitted ones
    candidates["lrschedule eager"] = {"kind": "eager", "compute": compute}
    candidates["hand eager"] = {"kind": "eager", "compute": compute}
    result: dict[str, Any] = {
        "status": "ok",
        "versions": {"jax": jax.__version__},
        "device": str(device),
        "x64": x64,
        "candidates": candidates,
    }
    dtype = "int64" if x64 else "int32"

    def sync(result: Any) -> None:
        # JAX dispatch is asynchronous; a device runs its computations in order, so waiting for
        # the last result waits for all of them
        if result is not None:
            result.block_until_ready()

    def put(a: Any) -> Any:
        return jax.device_put(a, device)

    _guard(
        result,
        "timings",
        lambda: _suite(
            schedules=schedules,
            hand=sweep.JAX_HAND,
            f32=f32 | ({"lrschedule"} if not x64 else set()),
            wrap=jax.jit,
            sync=sync,
            scalar_step=put(jnp.asarray(STEP, dtype=dtype)),
            make_steps=lambda n: put(jnp.arange(n, dtype=dtype)),
            to_device=put,
            to_numpy=np.asarray,
            dtype=dtype,
            n_vector=(10**6 if platform_name == "cpu" else 10**7) if quick else N_VECTOR,
            rounds=3 if quick else 9,
            extra_percall={
                "lrschedule eager": lambda schedule, hand: schedule,
                "hand eager": lambda schedule, hand: hand,
            },
        ),
    )
    _guard(result, "transfer_guard", lambda: _jax_transfer_guard(jax, jnp, put, schedules, dtype))
    return result


def _jax_transfer_guard(
    jax: Any, jnp: Any, put: Callable[[Any], Any], schedules: dict[str, Any], dtype: str
) -> dict[str, Any]:
    """Jitted calls (compiled first) with every host<->device transfer disallowed."""
    steps = [put(jnp.asarray(STEP, dtype=dtype)), put(jnp.arange(10**6, dtype=dtype))]
    out: dict[str, Any] = {}
    for name, schedule in schedules.items():
        f = jax.jit(schedule.__call__)
        for s in steps:
            f(s).block_until_ready()  # compile outside the guard
        try:
            with jax.transfer_guard("disallow"):
                for s in steps:
                    f(s).block_until_ready()
            out[name] = "no transfer"
        except Exception as exc:
            out[name] = f"{type(exc).__name__}: {exc}"[:300]
    return out


def _candidates(
    hand: dict[str, list[Callable[[Any], Any]]], f32: set[str], compute: str
) -> dict[str, dict[str, str]]:
    out = {"lrschedule": {"kind": "ours", "compute": compute}}
    for fns in hand.values():
        for fn in fns:
            c = "float32" if fn.__name__ in f32 else compute
            out[fn.__name__] = {"kind": "hand", "compute": c}
    return out


BACKENDS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "cupy": run_cupy,
    "torch": run_torch,
    "jax": run_jax,
}
BACKEND_TITLES = {"cupy": "CuPy", "torch": "torch CUDA", "jax": "JAX GPU (jit)"}


def run(quick: bool) -> dict[str, Any]:
    """Every GPU backend that is present; the others skipped with the reason."""
    started = time.perf_counter()
    backends: dict[str, Any] = {}
    for name, fn in BACKENDS.items():
        print(f"  [gpu] {name}", file=sys.stderr, flush=True)
        try:
            backends[name] = fn(quick)
        except Exception as exc:
            backends[name] = {"status": f"failed: {type(exc).__name__}: {exc}"[:300]}
            traceback.print_exc()
    ran = [b for b in backends.values() if b.get("status") == "ok"]
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for b in backends.values():
        versions.update(b.get("versions", {}))
    return {
        "section": "gpu",
        "quick": quick,
        "status": "ok" if ran else "skipped: no CUDA device",
        "device": next((b["device"] for b in ran), None),
        "goal": GOAL,
        "step": STEP,
        "n_vector": (10**7 if quick else N_VECTOR),
        "versions": versions,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "backends": backends,
    }


def dry_run_cpu() -> dict[str, Any]:
    """The torch and JAX timing suites on the CPU (no CUDA parts): a check of this module's code
    on a machine without a GPU. Not a result for the page."""
    return {
        "torch": run_torch(True, device="cpu"),
        "jax": run_jax(True, platform_name="cpu"),
    }


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _best(samples: dict[str, list[float]], candidates: dict[str, dict[str, str]]) -> str | None:
    hands = [k for k in samples if candidates.get(k, {}).get("kind") == "hand"]
    return min(hands, key=lambda k: _median(samples[k])) if hands else None


def _ratio(samples: dict[str, list[float]], ours: str, best: str | None) -> float | None:
    if best is None or ours not in samples:
        return None
    return _median(samples[ours]) / _median(samples[best])


def _size(n: int) -> str:
    return f"1e{round(math.log10(n))}"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "|".join("---:" for _ in header[1:]) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _proof(backend: dict[str, Any]) -> tuple[bool | None, list[str]]:
    """Whether every no-sync check passed, and the failures."""
    failures: list[str] = []
    seen = False
    for key in ("graph", "sync_debug", "allow_synchronize", "transfer_guard"):
        if key + "_error" in backend:
            failures.append(f"{key}: {backend[key + '_error']}")
        for name, entry in backend.get(key, {}).items():
            seen = True
            if isinstance(entry, dict):
                if not entry.get("captured") or entry.get("wrong") or "error" in entry:
                    failures.append(f"{key} {name}: {entry}")
            elif entry not in ("no synchronization", "no transfer"):
                failures.append(f"{key} {name}: {entry}")
    return (not failures) if seen else None, failures


def summary(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) rows: 1e8 steps within 1.1x, and no host synchronization."""
    rows: list[tuple[str, str, bool | None]] = []
    goal = results.get("goal", GOAL)
    for name, b in results["backends"].items():
        title = BACKEND_TITLES.get(name, name)
        if b.get("status") != "ok":
            rows.append(
                (f"{title}: 1e8 steps <= {goal:g}x hand-written", b.get("status", "?"), None)
            )
            continue
        t = b.get("timings", {})
        ratios = []
        for sched, samples in t.get("vector", {}).items():
            r = _ratio(samples, "lrschedule", _best(samples, b["candidates"]))
            if r is not None:
                ratios.append((r, sched))
        if ratios:
            worst = max(ratios)
            rows.append(
                (
                    f"{title}: {_size(results['n_vector'])} steps <= {goal:g}x hand-written",
                    f"worst {worst[0]:.2f}x ({worst[1]})",
                    worst[0] <= goal,
                )
            )
        else:
            rows.append(
                (f"{title}: vectorized", "no ratio" if t else b.get("timings_error", "?"), None)
            )
        ok, failures = _proof(b)
        rows.append(
            (
                f"{title}: no host synchronization",
                "all checks passed" if ok else ("; ".join(failures)[:200] or "not checked"),
                ok,
            )
        )
    return rows


def render(results: dict[str, Any], assets: Path) -> str:
    """The GPU section's markdown (no image)."""
    out: list[str] = [f"## {TITLE}\n"]
    w = out.append
    if results.get("status") != "ok":
        w(
            f"Not measured: {results.get('status')}. `benchmarks/gpu.py` runs on a machine with an "
            "NVIDIA GPU (`python benchmarks/run.py --only gpu`, then bring back "
            "`benchmarks/results/gpu.json`); it has not run on a GPU yet.\n"
        )
        for name, b in results["backends"].items():
            w(f"- {BACKEND_TITLES.get(name, name)}: {b.get('status')}")
        return "\n".join(out) + "\n"
    w(
        f"Device: {results.get('device')}. Per call: a 0-d step ({results['step']}) on the device, "
        "many calls enqueued and one synchronization, time per call. Vectorized: "
        f"`arange({_size(results['n_vector'])})` steps on the device, synchronized around each call. "
        f"Median of interleaved rounds; goal at 1e8 steps: at most {results['goal']:g}x the fastest "
        "hand-written expression (checked against lrschedule first). Generated by "
        "`benchmarks/gpu.py`.\n"
    )
    rows_pc, rows_vec = [], []
    for name, b in results["backends"].items():
        title = BACKEND_TITLES.get(name, name)
        if b.get("status") != "ok":
            rows_vec.append([title, b.get("status", "?"), "", "", ""])
            continue
        t = b.get("timings")
        if t is None:
            rows_vec.append([title, f"failed: {b.get('timings_error', '?')}", "", "", ""])
            continue
        for sched, samples in t["percall"].items():
            best = _best(samples, b["candidates"])
            r = _ratio(samples, "lrschedule", best)
            eager = ""
            if "lrschedule eager" in samples:
                re = _ratio(samples, "lrschedule eager", "hand eager")
                eager = f"eager {_us(_median(samples['lrschedule eager']))} us, {re:.2f}x hand"
            rows_pc.append(
                [
                    f"{title}, {sched}",
                    _us(_median(samples["lrschedule"])),
                    f"{_us(_median(samples[best]))} `{best}`" if best else "",
                    f"{r:.2f}" if r is not None else "",
                    eager,
                ]
            )
        for sched, samples in t["vector"].items():
            best = _best(samples, b["candidates"])
            r = _ratio(samples, "lrschedule", best)
            verdict = "" if r is None else ("met" if r <= results["goal"] else "**missed**")
            rows_vec.append(
                [
                    f"{title}, {sched}",
                    _ms(_median(samples["lrschedule"])),
                    f"{_ms(_median(samples[best]))} `{best}`" if best else "",
                    f"{r:.2f}" if r is not None else "",
                    verdict,
                ]
            )
    w("### Per call, 0-d device step\n")
    w(
        _table(
            ["backend, schedule", "lrschedule us", "best hand-written us", "ratio", "JAX eager"],
            rows_pc,
        )
    )
    w("")
    w(f"### Vectorized, {_size(results['n_vector'])} steps\n")
    w(
        _table(
            ["backend, schedule", "lrschedule ms", "best hand-written ms", "ratio", "goal"],
            rows_vec,
        )
    )
    w("")
    w("### No host synchronization\n")
    rows = []
    for name, b in results["backends"].items():
        if b.get("status") != "ok":
            continue
        ok, failures = _proof(b)
        checks = [
            k
            for k in ("graph", "sync_debug", "allow_synchronize", "transfer_guard")
            if k in b or k + "_error" in b
        ]
        rows.append(
            [
                BACKEND_TITLES.get(name, name),
                ", ".join(checks),
                "passed" if ok else "; ".join(failures)[:400] or "not checked",
            ]
        )
    w(_table(["backend", "checks", "result"], rows))
    w("")
    w(
        "- `graph`: each schedule's call on a 0-d step captured into a CUDA graph (CuPy "
        "`stream.begin_capture()`, `torch.cuda.graph`) and replayed for steps "
        f"{GRAPH_STEPS}, each value compared with the schedule's Python-int value."
    )
    w(
        '- `sync_debug`: `torch.cuda.set_sync_debug_mode("error")` around calls on 0-d and '
        "1e6-step CUDA tensors (int64 and int32); `allow_synchronize`: `cupyx.allow_synchronize"
        '(False)` likewise; `transfer_guard`: jitted calls under `jax.transfer_guard("disallow")`.'
    )
    for name, b in results["backends"].items():
        dropped = b.get("timings", {}).get("dropped", {})
        for k, why in dropped.items():
            w(f"- {BACKEND_TITLES.get(name, name)}: dropped {k}: {why}")
    versions = ", ".join(f"{k} {v}" for k, v in results.get("versions", {}).items())
    w(f"- Versions: {versions}; section run time {results.get('elapsed_s', 0):.0f} s")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e7 steps, few rounds")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--dry-run-cpu",
        action="store_true",
        help="run the torch/JAX suites on the CPU (a self-check)",
    )
    args = parser.parse_args(argv)
    if args.dry_run_cpu:
        import json

        print(json.dumps(dry_run_cpu(), indent=1)[:20000])
        return 0
    results = run(args.quick)
    if args.json:
        import json

        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(render(results, Path(__file__).resolve().parent.parent / "docs" / "img"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
