"""Properties over generated schedules and steps (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import lrschedule
from lrschedule import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

rates = st.floats(1e-6, 10.0)
periods = st.one_of(st.integers(1, 10**6), st.floats(0.5, 1e6))
fractions = st.floats(0.0, 1.0)
steps = st.integers(0, 2**40)


@st.composite
def piecewise(draw: st.DrawFn) -> PiecewiseConstantDecay:
    boundaries = sorted(draw(st.lists(st.integers(0, 10**6), max_size=12)))
    values = draw(st.lists(rates, min_size=len(boundaries) + 1, max_size=len(boundaries) + 1))
    return PiecewiseConstantDecay(boundaries, values)


schedules = st.one_of(
    st.builds(ExponentialDecay, rates, periods, st.floats(0.01, 1.0), st.booleans()),
    st.builds(InverseTimeDecay, rates, periods, st.floats(0.01, 100.0), st.booleans()),
    st.builds(
        PolynomialDecay, rates, periods, st.floats(0.0, 1e-3), st.floats(0.0, 5.0), st.booleans()
    ),
    piecewise(),
    st.builds(CosineDecay, rates, periods, fractions),
    st.builds(
        CosineDecay,
        rates,
        periods,
        fractions,
        warmup_target=rates,
        warmup_steps=st.integers(0, 10**5),
    ),
    st.builds(
        CosineDecayRestarts,
        rates,
        periods,
        st.sampled_from([1.0, 1.5, 2.0, 3.0]),
        fractions,
        fractions,
    ),
)


@given(schedules, st.lists(steps, min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_scalar_call_equals_vectorized_call(schedule: Any, ts: list[int]) -> None:
    """Equal up to the last bits of float64: the scalar path uses Python's libm, NumPy its SIMD
    loops, and the two may round exp/sin/log/pow differently by an ulp (which a formula's own
    cancellation, e.g. a polynomial decay rising to its end value, can amplify)."""
    vector = schedule(np.asarray(ts, dtype=np.int64))
    scalars = np.asarray([schedule(t) for t in ts])
    scale = float(np.max(np.abs(vector)))
    np.testing.assert_allclose(scalars, vector, rtol=1e-13, atol=1e-13 * scale)
    as_float32 = type(schedule).from_config({**schedule.get_config(), "dtype": "float32"})
    np.testing.assert_array_max_ulp(
        np.asarray([as_float32(t) for t in ts]), as_float32(np.asarray(ts)), maxulp=1
    )


@given(schedules, steps)
@settings(max_examples=300, deadline=None)
def test_finite_for_finite_steps(schedule: Any, t: int) -> None:
    assert math.isfinite(schedule(t))
    assert np.isfinite(schedule(np.asarray([t], dtype=np.int64))).all()


@given(schedules)
@settings(max_examples=200, deadline=None)
def test_config_round_trip(schedule: Any) -> None:
    loaded = lrschedule.from_json(lrschedule.to_json(schedule))
    assert loaded == schedule
    probe = np.asarray([0, 1, 17, 1000, 10**6], dtype=np.int64)
    np.testing.assert_array_equal(loaded(probe), schedule(probe))


@given(rates, st.integers(1, 10**5), st.floats(0.01, 0.99), st.integers(0, 10**9))
@settings(max_examples=200, deadline=None)
def test_staircase_constant_within_interval(lr: float, period: int, rate: float, t: int) -> None:
    for cls in (ExponentialDecay, InverseTimeDecay):
        s = cls(lr, period, rate, staircase=True)
        start = (t // period) * period
        assert s(start) == s(t) == s(start + period - 1)
        assert s(start + period) <= s(t)


@given(
    schedules.filter(lambda s: not isinstance(s, (CosineDecayRestarts,))),
    st.lists(steps, min_size=2, max_size=30),
)
@settings(max_examples=300, deadline=None)
def test_monotone_after_warmup(schedule: Any, ts: list[int]) -> None:
    """Every Keras decay but SGDR is non-increasing (after a CosineDecay warmup, which rises)."""
    begin = getattr(schedule, "warmup_steps", 0) if getattr(schedule, "warmup_target", None) else 0
    if isinstance(schedule, PolynomialDecay) and (
        schedule.cycle or schedule.end_learning_rate > schedule.initial_learning_rate
    ):
        return  # each cycle restarts from a higher value; or it rises to its end value
    if isinstance(schedule, PiecewiseConstantDecay) and list(schedule.values) != sorted(
        schedule.values, reverse=True
    ):
        return  # arbitrary values
    ordered = sorted(t + int(begin) for t in ts)
    values = schedule(np.asarray(ordered, dtype=np.int64))
    assert (np.diff(values) <= 1e-15 * np.abs(values[:-1])).all()


@given(
    st.floats(1e-6, 10.0),
    st.integers(1, 10**4),
    st.sampled_from([1.0, 2.0, 3.0]),
    st.integers(0, 30),
)
@settings(max_examples=200, deadline=None)
def test_sgdr_restarts_at_every_period_start(lr: float, t0: int, t_mul: float, i: int) -> None:
    """At each period start the rate is back at its peak, in float64 and in float32."""
    start = sum(int(t0 * t_mul**j) for j in range(i))
    if start >= 2**53:
        return
    for dtype in ("float64", "float32"):
        s = CosineDecayRestarts(lr, t0, t_mul=t_mul, dtype=dtype)
        assert s(start) == np.asarray(lr, dtype=dtype), (start, s(start))
        assert s(np.asarray([start]))[0] == np.asarray(lr, dtype=dtype)
