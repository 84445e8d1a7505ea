"""Accuracy: the largest error in ulp of every case of ``tests/references.py`` per backend and
dtype, against its mpmath reference (``INTRO`` says how, as the page does); a process per worker."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import importlib
import math
import os
import pathlib
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import mpmath
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]  # common; references (tests/)

import common  # noqa: E402  (benchmarks/, on sys.path above)
import references  # noqa: E402  (tests/references.py: the mpmath definitions and the cases)

CASES = [*references.CASES, *references.EXTRA_CASES]
TOP = 2**31 - 1  # the largest step of the grid
GOAL_F32 = 1.0  # float32 results within 1 ulp where the backend computes in float64
DTYPES = ("float32", "float64")
WORKERS = ("cpu", "jax", "jax-x64", "keras-numpy", "keras-torch", "keras-jax")
KERAS = ("numpy", "torch", "jax")
# The page's columns: header -> keys "<where>/<result dtype>", shown as "float32 / float64".
OURS = {"python": "Python int", "numpy": "NumPy", "dask": "dask", "strict": "strict"}
OURS |= {"torch": "torch", "jax-x64": "JAX x64"}  # lrschedule computing in float64
GROUPS = {header: [f"{key}/{d}" for d in DTYPES] for key, header in OURS.items()}
GROUPS |= {"JAX f32": ["jax/float32"], **{f"Keras {b}": [f"keras-{b}/float32"] for b in KERAS}}
GROUPS |= {"optax f32": ["optax/float32"], "optax x64": ["optax-x64/float32", "optax-x64/float64"]}
F64_COMPUTE = [key for header in OURS.values() for key in GROUPS[header]]
# The cases Keras 3 has, built from the case's get_config() (tests/test_parity.py: the same keys)
KERAS_IDS = ("exp", "exp-stair", "exp-float-T", "inv", "inv-stair", "poly", "poly-pow")
KERAS_IDS += ("poly-cycle", "piecewise", "cos", "cos-alpha", "cos-warmup", "cos-warmup-alpha")
KERAS_IDS += ("sgdr", "sgdr-t1-m", "sgdr-t1-49", "sgdr-t1.5-alpha")
Values = dict[tuple[str, str, str], np.ndarray]  # (column key, case id, step dtype) -> values
Job = tuple[tuple[str, str, str], Callable[[], Any], str]  # (key, what computes it, result dtype)


def grid(quick: bool = False) -> np.ndarray:
    """The int64 steps in [0, 2**31 - 1] shared by every case and backend (INTRO lists them)."""
    steps = set(range(257)) | {2**k + d for k in range(32) for d in (-1, 0, 1)}
    steps |= {10**k + d for k in range(10) for d in (-1, 0, 1)}
    steps |= {int(s) for s in np.geomspace(256, TOP, 250 if quick else 1200).round()}
    around, magnitudes = 1 if quick else 2, np.geomspace(1000, TOP, 8 if quick else 24)
    for case in CASES:
        edges = list(case.edges)
        for period, offset in case.periods:
            edges += [math.floor((m - offset) / period) * period + offset for m in magnitudes]
        for edge in edges:
            steps.update(range(math.floor(edge) - around, math.floor(edge) + around + 2))
    return np.asarray(sorted(s for s in steps | {TOP} if 0 <= s <= TOP), dtype=np.int64)


def exact_values(case: references.Case, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference on ``steps`` as a double-double: ``exact = hi + lo`` to about 1e-32."""
    hi, lo = np.empty(steps.size), np.empty(steps.size)
    with mpmath.workdps(references.DIGITS):
        for i, step in enumerate(steps.tolist()):
            value = mpmath.mpf(case.reference(step))
            hi[i] = float(value)
            lo[i] = float(value - mpmath.mpf(hi[i])) if math.isfinite(hi[i]) else 0.0
    return hi, lo


def _sgdr(o: Any, peak: float, first: int, count: int) -> Any:
    """optax.sgdr_schedule's cycles for SGDR with t_mul=2 (cycle k lasts ``first * 2**k``)."""
    cycle = {"init_value": peak, "peak_value": peak, "warmup_steps": 0, "end_value": 0.0}
    return o.sgdr_schedule([{**cycle, "decay_steps": first * 2**k} for k in range(count)])


