"""Accuracy (issue 5): the largest error in ulp of every schedule, per backend and dtype.

Every schedule class of ``lrschedule.__all__``, with the representative arguments of
``tests/references.py`` (``CASES``) plus cases for the classes it lacks, is evaluated on one grid of
steps from 0 to ``2**31 - 1`` on each backend (a Python ``int`` per call, NumPy, dask,
array-api-strict, torch CPU, JAX under ``jax.jit`` with x64 off and on), for ``dtype="float32"`` and
``"float64"``, with int64 and int32 steps. Keras 3 (numpy, torch and jax backends) and optax (JAX
x64 off and on) evaluate their own versions of the same schedules on the same grid. Each value is
compared with the exact schedule, evaluated with mpmath at 40 digits:

    error = |value - exact| / ulp(exact rounded to the result dtype)

so a correctly rounded result errs by at most 0.5. Where the exact value rounds to 0 in the result
dtype, the unit is the ulp of the schedule's peak on the grid (the largest ``|exact|``) instead.

Every backend runs in its own subprocess (JAX's x64 flag and Keras's backend are process-wide); the
parent computes the references meanwhile. Run alone with ``python benchmarks/accuracy.py
[--quick]``; ``benchmarks/run.py`` saves the results and renders the page.
"""

from __future__ import annotations

import argparse
import bisect
import concurrent.futures
import dataclasses
import importlib
import math
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import mpmath
import numpy as np
from mpmath import mpf

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import common  # noqa: E402  (benchmarks/, on sys.path above)
import lrschedule  # noqa: E402
import references  # noqa: E402  (tests/references.py: the mpmath definitions)
from lrschedule import (  # noqa: E402
    Cyclic,
    InverseSqrt,
    MultiStepDecay,
    OneCycle,
    StepDecay,
    WarmupStableDecay,
)

TITLE = "Accuracy"
DIGITS = 40  # mpmath's working precision for the references (decimal digits)
TOP = 2**31 - 1  # the largest step of the grid
F32_STEPS = 2**24  # float32 represents every integer step up to here
GOAL_F32 = 1.0  # float32 results within 1 ulp where the backend computes in float64
Reference = Callable[[int], Any]


# -- references for the classes that tests/references.py does not cover ---------------------------
# Written from each class's documented formula (torch's and transformers' definitions), never by
# calling lrschedule.


def step_decay(lr: float, size: float, gamma: float) -> Reference:
    """torch's StepLR closed form: ``lr * gamma ** floor(t / size)``."""
    return lambda t: mpf(lr) * mpf(gamma) ** mpmath.floor(mpf(t) / mpf(size))


def multi_step_decay(lr: float, milestones: Sequence[int], gamma: float) -> Reference:
    """torch's MultiStepLR: ``lr * gamma ** bisect_right(sorted(milestones), t)``."""
    ordered = sorted(milestones)
    return lambda t: mpf(lr) * mpf(gamma) ** bisect.bisect_right(ordered, t)


def one_cycle(
    max_lr: float,
    total: int,
    pct: float = 0.3,
    strategy: str = "cos",
    div: float = 25.0,
    final_div: float = 1e4,
    three_phase: bool = False,
) -> Reference:
    """torch's OneCycleLR phases, held at step ``total - 1`` after it (lrschedule's convention)."""

    def f(t: int) -> mpf:
        initial = mpf(max_lr) / mpf(div)
        peak, final = mpf(max_lr), initial / mpf(final_div)
        p, n = mpf(pct), mpf(total)
        if three_phase:
            phases = [
                (p * n - 1, initial, peak),
                (2 * p * n - 2, peak, initial),
                (n - 1, initial, final),
            ]
        else:
            phases = [(p * n - 1, initial, peak), (n - 1, peak, final)]
        step, begin = min(mpf(t), n - 1), mpf(0)
        for i, (end, a, b) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                x = (step - begin) / (end - begin)
                if strategy == "cos":
                    return b + (a - b) / 2 * (mpmath.cos(mpmath.pi * x) + 1)
                return a + (b - a) * x
            begin = end
        raise AssertionError("unreachable")

    return f


