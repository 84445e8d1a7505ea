"""The compiled kernel (``lrschedule._kernel``) against the NumPy path, through the host compiler.

The GPU kernel's formula function is C that the host compiler also builds: here every schedule's
generated code runs on the CPU over many steps (every registered class through the edge cases of
``test_edges.py``, the fuzzed schedules of ``test_fuzz.py``, every step dtype and result dtype) and
is compared with ``schedule(numpy_steps)``: float32 results identical in at least 99.9% of steps
and within 1 ulp everywhere, float64 within 4 ulp (only the math library's transcendental
functions may differ from NumPy's). The CUDA source itself is compiled as C++ with a few lines
standing in for the CUDA built-ins, and its grid-stride loop run as several blocks.

The GPU launches (CuPy, torch CUDA) run in the ``cupy`` and ``torch-cuda`` backends of the rest of
the suite, where every call of a schedule on a GPU array goes through the kernel.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import types
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import lrschedule
from lrschedule import LearningRateSchedule, _kernel, _trace
from test_edges import EDGES, Edge
from test_fuzz import EXTREME_CASES, valid_schedules

L = lrschedule

pytestmark = pytest.mark.skipif(_kernel.c_compiler() is None, reason="no C compiler")

RNG = np.random.default_rng(20261204)
INT_STEPS = np.unique(
    np.concatenate(
        [
            np.arange(0, 20_001),
            np.round(np.logspace(0, 62.9, 3000, base=2.0)).astype(np.int64),
            RNG.integers(0, 2**40, 3000),
            RNG.integers(0, 2**63 - 1, 500, dtype=np.int64),
            np.asarray([2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, -1, -7, -(2**63)], np.int64),
        ]
    )
)
FLOAT_STEPS = np.concatenate(
    [
        np.arange(0.0, 3000.0, 0.37),
        RNG.uniform(0.0, 1e7, 2000),
        2.0 ** RNG.uniform(0.0, 1020.0, 500),
        [np.nan, np.inf, -np.inf, -0.0, 0.5, 1.5, 2.5, -2.5, 5e-324, 1e300, 1.7976931348623157e308],
    ]
)


# -- comparing results --------------------------------------------------------------------------


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distance in units in the last place between float arrays of one dtype (0 where both
    are NaN or both zero, inf where one only is NaN), counted on the bit patterns as integers
    (a float64 copy of a float64's 64 bits would round them to 2**53, in steps of 512 ulp)."""
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    low = np.iinfo(bits).min

    def ordered(x: np.ndarray) -> np.ndarray:
        i = x.view(bits).astype(np.int64)
        return np.where(i < 0, np.int64(low) - i, i)  # monotone: -0.0 and 0.0 are both 0

    nan_a, nan_b = np.isnan(a), np.isnan(b)
    oa, ob = ordered(a), ordered(b)
    rough = np.abs(oa.astype(np.float64) - ob.astype(np.float64))
    with np.errstate(over="ignore"):
        exact = np.abs(oa - ob).astype(np.float64)  # wraps only where rough is huge
    distance = np.where(rough < 2.0**52, exact, rough)
    distance = np.where(nan_a | nan_b, np.inf, distance)
    return np.where(nan_a & nan_b, 0.0, distance)


def numpy_path(schedule: LearningRateSchedule, steps: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # inf - inf at an infinite step: NaN, as the kernel
        return np.asarray(schedule(steps))


def with_dtype(schedule: LearningRateSchedule, dtype: str) -> LearningRateSchedule:
    return type(schedule).from_config({**schedule.get_config(), "dtype": dtype})


def kernel_values(
    schedule: LearningRateSchedule, steps: np.ndarray, result: str = "float64"
) -> np.ndarray:
    kernel = _kernel.cpu_kernel(schedule._evaluate, steps.dtype.name, result)
    assert kernel is not None, f"{schedule!r} does not trace"
    return kernel(steps)


def check(schedule: LearningRateSchedule, steps: np.ndarray) -> dict[str, float]:
    """The kernel against the NumPy path at ``steps``, in float64 and float32; returns the
    measured agreement."""
    schedule = with_dtype(schedule, "float64")  # whatever the schedule was made with
    kernel, numpy = kernel_values(schedule, steps), numpy_path(schedule, steps)
    wide = ulps(kernel, numpy)
    far = wide > 4
    if far.any():
        # Where the formula is ill-conditioned (late in a long restart period, a 1-ulp difference
        # between the C library's pow and NumPy's moves the phase by as much as a 1-ulp change of
        # the step), the kernel must lie within the NumPy path's values at the step's float
        # neighbours, give or take 4 ulp.
        wide_steps = steps[far].astype(np.float64)
        around = np.stack(
            [numpy[far]]
            + [numpy_path(schedule, np.nextafter(wide_steps, to)) for to in (-np.inf, np.inf)]
        )
        nearest = np.clip(kernel[far], around.min(axis=0), around.max(axis=0))
        off = ulps(kernel[far], nearest)
        assert off.max() <= 4, (schedule, steps[far][np.argmax(off)], off.max())
        wide[far] = off
    single = with_dtype(schedule, "float32")
    narrow = ulps(kernel_values(single, steps, "float32"), numpy_path(single, steps))
    assert narrow.max() <= 1, (schedule, steps[np.argmax(narrow)], narrow.max())
    identical = float(np.mean(narrow == 0))
    assert identical >= 0.999, (schedule, identical)
    return {"float64": float(wide.max()), "float32": float(narrow.max()), "same32": identical}


# -- every registered class, at the edge cases --------------------------------------------------

MEASURED: dict[str, dict[str, float]] = {}


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_edge_cases_match_the_numpy_path(edge: Edge) -> None:
    MEASURED[edge.id + "-int64"] = check(edge.schedule, INT_STEPS)
    MEASURED[edge.id + "-float64"] = check(edge.schedule, FLOAT_STEPS)


def test_every_registered_class_is_compiled() -> None:
    builtin = {
        name
        for name, cls in L.registered().items()
        if cls.__module__.startswith("lrschedule.schedules.")
    }
    compiled = {type(edge.schedule).__name__ for edge in EDGES}
    assert builtin <= compiled
    for edge in EDGES:
        assert _kernel.cpu_kernel(edge.schedule._evaluate, "int64", "float64") is not None


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(case.values[0], id=case.id)
        for case in EXTREME_CASES
        if case.values[2] is not None
    ],
)
def test_extreme_hyperparameters_match_the_numpy_path(
    make: Callable[[], LearningRateSchedule],
) -> None:
    check(make(), INT_STEPS)
    check(make(), FLOAT_STEPS)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(valid_schedules())