def optax_cases(o: Any) -> dict[str, Any]:
    """optax's schedules for the cases it can express, by case id (PEERS says which not). Its
    piecewise values are products of scales; its warmup-cosine ``decay_steps`` include the warmup;
    SGDR is a finite list of cycles (28 reach past 2**31 for the 10-step first cycle)."""
    linear, cosine, wcd = o.linear_schedule, o.cosine_decay_schedule, o.warmup_cosine_decay_schedule
    interp, join, constant = o.piecewise_interpolate_schedule, o.join_schedules, o.constant_schedule
    return {
        "exp": o.exponential_decay(0.1, 1000, 0.96),
        "exp-stair": o.exponential_decay(0.1, 1000, 0.5, staircase=True),
        "exp-float-T": o.exponential_decay(2.5, 7.5, 0.9),
        "exp-begin-floor": o.exponential_decay(0.1, 100, 0.5, transition_begin=250, end_value=0.01),
        "exp-growth-ceiling": o.exponential_decay(0.01, 10, 1.5, end_value=0.5),
        "poly": o.polynomial_schedule(0.1, 0.0001, 1, 1000),
        "poly-pow": o.polynomial_schedule(0.1, 0.001, 2.5, 1000),
        "poly-begin": o.polynomial_schedule(0.1, 0.001, 2.0, 500, 100),
        "piecewise": o.piecewise_constant_schedule(1.0, {11: 0.5, 101: 0.2, 1001: 0.1}),
        "piecewise-none": o.piecewise_constant_schedule(0.3),
        "cos": cosine(0.1, 1000),
        "cos-alpha": cosine(0.1, 1000, alpha=0.1),
        "cos-exponent": cosine(0.1, 1000, alpha=0.1, exponent=2.0),
        "cos-warmup": wcd(0.0, 0.1, 100, 1100, end_value=0.0),
        "cos-warmup-alpha": wcd(0.01, 1.0, 999, 10_999, end_value=0.05),
        "constant": constant(0.25),
        "linear": linear(0.1, 0.001, 1000),
        "linear-begin": linear(0.0, 1.0, 300, 50),
        "linear-zero": linear(0.3, 1.0, 0),
        "interp-cosine": interp("cosine", 0.1, {0: 1.0, 500: 2.0, 1001: 0.1}),
        "warmup-cos": wcd(0.1, 1.0, 100, 1000, end_value=0.05),
        "sgdr": _sgdr(o, 1.0, 10, 28),
        "warmup-sgdr": join([linear(0.0, 0.5, 1000), _sgdr(o, 0.5, 64, 25)], [1000]),
        "sequential": join([linear(0.0, 1.0, 100), cosine(1.0, 400), constant(0.01)], [100, 500]),
    }


def _to_numpy(x: Any) -> np.ndarray:
    """A result array as a float64 NumPy array (exactly: float32 and float64 convert exactly)."""
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(x).astype(np.float64)


def _cpu_jobs(steps: np.ndarray, errors: dict[str, str]) -> Iterator[Job]:
    makers: dict[str, Callable[[np.ndarray], Any]] = {"numpy": lambda s: s}
    for backend, module, make in (
        ("dask", "dask.array", lambda lib: lambda s: lib.from_array(s, chunks=1024)),
        ("strict", "array_api_strict", lambda lib: lib.asarray),
        ("torch", "torch", lambda lib: lib.from_numpy),
    ):
        try:
            makers[backend] = make(importlib.import_module(module))
        except ImportError as exc:  # a backend that is not installed is reported, not fatal
            errors[f"{backend}/*"] = f"not installed: {exc}"
    ints = steps.tolist()
    for case in CASES:
        for dtype in DTYPES:  # the schedule is built in the job, where a failure is reported
            new = functools.partial(dataclasses.replace, case.schedule, dtype=dtype)
            key = (f"python/{dtype}", case.id, "int")  # the Python-int fast path, a call per step
            yield key, lambda s=new, d=dtype: np.asarray(list(map(s(), ints)), dtype=d), dtype
            for backend, make in makers.items():
                for step_dtype in ("int64", "int32"):
                    array = make(steps.astype(step_dtype))
                    key = (f"{backend}/{dtype}", case.id, step_dtype)
                    yield key, lambda s=new, a=array: s()(a), dtype