def cyclic(
    base: float,
    peak: float,
    up: float,
    down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Reference:
    """torch's CyclicLR.get_lr: ``cycle = floor(1 + t / C)``, ``x = 1 + t / C - cycle``, ..."""

    def f(t: int) -> mpf:
        u = mpf(up)
        d = u if down is None else mpf(down)
        total = u + d
        cycle = mpmath.floor(1 + mpf(t) / total)
        x = 1 + mpf(t) / total - cycle
        ratio = u / total
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        height = (mpf(peak) - mpf(base)) * scale
        if mode == "triangular2":
            height /= mpf(2) ** (cycle - 1)
        elif mode == "exp_range":
            height *= mpf(gamma) ** t
        return mpf(base) + height

    return f


def inverse_sqrt(lr: float, warmup: float, timescale: float | None = None) -> Reference:
    """transformers' get_inverse_sqrt_schedule times ``lr``."""
    tau = mpf(timescale if timescale is not None else (warmup or 10_000))

    def f(t: int) -> mpf:
        if t < warmup:
            return mpf(lr) * t / max(1, mpf(warmup))
        return mpf(lr) / mpmath.sqrt((t + tau - warmup) / tau)

    return f


def wsd(
    lr: float,
    warmup: float,
    stable: float,
    decay: float,
    ratio: float = 0.0,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    cycles: float = 0.5,
    continue_decay: bool = False,
) -> Reference:
    """transformers' get_wsd_schedule times ``lr`` (plus the cosine-with-restarts decay)."""

    def f(t: int) -> mpf:
        m = mpf(ratio)
        if t < warmup:
            p = mpf(t) / max(1, mpf(warmup))
            w = {
                "linear": lambda: p,
                "cosine": lambda: (1 - mpmath.cos(mpmath.pi * p)) / 2,
                "1-sqrt": lambda: 1 - mpmath.sqrt(1 - p),
            }[warmup_type]()
            return mpf(lr) * max(0, m + (1 - m) * w)
        if t < warmup + stable:
            return mpf(lr)
        if t < warmup + stable + decay or continue_decay:
            p = (mpf(t) - warmup - stable) / max(1, mpf(decay))
            if decay_type == "linear":
                d = 1 - p
            elif decay_type == "cosine":
                d = (1 + mpmath.cos(2 * mpmath.pi * mpf(cycles) * p)) / 2
            elif decay_type == "1-sqrt":
                d = 1 - mpmath.sqrt(p)
            else:
                d = (1 + mpmath.cos(mpmath.pi * mpmath.frac(mpf(cycles) * p))) / 2
            return mpf(lr) * max(0, m + (1 - m) * d)
        return mpf(lr) * m

    return f


# -- cases -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    """A schedule, its exact reference, and the steps where it changes shape (for the grid)."""

    id: str
    schedule: lrschedule.LearningRateSchedule
    reference: Reference
    edges: tuple[float, ...] = ()  # steps where a phase or period begins or ends
    periods: tuple[tuple[float, float], ...] = ()  # (period, offset): edges repeated to 2**31


def _geometric_edges(first: float, factor: float, shift: float = 0.0) -> tuple[float, ...]:
    """The period boundaries ``shift + first * (1 + factor + ... + factor**k)`` up to 2**31."""
    edges, start, length = [], 0.0, first
    while start <= TOP:
        edges.append(shift + start)
        start += length
        length *= factor
    return tuple(edges)


_EDGES: dict[str, tuple[tuple[float, ...], tuple[tuple[float, float], ...]]] = {
    # case id: (edges, (period, offset) pairs)
    "exp": ((1000,), ()),
    "exp-stair": ((), ((1000, 0),)),
    "exp-float-T": ((), ((7.5, 0),)),
    "inv": ((10,), ()),
    "inv-stair": ((), ((100, 0),)),
    "poly": ((1000,), ()),
    "poly-pow": ((1000,), ()),
    "poly-cycle": ((), ((100, 0),)),
    "piecewise": ((10, 100, 1000), ()),
    "cos": ((1000,), ()),
    "cos-alpha": ((1000,), ()),
    "cos-warmup": ((100, 1100), ()),
    "cos-warmup-alpha": ((999, 10_999), ()),
    "sgdr": (_geometric_edges(10, 2.0), ()),
    "sgdr-t1-m": ((), ((100, 0),)),
    "sgdr-t1-49": ((), ((49, 0),)),
    "sgdr-t1.5-alpha": (_geometric_edges(64, 1.5), ()),
    "exp-begin-floor": ((250, 250 + 100 * math.log2(10)), ()),
    "exp-growth-ceiling": ((10 * math.log(50) / math.log(1.5),), ()),
    "poly-begin": ((100, 600), ()),
    "cos-exponent": ((1000,), ()),
    "linear": ((1000,), ()),
    "linear-begin": ((50, 350), ()),
    "interp-linear": ((10, 100, 1000), ()),
    "interp-cosine": ((500, 1001), ()),
    "warmup-cos": ((100, 1000), ()),
    "warmup-sgdr": (_geometric_edges(64, 2.0, 1000), ()),
    "sequential": ((100, 500), ()),
    "product": (_geometric_edges(100, 2.0), ((1000, 0),)),
}

L = lrschedule
EXTRA_CASES = [
    Case("step", StepDecay(0.1, 30), step_decay(0.1, 30, 0.1), (), ((30, 0),)),
    Case("step-float-size", StepDecay(1.0, 2.5, 0.5), step_decay(1.0, 2.5, 0.5), (), ((2.5, 0),)),
    Case(
        "multistep",
        MultiStepDecay(0.05, [30, 80]),
        multi_step_decay(0.05, [30, 80], 0.1),
        (30, 80),
    ),
    Case("onecycle", OneCycle(0.1, 1000), one_cycle(0.1, 1000), (299, 999)),
    Case(
        "onecycle-linear-3",
        OneCycle(2.0, 333, pct_start=0.4, anneal_strategy="linear", three_phase=True),
        one_cycle(2.0, 333, 0.4, "linear", three_phase=True),
        (132.2, 264.4, 332),
    ),
    Case("cyclic", Cyclic(0.001, 0.006, 20), cyclic(0.001, 0.006, 20), (), ((40, 0), (40, 20))),
    Case(
        "cyclic-tri2-down",
        Cyclic(0.01, 0.1, 10, 25, mode="triangular2"),
        cyclic(0.01, 0.1, 10, 25, "triangular2"),
        (),
        ((35, 0), (35, 10)),
    ),
    Case(
        "cyclic-exp-range",
        Cyclic(0.02, 0.2, 8, 20, mode="exp_range", gamma=0.99999),
        cyclic(0.02, 0.2, 8, 20, "exp_range", 0.99999),
        (),
        ((28, 0), (28, 8)),
    ),
    Case("isqrt", InverseSqrt(0.01, 4000), inverse_sqrt(0.01, 4000), (4000,)),
    Case(
        "isqrt-timescale",
        InverseSqrt(0.1, 100, timescale=7),
        inverse_sqrt(0.1, 100, 7),
        (100,),
    ),
    Case("wsd", WarmupStableDecay(0.1, 100, 800, 100), wsd(0.1, 100, 800, 100), (100, 900, 1000)),
    Case(
        "wsd-1-sqrt",
        WarmupStableDecay(
            1.0, 50, 0, 1000, min_lr_ratio=0.1, warmup_type="cosine", decay_type="1-sqrt"
        ),
        wsd(1.0, 50, 0, 1000, 0.1, "cosine", "1-sqrt"),
        (50, 1050),
    ),
    Case(
        "wsd-restarts",
        WarmupStableDecay(
            0.5, 0, 100, 1000, decay_type="cosine_with_restarts", num_cycles=3, continue_decay=True
        ),
        wsd(0.5, 0, 100, 1000, 0.0, "linear", "cosine_with_restarts", 3, True),
        (100,),
        ((1000 / 3, 100),),
    ),
]


def cases() -> list[Case]:
    """``tests/references.py``'s CASES (with their edges) followed by the extra classes' cases."""
    out = [
        Case(c.id, c.schedule, c.reference, *_EDGES.get(c.id, ((), ()))) for c in references.CASES
    ]
    return out + EXTRA_CASES


def schedule_classes() -> list[str]:
    """The names of the schedule classes in ``lrschedule.__all__``."""
    return sorted(
        name
        for name in lrschedule.__all__
        if isinstance(getattr(lrschedule, name), type)
        and issubclass(getattr(lrschedule, name), lrschedule.LearningRateSchedule)
        and name != "LearningRateSchedule"
    )


# -- the grid --------------------------------------------------------------------------------------


def grid(all_cases: Sequence[Case], quick: bool = False) -> np.ndarray:
    """One grid of int64 steps in [0, 2**31 - 1], shared by every case and backend.

    Every step up to 256; log-spaced steps up to 2**31 - 1; each power of 2 and of 10 and its
    neighbours; every case's edges and, for periodic cases, the period edges near 24 log-spaced
    magnitudes, each with two steps either side; and 2**31 - 1 itself.
    """
    steps: set[int] = set(range(257))
    steps.update(int(s) for s in np.geomspace(256, TOP, 250 if quick else 1200).round())
    for k in range(32):
        steps.update({2**k - 1, 2**k, 2**k + 1})
    for k in range(10):
        steps.update({10**k - 1, 10**k, 10**k + 1})
    around = 1 if quick else 2
    magnitudes = np.geomspace(1000, TOP, 8 if quick else 24)
    for case in all_cases:
        edges = list(case.edges)
        for period, offset in case.periods:
            for m in magnitudes:
                edges.append(math.floor((m - offset) / period) * period + offset)
        for edge in edges:
            base = math.floor(edge)
            steps.update(range(base - around, base + around + 2))
    steps.add(TOP)
    return np.asarray(sorted(s for s in steps if 0 <= s <= TOP), dtype=np.int64)


def exact_values(case: Case, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference on ``steps`` as a double-double: ``exact = hi + lo`` to about 1e-32."""
    hi = np.empty(steps.size)
    lo = np.empty(steps.size)
    with mpmath.workdps(DIGITS):
        for i, step in enumerate(steps.tolist()):
            value = mpf(case.reference(step))
            hi[i] = float(value)
            lo[i] = float(value - mpf(hi[i])) if math.isfinite(hi[i]) else 0.0
    return hi, lo


# -- the backends (each run by a worker subprocess) ------------------------------------------------

DTYPES = ("float32", "float64")
WORKERS = ("cpu", "jax", "jax-x64", "keras-numpy", "keras-torch", "keras-jax")


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of the results: a library on a backend, in one result dtype."""

    key: str
    library: str  # lrschedule, Keras 3, optax
    backend: str  # how it was evaluated, as the page shows it
    dtype: str  # the result dtype
    compute: str  # the dtype of the arithmetic
    worker: str


def _columns() -> list[Column]:
    cols = []
    ours = [
        ("python", "Python int", "cpu"),
        ("numpy", "NumPy", "cpu"),
        ("dask", "dask", "cpu"),
        ("strict", "array-api-strict", "cpu"),
        ("torch", "torch CPU", "cpu"),
        ("jax-x64", "JAX jit, x64 on", "jax-x64"),
    ]
    for name, label, worker in ours:
        for dtype in DTYPES:
            cols.append(Column(f"{name}/{dtype}", "lrschedule", label, dtype, "float64", worker))
    cols.append(
        Column("jax/float32", "lrschedule", "JAX jit, x64 off", "float32", "float32", "jax")
    )
    for backend in ("numpy", "torch", "jax"):
        cols.append(
            Column(
                f"keras-{backend}/float32",
                "Keras 3",
                backend,
                "float32",
                "float32",
                f"keras-{backend}",
            )
        )
    cols.append(Column("optax/float32", "optax", "jit, x64 off", "float32", "float32", "jax"))
    cols.append(
        Column("optax-x64/float32", "optax", "jit, x64 on, cast", "float32", "float64", "jax-x64")
    )
    cols.append(
        Column("optax-x64/float64", "optax", "jit, x64 on", "float64", "float64", "jax-x64")
    )
    return cols


COLUMNS = _columns()

# Keras 3's six schedules, with the arguments of the lrschedule case of the same id.
KERAS_CASES: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "exp": ("ExponentialDecay", (0.1, 1000, 0.96), {}),
    "exp-stair": ("ExponentialDecay", (0.1, 1000, 0.5), {"staircase": True}),
    "exp-float-T": ("ExponentialDecay", (2.5, 7.5, 0.9), {}),
    "inv": ("InverseTimeDecay", (0.1, 10, 0.5), {}),
    "inv-stair": ("InverseTimeDecay", (0.1, 100, 2.0), {"staircase": True}),
    "poly": ("PolynomialDecay", (0.1, 1000), {}),
    "poly-pow": ("PolynomialDecay", (0.1, 1000, 0.001), {"power": 2.5}),
    "poly-cycle": ("PolynomialDecay", (0.1, 100, 0.01), {"power": 0.5, "cycle": True}),
    "piecewise": ("PiecewiseConstantDecay", ([10, 100, 1000], [1.0, 0.5, 0.1, 0.01]), {}),
    "cos": ("CosineDecay", (0.1, 1000), {}),
    "cos-alpha": ("CosineDecay", (0.1, 1000), {"alpha": 0.1}),
    "cos-warmup": ("CosineDecay", (0.0, 1000), {"warmup_target": 0.1, "warmup_steps": 100}),
    "cos-warmup-alpha": (
        "CosineDecay",
        (0.01, 10_000),
        {"alpha": 0.05, "warmup_target": 1.0, "warmup_steps": 999},
    ),
    "sgdr": ("CosineDecayRestarts", (1.0, 10), {}),
    "sgdr-t1-m": ("CosineDecayRestarts", (0.1, 100), {"t_mul": 1.0, "m_mul": 0.9}),
    "sgdr-t1-49": ("CosineDecayRestarts", (1.0, 49), {"t_mul": 1.0}),
    "sgdr-t1.5-alpha": (
        "CosineDecayRestarts",
        (0.1, 64),
        {"t_mul": 1.5, "m_mul": 0.5, "alpha": 0.01},
    ),
}


def _sgdr_kwargs(peak: float, first: int, count: int) -> list[dict[str, float]]:
    """optax.sgdr_schedule's cycles for SGDR with t_mul=2 (cycle k lasts ``first * 2**k``)."""
    return [
        {
            "init_value": peak,
            "peak_value": peak,
            "warmup_steps": 0,
            "decay_steps": first * 2**k,
            "end_value": 0.0,
        }
        for k in range(count)
    ]


def optax_cases(optax: Any) -> dict[str, Any]:
    """optax's schedules for the lrschedule cases it can express, by case id.

    optax's piecewise boundaries switch at ``count >= boundary`` (Keras's at ``step > boundary``)
    and its values are products of scales; its warmup-cosine ``decay_steps`` include the warmup;
    SGDR is a finite list of cycles (28 of them reach past 2**31 for the 10-step first cycle).
    """
    o = optax
    return {
        "exp": o.exponential_decay(0.1, 1000, 0.96),
        "exp-stair": o.exponential_decay(0.1, 1000, 0.5, staircase=True),
        "exp-float-T": o.exponential_decay(2.5, 7.5, 0.9),  # type: ignore[arg-type]
        "exp-begin-floor": o.exponential_decay(0.1, 100, 0.5, transition_begin=250, end_value=0.01),
        "exp-growth-ceiling": o.exponential_decay(0.01, 10, 1.5, end_value=0.5),
        "poly": o.polynomial_schedule(0.1, 0.0001, 1, 1000),
        "poly-pow": o.polynomial_schedule(0.1, 0.001, 2.5, 1000),
        "poly-begin": o.polynomial_schedule(0.1, 0.001, 2.0, 500, 100),
        "piecewise": o.piecewise_constant_schedule(1.0, {11: 0.5, 101: 0.2, 1001: 0.1}),
        "piecewise-none": o.piecewise_constant_schedule(0.3),
        "cos": o.cosine_decay_schedule(0.1, 1000),
        "cos-alpha": o.cosine_decay_schedule(0.1, 1000, alpha=0.1),
        "cos-exponent": o.cosine_decay_schedule(0.1, 1000, alpha=0.1, exponent=2.0),
        "cos-warmup": o.warmup_cosine_decay_schedule(0.0, 0.1, 100, 1100, end_value=0.0),
        "cos-warmup-alpha": o.warmup_cosine_decay_schedule(0.01, 1.0, 999, 10_999, end_value=0.05),
        "constant": o.constant_schedule(0.25),
        "linear": o.linear_schedule(0.1, 0.001, 1000),
        "linear-begin": o.linear_schedule(0.0, 1.0, 300, 50),
        "linear-zero": o.linear_schedule(0.3, 1.0, 0),
        "interp-cosine": o.piecewise_interpolate_schedule(
            "cosine", 0.1, {0: 1.0, 500: 2.0, 1001: 0.1}
        ),
        "warmup-cos": o.warmup_cosine_decay_schedule(0.1, 1.0, 100, 1000, end_value=0.05),
        "sgdr": o.sgdr_schedule(_sgdr_kwargs(1.0, 10, 28)),
        "warmup-sgdr": o.join_schedules(
            [o.linear_schedule(0.0, 0.5, 1000), o.sgdr_schedule(_sgdr_kwargs(0.5, 64, 25))],
            [1000],
        ),
        "sequential": o.join_schedules(
            [
                o.linear_schedule(0.0, 1.0, 100),
                o.cosine_decay_schedule(1.0, 400),
                o.constant_schedule(0.01),
            ],
            [100, 500],
        ),
        "onecycle": None,  # optax's cosine_onecycle puts the peak at int(0.3 N), torch's at 0.3 N - 1
    }


def _to_numpy(x: Any) -> np.ndarray:
    """A result array as a float64 NumPy array (exactly: float32 and float64 convert exactly)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    elif hasattr(x, "compute"):
        x = x.compute()
    try:
        array = np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        array = np.from_dlpack(x)
    return array.astype(np.float64)


def _dtype_name(x: Any) -> str:
    return str(getattr(x, "dtype", type(x).__name__)).rsplit(".", 1)[-1]  # torch.float32, ...


Values = dict[tuple[str, str, str], np.ndarray]  # (column key, case id, step dtype) -> values


def _record(
    values: Values,
    errors: dict[str, str],
    key: tuple[str, str, str],
    compute: Callable[[], Any],
    dtype: str,
) -> None:
    """Store ``compute()`` under ``key``, or the exception's text in ``errors``."""
    try:
        result = compute()
        got = _dtype_name(result)
        if got != dtype:
            raise TypeError(f"result dtype {got}, expected {dtype}")
        values[key] = _to_numpy(result)
    except Exception as exc:  # a backend's failure is a result of the benchmark, not a crash
        errors["|".join(key)] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


def worker(name: str, out: pathlib.Path, quick: bool) -> None:
    """Evaluate the cases on worker ``name``'s backends; pickle the values to ``out``."""
    all_cases = cases()
    steps = grid(all_cases, quick)
    values: Values = {}
    errors: dict[str, str] = {}
    modules = ["lrschedule", "numpy"]
    if name == "cpu":
        modules += ["torch", "dask", "array_api_strict"]
        _cpu(all_cases, steps, values, errors)
    elif name in ("jax", "jax-x64"):
        modules += ["jax", "optax"]
        _jax(all_cases, steps, values, errors, x64=name == "jax-x64")
    else:
        modules += ["keras", name.removeprefix("keras-")]
        _keras(name.removeprefix("keras-"), steps, values, errors)
    info = {"versions": common.versions(*modules), "values": values, "errors": errors}
    out.write_bytes(pickle.dumps(info))


def _with_dtype(schedule: Any, dtype: str) -> Any:
    return dataclasses.replace(schedule, dtype=dtype)


def _cpu(all_cases: list[Case], steps: np.ndarray, values: Values, errors: dict[str, str]) -> None:
    makers: dict[str, Callable[[np.ndarray], Any]] = {"numpy": lambda s: s}
    for backend, module in (
        ("dask", "dask.array"),
        ("strict", "array_api_strict"),
        ("torch", "torch"),
    ):
        try:
            lib = importlib.import_module(module)
        except ImportError as exc:  # a backend that is not installed is reported, not fatal
            errors[f"{backend}/*"] = f"not installed: {exc}"
            continue
        if backend == "dask":
            makers[backend] = lambda s, lib=lib: lib.from_array(s, chunks=1024)
        elif backend == "strict":
            makers[backend] = lib.asarray
        else:
            makers[backend] = lib.from_numpy
    for case in all_cases:
        for dtype in DTYPES:
            schedule = _with_dtype(case.schedule, dtype)
            # The Python-int fast path, one call per step.
            _record(
                values,
                errors,
                (f"python/{dtype}", case.id, "int"),
                lambda schedule=schedule, dtype=dtype: np.asarray(
                    [schedule(step) for step in steps.tolist()], dtype=dtype
                ),
                dtype,
            )
            for backend, make in makers.items():
                for step_dtype in ("int64", "int32"):
                    array = make(steps.astype(step_dtype))
                    _record(
                        values,
                        errors,
                        (f"{backend}/{dtype}", case.id, step_dtype),
                        lambda schedule=schedule, array=array: schedule(array),
                        dtype,
                    )


def _jax(
    all_cases: list[Case], steps: np.ndarray, values: Values, errors: dict[str, str], x64: bool
) -> None:
    import jax

    jax.config.update("jax_enable_x64", x64)
    import jax.numpy as jnp
    import optax

    ours = "jax-x64" if x64 else "jax"
    step_dtypes = ("int64", "int32") if x64 else ("int32",)
    arrays = {d: jnp.asarray(steps.astype(d)) for d in step_dtypes}
    for case in all_cases:
        for dtype in DTYPES if x64 else ("float32",):
            schedule = _with_dtype(case.schedule, dtype)
            fn = jax.jit(lambda s, schedule=schedule: schedule(s))
            for step_dtype, array in arrays.items():
                _record(
                    values,
                    errors,
                    (f"{ours}/{dtype}", case.id, step_dtype),
                    lambda fn=fn, array=array: fn(array),
                    dtype,
                )
    peer = "optax-x64" if x64 else "optax"
    count = arrays[step_dtypes[0]]
    for case_id, schedule in optax_cases(optax).items():
        if schedule is None:
            continue
        fn = jax.jit(jax.vmap(schedule))
        dtype = "float64" if x64 else "float32"
        key = (f"{peer}/{dtype}", case_id, step_dtypes[0])
        _record(values, errors, key, lambda fn=fn: fn(count), dtype)
        if x64 and key in values:
            values[(f"{peer}/float32", case_id, step_dtypes[0])] = (
                values[key].astype(np.float32).astype(np.float64)
            )


def _keras(backend: str, steps: np.ndarray, values: Values, errors: dict[str, str]) -> None:
    from keras.optimizers import schedules

    call: Callable[[Any], Any]
    if backend == "jax":  # Keras's schedules take a scalar step: vmap them (lax.cond -> select)
        import jax
        import jax.numpy as jnp

        array = jnp.asarray(steps.astype(np.int32))

        def call(schedule: Any) -> Any:
            return jax.jit(jax.vmap(schedule))(array)

    elif backend == "torch":
        import torch

        def call(schedule: Any) -> Any:
            out = [schedule(torch.tensor(step)) for step in steps.tolist()]
            return torch.stack([torch.as_tensor(v) for v in out])

    else:

        def call(schedule: Any) -> Any:
            return np.stack([np.asarray(schedule(step)) for step in steps])

    for case_id, (cls, args, kwargs) in KERAS_CASES.items():
        schedule = getattr(schedules, cls)(*args, **kwargs)
        step_dtype = "int32" if backend == "jax" else "int64"
        _record(
            values,
            errors,
            (f"keras-{backend}/float32", case_id, step_dtype),
            lambda schedule=schedule: call(schedule),
            "float32",
        )


def _run_worker(name: str, out: pathlib.Path, quick: bool) -> str:
    """Run a worker in a fresh interpreter; '' on success, else the tail of its stderr."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if name.startswith("keras-"):
        env["KERAS_BACKEND"] = name.removeprefix("keras-")
    if name.startswith(("jax", "keras-jax")):
        env["JAX_PLATFORMS"] = "cpu"
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", name, str(out)]
    if quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or ["?"])[-1][:300]
    return ""


# -- the metric ------------------------------------------------------------------------------------


def ulp_errors(
    values: np.ndarray, hi: np.ndarray, lo: np.ndarray, dtype: str, peak: float
) -> tuple[np.ndarray, np.ndarray]:
    """Errors in ulps of the exact value in ``dtype``, and in ulps of the schedule's peak.

    ``values`` are the results converted exactly to float64; ``hi + lo`` is the exact value. Where
    the exact value is below the smallest normal number of ``dtype`` (0, or subnormal), the unit
    is that smallest normal instead of a subnormal ulp: flushing a subnormal to zero (XLA on CPU
    does) then counts at most 1, and a nonzero result where the exact value is 0 counts its size
    relative to the smallest normal.
    """
    kind = np.dtype(dtype).type
    tiny = float(np.finfo(kind).smallest_normal)
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = hi.astype(kind)
        unit = np.spacing(np.abs(rounded)).astype(np.float64)
        unit = np.where(np.abs(hi) < tiny, tiny, unit)
        peak_unit = float(np.spacing(kind(peak))) if peak > 0 else tiny
        diff = np.abs((values - hi) - lo)
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN where the exact value is finite
    return diff / unit, diff / peak_unit


def _cell(
    per_step_dtype: dict[str, np.ndarray],
    steps: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
    dtype: str,
    peak: float,
) -> dict[str, Any]:
    """The worst error of one case in one column, over the step dtypes evaluated."""
    worst: dict[str, Any] = {}
    by_step_dtype = {}
    below = steps <= F32_STEPS
    for step_dtype, values in per_step_dtype.items():
        ulps, peak_ulps = ulp_errors(values, hi, lo, dtype, peak)
        i = int(np.argmax(ulps))
        by_step_dtype[step_dtype] = float(ulps[i])
        if not worst or ulps[i] > worst["max_ulp"]:
            worst = {
                "max_ulp": float(ulps[i]),
                "step": int(steps[i]),
                "step_dtype": step_dtype,
                "value": float(values[i]),
                "exact": float(hi[i]),
                "max_ulp_to_2_24": float(np.max(ulps[below])),
                "max_peak_ulp": float(np.max(peak_ulps)),
            }
        else:
            worst["max_ulp_to_2_24"] = max(worst["max_ulp_to_2_24"], float(np.max(ulps[below])))
            worst["max_peak_ulp"] = max(worst["max_peak_ulp"], float(np.max(peak_ulps)))
    worst["by_step_dtype"] = by_step_dtype
    return worst


# The plot's data: per-step errors of a few columns for two cases (field: "max_ulp" or
# "max_peak_ulp"; steps up to a limit).
TRACES: dict[str, tuple[str, int, list[str]]] = {
    "cos": (
        "max_ulp",
        1100,
        ["numpy/float32", "jax/float32", "keras-numpy/float32", "optax/float32"],
    ),
    "sgdr": (
        "max_peak_ulp",
        TOP,
        ["numpy/float32", "jax/float32", "keras-jax/float32", "optax/float32"],
    ),
}


def _traces(
    all_cases: list[Case],
    steps: np.ndarray,
    exact: dict[str, tuple[np.ndarray, np.ndarray]],
    values: Values,
) -> dict[str, Any]:
    """Per-step errors (4 significant digits) of the columns in TRACES, for the plot."""
    out: dict[str, Any] = {}
    by_id = {case.id: case for case in all_cases}
    for case_id, (field, limit, keys) in TRACES.items():
        if case_id not in by_id:
            continue
        hi, lo = exact[case_id]
        peak = float(np.max(np.abs(hi)))
        keep = steps <= limit
        series = {}
        for key in keys:
            found = [v for (k, c, _), v in sorted(values.items()) if k == key and c == case_id]
            if not found:
                continue
            ulps, peak_ulps = ulp_errors(found[0], hi, lo, key.split("/")[1], peak)
            chosen = ulps if field == "max_ulp" else peak_ulps
            series[key] = [_json_float(float(f"{x:.4g}")) for x in chosen[keep].tolist()]
        out[case_id] = {"field": field, "steps": steps[keep].tolist(), "series": series}
    return out


def _json_float(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def run(quick: bool) -> dict[str, Any]:
    """Evaluate everything, compare with the references; JSON-serializable results."""
    started = time.perf_counter()
    all_cases = cases()
    steps = grid(all_cases, quick)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="lrschedule-accuracy-"))
    outputs = {name: tmp / f"{name}.pkl" for name in WORKERS}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(_run_worker, name, path, quick) for name, path in outputs.items()
        }
        ref_started = time.perf_counter()
        exact = {case.id: exact_values(case, steps) for case in all_cases}
        ref_seconds = time.perf_counter() - ref_started
        failures = {name: future.result() for name, future in futures.items()}
    values: Values = {}
    errors: dict[str, str] = {}
    versions: dict[str, str] = {"mpmath": mpmath.__version__}
    for name, path in outputs.items():
        if failures[name] or not path.exists():
            errors[f"worker {name}"] = failures[name] or "no output"
            continue
        info = pickle.loads(path.read_bytes())
        values.update(info["values"])
        errors.update(info["errors"])
        versions.update(info["versions"])
        path.unlink()
    shutil.rmtree(tmp, ignore_errors=True)

    cells: dict[str, dict[str, Any]] = {}
    case_info = []
    for case in all_cases:
        hi, lo = exact[case.id]
        peak = float(np.max(np.abs(hi)))
        case_info.append(
            {
                "id": case.id,
                "class": type(case.schedule).__name__,
                "repr": repr(case.schedule),
                "peak": peak,
            }
        )
        row: dict[str, Any] = {}
        for column in COLUMNS:
            found = {
                step_dtype: array
                for (key, case_id, step_dtype), array in values.items()
                if key == column.key and case_id == case.id
            }
            if found:
                cell = _cell(found, steps, hi, lo, column.dtype, peak)
                row[column.key] = {
                    k: (_json_float(v) if isinstance(v, float) else v) for k, v in cell.items()
                }
        cells[case.id] = row
    traces = _traces(all_cases, steps, exact, values)
    return {
        "title": TITLE,
        "quick": quick,
        "digits": DIGITS,
        "grid": {
            "points": int(steps.size),
            "max": int(steps.max()),
            "below_2_24": int(np.sum(steps <= F32_STEPS)),
        },
        "classes": schedule_classes(),
        "cases": case_info,
        "columns": [dataclasses.asdict(c) for c in COLUMNS],
        "cells": cells,
        "traces": traces,
        "errors": errors,
        "versions": versions,
        "reference_seconds": round(ref_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


# -- the page --------------------------------------------------------------------------------------


def _num(x: Any) -> float:
    return float(x)


def fmt_ulp(x: float | str | None) -> str:
    """An error in ulps, compact: 0.50, 1.2, 37, 4.1e+05, inf."""
    if x is None:
        return ""
    x = _num(x)
    if not math.isfinite(x):
        return "inf" if x > 0 else "nan"
    if x == 0:
        return "0"
    if x < 0.01:
        return "<0.01"
    if x < 10:
        return f"{x:.2g}"
    if x < 10_000:
        return f"{x:.0f}"
    return f"{x:.1e}".replace("e+0", "e").replace("e+", "e")


GROUPS: list[tuple[str, str, list[str]]] = [
    # (header, library, column keys shown as "float32 / float64" in one cell)
    ("Python int", "lrschedule", ["python/float32", "python/float64"]),
    ("NumPy", "lrschedule", ["numpy/float32", "numpy/float64"]),
    ("dask", "lrschedule", ["dask/float32", "dask/float64"]),
    ("strict", "lrschedule", ["strict/float32", "strict/float64"]),
    ("torch", "lrschedule", ["torch/float32", "torch/float64"]),
    ("JAX x64", "lrschedule", ["jax-x64/float32", "jax-x64/float64"]),
    ("JAX f32", "lrschedule", ["jax/float32"]),
    ("Keras numpy", "Keras 3", ["keras-numpy/float32"]),
    ("Keras torch", "Keras 3", ["keras-torch/float32"]),
    ("Keras jax", "Keras 3", ["keras-jax/float32"]),
    ("optax f32", "optax", ["optax/float32"]),
    ("optax x64", "optax", ["optax-x64/float32", "optax-x64/float64"]),
]


def _cell_text(row: dict[str, Any], keys: list[str], field: str = "max_ulp") -> str:
    parts = [fmt_ulp(row[k][field]) if k in row else "-" for k in keys]
    return "" if all(p == "-" for p in parts) else " / ".join(parts)


def _worst(
    results: dict[str, Any], keys: Iterable[str], field: str = "max_ulp"
) -> tuple[float, str, str]:
    """The largest ``field`` over the given columns and every case: (value, case id, column key)."""
    best = (-1.0, "", "")
    for case_id, row in results["cells"].items():
        for key in keys:
            if key in row and _num(row[key][field]) > best[0]:
                best = (_num(row[key][field]), case_id, key)
    return best


OURS_F64_COMPUTE = [
    f"{b}/{d}" for b in ("python", "numpy", "dask", "strict", "torch", "jax-x64") for d in DTYPES
]


def summary(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) rows for the page's summary."""
    rows: list[tuple[str, str, bool | None]] = []
    f32 = [k for k in OURS_F64_COMPUTE if k.endswith("float32")]
    worst, case_id, key = _worst(results, f32)
    rows.append(
        (
            f"float32 results within {GOAL_F32:g} ulp on float64-compute backends (lrschedule)",
            f"max {fmt_ulp(worst)} ulp ({case_id}, {key})",
            worst <= GOAL_F32,
        )
    )
    f64 = [k for k in OURS_F64_COMPUTE if k.endswith("float64")]
    worst, case_id, key = _worst(results, f64)
    rows.append(
        (
            "float64 results, largest error (no goal set)",
            f"{fmt_ulp(worst)} ulp ({case_id}, {key})",
            None,
        )
    )
    for peer, ours_key, peer_keys in (
        (
            "Keras 3",
            "numpy/float32",
            ["keras-numpy/float32", "keras-torch/float32", "keras-jax/float32"],
        ),
        ("optax (x64 off)", "jax/float32", ["optax/float32"]),
        ("optax (x64 on)", "jax-x64/float64", ["optax-x64/float64"]),
    ):
        worse = []
        shared = 0
        for case_id, row in results["cells"].items():
            for pk in peer_keys:
                if pk in row and ours_key in row:
                    shared += 1
                    theirs = _num(row[pk]["max_ulp"])
                    if _num(row[ours_key]["max_ulp"]) > max(theirs + 1.0, 1.1 * theirs):
                        worse.append(f"{case_id} vs {pk.split('/')[0]}")
        rows.append(
            (
                f"lrschedule ({ours_key}) no worse than {peer} (by 1 ulp or 10% at most) on "
                "every shared schedule",
                f"{shared - len(worse)} of {shared}"
                + (f"; worse: {', '.join(worse)}" if worse else ""),
                not worse if shared else None,
            )
        )
    return rows


def render(results: dict[str, Any], assets: pathlib.Path) -> str:
    """The section's markdown; the plot goes to ``assets``/accuracy-traces.png."""
    plotted = _plot(results, assets / "accuracy-traces.png") if results.get("traces") else False
    grid_info = results["grid"]
    columns = {c["key"]: c for c in results["columns"]}
    out = [f"## {TITLE}", ""]
    out.append(
        f"Largest error of each schedule against an exact reference (mpmath, {results['digits']} "
        f"digits), over {grid_info['points']:,} steps from 0 to 2**31 - 1 = {grid_info['max']:,}: "
        "every step to 256, log-spaced steps, powers of 2 and 10 and their neighbours, and two "
        "steps either side of every phase boundary and period edge (for periodic schedules, "
        "near 24 magnitudes up to 2**31). The error is |value - exact| / ulp(exact rounded to "
        "the result dtype), so a correctly rounded result errs by at most 0.5. Below the "
        "dtype's smallest normal number (an exact 0, or a subnormal) the unit is that smallest "
        "normal instead, so flushing a subnormal to zero (XLA on CPU does) counts at most 1. A "
        "NaN where the exact value is finite counts as inf. Each cell is the maximum over the "
        "grid and over int64 and int32 steps (where the backend has both), as "
        "`float32 / float64`."
    )
    out.append("")
    out.append(
        "lrschedule computes in float64 on every backend that has it and rounds to the requested "
        "`dtype=`. *Python int* is one call per step through the scalar fast path (a NumPy "
        "scalar back). *JAX f32* is JAX with x64 off: the steps are int32 and the arithmetic "
        "float32, so steps above 2**24 are rounded before the formula sees them, as in Keras 3 "
        "(float32 arithmetic on every backend) and optax with x64 off. optax with x64 on computes "
        "in float64 (its float32 column is that result cast). All runs under `jax.jit`; Keras's "
        "and optax's schedules take scalar steps, so the JAX ones are `jax.jit(jax.vmap(...))`."
    )
    out.append("")
    header = ["case", "class"] + [g[0] for g in GROUPS]
    rows = []
    classes = {c["id"]: c["class"] for c in results["cases"]}
    for case_id, row in results["cells"].items():
        rows.append(
            [f"`{case_id}`", classes[case_id]] + [_cell_text(row, keys) for _, _, keys in GROUPS]
        )
    out.append(common.table(header, rows, right=set(range(2, len(header)))))
    out.append("")
    if plotted:
        out.append(
            "![Errors per step: CosineDecay(0.1, 1000) in float32 in ulps, and SGDR "
            "(CosineDecayRestarts(1.0, 10)) in float32 in ulps of its peak, for lrschedule, Keras 3 "
            "and optax](img/accuracy-traces.png)"
        )
        out.append("")
        out.append(
            "Left: near the end of a cosine decay the rate approaches 0, and the textbook "
            "`(1 + cos(pi t / T)) / 2` in float32 loses most of its digits to cancellation there. "
            "Right: in float32 arithmetic (JAX with x64 off, Keras 3, optax with x64 off) a step "
            "above 2**24 (dashed) rounds to the nearest float32, a multiple of 2**(k - 23) between "
            "2**k and 2**(k + 1) (128 near 2**30), so a restart located from the float step can "
            "land up to half that many steps early or late, where the rate is off by up to its "
            "peak (2**23 ulps of it); optax's SGDR is a join of schedules at integer boundaries, "
            "compared in integer arithmetic."
        )
        out.append("")
    out.append(
        "<details><summary>The same errors in ulps of each schedule's peak (the largest exact "
        "value on the grid): what an optimizer step feels. An error far below 1 here is "
        "invisible in training, whatever its size in ulps of a tiny value.</summary>"
    )
    out.append("")
    rows = []
    for case_id, row in results["cells"].items():
        rows.append(
            [f"`{case_id}`"] + [_cell_text(row, keys, "max_peak_ulp") for _, _, keys in GROUPS]
        )
    out.append(common.table(["case"] + [g[0] for g in GROUPS], rows))
    out.append("")
    out.append("</details>")
    out.append("")
    out.append(
        "Keras 3 and optax are evaluated with their own constructors for the same schedule "
        "(`benchmarks/accuracy.py` lists them); an empty cell is a schedule the library lacks "
        "(optax: no inverse-time, cyclic polynomial or constant-period SGDR; its one-cycle "
        "places the peak at int(0.3 N) where torch's, which lrschedule follows, is at 0.3 N - 1). "
        "optax's piecewise values are products of its scales (1, 0.5, 0.2, 0.1 for 1, 0.5, 0.1, "
        "0.01), compared with the same exact values."
    )
    out.append("")
    below = []
    for header_text, _, keys in GROUPS:
        f32 = [k for k in keys if columns[k]["compute"] == "float32"]
        for key in f32:
            worst, case_id, _ = _worst(results, [key], "max_ulp_to_2_24")
            below.append(f"{header_text} {fmt_ulp(worst)} ({case_id})")
    out.append(
        f"Up to 2**24 (the {grid_info['below_2_24']:,} steps float32 represents exactly), the "
        "largest errors of the float32-compute columns are: " + "; ".join(below) + "."
    )
    out.append("")
    out.append("Where each column errs most (step, value, exact):")
    out.append("")
    for header_text, library, keys in GROUPS:
        for key in keys:
            worst, case_id, _ = _worst(results, [key])
            if case_id == "":
                continue
            cell = results["cells"][case_id][key]
            out.append(
                f"- {library} {header_text} {columns[key]['dtype']}: {fmt_ulp(worst)} ulp on "
                f"`{case_id}` at step {cell['step']:,} ({cell['step_dtype']}): "
                f"{_num(cell['value']):.9g} for {_num(cell['exact']):.17g}; "
                f"at most {fmt_ulp(cell['max_peak_ulp'])} ulp of the peak"
            )
    if results["errors"]:
        out.append("")
        out.append("Failed evaluations (not in the table):")
        out.append("")
        for key, message in sorted(results["errors"].items()):
            out.append(f"- `{key}`: {message}")
    out.append("")
    versions = ", ".join(f"{k} {v}" for k, v in sorted(results["versions"].items()))
    out.append(
        f"Versions: {versions}. Covered classes: {', '.join(results['classes'])}. Run time "
        f"{results['seconds']:.0f} s (references {results['reference_seconds']:.0f} s)."
    )
    return "\n".join(out) + "\n"


LABELS = {
    "numpy/float32": "lrschedule, NumPy (float64 arithmetic)",
    "jax/float32": "lrschedule, JAX x64 off",
    "keras-numpy/float32": "Keras 3, numpy",
    "keras-jax/float32": "Keras 3, jax",
    "optax/float32": "optax, x64 off",
}


def _plot(results: dict[str, Any], path: pathlib.Path) -> bool:
    """The two trace panels, saved to ``path``; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    traces = results["traces"]
    fig, axes = plt.subplots(1, len(traces), figsize=(6 * len(traces), 4.2))
    reprs = {c["id"]: c["repr"] for c in results["cases"]}
    styles = [("o", 5, "none"), ("x", 4, None), ("+", 6, None), (".", 3, None)]
    for ax, (case_id, trace) in zip(np.atleast_1d(axes), traces.items(), strict=True):
        for (key, ys), (marker, size, face) in zip(trace["series"].items(), styles, strict=False):
            y = np.maximum(np.asarray([_num(v) for v in ys]), 1e-3)
            ax.plot(
                trace["steps"],
                y,
                marker,
                ms=size,
                mfc=face,
                mew=0.8,
                ls="none",
                label=LABELS.get(key, key),
                alpha=0.8,
            )
        ax.set_yscale("log")
        unit = "ulp" if trace["field"] == "max_ulp" else "ulp of the peak"
        ax.set_ylabel(f"float32 error ({unit}; floor 1e-3)")
        if case_id == "sgdr":
            ax.set_xscale("log")
            ax.axvline(F32_STEPS, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("step")
        ax.set_title(f"{reprs.get(case_id, case_id)}, float32", fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """``python benchmarks/accuracy.py [--quick]``: run and print the markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument("--worker", nargs=2, metavar=("NAME", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        try:
            worker(args.worker[0], pathlib.Path(args.worker[1]), args.quick)
        except Exception:
            traceback.print_exc()
            raise SystemExit(1) from None
        return
    print(render(run(args.quick), common.ASSETS))


if __name__ == "__main__":
    main()