def test_fuzzed_schedules_match_the_numpy_path(schedule: LearningRateSchedule) -> None:
    check(schedule, INT_STEPS[::7])
    check(schedule, FLOAT_STEPS[::3])


# -- every step dtype and result dtype ----------------------------------------------------------

SOME = [edge for edge in EDGES if edge.id in ("exp", "sgdr-m", "piecewise", "warmup", "cyclic")]


@pytest.mark.parametrize("edge", SOME, ids=[edge.id for edge in SOME])
@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "uint8", "uint16", "uint32", "uint64", "float32"]
)
def test_step_dtypes(edge: Edge, dtype: str) -> None:
    info = np.iinfo(dtype) if dtype[0] in "iu" else np.finfo(dtype)
    values = np.concatenate([INT_STEPS[INT_STEPS >= 0], FLOAT_STEPS])
    with np.errstate(all="ignore"):
        steps = values[(values >= float(info.min)) & (values <= float(info.max))].astype(dtype)
    steps = np.concatenate([steps, np.asarray([info.min, info.max], dtype=dtype)])
    check(edge.schedule, steps)


HALF_BITS = np.arange(2**16, dtype=np.uint32).astype(np.uint16)


def bfloat16_values(bits: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):  # signalling NaNs, made quiet
        return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def half_values(bits: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "float16":
        return bits.view(np.float16).astype(np.float64)
    return bfloat16_values(bits)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_steps_every_value(dtype: str) -> None:
    """Every float16 and bfloat16 number, read as a step: exactly its value (below 0: 0)."""
    schedule = Scaled(1.0)
    kernel = _kernel.cpu_kernel(schedule._evaluate, dtype, "float64")
    assert kernel is not None
    got = kernel(HALF_BITS)
    with np.errstate(invalid="ignore"):
        expected = np.maximum(half_values(HALF_BITS, dtype), 0.0)
    assert np.array_equal(got, expected, equal_nan=True)
    edge = next(edge for edge in EDGES if edge.id == "warmup")
    compiled = _kernel.cpu_kernel(edge.schedule._evaluate, dtype, "float64")
    assert compiled is not None
    assert ulps(compiled(HALF_BITS), numpy_path(edge.schedule, expected)).max() <= 4


def round_small(values: np.ndarray, mantissa: int, exponent: int) -> np.ndarray:
    """``values`` (float64) rounded once to the nearest number of ``mantissa`` and ``exponent``
    bits, ties to even, as float64: the reference for float16 and bfloat16 results."""
    bias = 2 ** (exponent - 1) - 1
    magnitude = np.abs(values)
    _, power = np.frexp(magnitude)  # magnitude in [2**(power-1), 2**power)
    quantum = np.maximum(power - 1 - mantissa, 1 - bias - mantissa)
    with np.errstate(invalid="ignore", over="ignore"):
        rounded = np.ldexp(np.rint(np.ldexp(magnitude, -quantum)), quantum)
        largest = (2.0 - 2.0**-mantissa) * 2.0**bias
        rounded = np.where(rounded > largest, np.inf, rounded)
    return np.where(np.isnan(values), np.nan, np.copysign(rounded, values))


def near_midpoints(dtype: str) -> np.ndarray:
    """float64 values at and next to every midpoint between neighbouring numbers of ``dtype``
    (where a second rounding goes wrong), beyond the largest, subnormals, zeros, inf and NaN."""
    low = half_values(HALF_BITS, dtype)
    low = np.sort(low[np.isfinite(low)])
    middle = (low[:-1] + low[1:]) / 2  # exact in float64
    out = [middle, np.nextafter(middle, np.inf), np.nextafter(middle, -np.inf), low]
    largest = low[-1]
    out.append(np.asarray([largest * (1 + 2.0**-9), largest * 2, 1e300, np.inf, -np.inf, np.nan]))
    out.append(np.asarray([0.0, -0.0, 5e-324, -5e-324, 2.0**-140, 1 + 2.0**-11 + 2.0**-40]))
    return np.concatenate(out)


@pytest.mark.parametrize(
    ("dtype", "mantissa", "exponent"), [("float16", 10, 5), ("bfloat16", 7, 8)]
)
def test_half_precision_results_are_correctly_rounded(
    dtype: str, mantissa: int, exponent: int
) -> None:
    values = near_midpoints(dtype)
    for schedule in (Scaled(1.0), Scaled(-1.0)):
        steps = np.abs(values)  # the formula gives the sign
        bits = kernel_values(schedule, steps, dtype)
        expected = round_small(schedule.scale * steps, mantissa, exponent)
        assert np.array_equal(half_values(bits, dtype), expected, equal_nan=True)
        if dtype == "float16":  # NumPy's own cast rounds once too
            with np.errstate(all="ignore"):
                numpy_half = (schedule.scale * steps).astype(np.float16)
            number = ~np.isnan(numpy_half)  # a NaN's sign bit is no one's concern
            assert np.array_equal(bits[number], numpy_half.view(np.uint16)[number])


@pytest.mark.parametrize("edge", SOME, ids=[edge.id for edge in SOME])
def test_half_precision_results_of_schedules(edge: Edge) -> None:
    wide = numpy_path(edge.schedule, INT_STEPS)
    bits = kernel_values(edge.schedule, INT_STEPS, "float16")
    numpy_half = numpy_path(with_dtype(edge.schedule, "float16"), INT_STEPS)
    assert ulps(bits.view(np.float16), numpy_half).max() <= 1
    assert np.mean(bits == numpy_half.view(np.uint16)) >= 0.999
    bits = kernel_values(edge.schedule, INT_STEPS, "bfloat16")
    single = half_values(bits, "bfloat16").astype(np.float32)
    reference = round_small(wide, 7, 8).astype(np.float32)  # exact: bfloat16 values
    distance = ulps(single, reference) / 2**16  # a bfloat16 ulp is 2**16 float32 ulps
    assert distance.max() <= 1
    assert np.mean(distance == 0) >= 0.999


# -- the operations, one by one -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Custom(LearningRateSchedule):
    """A user's schedule, as the docs declare one (not registered)."""

    dtype: str | None = dataclasses.field(default=None, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Scaled(Custom):
    """The step times ``scale``: the rounding of a result, and the reading of a step."""

    scale: float

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return step * self.scale


@dataclasses.dataclass(frozen=True)
class EveryOperation(Custom):
    """Each operation and function a formula may use, with NaN, inf and ties among its values."""

    def _evaluate(self, xp: Any, step: Any) -> Any:
        t = step - 20.0  # negative for small steps
        terms = [
            xp.maximum(t, xp.nan) + xp.minimum(xp.nan, t),  # NaN, as NumPy
            xp.maximum(t, 0.5 * t),
            xp.minimum(-t, 3.0),
            xp.clip(t, min=-3.5, max=7.25) + xp.clip(t, max=2.0) + xp.clip(t, min=1.0),
            xp.round(t / 4.0) + xp.floor(t / 3.0) + xp.ceil(t / 3.0),  # 2.5 -> 2, -2.5 -> -2
            xp.exp(-step / 7.0) + xp.log(step) + xp.log1p(step),  # log(0) = -inf
            xp.sin(step) * xp.cos(step) + xp.sqrt(t),  # sqrt of a negative: NaN
            xp.pow(1.5, -step / 9.0) + xp.pow(step, 0.75) + 2.0 ** (step / 5.0) + step**2.0,
            xp.where(xp.isfinite(step / t), 1.0, -1.0),
            xp.astype((step > 3.0) & ~(step >= 9.0) | (2.0 > step), step.dtype),  # noqa: SIM300
            xp.astype((5.0 < step) != (step <= 13.0), step.dtype) * abs(t) - (1.0 - step),  # noqa: SIM300
            xp.where(step == xp.inf, 0.0, 1.0 / (t * t + 1.0)) + (+t) * -1.0,
            xp.where(xp.isnan(t), 2.0, 3.0) + xp.abs(t),
        ]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return xp.where(step < 40.0, total, terms[5] + terms[7] - terms[1])


def test_every_operation() -> None:
    steps = np.concatenate([np.arange(0.0, 60.0, 0.25), [np.nan, np.inf, 1e300, -4.0]])
    got = kernel_values(EveryOperation(), steps)
    expected = numpy_path(EveryOperation(), steps)
    assert ulps(got, expected).max() <= 4
    assert np.isnan(got[np.isnan(expected)]).all()


@dataclasses.dataclass(frozen=True)
class Exactly(Custom):
    value: float

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return xp.where(step == step, self.value, step) * 1.0


@pytest.mark.parametrize(
    "value",
    [0.1, 1 / 3, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e-300, math.pi],
)
def test_constants_are_exact(value: float) -> None:
    got = kernel_values(Exactly(value), np.asarray([0, 5], dtype=np.int64))
    assert got.tobytes() == np.asarray([value, value]).tobytes()


def test_common_subexpressions_are_computed_once() -> None:
    source = _kernel.formula_source(
        _trace.trace(
            lambda xp, step: xp.where(step == step, xp.sin(step / 3.0), 0.0) * xp.sin(step / 3.0)
        )
    )
    assert source.count("sin(") == 1
    assert source.count("/ 3.0") == 1
    assert source.count("(s == s)") == 1
    schedule = L.Warmup(L.PiecewiseInterpolate([0, 10, 20, 30], [1.0, 2.0, 3.0, 4.0]), 5)
    source = _kernel.formula_source(_trace.trace(schedule._evaluate))
    expressions = [line.split(" = ")[1] for line in source.splitlines() if "const " in line]
    assert len(set(expressions)) == len(expressions)


def test_tables_are_searched() -> None:
    boundaries = sorted([*RNG.integers(0, 10**6, 300).tolist(), 500, 500, 500])
    values = RNG.uniform(0.0, 1.0, len(boundaries) + 1).tolist()
    schedule = L.PiecewiseConstantDecay(boundaries, values)
    source = _kernel.formula_source(_trace.trace(schedule._evaluate))
    assert source.count("if (") == len(boundaries)  # one per boundary, log2 of them per step
    assert source.count("?") == 1  # the NaN check; no chain of selects
    near = (np.asarray(boundaries)[None, :] + np.asarray([[-1], [0], [1]])).ravel()
    steps = np.concatenate([INT_STEPS, near]).astype(np.int64)
    check(schedule, steps)
    check(schedule, np.concatenate([FLOAT_STEPS, np.asarray(boundaries, dtype=np.float64)]))
    short = L.PiecewiseConstantDecay([10, 20, 30], [1.0, 0.5, 0.25, 0.125])
    assert "if (" not in _kernel.formula_source(_trace.trace(short._evaluate))
    check(short, INT_STEPS)


@dataclasses.dataclass(frozen=True)
class UnsortedTable(Custom):
    def _evaluate(self, xp: Any, step: Any) -> Any:
        result = xp.where(step == step, 1.0, step)
        for boundary in (50.0, 10.0, 70.0, 30.0, 90.0):
            result = xp.where(step > boundary, boundary / 100.0, result)
        return result


def test_a_chain_out_of_order_stays_a_chain() -> None:
    assert "if (" not in _kernel.formula_source(_trace.trace(UnsortedTable()._evaluate))
    check(UnsortedTable(), INT_STEPS)


# -- what does not trace: the usual path ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PythonBranch(Custom):
    def _evaluate(self, xp: Any, step: Any) -> Any:
        return step * 0.5 if step > 10 else step


@dataclasses.dataclass(frozen=True)
class UnknownFunction(Custom):
    def _evaluate(self, xp: Any, step: Any) -> Any:
        return xp.tanh(step / 100.0)


@dataclasses.dataclass(frozen=True)
class BadOperand(Custom):
    operand: Any = "x"

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return step * self.operand


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (PythonBranch()._evaluate, "branches in Python"),
        (UnknownFunction()._evaluate, "xp.tanh"),
        (BadOperand()._evaluate, "operand of type str"),
        (BadOperand(True)._evaluate, "operand of type bool"),
        (BadOperand(10**400)._evaluate, "beyond the float range"),
        (lambda xp, step: 0.1, "not a float expression"),
        (lambda xp, step: step > 1.0, "not a float expression"),
        (lambda xp, step: xp.where(step, 1.0, 2.0), "a float value where a bool"),
        (lambda xp, step: xp.astype(step > 1.0, "float32"), "a cast to"),
        (lambda xp, step: xp.sqrt(2.0) * step, "of constants only"),
        (lambda xp, step: xp.where(1.0 < 2.0, step, step), "operand of type bool"),
        (lambda xp, step: step + _trace.trace(lambda xp, s: s), "another trace"),
        (lambda xp, step: float(step), "Python float"),
        (lambda xp, step: int(step), "Python int"),
        (lambda xp, step: [1.0][step], "as an index"),
    ],
)
def test_what_does_not_trace(formula: Callable[[Any, Any], Any], message: str) -> None:
    with pytest.raises(_trace.TraceError, match=message):
        _trace.trace(formula)