def _jax_jobs(steps: np.ndarray, x64: bool) -> Iterator[Job]:
    import jax

    jax.config.update("jax_enable_x64", x64)
    import optax

    ours, peer = ("jax-x64", "optax-x64") if x64 else ("jax", "optax")
    step_dtypes = ("int64", "int32") if x64 else ("int32",)
    arrays = {d: jax.numpy.asarray(steps.astype(d)) for d in step_dtypes}
    for case in CASES:
        for dtype in DTYPES if x64 else ("float32",):
            new = functools.partial(dataclasses.replace, case.schedule, dtype=dtype)
            fn = jax.jit(lambda t, s=new: s()(t))  # built when traced, in the job
            for step_dtype, array in arrays.items():
                yield (f"{ours}/{dtype}", case.id, step_dtype), lambda f=fn, a=array: f(a), dtype
    dtype, (step_dtype, count) = ("float64" if x64 else "float32"), next(iter(arrays.items()))
    for case_id, schedule in optax_cases(optax).items():
        fn = jax.jit(jax.vmap(schedule))
        yield (f"{peer}/{dtype}", case_id, step_dtype), lambda f=fn: f(count), dtype


def _keras_jobs(steps: np.ndarray, backend: str) -> Iterator[Job]:
    from keras.optimizers import schedules

    if backend == "jax":  # Keras's schedules take a scalar step: vmap them (lax.cond -> select)
        import jax

        def call(schedule: Any) -> Any:
            return jax.jit(jax.vmap(schedule))(jax.numpy.asarray(steps.astype(np.int32)))

    else:  # a call per step (an int64 tensor on torch, a NumPy int64 on numpy)
        wrap = importlib.import_module("torch").tensor if backend == "torch" else np.int64

        def call(schedule: Any) -> Any:
            return np.stack([np.asarray(schedule(wrap(step))) for step in steps.tolist()])

    for case in (c for c in CASES if c.id in KERAS_IDS):
        peer = getattr(schedules, type(case.schedule).__name__)
        key = (f"keras-{backend}/float32", case.id, "int32" if backend == "jax" else "int64")
        yield key, lambda p=peer, c=case: call(p.from_config(c.schedule.get_config())), "float32"


def worker(name: str, out: str, quick: bool) -> None:
    """Evaluate the cases on worker ``name``'s backends; pickle the values to ``out``."""
    steps = grid(quick)
    values: Values = {}
    errors: dict[str, str] = {}
    if name == "cpu":
        modules, jobs = ["torch", "dask", "array_api_strict"], _cpu_jobs(steps, errors)
    elif name.startswith("jax"):
        modules, jobs = ["jax", "optax"], _jax_jobs(steps, x64=name == "jax-x64")
    else:
        backend = name.removeprefix("keras-")
        modules, jobs = ["keras", backend], _keras_jobs(steps, backend)
    for key, compute, dtype in jobs:
        try:  # a backend's failure is a result of the benchmark, not a crash
            result = compute()
            got = str(getattr(result, "dtype", type(result).__name__)).rsplit(".", 1)[-1]
            if got != dtype:
                raise TypeError(f"result dtype {got}, expected {dtype}")
            values[key] = _to_numpy(result)
        except Exception as exc:
            errors["|".join(key)] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if key[0] == "optax-x64/float64" and key in values:  # its float32 column: the cast
            values[("optax-x64/float32", *key[1:])] = values[key].astype(np.float32)
    info = {"versions": common.versions("lrschedule", "numpy", *modules), "errors": errors}
    pathlib.Path(out).write_bytes(pickle.dumps(info | {"values": values}))


