"""Parity with Keras 3 for the six Keras-family schedules: values and configs, both ways.

Each case builds the same schedule in lrschedule and in ``keras.optimizers.schedules`` from the same
arguments, and checks that

* the values agree to ``RTOL`` (plus a small absolute tolerance, since Keras computes in float32) at
  step 0 and 1, exactly at and just around every point where the schedule changes regime (decay
  periods, boundaries, the end of warmup and of decay, restarts), at a seeded random sample and up to
  ``2**20 - 1``, through both our array path and our Python-int path;
* ``get_config()`` is exactly Keras's (same keys, defaults and default names), and Keras's config
  loads in lrschedule in every form it comes in (Keras 3's ``serialize``, the same through JSON text,
  TF 2's ``{"class_name", "config"}``), and lrschedule's config loads in Keras.

Where Keras's float32 arithmetic is ill-conditioned it is allowed to differ from us, but only where we
are right: for ``CosineDecayRestarts`` (Keras's closed form for the period index can miss a restart,
and its in-period fraction loses digits as the step grows) and for ``PolynomialDecay`` with
``power < 1`` (``(1 - p) ** power`` magnifies the rounding of ``p`` near the end of a decay), our
values are also checked, at every step, against an independent reference written from the published
definition with exact (``fractions.Fraction``) period arithmetic and ``mpmath``.

Run with ``KERAS_BACKEND=numpy`` or ``KERAS_BACKEND=torch``; numpy is the default here.
"""

from __future__ import annotations

import copy
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt
import pytest

import lrschedule

os.environ.setdefault("KERAS_BACKEND", "numpy")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # a backend may warn once at import; that is not under test
    keras = pytest.importorskip("keras")

Values = npt.NDArray[np.float64]

MAX_STEP = 2**20 - 1
"""The largest step compared; every step below 2**20 is exact in Keras's float32."""

RTOL = 2e-5
ATOL = 1e-7
"""Absolute tolerance as a fraction of the largest learning rate of the schedule on the grid."""

REFERENCE_RTOL = 1e-12
REFERENCE_ATOL = 1e-15
"""Tolerances between our float64 values and the exact reference (``ATOL`` scaled as above)."""

RANDOM_STEPS = 64


@dataclass(frozen=True)
class Case:
    """One schedule: the class name (the same in both libraries) and its arguments."""

    cls: str
    label: str
    kwargs: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.cls}-{self.label}"

    def ours(self, **extra: Any) -> lrschedule.LearningRateSchedule:
        schedule: lrschedule.LearningRateSchedule = getattr(lrschedule, self.cls)(
            **copy.deepcopy(dict(self.kwargs)), **extra
        )
        return schedule

    def keras(self) -> Any:
        return getattr(keras.optimizers.schedules, self.cls)(**copy.deepcopy(dict(self.kwargs)))

    @property
    def keras_takes_one_step(self) -> bool:
        """Keras's ``PiecewiseConstantDecay`` accumulates into a 0-d array and ``CosineDecay`` with
        warmup branches with ``ops.cond`` on the step: both take one scalar step per call."""
        warmup = self.cls == "CosineDecay" and self.kwargs.get("warmup_target") is not None
        return self.cls == "PiecewiseConstantDecay" or warmup

    @property
    def reference(self) -> Callable[[int], float] | None:
        """The exact reference where Keras's float32 may legitimately be off, else ``None``."""
        if self.cls == "CosineDecayRestarts":
            return lambda step: _sgdr_reference(step, **self.kwargs)
        if self.cls == "PolynomialDecay" and self.kwargs.get("power", 1.0) < 1.0:
            return lambda step: _polynomial_reference(step, **self.kwargs)
        return None