def test_a_formula_that_does_not_trace_takes_the_usual_path() -> None:
    for schedule in (PythonBranch(), UnknownFunction()):
        assert _kernel.cpu_kernel(schedule._evaluate, "int64", "float64") is None
        assert _kernel.cpu_kernel(schedule._evaluate, "int64", "float64") is None  # cached
    assert _kernel.cpu_kernel(L.Constant(0.5)._evaluate, "bool", "float64") is None
    with pytest.raises(_trace.TraceError):
        _kernel.cuda_source(_trace.trace(L.Constant(0.5)._evaluate), "int64", "int32")


class Unhashable(LearningRateSchedule):
    __hash__ = None  # type: ignore[assignment]

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return step * 2.0


def test_an_unhashable_schedule_takes_the_usual_path() -> None:
    assert _kernel.cpu_kernel(Unhashable()._evaluate, "int64", "float64") is None


def test_a_compiler_failure_warns_and_takes_the_usual_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_kernel, "c_compiler", lambda: None)
    with pytest.warns(RuntimeWarning, match="no C compiler"):
        assert _kernel.cpu_kernel(Scaled(0.125)._evaluate, "int64", "float64") is None
    monkeypatch.setattr(_kernel, "c_compiler", lambda: "/nonexistent/cc")
    with pytest.warns(RuntimeWarning, match="could not compile"):
        assert _kernel.cpu_kernel(Scaled(0.375)._evaluate, "int64", "float64") is None