def _run_worker(name: str, out: pathlib.Path, quick: bool) -> str:
    """Run a worker in a fresh interpreter, on the CPU; '' on success, else its stderr's tail."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env |= {"JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": ""}  # Keras on torch too
    if name.startswith("keras-"):
        env["KERAS_BACKEND"] = name.removeprefix("keras-")
    cmd = [sys.executable, __file__, "--worker", name, str(out)] + ["--quick"] * quick
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)  # same cwd
    return (proc.stderr.strip().splitlines() or ["?"])[-1][:300] if proc.returncode else ""


def ulp_errors(values: np.ndarray, hi: np.ndarray, lo: np.ndarray, dtype: str) -> list[float]:
    """The largest error of ``values`` in ulps of the exact ``hi + lo`` rounded to ``dtype`` (as
    INTRO says), and in ulps of the peak (the largest ``|exact|``)."""
    kind = np.dtype(dtype).type
    tiny, peak = float(np.finfo(kind).smallest_normal), float(np.max(np.abs(hi)))
    with np.errstate(over="ignore", invalid="ignore"):
        unit = np.spacing(np.abs(hi.astype(kind))).astype(np.float64)
        unit = np.where(np.abs(hi) < tiny, tiny, unit)
        peak_unit = float(np.spacing(kind(peak))) if peak > 0 else tiny
        diff = np.abs((np.asarray(values, dtype=np.float64) - hi) - lo)
    diff = np.where(np.isnan(diff), np.inf, diff)
    return [float(np.max(diff / unit)), float(np.max(diff)) / peak_unit]


def run(quick: bool = False) -> dict[str, Any]:
    """Evaluate everything in the workers, compare with the references (computed meanwhile)."""
    started, steps = time.perf_counter(), grid(quick)
    values: Values = {}
    errors: dict[str, str] = {}
    versions = {"mpmath": mpmath.__version__}
    with tempfile.TemporaryDirectory(prefix="lrschedule-accuracy-") as tmp:
        outputs = {name: pathlib.Path(tmp) / f"{name}.pkl" for name in WORKERS}
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = {n: pool.submit(_run_worker, n, out, quick) for n, out in outputs.items()}
            exact = {case.id: exact_values(case, steps) for case in CASES}
            ref_seconds = time.perf_counter() - started
            failures = {name: future.result() for name, future in futures.items()}
        for name, out in outputs.items():
            if failures[name] or not out.exists():
                errors[f"worker {name}"] = failures[name] or "no output"
                continue
            info = pickle.loads(out.read_bytes())
            for part, into in (("values", values), ("errors", errors), ("versions", versions)):
                into.update(info[part])
    # cells[case id][column key] = [max error in ulps, in ulps of the peak], over the step dtypes
    cells: dict[str, dict[str, list[float]]] = {case.id: {} for case in CASES}
    for (key, case_id, _), got in values.items():
        new = ulp_errors(got, *exact[case_id], key.split("/")[1])
        cells[case_id][key] = np.maximum(cells[case_id].get(key, new), new).tolist()
    return {
        "quick": quick,
        "grid": {"points": int(steps.size), "max": int(steps.max())},
        "classes": {case.id: type(case.schedule).__name__ for case in CASES},
        "cells": cells,
        "errors": errors,
        "versions": versions,
        "reference_seconds": round(ref_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def fmt_ulp(x: float) -> str:
    """An error in ulps, compact: <0.01, 0.5, 1.2, 37, 4.1e5, inf."""
    if not math.isfinite(x) or x < 0.01:
        return ("inf" if x > 0 else "nan") if not math.isfinite(x) else "0" if x == 0 else "<0.01"
    if x < 10_000:
        return f"{x:.2g}" if x < 10 else f"{x:.0f}"
    return f"{x:.1e}".replace("e+0", "e").replace("e+", "e")


def _worst(results: dict[str, Any], keys: Sequence[str]) -> tuple[float, str, str]:
    """The largest error in ulps over the given columns and every case: (ulps, case id, key)."""
    found = [(row[k][0], c, k) for c, row in results["cells"].items() for k in keys if k in row]
    return max([(-1.0, "", ""), *found], key=lambda item: item[0])  # the first of equal values


def goals(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) rows for the page's summary."""
    worst, case_id, key = _worst(results, [k for k in F64_COMPUTE if k.endswith("float32")])
    goal = f"float32 results within {GOAL_F32:g} ulp on float64-compute backends (lrschedule)"
    rows = [(goal, f"max {fmt_ulp(worst)} ulp ({case_id}, {key})", worst <= GOAL_F32)]
    worst, case_id, key = _worst(results, [k for k in F64_COMPUTE if k.endswith("float64")])
    goal = "float64 results, largest error (no goal set)"
    rows.append((goal, f"{fmt_ulp(worst)} ulp ({case_id}, {key})", None))
    keras = [f"keras-{b}/float32" for b in KERAS]
    for peer, ours, peer_keys in (
        ("Keras 3", "numpy/float32", keras),
        ("optax (x64 off)", "jax/float32", ["optax/float32"]),
        ("optax (x64 on)", "jax-x64/float64", ["optax-x64/float64"]),
    ):
        found = [(c, row) for c, row in results["cells"].items() if ours in row]
        pairs = [(c, k, row[ours][0], row[k][0]) for c, row in found for k in peer_keys if k in row]
        worse = [f"{c} vs {pk.split('/')[0]}" for c, pk, a, b in pairs if a > max(b + 1, 1.1 * b)]
        goal = f"lrschedule ({ours}) no worse than {peer} (by 1 ulp or 10% at most) on every "
        measured = f"{len(pairs) - len(worse)} of {len(pairs)}"
        measured += f"; worse: {', '.join(worse)}" if worse else ""
        rows.append((goal + "shared schedule", measured, not worse if pairs else None))
    return rows