CASES = [
    # ExponentialDecay
    Case(
        "ExponentialDecay",
        "defaults",
        dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96),
    ),
    Case(
        "ExponentialDecay",
        "staircase",
        dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True),
    ),
    Case(
        "ExponentialDecay",
        "float_decay_steps-staircase",
        dict(initial_learning_rate=1.0, decay_steps=12.5, decay_rate=0.5, staircase=True),
    ),
    Case(
        "ExponentialDecay",
        "float_decay_steps",
        dict(initial_learning_rate=0.01, decay_steps=7.5, decay_rate=0.999),
    ),
    Case(
        "ExponentialDecay",
        "short_period-underflow",
        dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.9),
    ),
    Case(
        "ExponentialDecay",
        "growth",
        dict(initial_learning_rate=0.1, decay_steps=100_000, decay_rate=1.01, staircase=False),
    ),
    Case(
        "ExponentialDecay",
        "custom_name",
        dict(initial_learning_rate=0.5, decay_steps=2**19, decay_rate=0.25, name="my_decay"),
    ),
    # InverseTimeDecay
    Case(
        "InverseTimeDecay",
        "defaults",
        dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5),
    ),
    Case(
        "InverseTimeDecay",
        "staircase",
        dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5, staircase=True),
    ),
    Case(
        "InverseTimeDecay",
        "float_decay_steps-staircase",
        dict(initial_learning_rate=0.5, decay_steps=7.5, decay_rate=2.0, staircase=True),
    ),
    Case(
        "InverseTimeDecay",
        "decay_steps_below_1",
        dict(initial_learning_rate=1.0, decay_steps=0.75, decay_rate=0.01),
    ),
    Case(
        "InverseTimeDecay",
        "name_none",
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.1, name=None),
    ),
    # PolynomialDecay
    Case("PolynomialDecay", "defaults", dict(initial_learning_rate=0.1, decay_steps=1000)),
    Case(
        "PolynomialDecay",
        "power2-end0",
        dict(initial_learning_rate=0.1, decay_steps=1000, end_learning_rate=0.0, power=2.0),
    ),
    Case(
        "PolynomialDecay",
        "power0.5",
        dict(initial_learning_rate=0.1, decay_steps=1000, end_learning_rate=0.001, power=0.5),
    ),
    Case(
        "PolynomialDecay",
        "increasing-power1.5-long",
        dict(initial_learning_rate=0.001, decay_steps=2**19, end_learning_rate=0.1, power=1.5),
    ),
    Case("PolynomialDecay", "whole_range", dict(initial_learning_rate=0.1, decay_steps=MAX_STEP)),
    Case("PolynomialDecay", "cycle", dict(initial_learning_rate=0.1, decay_steps=1000, cycle=True)),
    Case(
        "PolynomialDecay",
        "cycle-power3-float_decay_steps",
        dict(
            initial_learning_rate=0.1,
            decay_steps=100.5,
            end_learning_rate=0.01,
            power=3.0,
            cycle=True,
        ),
    ),
    Case(
        "PolynomialDecay",
        "cycle-power2-short_period",
        dict(
            initial_learning_rate=0.1, decay_steps=7, end_learning_rate=0.01, power=2.0, cycle=True
        ),
    ),
    Case(
        "PolynomialDecay",
        "cycle-power0.5",
        dict(
            initial_learning_rate=0.1,
            decay_steps=1000,
            end_learning_rate=0.0,
            power=0.5,
            cycle=True,
        ),
    ),
    # PiecewiseConstantDecay
    Case("PiecewiseConstantDecay", "one_boundary", dict(boundaries=[1000], values=[0.1, 0.01])),
    Case("PiecewiseConstantDecay", "one_boundary_at_0", dict(boundaries=[0], values=[1.0, 0.5])),
    Case(
        "PiecewiseConstantDecay",
        "many",
        dict(
            boundaries=[10, 100, 1000, 10_000, 100_000, MAX_STEP - 1],
            values=[1.0, 0.5, 0.2, 0.1, 0.05, 0.01, 0.001],
        ),
    ),
    Case(
        "PiecewiseConstantDecay",
        "31_boundaries",
        dict(
            boundaries=list(range(2**15, 2**20, 2**15)), values=[1.0 / (i + 1) for i in range(32)]
        ),
    ),
    Case(
        "PiecewiseConstantDecay",
        "float_boundaries-not_monotone",
        dict(boundaries=[100.5, 250.25, 999.999], values=[0.01, 0.1, 0.05, 0.001]),
    ),
    Case(
        "PiecewiseConstantDecay",
        "repeated_boundary-custom_name",
        dict(boundaries=[10, 10, 20], values=[1.0, 0.5, 0.25, 0.1], name="steps"),
    ),
    # CosineDecay
    Case("CosineDecay", "defaults", dict(initial_learning_rate=0.1, decay_steps=1000)),
    Case("CosineDecay", "alpha", dict(initial_learning_rate=0.1, decay_steps=1000, alpha=0.1)),
    Case(
        "CosineDecay",
        "whole_range-alpha",
        dict(initial_learning_rate=0.1, decay_steps=MAX_STEP, alpha=0.01),
    ),
    Case("CosineDecay", "float_decay_steps", dict(initial_learning_rate=1.0, decay_steps=999.5)),
    Case(
        "CosineDecay",
        "warmup_steps_without_target",
        dict(initial_learning_rate=0.1, decay_steps=1000, warmup_steps=100),
    ),
    Case(
        "CosineDecay",
        "warmup-from_0",
        dict(initial_learning_rate=0.0, decay_steps=1000, warmup_target=0.1, warmup_steps=100),
    ),
    Case(
        "CosineDecay",
        "warmup-from_nonzero-alpha",
        dict(
            initial_learning_rate=0.01,
            decay_steps=5000,
            alpha=0.05,
            warmup_target=0.1,
            warmup_steps=500,
        ),
    ),
    Case(
        "CosineDecay",
        "warmup-float_steps",
        dict(
            initial_learning_rate=0.05,
            decay_steps=999.5,
            alpha=0.2,
            warmup_target=0.1,
            warmup_steps=10.5,
        ),
    ),
    Case(
        "CosineDecay",
        "warmup_steps_0",
        dict(initial_learning_rate=0.05, decay_steps=1000, warmup_target=0.1, warmup_steps=0),
    ),
    Case(
        "CosineDecay",
        "warmdown-long",
        dict(
            initial_learning_rate=0.2,
            decay_steps=2**19,
            alpha=0.01,
            warmup_target=0.1,
            warmup_steps=2**19 - 1,
        ),
    ),
    Case(
        "CosineDecay",
        "warmup-from_0-whole_range",
        dict(
            initial_learning_rate=0.0,
            decay_steps=MAX_STEP - 1000,
            warmup_target=1e-3,
            warmup_steps=1000,
        ),
    ),
    # CosineDecayRestarts
    Case("CosineDecayRestarts", "defaults", dict(initial_learning_rate=1.0, first_decay_steps=10)),
    Case(
        "CosineDecayRestarts",
        "t_mul1",
        dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=1.0),
    ),
    Case(
        "CosineDecayRestarts",
        "t_mul1-float_steps-alpha",
        dict(initial_learning_rate=0.1, first_decay_steps=12.5, t_mul=1.0, alpha=0.01),
    ),
    Case(
        "CosineDecayRestarts",
        "t_mul1-m_mul0.99",
        dict(initial_learning_rate=0.1, first_decay_steps=1000, t_mul=1.0, m_mul=0.99),
    ),
    Case(
        "CosineDecayRestarts",
        "t_mul1.5-m_mul0.9-alpha",
        dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=1.5, m_mul=0.9, alpha=0.1),
    ),
    Case(
        "CosineDecayRestarts",
        "t_mul1.5-float_steps",
        dict(initial_learning_rate=1.0, first_decay_steps=12.5, t_mul=1.5),
    ),
    Case(
        "CosineDecayRestarts",
        "t_mul2-m_mul0.5",
        dict(initial_learning_rate=0.1, first_decay_steps=1000, t_mul=2.0, m_mul=0.5),
    ),
    Case(
        "CosineDecayRestarts",
        "t_mul3-m_mul0.5",
        dict(initial_learning_rate=1.0, first_decay_steps=7, t_mul=3.0, m_mul=0.5),
    ),
    Case(
        "CosineDecayRestarts",
        "m_mul0-alpha-custom_name",
        dict(initial_learning_rate=0.1, first_decay_steps=100, m_mul=0.0, alpha=0.05, name="sgdr"),
    ),
]

