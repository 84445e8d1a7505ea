"""Every schedule against its exact reference, on every backend and device."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import mpmath
import numpy as np
import pytest

import lrschedule
from references import (
    CASES,
    LARGE_STEPS,
    STEPS,
    Case,
    Reference,
    exponential,
    inverse_time,
    polynomial,
    sgdr,
    step_decay,
)

if TYPE_CHECKING:
    from conftest import Backend


def _ulps_from_exact(result: np.ndarray, exact: list[float], dtype: type) -> np.ndarray:
    """Distance from the exact value in units of the result dtype's spacing there.

    A subnormal exact value may come back as 0: XLA flushes subnormals to zero.
    """
    exact_arr = np.asarray(exact, dtype=np.float64)
    spacing = np.spacing(np.abs(exact_arr).astype(dtype)).astype(np.float64)
    ulps = np.abs(result.astype(np.float64) - exact_arr) / spacing
    flushed = (np.abs(exact_arr) < np.finfo(dtype).tiny) & (result == 0)
    return np.where(flushed, 0.0, ulps)


def check_values(backend: Backend, case: Case, steps: list[int], result_dtype: str) -> None:
    exact = [case.reference(t) for t in steps]
    result = backend.call(case.schedule, backend.asarray(steps, backend.int_dtype))
    assert backend.dtype_name(result) == result_dtype
    assert tuple(result.shape) == (len(steps),)
    assert backend.same_device(result)
    values = backend.to_numpy(result)
    if not backend.float64:  # float32 compute: rounding of the step and of each operation
        np.testing.assert_allclose(values, [float(e) for e in exact], rtol=2e-5, atol=1e-7)
    elif result_dtype == "float32":  # computed in float64: correctly rounded to 1 ulp
        ulps = _ulps_from_exact(values, [float(e) for e in exact], np.float32)
        worst = int(np.argmax(ulps))
        assert ulps[worst] <= 1.0, (steps[worst], values[worst], exact[worst])
    else:
        np.testing.assert_allclose(values, [float(e) for e in exact], rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_reference(backend: Backend, case: Case) -> None:
    steps = STEPS if backend.int_dtype == "int64" else [t for t in STEPS if t < 2**20]
    check_values(backend, case, steps, backend.default_float)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_float32_within_one_ulp_up_to_2_31(backend: Backend, case: Case) -> None:
    """Computing in float64 makes float32 results correctly rounded at any step count."""
    if not backend.float64:
        pytest.skip("this device computes in float32")
    if "float32" not in backend.dtypes:
        pytest.skip("no float32 here")
    schedule = type(case.schedule).from_config({**case.schedule.get_config(), "dtype": "float32"})
    big = case.__class__(case.id, schedule, case.reference)
    check_values(backend, big, STEPS + LARGE_STEPS, "float32")


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_python_and_numpy_scalars(case: Case) -> None:
    """The scalar fast path gives the same value as an array call, as a NumPy scalar."""
    for step in (0, 7, 1000, 1001, 327_670, 2**31 - 1):
        exact = float(case.reference(step))
        array_value = case.schedule(np.asarray([step]))[0]
        for given in (step, float(step), np.int64(step), np.float64(step), np.uint32(step)):
            value = case.schedule(given)
            assert type(value) is np.float64, type(value)
            assert value == array_value, (given, value, array_value)
        assert math.isclose(value, exact, rel_tol=1e-10, abs_tol=1e-300), (step, value, exact)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_negative_steps_are_step_zero(backend: Backend, case: Case) -> None:
    at_zero = case.schedule(0)
    result = backend.to_numpy(backend.call(case.schedule, backend.asarray([-1, -1000, 0])))
    np.testing.assert_allclose(result, [at_zero] * 3, rtol=1e-6)
    assert case.schedule(-5) == at_zero


@pytest.mark.parametrize("shape", [(), (0,), (2, 3), (1, 2, 1)])
@pytest.mark.parametrize("case", CASES[::3], ids=repr)
def test_any_shape(backend: Backend, case: Case, shape: tuple[int, ...]) -> None:
    steps = np.arange(math.prod(shape), dtype=np.int32).reshape(shape) * 37
    result = backend.call(case.schedule, backend.asarray(steps, "int32"))
    assert tuple(result.shape) == shape
    values = backend.to_numpy(result)
    expected = np.asarray([float(case.reference(int(t))) for t in steps.ravel()]).reshape(shape)
    np.testing.assert_allclose(values, expected, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("step_dtype", ["int8", "int16", "int32", "uint8", "uint16", "float32"])
def test_step_dtypes(backend: Backend, step_dtype: str) -> None:
    if backend.xp.__name__.startswith("torch") and step_dtype == "uint16":
        pytest.skip("torch has limited uint16 support")
    case = CASES[0]
    steps = [0, 1, 100, 127]
    result = backend.call(case.schedule, backend.asarray(steps, step_dtype))
    assert backend.dtype_name(result) == backend.default_float
    expected = [float(case.reference(t)) for t in steps]
    np.testing.assert_allclose(backend.to_numpy(result), expected, rtol=2e-5)


def test_nan_step_gives_nan(backend: Backend) -> None:
    for case in CASES:
        result = backend.to_numpy(backend.call(case.schedule, backend.asarray([np.nan], "float32")))
        assert np.isnan(result).all(), case.id
        assert np.isnan(case.schedule(float("nan"))), case.id


PIECEWISE_TABLES = [
    ([1000.0 * (i + 1) for i in range(10)], [0.1 * 0.5**i for i in range(11)]),
    ([-5.0, -0.0, 2.5, 2.5, 7.0, 2.0**60], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ([-3.0], [1.0, 2.0]),
    ([2.0**400], [1.0, 2.0]),  # the largest boundary (2**400)
    ([], [0.5]),
]
PIECEWISE_STEP_DTYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
]  # fmt: skip


@pytest.mark.parametrize("step_dtype", PIECEWISE_STEP_DTYPES)
@pytest.mark.parametrize(("boundaries", "values"), PIECEWISE_TABLES)
@pytest.mark.parametrize("size", [0, 1, 7, 100_000])  # 100_000: the chunked search
def test_piecewise_numpy_search_equals_formula(
    boundaries: list[float], values: list[float], step_dtype: str, size: int
) -> None:
    """NumPy arrays are searched (``numpy.searchsorted`` on the steps as given); every other
    array runs the formula (one ``where`` per boundary): the two agree on every step dtype,
    including negative, fractional and repeated boundaries, the dtype's extremes, NaN and inf."""
    import lrschedule
    from lrschedule import _array

    schedule = lrschedule.PiecewiseConstantDecay(boundaries, values, dtype="float32")
    dtype = np.dtype(step_dtype)
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    special = [info.min, info.max, 0, 1, 2, 3, 7, 8, 1000, 1001, 5000, 10_000, 10_001]
    if dtype.kind == "f":
        special += [-math.inf, math.inf, math.nan, 2.5, 2.4, -0.0, 2.0**60, 1e300]
    with np.errstate(over="ignore", invalid="ignore"):
        rng = np.random.default_rng(size)
        steps = np.asarray((special * (size // len(special) + 1))[:size], dtype=np.float64).astype(
            dtype
        )
        if size > 1000:
            steps[::7] = rng.integers(0, 12_000, size=len(steps[::7]))
    searched = schedule(steps)
    assert isinstance(searched, np.ndarray)
    assert searched.shape == steps.shape
    assert searched.dtype == np.float32
    formula = _array.evaluate(schedule._evaluate, steps, "float32")  # the where chain
    np.testing.assert_array_equal(searched, formula)
    for step, value in zip(steps[:50].tolist(), searched[:50].tolist(), strict=True):
        scalar = schedule(dtype.type(step))  # the bisect path
        assert (value == scalar) or (math.isnan(value) and math.isnan(scalar)), step
    zero_d = schedule(np.asarray(steps[:1].reshape(()) if size else np.asarray(3, dtype=dtype)))
    assert isinstance(zero_d, np.ndarray)
    assert zero_d.shape == ()


@pytest.mark.skipif(
    not __import__("importlib.util").util.find_spec("torch"), reason="torch is not installed"
)
@pytest.mark.parametrize(
    "step_dtype",
    ["int8", "int16", "int32", "int64", "uint8", "float16", "bfloat16", "float32", "float64"],
)
@pytest.mark.parametrize(("boundaries", "values"), PIECEWISE_TABLES)
@pytest.mark.parametrize("dtype", [None, "float64", "float16", "bfloat16"])
def test_piecewise_torch_search_equals_formula(
    boundaries: list[float], values: list[float], step_dtype: str, dtype: str | None
) -> None:
    """torch CPU tensors are searched (``torch.searchsorted``); the formula's ``where`` chain
    (which GPUs and torch.compile run) gives the same values, dtypes and shapes."""
    import torch

    import lrschedule
    from lrschedule import _array

    schedule = lrschedule.PiecewiseConstantDecay(
        boundaries, [v * 1.001 for v in values], dtype=dtype
    )
    torch_dtype = getattr(torch, step_dtype)
    info = torch.finfo(torch_dtype) if torch_dtype.is_floating_point else torch.iinfo(torch_dtype)
    special = [info.min, info.max, 0, 1, 2, 3, 7, 8, 100, 127, 1000, 1001, 5000, 10_000]
    if torch_dtype.is_floating_point:
        special += [-math.inf, math.inf, math.nan, 2.5, 2.4, -0.0, 1e300]
    steps = torch.tensor(special, dtype=torch.float64).clamp(info.min, info.max)
    steps = torch.where(torch.isnan(torch.tensor(special, dtype=torch.float64)), math.nan, steps)
    steps = steps.to(torch_dtype)
    for shaped in (steps, steps[3], steps.reshape(1, -1)):
        searched = schedule(shaped)
        formula = _array.evaluate(schedule._evaluate, shaped, schedule.dtype)  # the where chain
        assert searched.dtype == formula.dtype
        assert searched.shape == formula.shape
        torch.testing.assert_close(searched, formula, rtol=0, atol=0, equal_nan=True)


@functools.cache
def _beside_restarts(first: float, t_mul: float, below: int) -> tuple[list[int], list[float]]:
    """The whole steps beside every period start below ``below``, and the exact rates there."""
    steps: set[int] = set()
    start, length = mpmath.mpf(0), mpmath.mpf(first)
    while start < below:
        whole = int(mpmath.floor(start))
        steps.update(t for t in (whole - 1, whole, whole + 1) if 0 <= t < below)
        start, length = start + length, length * mpmath.mpf(t_mul)
    reference = sgdr(1.0, first, t_mul)
    return sorted(steps), [float(reference(t)) for t in sorted(steps)]


@pytest.mark.parametrize(
    ("first", "t_mul"),
    [(100, 1.2), (100, 1.1), (7, 1.1), (100, 3.7), (1000, 1.3), (3, 1.001), (12.5, 1.05)],
)
def test_restarts_where_the_decimal_values_put_them(
    backend: Backend, first: float, t_mul: float
) -> None:
    """Where ``t_mul`` is not whole, period starts are no floats in general, and each is computed
    to a few roundings: a step that close before one counts as the start (``references.sgdr``).
    So ``first_decay_steps=100, t_mul=1.2`` restarts at 220 and 364, and ``7, 1.1`` at 7, where
    lrschedule 0.1 gave the end of the previous period (0.0). Every whole step beside every start,
    up to 2**31 (2**24 in float-float pairs, whose ``pow`` places starts to about 2**-38)."""
    below = 2**31 - 1 if backend.float64 else 2**24
    steps, exact = _beside_restarts(first, t_mul, below)
    schedule = lrschedule.CosineDecayRestarts(1.0, first, t_mul=t_mul)
    values = backend.to_numpy(backend.call(schedule, backend.asarray(steps, backend.int_dtype)))
    error = np.abs(values.astype(np.float64) - np.asarray(exact))
    worst = int(np.argmax(error))
    wide = backend.float64 and values.dtype == np.float64
    assert error[worst] <= (1e-9 if wide else 1e-6), (
        steps[worst],
        values[worst],
        exact[worst],
    )


def test_a_step_counted_as_a_start_gives_the_peak() -> None:
    """Inside the window before a start (1.46e-6 steps before S_1 = 100 and S_2 = 200.1 here) the
    rate is the period's peak itself, not a cosine a hair past it; a step before the window is
    the end of the previous period."""
    schedule = lrschedule.CosineDecayRestarts(0.5, 100, t_mul=1.001, m_mul=0.5)
    steps = [100 - 1e-4, 100 - 1e-6, 100.0, 200.1 - 1e-6, 200.1]
    values = schedule(np.asarray(steps))
    assert values[0] < 1e-8
    np.testing.assert_array_equal(values[1:], [0.25, 0.25, 0.125, 0.125])
    assert [schedule(step) for step in steps[1:]] == [0.25, 0.25, 0.125, 0.125]  # Python floats


DECIMAL_LENGTHS = [
    (lrschedule.ExponentialDecay(1.0, 1.1, 0.9, staircase=True), exponential(1.0, 1.1, 0.9, True)),
    (
        lrschedule.InverseTimeDecay(1.0, 0.07, 0.5, staircase=True),
        inverse_time(1.0, 0.07, 0.5, True),
    ),
    (
        lrschedule.PolynomialDecay(1.0, 33.3, 0.0, cycle=True),
        polynomial(1.0, 33.3, 0.0, cycle=True),
    ),
    (lrschedule.CosineDecayRestarts(1.0, 1.1, t_mul=1.0), sgdr(1.0, 1.1, 1.0)),
    (lrschedule.StepDecay(1.0, 0.3, 0.9), step_decay(1.0, 0.3, 0.9)),
    # whole lengths whose reciprocal XLA's jit multiplies by lands a step off
    (lrschedule.ExponentialDecay(1.0, 49, 0.9, staircase=True), exponential(1.0, 49, 0.9, True)),
    (lrschedule.PolynomialDecay(1.0, 75, 0.0, cycle=True), polynomial(1.0, 75, 0.0, cycle=True)),
]


@pytest.mark.parametrize(
    ("schedule", "reference"),
    DECIMAL_LENGTHS,
    ids=[f"{type(s).__name__}-{i}" for i, (s, _) in enumerate(DECIMAL_LENGTHS)],
)
def test_periods_of_a_decimal_length_end_where_it_says(
    backend: Backend, schedule: lrschedule.LearningRateSchedule, reference: Reference
) -> None:
    """A length that is not whole (1.1, 0.07, 33.3, 0.3) is no float: ``33 / 1.1`` is
    29.999999999999996. Its whole multiples that are whole steps (33 for 1.1) end a period there,
    as the decimal length says and as Keras does (lrschedule 0.1 ended it a step later, and
    ``PolynomialDecay``'s cycle a step earlier); ``references.floor_periods`` states the rule."""
    steps = list(range(400))  # every multiple below 400 and the steps beside it
    exact = [float(reference(t)) for t in steps]
    values = backend.to_numpy(backend.call(schedule, backend.asarray(steps, backend.int_dtype)))
    wide = backend.float64 and values.dtype == np.float64
    np.testing.assert_allclose(
        values, exact, rtol=1e-9 if wide else 1e-5, atol=1e-15 if wide else 1e-7
    )