def test_the_formulas_own_errors_are_left_to_the_usual_path() -> None:
    def raising(xp: Any, step: Any) -> Any:
        raise ZeroDivisionError("in the formula")

    assert _kernel.cpu_kernel(raising, "int64", "float64") is None


def test_wrong_step_storage_is_refused() -> None:
    kernel = _kernel.cpu_kernel(Scaled(2.0)._evaluate, "int32", "float64")
    assert kernel is not None
    with pytest.raises(TypeError, match="reads int32"):
        kernel(np.arange(3, dtype=np.int64))


# -- the cache ----------------------------------------------------------------------------------


def test_equal_schedules_share_a_kernel() -> None:
    a, b = L.ExponentialDecay(0.1, 1000, 0.96), L.ExponentialDecay(0.1, 1000, 0.96)
    assert a is not b
    assert a == b
    assert _kernel.cpu_kernel(a._evaluate, "int64", "float32") is _kernel.cpu_kernel(
        b._evaluate, "int64", "float32"
    )
    assert _kernel.cpu_kernel(a._evaluate, "int64", "float32") is not _kernel.cpu_kernel(
        a._evaluate, "int64", "float64"
    )


def test_a_kernel_is_built_once_under_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    build = _kernel._build_cpu

    def counting(*args: Any) -> Any:
        built.append(args)
        return build(*args)

    monkeypatch.setattr(_kernel, "_build_cpu", counting)
    schedule = L.CosineDecay(0.5, 777, alpha=0.01)
    barrier = threading.Barrier(4)
    found: list[Any] = []

    def worker() -> None:
        barrier.wait()
        found.append(_kernel.cpu_kernel(schedule._evaluate, "int64", "float64"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert len(found) == 4
    assert all(k is found[0] for k in found)


# -- the CUDA source, compiled as C++ with stand-ins for the CUDA built-ins ------------------------

CUDA_STAND_INS = r"""
#define __device__
#define __global__
#define __forceinline__ inline
#define __restrict__ __restrict
#include <math.h>
#include <string.h>
struct lrs_dim3 { unsigned int x; };
static lrs_dim3 blockIdx = {0}, threadIdx = {0}, blockDim = {1}, gridDim = {1};
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline long long __double_as_longlong(double x) { long long b; memcpy(&b, &x, 8); return b; }
static inline double __longlong_as_double(long long b) { double x; memcpy(&x, &b, 8); return x; }
extern "C" void lrs_grid(unsigned int block, unsigned int thread, unsigned int threads,
                         unsigned int blocks) {
  blockIdx.x = block; threadIdx.x = thread; blockDim.x = threads; gridDim.x = blocks;
}
#define __CUDACC__ 1
"""


def compile_cuda_on_the_host(source: str) -> Any:
    compiler = shutil.which("c++") or shutil.which("g++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    folder = tempfile.mkdtemp(prefix="lrschedule-cuda-as-cpp-")
    path = os.path.join(folder, "kernel.cpp")
    with open(path, "w") as file:
        file.write(CUDA_STAND_INS + source)
    library = os.path.join(folder, "kernel.so")
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-ffp-contract=off", "-o", library, path],
        check=True,
        capture_output=True,
    )
    return ctypes.CDLL(library)


@pytest.mark.parametrize("edge", SOME, ids=[edge.id for edge in SOME])
def test_the_cuda_source_as_cpp(edge: Edge) -> None:
    """The CUDA kernel's source, as CUDA compiles it (its ``__CUDACC__`` branch), run as 3 blocks
    of 2 threads striding over the steps: the same values as the C twin."""
    source = _kernel.cuda_source(_trace.trace(edge.schedule._evaluate), "int64", "float32")
    assert 'extern "C" __global__ void lrschedule_kernel(' in source
    library = compile_cuda_on_the_host(source)
    out = np.full(INT_STEPS.shape, np.nan, dtype=np.float32)
    for block in range(3):
        for thread in range(2):
            library.lrs_grid(block, thread, 2, 3)
            library.lrschedule_kernel(
                ctypes.c_void_p(INT_STEPS.ctypes.data),
                ctypes.c_void_p(out.ctypes.data),
                ctypes.c_int(INT_STEPS.size),
            )
    assert np.array_equal(out, kernel_values(edge.schedule, INT_STEPS, "float32"))


def test_launches_split_large_arrays() -> None:
    tile = _kernel.BLOCK * _kernel.UNROLL
    assert _kernel._launches(0) == []
    assert _kernel._launches(1000) == [(0, 1000, 1)]
    assert _kernel._launches(tile + 1) == [(0, tile + 1, 2)]
    n = 2**31 + 5
    launches = _kernel._launches(n)
    assert [(start, count) for start, count, _ in launches] == [
        (0, 2**31 - 1),
        (2**31 - 1, 6),
    ]
    assert launches[0][2] == _kernel.MAX_BLOCKS
    assert launches[1][2] == 1


@pytest.mark.parametrize("threads", [1, 3, 256])
def test_each_thread_reads_its_steps_first(threads: int) -> None:
    """The CUDA kernel's tiles, run as few blocks striding over many steps and one block of one
    thread: every step computed once, none past the end written (the array's end is a guard)."""
    schedule = L.ExponentialDecay(0.1, 1000, 0.96)
    source = _kernel.cuda_source(_trace.trace(schedule._evaluate), "int32", "float64")
    library = compile_cuda_on_the_host(source)
    for n in (0, 1, threads * _kernel.UNROLL - 1, 5 * threads * _kernel.UNROLL + 2):
        steps = np.arange(-3, n - 3, dtype=np.int32)
        out = np.full(n + 1, -1.0)
        blocks = 2
        for block in range(blocks):
            for thread in range(threads):
                library.lrs_grid(block, thread, threads, blocks)
                library.lrschedule_kernel(
                    ctypes.c_void_p(steps.ctypes.data),
                    ctypes.c_void_p(out.ctypes.data),
                    ctypes.c_int(n),
                )
        assert np.array_equal(out[:n], kernel_values(schedule, steps)), n
        assert out[n] == -1.0


def test_every_kernel_compiles_with_nvcc() -> None:
    """The CUDA source of every registered class (edge cases), for int64 and float32 steps to
    float32 and float16 results, compiled by the CUDA toolkit's nvcc for sm_90, where there is one
    (this is as far as a machine without a GPU gets: the launches run on the cupy and torch-cuda
    backends)."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("no nvcc")
    folder = tempfile.mkdtemp(prefix="lrschedule-nvcc-")
    sources = []
    seen: set[str] = set()
    for edge in EDGES:
        name = type(edge.schedule).__name__
        if name in seen:
            continue
        seen.add(name)
        root = _trace.trace(edge.schedule._evaluate)
        for step, result in (("int64", "float32"), ("float32", "float16")):
            source = _kernel.cuda_source(root, step, result)
            # one translation unit: each kernel under a name of its own
            sources.append(
                source.replace(
                    _kernel.KERNEL_NAME, f"{_kernel.KERNEL_NAME}_{len(sources)}"
                ).replace("lrs_formula", f"lrs_formula_{len(sources)}")
            )
    header_end = sources[0].index("LRS_FN double lrs_formula_0")
    body = _kernel.HEADER + "".join(s[len(_kernel.HEADER) :] for s in sources)
    assert sources[0][:header_end] == _kernel.HEADER
    path = os.path.join(folder, "kernels.cu")
    with open(path, "w") as file:
        file.write(body)
    done = subprocess.run(
        [nvcc, "-arch=sm_90", "-cubin", "-Xptxas", "-v", "-o", path + ".cubin", path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("Compiling entry function") == len(sources), done.stderr[-3000:]
    assert "spill" not in done.stderr.replace("0 bytes spill stores", "").replace(
        "0 bytes spill loads", ""
    ), done.stderr[-3000:]


JITERATOR_RUN = r"""
extern "C" void lrs_run(const double* step, double* out, long long n) {
  for (long long i = 0; i < n; i++) out[i] = lrschedule_kernel<double>(step[i], 0.0);
}
"""


@pytest.mark.parametrize("result", ["float64", "float32", "float16", "bfloat16"])
def test_the_jiterator_source_as_cpp(result: str) -> None:
    """torch's jiterator function (without a CUDA toolkit): the float64 step in, the value
    rounded to ``result`` out as a float64 (cast exactly after the kernel): the C twin's values."""
    edge = next(edge for edge in EDGES if edge.id == "sgdr-m")
    source = _kernel.jiterator_source(_trace.trace(edge.schedule._evaluate), result)
    library = compile_cuda_on_the_host(source + JITERATOR_RUN)
    steps = INT_STEPS.astype(np.float64)
    out = np.empty_like(steps)
    library.lrs_run(
        ctypes.c_void_p(steps.ctypes.data),
        ctypes.c_void_p(out.ctypes.data),
        ctypes.c_longlong(steps.size),
    )
    expected = kernel_values(edge.schedule, steps, result)
    if result in ("float16", "bfloat16"):
        expected = half_values(expected, result)
    assert np.array_equal(out, expected.astype(np.float64))
    with pytest.raises(_trace.TraceError):
        _kernel.jiterator_source(_trace.trace(edge.schedule._evaluate), "int32")


def test_jiterator_reads_the_entry_function() -> None:
    jiterator = pytest.importorskip("torch.cuda.jiterator")
    edge = EDGES[0]
    source = _kernel.jiterator_source(_trace.trace(edge.schedule._evaluate), "float32")
    assert source.startswith("template")
    assert jiterator._create_jit_fn(source).kernel_name == _kernel.KERNEL_NAME


# -- the launchers, with stand-ins for CuPy and torch CUDA that run the CUDA source on the host ----


class HostKernel:
    """A compiled CUDA source run on the host: each launch runs every (block, thread) of the grid."""

    def __init__(self, source: str) -> None:
        self.library = compile_cuda_on_the_host(source)
        self.launches: list[tuple[int, int, int]] = []

    def run(self, grid: int, block: int, step: Any, out: Any, n: int) -> None:
        self.launches.append((grid, block, n))
        for b in range(grid):
            for t in range(block):
                self.library.lrs_grid(b, t, block, grid)
                self.library.lrschedule_kernel(
                    ctypes.c_void_p(step), ctypes.c_void_p(out), ctypes.c_int(n)
                )


class HostArray(np.ndarray):
    """A NumPy array with a CuPy array's ``device`` (a context manager)."""

    @property
    def device(self) -> Any:  # type: ignore[override]
        return contextlib.nullcontext()


class HostRawKernel(HostKernel):
    """CuPy's ``RawKernel``, on the host: arrays passed as their data pointers."""

    built: ClassVar[list[HostRawKernel]] = []

    def __init__(self, source: str, name: str) -> None:
        assert name == _kernel.KERNEL_NAME
        super().__init__(source)
        self.built.append(self)

    def __call__(self, grid: tuple[int], block: tuple[int], args: tuple[Any, ...]) -> None:
        step, out, n = args
        assert isinstance(n, np.int32)
        self.run(grid[0], block[0], step.ctypes.data, out.ctypes.data, int(n))


@pytest.fixture
def host_cupy(monkeypatch: pytest.MonkeyPatch) -> Any:
    """CuPy, on the host: ``HostArray`` for its arrays, ``HostRawKernel`` for its kernels."""
    cupy = types.SimpleNamespace(
        ndarray=HostArray,
        RawKernel=HostRawKernel,
        ascontiguousarray=np.ascontiguousarray,
        empty=np.empty,
    )
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(HostRawKernel, "built", [])
    return cupy


def test_launch_cupy(host_cupy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    built = HostRawKernel.built
    schedule = L.CosineDecayRestarts(0.5, 7, t_mul=1.5, m_mul=0.9)
    steps = INT_STEPS[:3000].reshape(30, 100)[:, ::2].view(HostArray)  # not contiguous
    out = _kernel.launch_cupy(schedule._evaluate, steps, np.float64, np.float32)
    assert out.shape == (30, 50)
    assert out.dtype == np.float32
    expected = kernel_values(schedule, np.ascontiguousarray(steps).view(np.ndarray), "float32")
    assert np.array_equal(out, expected)
    assert built[0].launches == [(2, 256, 1500)]
    scalar = np.asarray(INT_STEPS[1234]).view(HostArray)  # 0-d: launched as it is
    again = _kernel.launch_cupy(schedule._evaluate, scalar, np.float64, np.float32)
    assert again.shape == ()
    assert float(again) == float(kernel_values(schedule, INT_STEPS[1234:1235], "float32")[0])
    assert len(built) == 1  # cached
    assert built[0].launches[-1] == (1, 256, 1)
    empty = _kernel.launch_cupy(schedule._evaluate, steps[:0], np.float64, np.float32)
    assert empty.shape == (0, 50)
    assert len(built[0].launches) == 2  # nothing to launch
    monkeypatch.setattr(_kernel, "MAX_LAUNCH", 600)  # as past 2**31 - 1 steps: several launches
    split = _kernel.launch_cupy(schedule._evaluate, steps, np.float64, np.float32)
    assert np.array_equal(split, expected)
    assert built[0].launches[-3:] == [(1, 256, 600), (1, 256, 600), (1, 256, 300)]
    assert _kernel.launch_cupy(schedule._evaluate, steps, np.float32, np.float32) is None
    assert _kernel.launch_cupy(UnknownFunction()._evaluate, steps, np.float64, np.float64) is None
    bools = np.zeros(3, dtype=bool).view(HostArray)
    assert _kernel.launch_cupy(schedule._evaluate, bools, np.float64, np.float64) is None


def test_a_schedule_keeps_its_kernels(host_cupy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """After its first call a schedule finds its kernel on itself, by the dtypes alone: its
    fields are not hashed again (a composite's take microseconds)."""
    schedule = L.Warmup(L.CosineDecay(0.1, 1000), 100)
    steps = np.arange(5).view(HostArray)
    _kernel.launch_cupy(schedule._evaluate, steps, np.float64, np.float64)
    looked_up: list[Any] = []
    monkeypatch.setattr(_kernel, "_cached", lambda key, build: looked_up.append(key))
    for _ in range(3):
        _kernel.launch_cupy(schedule._evaluate, steps, np.float64, np.float64)
    assert looked_up == []
    _kernel.launch_cupy(schedule._evaluate, steps, np.float64, np.float32)  # a new result dtype
    assert len(looked_up) == 1


def test_a_cupy_call_goes_straight_to_its_kernel(host_cupy: Any) -> None:
    """``schedule(cupy_array)`` launches the kernel without the array API namespace's lookups;
    what has no kernel (a dtype CuPy lacks, a bool step) still takes the general path and its
    errors."""
    schedule = L.PiecewiseConstantDecay([10, 20, 30, 40], [1.0, 0.5, 0.25, 0.125, 0.0625])
    steps = np.arange(-5, 60, dtype=np.int16).view(HostArray)
    for dtype in (None, "float64", "float32", "float16"):
        out = with_dtype(schedule, dtype)(steps) if dtype else schedule(steps)
        assert out.dtype == np.dtype(dtype or "float64")
        expected = schedule(np.arange(-5, 60, dtype=np.int16)).astype(out.dtype)
        assert np.array_equal(out, expected)
    assert len(HostRawKernel.built) == 4
    with pytest.raises(TypeError, match="step must be"):
        schedule(np.zeros(3, dtype=bool).view(HostArray))


@pytest.fixture
def host_torch_cuda(monkeypatch: pytest.MonkeyPatch) -> Any:
    """torch whose ``torch.cuda`` compiles kernels for the host: CPU tensors stand in for CUDA."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device: "stream")
    monkeypatch.setattr(torch._C, "_cuda_getCurrentRawStream", lambda index: 0x3000, raising=False)
    return torch


HOST_DRIVER = r"""
/* The CUDA driver's functions that lrschedule._kernel._Driver calls, on the host: a launch runs
   the kernel above over its grid, in the one context (0x1000) where it was "loaded". */
static void* lrs_current = 0;
static void* lrs_saved[8];
static int lrs_depth = 0;
static long long lrs_last_stream = 0;
static int lrs_count = 0;
extern "C" void lrs_set_context(void* context) { lrs_current = context; }
extern "C" long long lrs_stream(void) { return lrs_last_stream; }
extern "C" int lrs_launches(void) { return lrs_count; }
extern "C" int cuCtxGetCurrent(void** context) { *context = lrs_current; return 0; }
extern "C" int cuCtxPushCurrent_v2(void* context) {
  lrs_saved[lrs_depth++] = lrs_current;
  lrs_current = context;
  return 0;
}
extern "C" int cuCtxPopCurrent_v2(void** context) {
  *context = lrs_current;
  lrs_current = lrs_saved[--lrs_depth];
  return 0;
}
extern "C" int cuGetErrorString(int code, const char** text) {
  *text = code == 201 ? "invalid device context" : "invalid argument";
  return 0;
}
extern "C" int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                              unsigned by, unsigned bz, unsigned shared, void* stream,
                              void** params, void** extra) {
  if (lrs_current != (void*)0x1000) return 201;
  if (f != (void*)0x2000 || gy != 1 || gz != 1 || by != 1 || bz != 1 || shared || extra) return 1;
  lrs_last_stream = (long long)stream;
  lrs_count++;
  for (unsigned b = 0; b < gx; b++) {
    for (unsigned t = 0; t < bx; t++) {
      lrs_grid(b, t, bx, gx);
      lrschedule_kernel((const STEP*)*(void**)params[0], (RESULT*)*(void**)params[1],
                        *(int*)params[2]);
    }
  }
  return 0;
}
"""


def test_launch_torch_compile_kernel(host_torch_cuda: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """torch's ``_compile_kernel`` compiles; the launch goes through the driver (here a stand-in
    built around the kernel), in the context where the kernel was loaded, on torch's stream."""
    torch = host_torch_cuda
    libraries: list[Any] = []

    def compile_kernel(source: str, name: str) -> Any:
        step, result = ("int", "unsigned short") if not libraries else ("long long", "double")
        defines = f"#define STEP {step}\n#define RESULT {result}\n"
        library = compile_cuda_on_the_host(source + defines + HOST_DRIVER)
        library.lrs_set_context(ctypes.c_void_p(0x1000))  # loaded in this context
        libraries.append(library)
        monkeypatch.setattr(_kernel, "_drivers", [_kernel._Driver(library)])
        return types.SimpleNamespace(func=ctypes.c_void_p(0x2000))

    monkeypatch.setattr(torch.cuda, "_compile_kernel", compile_kernel, raising=False)
    schedule = L.Warmup(L.PiecewiseConstantDecay([10, 20, 30, 40, 50], [6.0, 5, 4, 3, 2, 1]), 5)
    steps = torch.arange(-20, 3000, dtype=torch.int32)
    out = _kernel.launch_torch(schedule._evaluate, steps, torch.float64, torch.bfloat16)
    assert out.dtype == torch.bfloat16
    assert out.shape == steps.shape
    expected = kernel_values(schedule, steps.numpy(), "bfloat16")
    assert np.array_equal(out.view(torch.int16).numpy().view(np.uint16), expected)
    assert libraries[0].lrs_stream() == 0x3000
    libraries[0].lrs_set_context(None)  # a thread that never used CUDA: no current context
    again = _kernel.launch_torch(schedule._evaluate, steps[::2], torch.float64, torch.bfloat16)
    assert np.array_equal(again.view(torch.int16).numpy().view(np.uint16), expected[::2])
    assert libraries[0].lrs_launches() == 2
    library = libraries[0]
    with pytest.raises(RuntimeError, match="invalid argument"):
        _kernel._Driver(library).launch(
            ctypes.c_void_p(0x2001), 0x1000, (steps.data_ptr(), 4), (out.data_ptr(), 2), 3, 0
        )
    scalar = _kernel.launch_torch(
        schedule._evaluate, torch.tensor(12), torch.float64, torch.float64
    )
    assert scalar.shape == ()
    assert float(scalar) == float(schedule(12))
    assert len(libraries) == 2  # int32 to bfloat16, int64 to float64
    monkeypatch.setattr(_kernel, "MAX_LAUNCH", 1000)  # as past 2**31 - 1 steps
    wide = torch.arange(2500, dtype=torch.int64)
    split = _kernel.launch_torch(schedule._evaluate, wide, torch.float64, torch.float64)
    assert np.array_equal(split.numpy(), kernel_values(schedule, wide.numpy()))
    assert libraries[1].lrs_launches() == 4  # the scalar, then 1000 + 1000 + 500
    assert _kernel.launch_torch(schedule._evaluate, steps, torch.float32, torch.float32) is None
    assert _kernel.launch_torch(schedule._evaluate, steps, torch.float64, torch.int32) is None


def test_launch_torch_without_the_driver(
    host_torch_cuda: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the driver library does not load, torch's kernel object launches itself."""
    torch = host_torch_cuda
    monkeypatch.setattr(_kernel, "_drivers", [None])
    built: list[HostKernel] = []

    class CompiledKernel:
        def __init__(self, source: str) -> None:
            self.host = HostKernel(source)
            built.append(self.host)

        def __call__(self, grid: Any, block: Any, args: list[Any], stream: Any) -> None:
            step, out, n = args
            assert stream == "stream"
            assert isinstance(n, int)
            self.host.run(grid[0], block[0], step.data_ptr(), out.data_ptr(), n)

    monkeypatch.setattr(
        torch.cuda, "_compile_kernel", lambda source, name: CompiledKernel(source), raising=False
    )
    schedule = L.InverseTimeDecay(0.1, 100, 0.5)
    steps = torch.arange(0, 3000, 7, dtype=torch.int64)
    out = _kernel.launch_torch(schedule._evaluate, steps, torch.float64, torch.float32)
    assert np.array_equal(out.numpy(), kernel_values(schedule, steps.numpy(), "float32"))
    assert built[0].launches == [(1, 256, steps.numel())]


def test_launch_torch_jiterator(host_torch_cuda: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a CUDA toolkit (``_compile_kernel`` raises ``OSError``): jiterator, compiled at
    build time, its float64 output cast to the result dtype."""
    torch = host_torch_cuda
    created: list[str] = []

    def compile_kernel(source: str, name: str) -> Any:
        raise OSError("CUDA_HOME environment variable is not set")

    def create_jit_fn(source: str) -> Any:
        created.append(source)
        library = compile_cuda_on_the_host(source + JITERATOR_RUN)

        def jitted(step: Any, unused: Any) -> Any:
            assert unused.dtype == torch.float64
            assert unused.shape == ()
            steps = step.to(torch.float64).contiguous()
            out = torch.empty_like(steps)
            library.lrs_run(
                ctypes.c_void_p(steps.data_ptr()),
                ctypes.c_void_p(out.data_ptr()),
                ctypes.c_longlong(steps.numel()),
            )
            return out

        return jitted

    monkeypatch.setattr(torch.cuda, "_compile_kernel", compile_kernel, raising=False)
    monkeypatch.setattr(torch.cuda.jiterator, "_create_jit_fn", create_jit_fn)
    schedule = L.OneCycle(0.3, 5000)
    steps = torch.arange(0, 6000, 3, dtype=torch.int64).reshape(2, -1)
    for result in (torch.float32, torch.float64):
        out = _kernel.launch_torch(schedule._evaluate, steps, torch.float64, result)
        assert out.dtype == result
        name = str(result)[6:]
        assert np.array_equal(out.numpy(), kernel_values(schedule, steps.numpy(), name))
    assert len(created) == 2
    uint32 = torch.arange(5, dtype=torch.int64).to(torch.uint32)
    assert _kernel.launch_torch(schedule._evaluate, uint32, torch.float64, torch.float64) is None