CASE_PARAMS = [pytest.param(case, id=case.id) for case in CASES]


# -- independent references ---------------------------------------------------------------------


def _to_mpf(value: Fraction) -> Any:
    return mpmath.mpf(value.numerator) / value.denominator


def _sgdr_reference(
    step: int,
    initial_learning_rate: float,
    first_decay_steps: float,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str | None = None,
) -> float:
    """SGDR (Loshchilov & Hutter 2017), as in Keras's docs, with the period found exactly.

    Period ``i`` lasts ``T_i = first_decay_steps * t_mul**i`` steps; the period of ``step`` is the
    ``i`` with ``S_i <= step < S_i + T_i`` where ``S_i = sum(T_j for j < i)``, found by summing in
    ``Fraction``s; the rest is evaluated with ``mpmath`` at 40 digits.
    """
    del name
    length = Fraction(first_decay_steps)
    if t_mul == 1.0:
        i = math.floor(Fraction(step) / length)
        start = i * length
    else:
        i, start = 0, Fraction(0)
        while start + length <= step:
            start += length
            length *= Fraction(t_mul)
            i += 1
    fraction = (step - start) / length
    with mpmath.workdps(40):
        cosine = (1 + mpmath.cos(mpmath.pi * _to_mpf(fraction))) / 2
        peak = mpmath.mpf(m_mul) ** i if i else mpmath.mpf(1)
        value = initial_learning_rate * ((1 - mpmath.mpf(alpha)) * peak * cosine + alpha)
        return float(value)


