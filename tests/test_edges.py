"""Steps and dtypes at the edges, on every backend.

* Step dtypes int8..int64, uint8..uint64, float16..float64, wherever the backend has them, at the
  largest value of the dtype: the value is the exact reference at that step (as the step converts
  to the compute dtype), so nothing overflows inside a formula. Where a periodic schedule's phase
  is not representable in the compute dtype (steps past 2**53, 2**24 in float32), the value is
  checked to lie in the schedule's range instead.
* Negative steps (down to each dtype's minimum, and -inf) give the value at step 0.
* NaN steps give NaN.
* +inf gives the schedule's limit where it has one. Where it has none, +inf gives NaN (and NumPy
  may warn "invalid value"). This holds for oscillating schedules: CosineDecayRestarts with
  ``m_mul=1``, Cyclic ``"triangular"`` and ``"exp_range"`` with ``gamma >= 1``,
  WarmupStableDecay's cosine decays with ``continue_decay=True``. It also holds for composites
  with such a part (even a product whose other factor tends to 0).
* Empty and 0-d steps keep their shape.
* float16 and bfloat16 results are the float64 (or float32) result cast by the backend; whether
  that cast is correctly rounded is checked on its own, with values that catch double rounding.
* torch with ``torch.set_default_dtype(torch.float64)``.
* No warnings on ordinary steps, for every schedule, backend and result dtype.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import array_api_compat
import numpy as np
import pytest

import lrschedule
from lrschedule import LearningRateSchedule, _array
from references import (
    Reference,
    bounded,
    constant,
    cosine,
    cosine_power,
    cyclic,
    exponential,
    interpolate,
    inverse_sqrt,
    inverse_time,
    linear,
    multi_step_decay,
    one_cycle,
    one_cycle_momentum,
    piecewise,
    polynomial,
    product,
    sequential,
    sgdr,
    shifted,
    step_decay,
    warmup,
    wsd,
)

if TYPE_CHECKING:
    from conftest import Backend

L = lrschedule


# -- one or more schedules of every class, with their limits at +inf ------------------------------


@dataclass(frozen=True)
class Edge:
    id: str
    schedule: LearningRateSchedule
    reference: Reference
    limit: float | None  # the value at +inf; None: no limit (NaN)
    bounds: tuple[float, float] | None = None  # periodic: where its values lie

    def __repr__(self) -> str:
        return self.id


EDGES = [
    Edge("exp", L.ExponentialDecay(0.1, 1000, 0.96), exponential(0.1, 1000, 0.96), 0.0),
    Edge(
        "exp-stair-end",
        L.ExponentialDecay(0.1, 1000, 0.5, staircase=True, end_learning_rate=0.001),
        bounded(exponential(0.1, 1000, 0.5, True), 0.001, 0.5),
        0.001,
    ),
    Edge(
        "exp-growth-ceiling",
        L.ExponentialDecay(0.01, 10, 1.5, end_learning_rate=0.5),
        bounded(exponential(0.01, 10, 1.5), 0.5, 1.5),
        0.5,
    ),
    Edge(
        "exp-begin",
        L.ExponentialDecay(0.1, 100, 0.5, transition_begin=250),
        shifted(exponential(0.1, 100, 0.5), 250),
        0.0,
    ),
    Edge("inv", L.InverseTimeDecay(0.1, 10, 0.5), inverse_time(0.1, 10, 0.5), 0.0),
    Edge(
        "inv-stair",
        L.InverseTimeDecay(0.1, 100, 2.0, staircase=True),
        inverse_time(0.1, 100, 2.0, True),
        0.0,
    ),
    Edge(
        "poly",
        L.PolynomialDecay(0.1, 1000, 0.001, power=2.5),
        polynomial(0.1, 1000, 0.001, 2.5),
        0.001,
    ),
    Edge(
        "poly-cycle",
        L.PolynomialDecay(0.1, 100, 0.01, power=0.5, cycle=True),
        polynomial(0.1, 100, 0.01, 0.5, True),
        0.01,
        bounds=(0.01, 0.1),
    ),
    Edge(
        "poly-begin",
        L.PolynomialDecay(0.1, 500, 0.001, power=2.0, transition_begin=100),
        shifted(polynomial(0.1, 500, 0.001, 2.0), 100),
        0.001,
    ),
    Edge(
        "piecewise",
        L.PiecewiseConstantDecay([10, 100, 1000], [1.0, 0.5, 0.1, 0.01]),
        piecewise([10, 100, 1000], [1.0, 0.5, 0.1, 0.01]),
        0.01,
    ),
    Edge(
        "cos-warmup",
        L.CosineDecay(0.01, 10_000, alpha=0.05, warmup_target=1.0, warmup_steps=999),
        cosine(0.01, 10_000, 0.05, 1.0, 999),
        0.05,
    ),
    Edge(
        "cos-exponent",
        L.CosineDecay(0.1, 1000, alpha=0.1, exponent=2.0),
        cosine_power(0.1, 1000, 0.1, 2.0),
        0.1 * 0.1,
    ),
    Edge("sgdr", L.CosineDecayRestarts(1.0, 10), sgdr(1.0, 10), None, bounds=(0.0, 1.0)),
    Edge(
        "sgdr-m",
        L.CosineDecayRestarts(0.1, 64, t_mul=1.5, m_mul=0.5, alpha=0.01),
        sgdr(0.1, 64, 1.5, 0.5, 0.01),
        0.1 * 0.01,
        bounds=(0.001, 0.1),
    ),
    Edge(
        "sgdr-t1-m",
        L.CosineDecayRestarts(0.1, 100, t_mul=1.0, m_mul=0.9),
        sgdr(0.1, 100, 1.0, 0.9),
        0.0,
        bounds=(0.0, 0.1),
    ),
    Edge("step", L.StepDecay(0.1, 30), step_decay(0.1, 30, 0.1), 0.0),
    Edge(
        "step-gamma-1",
        L.StepDecay(0.1, 30, gamma=1.0),
        step_decay(0.1, 30, 1.0),
        0.1,
    ),
    Edge("step-gamma-0", L.StepDecay(0.5, 10, gamma=0.0), step_decay(0.5, 10, 0.0), 0.0),
    Edge(
        "multistep",
        L.MultiStepDecay(1.0, [0, 10, 10, 250], gamma=0.5),
        multi_step_decay(1.0, [0, 10, 10, 250], 0.5),
        0.5**4,
    ),
    Edge("onecycle", L.OneCycle(0.1, 1000), one_cycle(0.1, 1000), 0.1 / 25 / 1e4),
    Edge(
        "onecycle-momentum",
        L.OneCycleMomentum(0.85, 0.95, 1000),
        one_cycle_momentum(0.85, 0.95, 1000),
        0.95,
    ),
    Edge(
        "onecycle-3",
        L.OneCycle(2.0, 333, pct_start=0.4, anneal_strategy="linear", three_phase=True),
        one_cycle(2.0, 333, 0.4, "linear", three_phase=True),
        2.0 / 25 / 1e4,
    ),
    Edge(
        "cyclic",
        L.Cyclic(0.001, 0.006, 20),
        cyclic(0.001, 0.006, 20),
        None,
        bounds=(0.001, 0.006),
    ),
    Edge(
        "cyclic-tri2",
        L.Cyclic(0.001, 0.1, 15, mode="triangular2"),
        cyclic(0.001, 0.1, 15, mode="triangular2"),
        0.001,
        bounds=(0.001, 0.1),
    ),
    Edge(
        "cyclic-exp",
        L.Cyclic(0.001, 0.01, 10, 25, mode="exp_range", gamma=0.99),
        cyclic(0.001, 0.01, 10, 25, mode="exp_range", gamma=0.99),
        0.001,
        bounds=(0.001, 0.01),
    ),
    Edge("constant", L.Constant(0.25), constant(0.25), 0.25),
    Edge("linear", L.Linear(0.0, 1.0, 300, 50), linear(0.0, 1.0, 300, 50), 1.0),
    Edge(
        "interp",
        L.PiecewiseInterpolate([0, 500, 1001], [0.1, 0.2, 0.02], "cosine"),
        interpolate([0, 500, 1001], [0.1, 0.2, 0.02], "cosine"),
        0.02,
    ),
    Edge("isqrt", L.InverseSqrt(0.01, 4000), inverse_sqrt(0.01, 4000), 0.0),
    Edge("isqrt-timescale", L.InverseSqrt(0.1, 0, 50), inverse_sqrt(0.1, 0, 50), 0.0),
    Edge(
        "wsd",
        L.WarmupStableDecay(0.1, 10, 80, 10, min_lr_ratio=0.1),
        wsd(0.1, 10, 80, 10, 0.1),
        0.01,
    ),
    Edge(
        "wsd-1sqrt-continue",
        L.WarmupStableDecay(1.0, 0, 0, 100, 0.1, "linear", "1-sqrt", continue_decay=True),
        wsd(1.0, 0, 0, 100, 0.1, decay_type="1-sqrt", continue_decay=True),
        0.0,
    ),
    Edge(
        "wsd-restarts",
        L.WarmupStableDecay(1.0, 5, 0, 97, 0.0, "linear", "cosine_with_restarts", 3),
        wsd(1.0, 5, 0, 97, 0.0, decay_type="cosine_with_restarts", c=3),
        0.0,
    ),
    Edge(
        "wsd-cosine-continue",
        L.WarmupStableDecay(0.1, 10, 0, 100, continue_decay=True),
        wsd(0.1, 10, 0, 100, continue_decay=True),
        None,
        bounds=(0.0, 0.1),
    ),
    Edge(
        "warmup",
        L.Warmup(L.CosineDecay(1.0, 900, alpha=0.05), 100, 0.1),
        warmup(cosine(1.0, 900, 0.05), 100, 0.1),
        0.05,
    ),
    Edge(
        "warmup-sgdr",
        L.Warmup(L.CosineDecayRestarts(0.5, 64), 1000),
        warmup(sgdr(0.5, 64), 1000),
        None,
        bounds=(0.0, 0.5),
    ),
    Edge(
        "sequential",
        L.Sequential(
            [L.Linear(0.0, 1.0, 100), L.CosineDecay(1.0, 400), L.Constant(0.01)], [100, 500]
        ),
        sequential([linear(0.0, 1.0, 100), cosine(1.0, 400), constant(0.01)], [100, 500]),
        0.01,
    ),
    Edge(
        "product",
        L.ExponentialDecay(1.0, 1000, 0.5, staircase=True) * L.CosineDecay(1.0, 100, 0.5) * 0.1,
        product(exponential(1.0, 1000, 0.5, True), cosine(1.0, 100, 0.5), scale=0.1),
        0.0,
    ),
    Edge(
        "product-sgdr",
        L.ExponentialDecay(1.0, 1000, 0.5, staircase=True) * L.CosineDecayRestarts(1.0, 100) * 0.1,
        product(exponential(1.0, 1000, 0.5, True), sgdr(1.0, 100), scale=0.1),
        None,  # 0 * (no limit): NaN, as documented above
        bounds=(0.0, 0.1),
    ),
]


def test_every_class_has_an_edge_case() -> None:
    builtin = {
        name
        for name, cls in lrschedule.registered().items()
        if cls.__module__.startswith("lrschedule.schedules.")
    }
    assert builtin <= {type(edge.schedule).__name__ for edge in EDGES}


# -- helpers ------------------------------------------------------------------------------------

INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOATS = ("float16", "float32", "float64")


def _namespace_info(backend: Backend) -> Any:
    import array_api_compat

    with backend.context():
        xp = array_api_compat.array_namespace(backend.asarray([0], "int32"))
        return xp.__array_namespace_info__()


def step_dtypes(backend: Backend, kinds: Sequence[str] = INTS + FLOATS) -> list[str]:
    """The step dtypes this backend has on its device (float16 where the library has it)."""
    with backend.context():
        offered = set(_namespace_info(backend).dtypes(device=backend.device))
    if backend.id not in ("dask",) and not backend.id.startswith("strict"):
        offered.add("float16")  # outside the standard; NumPy, torch, JAX and CuPy have it
    if backend.id == "torch":
        offered |= {"uint16", "uint32", "uint64"}  # torch >= 2.3 has them, unlisted
    chosen = [dtype for dtype in kinds if dtype in offered]
    if "jit" in backend.id:  # each dtype compiles anew: the narrowest and the widest of each kind
        keep = {"int8", "uint8", "float16", "float32", "float64"}
        for kind in ("int", "uint"):
            same = [d for d in chosen if d.startswith(kind)]
            keep |= {max(same, key=lambda d: np.dtype(d).itemsize)} if same else set()
        chosen = [dtype for dtype in chosen if dtype in keep]
    return chosen


def _largest(dtype: str) -> int:
    info = np.iinfo(dtype) if dtype in INTS else np.finfo(dtype)
    return int(info.max)


def _smallest(dtype: str) -> float:
    info = np.iinfo(dtype) if dtype in INTS else np.finfo(dtype)
    return info.min  # type: ignore[no-any-return]


def _compute(backend: Backend) -> type:
    return np.float64 if backend.float64 else np.float32


def _call(
    backend: Backend, schedule: LearningRateSchedule, steps: Sequence[Any], dtype: str
) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = backend.call(schedule, backend.asarray(np.asarray(steps, dtype=dtype), dtype))
    assert backend.same_device(result)
    return backend.to_numpy(result).astype(np.float64)


def _in_range(value: float, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    slack = 1e-6 * max(abs(low), abs(high))
    return low - slack <= value <= high + slack


# -- the tests ----------------------------------------------------------------------------------


def _tolerance(backend: Backend, scale: float) -> dict[str, float]:
    if not backend.float64:  # float32 compute: the rounding of the step and of each operation
        return {"rel": 1e-4, "abs": 1e-6 * scale}
    if backend.default_float == "float32":  # float64 compute, rounded once to float32
        return {"rel": 2**-23, "abs": 1e-44 + 1e-15 * scale}
    return {"rel": 1e-9, "abs": 1e-15 * scale}  # a cancellation to 0 leaves a few ulp of scale


def _check_at(
    backend: Backend, edge: Edge, dtype: str, steps: Sequence[Any], values: np.ndarray
) -> None:
    """``values`` (of ``steps`` in ``dtype``) against the exact reference at the steps as they
    convert to the compute dtype; a periodic schedule only within its range where its phase
    is ill-conditioned (beyond 2**24 steps: an error of one ulp in the phase is a visible error
    in the value)."""
    compute = _compute(backend)
    reference_steps = [int(compute(np.asarray(t, dtype=dtype))) for t in steps]
    exact = np.asarray([float(edge.reference(t)) for t in reference_steps])
    scale = float(np.max(np.abs([float(edge.reference(t)) for t in (0, 1, 100)]))) or 1.0
    for t, value, expected in zip(reference_steps, values, exact, strict=True):
        where = f"{dtype} step {t}"
        if edge.bounds is not None and t >= (2**24 if backend.float64 else 2**10):
            assert _in_range(value, edge.bounds), (where, value, edge.bounds)
        else:
            assert value == pytest.approx(expected, **_tolerance(backend, scale)), where


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_largest_step_of_each_dtype(backend: Backend, edge: Edge) -> None:
    """At the largest step of every integer step dtype (and of float16) the value is the exact
    one: no overflow inside a formula, no warning. (The float32 and float64 maxima: below.)"""
    for dtype in step_dtypes(backend, (*INTS, "float16")):
        steps = [0, 1, 100, _largest(dtype)]
        _check_at(backend, edge, dtype, steps, _call(backend, edge.schedule, steps, dtype))


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_float_maximum_steps(edge: Edge) -> None:
    """The largest float32 and float64 steps, on NumPy (arrays and scalars): the right value (in
    range for a periodic schedule), no NaN, no warning. Other backends compute the same formulas
    (where the compute dtype is float32, its maximum overflows the same way: JAX without x64
    gives NaN for PolynomialDecay cycle=True at the float32 maximum step)."""
    backend = _numpy_backend()
    for dtype in ("float32", "float64"):
        steps = [0, 1, 100, _largest(dtype)]
        values = _call(backend, edge.schedule, steps, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scalar = float(edge.schedule(np.asarray(_largest(dtype), dtype=dtype)[()]))
        assert not np.isnan(values).any(), dtype
        assert not math.isnan(scalar), dtype
        _check_at(backend, edge, dtype, steps, values)
        _check_at(backend, edge, dtype, steps[-1:], np.asarray([scalar]))


def _numpy_backend() -> Backend:
    from conftest import Backend

    return Backend("numpy", np, dtypes=("float16", "float32", "float64"))


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_negative_steps_are_step_zero(backend: Backend, edge: Edge) -> None:
    for dtype in step_dtypes(backend):
        if dtype.startswith("uint"):
            continue
        steps: list[Any] = [_smallest(dtype), -1, 0]
        if dtype in FLOATS:
            steps += [-math.inf, -0.0, -0.5]
        values = _call(backend, edge.schedule, steps, dtype)
        np.testing.assert_array_equal(values, values[2], err_msg=dtype)


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_nan_steps_give_nan(backend: Backend, edge: Edge) -> None:
    for dtype in step_dtypes(backend, FLOATS):
        values = _call(backend, edge.schedule, [math.nan, 0.0], dtype)
        assert np.isnan(values[0]), dtype
        assert np.isfinite(values[1]), dtype
    assert np.isnan(edge.schedule(math.nan))
    assert np.isnan(edge.schedule(np.float16("nan")))


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_infinite_step_gives_the_limit(backend: Backend, edge: Edge) -> None:
    for dtype in step_dtypes(backend, FLOATS):
        if edge.limit is None:  # no limit: NaN, and NumPy may say "invalid value"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = backend.call(edge.schedule, backend.asarray([math.inf], dtype))
                assert np.isnan(backend.to_numpy(result)).all(), dtype
            continue
        value = _call(backend, edge.schedule, [math.inf], dtype)[0]
        cancellation = 1e-6 if not backend.float64 else 1e-15  # of the scale (about 1 here)
        assert value == pytest.approx(edge.limit, rel=1e-6, abs=cancellation), dtype


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_infinite_scalar_step_gives_the_limit(edge: Edge) -> None:
    for step in (math.inf, np.float64("inf"), np.float32("inf"), np.float16("inf"), 10**400):
        value = edge.schedule(step)
        if edge.limit is None:
            assert np.isnan(value)
        else:
            assert value == pytest.approx(edge.limit, rel=1e-12, abs=1e-15), step


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (2, 1, 2)], ids=str)
@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_empty_and_0d_steps_keep_their_shape(
    backend: Backend, edge: Edge, shape: tuple[int, ...]
) -> None:
    steps = (np.arange(math.prod(shape)) * 97).reshape(shape)
    with backend.context():
        result = backend.call(edge.schedule, backend.asarray(steps, "int32"))
    assert tuple(result.shape) == shape
    values = backend.to_numpy(result).astype(np.float64)
    expected = np.asarray([float(edge.reference(int(t))) for t in steps.ravel()]).reshape(shape)
    np.testing.assert_allclose(values, expected, rtol=2e-5, atol=1e-7)


def _with_dtype(schedule: LearningRateSchedule, dtype: str) -> LearningRateSchedule:
    return type(schedule).from_config({**schedule.get_config(), "dtype": dtype})


ORDINARY = [
    0,
    1,
    2,
    5,
    9,
    10,
    11,
    17,
    50,
    99,
    100,
    101,
    250,
    333,
    500,
    999,
    1000,
    1001,
    5000,
    12345,
]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_half_precision_results_are_the_cast_wide_result(
    backend: Backend, edge: Edge, dtype: str
) -> None:
    """A float16/bfloat16 result is the float64 result (float32 where the device computes in
    float32) cast once by the backend: no extra rounding of intermediate values."""
    if dtype not in backend.dtypes:
        pytest.skip(f"{backend.id} has no {dtype}")
    wide = "float64" if "float64" in backend.dtypes else "float32"
    steps = backend.asarray(ORDINARY)
    with backend.context():
        small = backend.call(_with_dtype(edge.schedule, dtype), steps)
        full = backend.call(_with_dtype(edge.schedule, wide), steps)
        xp = _namespace_of(full)
        cast = xp.astype(full, small.dtype)  # not every namespace names float16 and bfloat16
    assert backend.dtype_name(small) == dtype
    np.testing.assert_array_equal(backend.to_numpy(small), backend.to_numpy(cast))


def _namespace_of(array: Any) -> Any:
    import array_api_compat

    return array_api_compat.array_namespace(array)


def correctly_rounded(x: float, dtype: str) -> float:
    """``x`` rounded to nearest (ties to even) in float16/bfloat16, directly from float64."""
    bits, min_exponent, top = {
        "float16": (11, -24, 65504.0),
        "bfloat16": (8, -133, 3.3895313892515355e38),
    }[dtype]
    if x == 0 or not math.isfinite(x):
        return x
    _, exponent = math.frexp(x)
    quantum = max(exponent - bits, min_exponent)
    rounded = round(x / 2.0**quantum) * 2.0**quantum  # exact scaling; round() is ties-to-even
    ulp_at_top = 2.0 ** (math.frexp(top)[1] - bits)
    return (
        rounded
        if abs(rounded) <= top
        else (math.inf if x > 0 else -math.inf)
        if abs(x) >= top + ulp_at_top / 2
        else math.copysign(top, x)
    )


# float64 values just above a float16 (bfloat16) rounding midpoint: correct rounding goes up; a
# cast through float32 lands on the midpoint and ties to even, down.
TRAPS = {"float16": 1 + 2**-11 + 2**-40, "bfloat16": 1 + 2**-8 + 2**-40}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_results_are_correctly_rounded(backend: Backend, dtype: str) -> None:
    if dtype not in backend.dtypes:
        pytest.skip(f"{backend.id} has no {dtype}")
    if not backend.float64:
        pytest.skip("computed in float32: the value is rounded to float32 first, by definition")
    x = TRAPS[dtype]
    expected = correctly_rounded(x, dtype)
    assert expected > 1 + 2 ** -(11 if dtype == "float16" else 8)  # the trap is set
    for schedule in (L.Constant(x, dtype=dtype), L.Linear(x, x, 10, dtype=dtype)):
        values = backend.to_numpy(backend.call(schedule, backend.asarray([0, 3, 20])))
        np.testing.assert_array_equal(values.astype(np.float64), expected)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_rounding_of_many_values(backend: Backend, dtype: str) -> None:
    """Values at, just off and between half-precision midpoints (normal and subnormal, both
    signs), near the largest finite value, and non-finite: every one correctly rounded."""
    if not _array._double_rounding(array_api_compat.array_namespace(backend.asarray([0]))):
        pytest.skip(f"{backend.id} casts float64 to {dtype} directly")
    if dtype not in backend.dtypes:
        pytest.skip(f"{backend.id} has no {dtype}")
    if not backend.float64:
        pytest.skip("computed in float32: the value is rounded to float32 first, by definition")
    bits = 11 if dtype == "float16" else 8
    rng = np.random.default_rng(bits)
    exponents = rng.integers(-24 if dtype == "float16" else -126, 15, 3000)
    mantissas = rng.integers(2 ** (bits - 1), 2**bits, 3000) + 0.5  # midpoints
    midpoints = np.ldexp(mantissas, exponents - bits + 1)
    nudges = np.ldexp(rng.choice([-1.0, 1.0], 3000), exponents - 40)
    values = np.concatenate(
        [
            midpoints,
            midpoints + nudges,
            midpoints - nudges,
            -(midpoints + nudges),
            rng.standard_normal(2000) * 10.0 ** rng.integers(-8, 5, 2000),
            [0.0, -0.0, 65504.0, 65519.99, 65520.0, 1e38, math.inf, -math.inf, math.nan],
        ]
    )
    with backend.context():
        array = backend.asarray(values, "float64")
        xp = array_api_compat.array_namespace(array)
        got = backend.to_numpy(_array._to_half(xp, array, getattr(xp, dtype), xp.float32)).astype(
            np.float64
        )
    expected = np.asarray([correctly_rounded(float(x), dtype) for x in values])
    np.testing.assert_array_equal(got, expected)


def test_the_rounding_reference_agrees_with_numpy() -> None:
    rng = np.random.default_rng(0)
    xs = np.concatenate(
        [
            rng.standard_normal(2000) * 10.0 ** rng.integers(-10, 6, 2000),
            [65519.0, 65520.0, 1e-8, 6e-8],
        ]
    )
    with np.errstate(over="ignore"):
        for x in xs:
            assert correctly_rounded(float(x), "float16") == float(np.float16(x)), x


@pytest.mark.skipif(
    not __import__("importlib.util").util.find_spec("torch"), reason="torch is not installed"
)
@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_torch_default_dtype_float64(edge: Edge) -> None:
    import torch

    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        result = edge.schedule(torch.as_tensor(ORDINARY))
        assert result.dtype == torch.float64
        expected = [float(edge.reference(t)) for t in ORDINARY]
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-9, atol=1e-15)
        scalar_tensor = edge.schedule(torch.tensor(7.0))
        assert scalar_tensor.dtype == torch.float64
    finally:
        torch.set_default_dtype(old)
    assert edge.schedule(torch.as_tensor(ORDINARY)).dtype == old


@contextlib.contextmanager
def _no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_no_warnings_in_normal_use(backend: Backend, edge: Edge) -> None:
    """Ordinary steps, integer and float, default and every offered result dtype: no warning."""
    float_steps = [t + 0.5 for t in ORDINARY]
    dtypes = (None, *backend.dtypes) if "jit" not in backend.id else (None, backend.dtypes[0])
    for dtype in dtypes:
        schedule = edge.schedule if dtype is None else _with_dtype(edge.schedule, dtype)
        with _no_warnings():
            backend.call(schedule, backend.asarray(ORDINARY))
            backend.call(schedule, backend.asarray(float_steps, "float32"))
    with _no_warnings():
        for t in ORDINARY[:5]:
            edge.schedule(t)
            edge.schedule(float(t))
            edge.schedule(np.int32(t))