INTRO = """Largest error of each schedule against an exact reference (mpmath, {digits} digits), \
over {points:,} steps from 0 to 2**31 - 1 = {max:,}: every step to 256, log-spaced steps, powers \
of 2 and 10 and their neighbours, and two steps either side of every phase boundary and period \
edge (for periodic schedules, near 24 magnitudes up to 2**31). The error is |value - exact| / \
ulp(exact rounded to the result dtype), so a correctly rounded result errs by at most 0.5. Below \
the dtype's smallest normal number (an exact 0, or a subnormal) the unit is that smallest normal \
instead, so flushing a subnormal to zero (XLA on CPU does) counts at most 1. A NaN where the \
exact value is finite counts as inf. Each cell is the maximum over the grid and over int64 and \
int32 steps (where the backend has both), as `float32 / float64`.

lrschedule computes in float64 on every backend that has it and rounds to the requested \
`dtype=`. *Python int* is one call per step through the scalar fast path (a NumPy scalar back). \
*JAX f32* is JAX with x64 off: the steps are int32 and the arithmetic float32, so steps above \
2**24 are rounded before the formula sees them, as in Keras 3 (float32 arithmetic on every \
backend) and optax with x64 off. optax with x64 on computes in float64 (its float32 column is \
that result cast). All runs under `jax.jit`; Keras's and optax's schedules take scalar steps, so \
the JAX ones are `jax.jit(jax.vmap(...))`.
"""
PEAK = """<details><summary>The same errors in ulps of each schedule's peak (the largest exact \
value on the grid): what an optimizer step feels. An error far below 1 here is invisible in \
training, whatever its size in ulps of a tiny value.</summary>
"""
PEERS = """Keras 3 and optax are evaluated with their own constructors for the same schedule \
(`benchmarks/accuracy.py` lists them); an empty cell is a schedule the library lacks (optax: no \
inverse-time, cyclic polynomial or constant-period SGDR; its one-cycle places the peak at \
int(0.3 N) where torch's, which lrschedule follows, is at 0.3 N - 1). optax's piecewise values \
are products of its scales (1, 0.5, 0.2, 0.1 for 1, 0.5, 0.1, 0.01), compared with the same \
exact values.
"""


def _table(results: dict[str, Any], i: int) -> str:
    """The table of errors (``i`` 0: in ulps; 1: in ulps of the peak), a row per case."""
    rows = []
    for case_id, row in results["cells"].items():
        texts = [[fmt_ulp(row[k][i]) if k in row else "-" for k in ks] for ks in GROUPS.values()]
        texts = ["" if set(t) == {"-"} else " / ".join(t) for t in texts]  # empty: no such schedule
        rows.append([f"`{case_id}`", results["classes"][case_id], *texts])
    header = ["case", "class", *GROUPS]
    return common.table(header, rows, right=set(range(2, len(header)))) + "\n"


def render(results: dict[str, Any]) -> str:
    out = ["## Accuracy", "", INTRO.format(digits=references.DIGITS, **results["grid"])]
    out += [_table(results, 0), PEAK, _table(results, 1), "</details>", "", PEERS]
    if results["errors"]:
        out += ["Failed evaluations (not in the table):", ""]
        out += [f"- `{key}`: {message}" for key, message in sorted(results["errors"].items())]
    versions = ", ".join(f"{k} {v}" for k, v in sorted(results["versions"].items()))
    classes = ", ".join(sorted(set(results["classes"].values())))
    seconds = f"{results['seconds']:.0f} s (references {results['reference_seconds']:.0f} s)"
    out.append(f"\nVersions: {versions}. Covered classes: {classes}. Run time {seconds}.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