def _polynomial_reference(
    step: int,
    initial_learning_rate: float,
    decay_steps: float,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> float:
    """Keras's documented polynomial decay, with the horizon and ``1 - p`` exact as ``Fraction``s."""
    del name
    period = Fraction(decay_steps)
    if cycle:
        horizon = period * max(1, math.ceil(Fraction(step) / period))
        remaining = (horizon - step) / horizon
    else:
        remaining = (period - min(Fraction(step), period)) / period
    with mpmath.workdps(40):
        rate, end = mpmath.mpf(initial_learning_rate), mpmath.mpf(end_learning_rate)
        return float((rate - end) * _to_mpf(remaining) ** mpmath.mpf(power) + end)


# -- the step grid --------------------------------------------------------------------------------


def _multiples(period: float, count: int = 24) -> list[float]:
    """``k * period`` for the first and last ``count`` values of ``k`` up to ``MAX_STEP`` and a
    geometric sample of ``k`` in between."""
    last = int(Fraction(MAX_STEP) // Fraction(period)) + 1  # the first multiple past MAX_STEP
    ks = set(range(1, min(count, last) + 1)) | set(range(max(1, last - count), last + 1))
    k = count
    while k < last:
        ks.add(k)
        k = k * 3 // 2
    return [float(k * Fraction(period)) for k in sorted(ks)]


@lru_cache(maxsize=None)
def _period_starts(first_decay_steps: float, t_mul: float) -> tuple[float, ...]:
    """Every restart ``S_i`` up to just past ``MAX_STEP`` (exact sums, then rounded to float)."""
    if t_mul == 1.0:
        return tuple(_multiples(first_decay_steps))
    starts, start, length = [], Fraction(0), Fraction(first_decay_steps)
    while start <= MAX_STEP + 1:
        start += length
        length *= Fraction(t_mul)
        starts.append(float(start))
    return tuple(starts)


def _breakpoints(case: Case) -> list[float]:
    """The steps at which ``case`` changes regime, where off-by-one errors would show."""
    kw = case.kwargs
    if case.cls in ("ExponentialDecay", "InverseTimeDecay"):
        return _multiples(kw["decay_steps"])
    if case.cls == "PolynomialDecay":
        return _multiples(kw["decay_steps"]) if kw.get("cycle") else [kw["decay_steps"]]
    if case.cls == "PiecewiseConstantDecay":
        return list(kw["boundaries"])
    if case.cls == "CosineDecay":
        if kw.get("warmup_target") is None:
            return [kw["decay_steps"]]
        return [kw["warmup_steps"], kw["warmup_steps"] + kw["decay_steps"]]
    if case.cls == "CosineDecayRestarts":
        return list(_period_starts(kw["first_decay_steps"], kw.get("t_mul", 2.0)))
    raise AssertionError(f"no breakpoints for {case.cls}")


def _step_grid(breakpoints: Iterable[float]) -> npt.NDArray[np.int64]:
    """0, 1, 2, each breakpoint and the integers just around it, 2**19, the last steps below 2**20,
    and a seeded random sample, as a sorted int64 array."""
    steps = {0, 1, 2, 2**19, MAX_STEP - 1, MAX_STEP}
    for point in breakpoints:
        low, high = math.floor(point), math.ceil(point)
        steps.update((low - 1, low, high, high + 1))
    steps.update(int(s) for s in np.random.default_rng(0).integers(0, MAX_STEP + 1, RANDOM_STEPS))
    return np.array(sorted(s for s in steps if 0 <= s <= MAX_STEP), dtype=np.int64)


# -- evaluation and comparison ------------------------------------------------------------------


def _keras_values(schedule: Any, steps: npt.NDArray[np.int64], *, one_step: bool) -> Values:
    if one_step:
        values = [keras.ops.convert_to_numpy(schedule(int(step))) for step in steps]
        return np.array(values, dtype=np.float64)
    return np.asarray(keras.ops.convert_to_numpy(schedule(steps)), dtype=np.float64)


def _our_values(schedule: lrschedule.LearningRateSchedule, steps: npt.NDArray[np.int64]) -> Values:
    return np.asarray(schedule(steps), dtype=np.float64)


def _our_scalar_values(
    schedule: lrschedule.LearningRateSchedule, steps: npt.NDArray[np.int64]
) -> Values:
    return np.array([schedule(int(step)) for step in steps], dtype=np.float64)


def _mismatches(
    steps: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_], **columns: Values
) -> str:
    rows = [
        "step=" + str(int(steps[i])) + "".join(f" {k}={v[i]!r}" for k, v in columns.items())
        for i in np.flatnonzero(mask)[:10]
    ]
    return f"{int(mask.sum())} of {len(steps)} steps:\n  " + "\n  ".join(rows)


def _assert_parity(case: Case, steps: npt.NDArray[np.int64], ours: Values, theirs: Values) -> None:
    """Ours agrees with Keras; where Keras may be off (``case.reference``), it agrees with the
    exact reference at every step, and any disagreement with Keras is Keras's error."""
    scale = float(np.max(np.abs(ours)))
    agree = np.isclose(ours, theirs, rtol=RTOL, atol=ATOL * scale)
    if case.reference is None:
        assert agree.all(), "lrschedule != Keras at " + _mismatches(
            steps, ~agree, ours=ours, keras=theirs
        )
        return
    reference = np.array([case.reference(int(step)) for step in steps])
    exact = np.isclose(ours, reference, rtol=REFERENCE_RTOL, atol=REFERENCE_ATOL * scale)
    assert exact.all(), "lrschedule != the exact reference at " + _mismatches(
        steps, ~exact, ours=ours, reference=reference, keras=theirs
    )
    keras_right = np.isclose(theirs, reference, rtol=RTOL, atol=ATOL * scale)
    assert not (~agree & keras_right).any(), "lrschedule != Keras where Keras is right, at " + (
        _mismatches(steps, ~agree & keras_right, ours=ours, reference=reference, keras=theirs)
    )


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parity
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_values_match_keras(case: Case) -> None:
    steps = _step_grid(_breakpoints(case))
    theirs = _keras_values(case.keras(), steps, one_step=case.keras_takes_one_step)
    ours = case.ours()
    _assert_parity(case, steps, _our_values(ours, steps), theirs)
    _assert_parity(case, steps, _our_scalar_values(ours, steps), theirs)


@pytest.mark.parity
def test_keras_misses_the_restart_at_step_327670() -> None:
    """Step 327670 = 10 + 20 + ... + 10 * 2**14 starts period 15, so the rate is back at its peak.

    Keras computes the period as ``floor(log(1 + 32767 * (2 - 1)) / log(2))`` in float32, which
    rounds to 14.999999 and floors to 14: Keras ends period 14 (rate 0) instead of restarting.
    """
    kwargs = dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=2.0)
    step = 327_670
    assert sum(10 * 2**j for j in range(15)) == step
    assert _sgdr_reference(step, **kwargs) == 1.0
    assert _sgdr_reference(step - 1, **kwargs) < 1e-9  # the last step of period 14

    ours = lrschedule.CosineDecayRestarts(**kwargs)
    assert float(ours(step)) == 1.0
    assert float(ours(np.array([step]))[0]) == 1.0

    theirs = keras.optimizers.schedules.CosineDecayRestarts(**kwargs)
    keras_value = float(_keras_values(theirs, np.array([step]), one_step=False)[0])
    assert keras_value == pytest.approx(0.0, abs=1e-6), (
        f"Keras now gives {keras_value} at step {step}: it no longer misses this restart, so this "
        "test (and the restart note in the CosineDecayRestarts docstring) should be updated"
    )
    before = np.array([step - 1])
    assert float(ours(before)[0]) == pytest.approx(
        float(_keras_values(theirs, before, one_step=False)[0]), abs=1e-6
    )


# -- configs --------------------------------------------------------------------------------------


@pytest.mark.parity
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_get_config_is_keras(case: Case) -> None:
    keras_config = case.keras().get_config()
    assert case.ours().get_config() == keras_config
    assert case.ours(dtype="float32").get_config() == {**keras_config, "dtype": "float32"}


@pytest.mark.parity
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_keras_config_loads(case: Case) -> None:
    serialized = keras.optimizers.schedules.serialize(case.keras())
    assert serialized["module"] == "keras.optimizers.schedules"
    loaded = lrschedule.deserialize(serialized)
    assert type(loaded) is getattr(lrschedule, case.cls)
    assert loaded == case.ours()
    assert lrschedule.from_json(json.dumps(serialized)) == case.ours()


@pytest.mark.parity
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_tf2_config_loads(case: Case) -> None:
    tf2 = {"class_name": case.cls, "config": case.keras().get_config()}
    assert lrschedule.deserialize(tf2) == case.ours()
    assert lrschedule.from_json(json.dumps(tf2)) == case.ours()


@pytest.mark.parity
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_keras_loads_our_config(case: Case) -> None:
    ours = lrschedule.serialize(case.ours())
    assert ours["module"] == "lrschedule"
    as_keras = {**ours, "module": "keras.optimizers.schedules", "registered_name": None}
    loaded = keras.optimizers.schedules.deserialize(as_keras)
    original = case.keras()
    assert type(loaded) is type(original)
    assert loaded.get_config() == original.get_config()
    steps = _step_grid(_breakpoints(case))
    one_step = case.keras_takes_one_step
    np.testing.assert_array_equal(
        _keras_values(loaded, steps, one_step=one_step),
        _keras_values(original, steps, one_step=one_step),
    )
