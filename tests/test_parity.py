"""Parity with Keras 3 for the six Keras-family schedules: values and configs, both ways.

Each case builds the same schedule in lrschedule and in ``keras.optimizers.schedules`` from the
same arguments, and checks that

* the values agree to ``RTOL`` (plus a small absolute tolerance, as Keras computes in float32) at
  steps 0 and 1, exactly at and just around every point where the schedule changes regime (decay
  periods, boundaries, the ends of warmup and of decay, restarts), at a seeded random sample and
  up to ``2**20 - 1``, through both our array path and our Python-int path;
* ``get_config()`` is exactly Keras's (same keys, defaults and default names); Keras's config loads
  in lrschedule in every form it comes in (Keras 3's ``serialize``, the same as JSON text, TF 2's
  ``{"class_name", "config"}``); and lrschedule's config loads in Keras.

Where Keras's float32 arithmetic is ill-conditioned, Keras may differ from us, but only where we
are right: for every ``CosineDecayRestarts`` case (Keras's float32 closed form for the period can
miss a restart, and its in-period fraction loses digits as the step grows) and for the cases in
``KERAS_FLOAT32_OFF`` (``PolynomialDecay`` with ``power < 1`` and ``cycle``, ``ExponentialDecay``
with ``decay_rate`` near 1), our values are checked at every step against the independent reference
of ``tests/references.py`` (the published definition, evaluated with ``mpmath``), and may differ
from Keras only where Keras differs from that reference. Everywhere else, Keras is the reference.

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
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import lrschedule
import references

os.environ.setdefault("KERAS_BACKEND", "numpy")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # a backend may warn once at import; that is not under test
    keras = pytest.importorskip("keras")

Values = npt.NDArray[np.float64]

MAX_STEP = 2**20 - 1
"""The largest step compared: Keras's float32 results drift further from the exact values as the
step grows, and parity is asserted below 2**20."""

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
        if self.cls != "CosineDecayRestarts" and self.id not in KERAS_FLOAT32_OFF:
            return None
        reference = _keras_reference(self.cls, self.kwargs)
        return lambda step: float(reference(step))


def _family(cls: str, required: dict[str, Any], variants: dict[str, dict[str, Any]]) -> list[Case]:
    """Cases of one class: its required arguments, updated by each variant's arguments."""
    return [Case(cls, label, {**required, **extra}) for label, extra in variants.items()]


CASES = [
    *_family(
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96),
        {
            "defaults": {},
            "staircase": dict(staircase=True),
            "float_decay_steps-staircase": dict(decay_steps=12.5, decay_rate=0.5, staircase=True),
            "float_decay_steps": dict(decay_steps=7.5, decay_rate=0.75),
            "short_period-underflow": dict(decay_steps=3, decay_rate=0.9),
            "growth": dict(decay_steps=100_000, decay_rate=1.01, staircase=False),
            "rate_near_1-float_decay_steps": dict(decay_steps=7.5, decay_rate=0.999),
            "custom_name": dict(decay_steps=2**19, decay_rate=0.25, name="my_decay"),
        },
    ),
    *_family(
        "InverseTimeDecay",
        dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5),
        {
            "defaults": {},
            "staircase": dict(staircase=True),
            "float_decay_steps-staircase": dict(decay_steps=7.5, decay_rate=2.0, staircase=True),
            "decay_steps_below_1": dict(decay_steps=0.75, decay_rate=0.01),
            "custom_name": dict(decay_steps=10, decay_rate=0.1, name="inverse"),
        },
    ),
    *_family(
        "PolynomialDecay",
        dict(initial_learning_rate=0.1, decay_steps=1000),
        {
            "defaults": {},
            "power2-end0": dict(end_learning_rate=0.0, power=2.0),
            "power0.5": dict(end_learning_rate=0.001, power=0.5),
            "increasing-power1.5": dict(decay_steps=2**19, end_learning_rate=0.2, power=1.5),
            "whole_range": dict(decay_steps=MAX_STEP),
            "cycle": dict(cycle=True),
            "cycle-power3-float_decay_steps": dict(
                decay_steps=100.5, end_learning_rate=0.01, power=3.0, cycle=True
            ),
            "cycle-power2-short_period": dict(
                decay_steps=7, end_learning_rate=0.01, power=2.0, cycle=True
            ),
            "cycle-power0.5-end0": dict(end_learning_rate=0.0, power=0.5, cycle=True),
        },
    ),
    *_family(
        "PiecewiseConstantDecay",
        dict(boundaries=[1000], values=[0.1, 0.01]),
        {
            "one_boundary": {},
            "one_boundary_at_0": dict(boundaries=[0], values=[1.0, 0.5]),
            "many": dict(
                boundaries=[10, 100, 1000, 10_000, 100_000, MAX_STEP - 1],
                values=[1.0, 0.5, 0.2, 0.1, 0.05, 0.01, 0.001],
            ),
            "31_boundaries": dict(
                boundaries=list(range(2**15, 2**20, 2**15)),
                values=[1.0 / (i + 1) for i in range(32)],
            ),
            "float_boundaries-not_monotone": dict(
                boundaries=[100.5, 250.25, 999.999], values=[0.01, 0.1, 0.05, 0.001]
            ),
            "repeated_boundary-custom_name": dict(
                boundaries=[10, 10, 20], values=[1.0, 0.5, 0.25, 0.1], name="steps"
            ),
        },
    ),
    *_family(
        "CosineDecay",
        dict(initial_learning_rate=0.1, decay_steps=1000),
        {
            "defaults": {},
            "alpha": dict(alpha=0.1),
            "whole_range-alpha": dict(decay_steps=MAX_STEP, alpha=0.01),
            "float_decay_steps": dict(initial_learning_rate=1.0, decay_steps=999.5),
            "warmup_steps_without_target": dict(warmup_steps=100),
            "warmup-from_0": dict(initial_learning_rate=0.0, warmup_target=0.1, warmup_steps=100),
            "warmup-from_nonzero-alpha": dict(
                initial_learning_rate=0.01,
                decay_steps=5000,
                alpha=0.05,
                warmup_target=0.1,
                warmup_steps=500,
            ),
            "warmup-float_steps-alpha": dict(
                initial_learning_rate=0.05,
                decay_steps=999.5,
                alpha=0.2,
                warmup_target=0.1,
                warmup_steps=10.5,
            ),
            "warmup_steps_0": dict(initial_learning_rate=0.05, warmup_target=0.1, warmup_steps=0),
            "warmdown-long": dict(
                initial_learning_rate=0.2,
                decay_steps=2**19,
                alpha=0.01,
                warmup_target=0.1,
                warmup_steps=2**19 - 1,
            ),
            "warmup-from_0-whole_range": dict(
                initial_learning_rate=0.0,
                decay_steps=MAX_STEP - 1000,
                warmup_target=1e-3,
                warmup_steps=1000,
            ),
        },
    ),
    *_family(
        "CosineDecayRestarts",
        dict(initial_learning_rate=1.0, first_decay_steps=10),
        {
            "defaults": {},
            "t_mul1": dict(t_mul=1.0),
            "t_mul1-float_steps-alpha": dict(first_decay_steps=12.5, t_mul=1.0, alpha=0.01),
            "t_mul1-m_mul0.99": dict(first_decay_steps=1000, t_mul=1.0, m_mul=0.99),
            "t_mul1.5-m_mul0.9-alpha": dict(t_mul=1.5, m_mul=0.9, alpha=0.1),
            "t_mul1.5-float_steps": dict(first_decay_steps=12.5, t_mul=1.5),
            "t_mul2-m_mul0.5": dict(initial_learning_rate=0.1, first_decay_steps=1000, m_mul=0.5),
            "t_mul3-m_mul0.5": dict(first_decay_steps=7, t_mul=3.0, m_mul=0.5),
            "m_mul0-alpha-custom_name": dict(
                first_decay_steps=100, m_mul=0.0, alpha=0.05, name="sgdr"
            ),
        },
    ),
]

CASE_PARAMS = [pytest.param(case, id=case.id) for case in CASES]

FIRST_CASES: dict[str, Case] = {}
"""The first case of each class: its required arguments only."""
for _case in CASES:
    FIRST_CASES.setdefault(_case.cls, _case)

KERAS_FLOAT32_OFF = {
    # Every CosineDecayRestarts case is checked this way too (see the module docstring).
    "ExponentialDecay-rate_near_1-float_decay_steps": (
        "Keras rounds decay_rate=0.999 to float32 (1.3e-8 relative); the exponent step / 7.5 "
        "multiplies that, to 2.6e-5 relative at step 15396 where the rate is still 13% of its start"
    ),
    "PolynomialDecay-cycle-power0.5-end0": (
        "(1 - p) ** 0.5 magnifies the float32 rounding of p = step / horizon near the end of each "
        "cycle, e.g. 3.6e-5 relative at step 2999"
    ),
}
"""Cases where Keras's float32 arithmetic is known to be off by more than ``RTOL`` at some steps,
and why: there, ours is checked against the exact reference and may differ from Keras only where
Keras differs from the reference."""


# -- independent references ---------------------------------------------------------------------


def _keras_reference(cls: str, kwargs: Mapping[str, Any]) -> references.Reference:
    """The reference of ``tests/references.py`` for a Keras schedule built from ``kwargs``."""
    kw = {k: v for k, v in kwargs.items() if k != "name"}
    rate = kw.pop("initial_learning_rate")
    if cls == "CosineDecayRestarts":
        return references.sgdr(rate, kw.pop("first_decay_steps"), **kw)
    if cls == "ExponentialDecay":
        return references.exponential(rate, kw.pop("decay_steps"), kw.pop("decay_rate"), **kw)
    if cls == "PolynomialDecay":
        steps, end = kw.pop("decay_steps"), kw.pop("end_learning_rate", 0.0001)
        return references.polynomial(rate, steps, end, **kw)
    raise AssertionError(f"no reference for {cls}")


def _sgdr_reference(step: int, **kwargs: Any) -> float:
    return float(_keras_reference("CosineDecayRestarts", kwargs)(step))


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


@cache
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


def _to_numpy(value: Any) -> Values:
    """A Keras result as float64 NumPy. Torch tensors go through ``.numpy()``: NumPy 2 warns on
    ``np.array(tensor)``, which ``keras.ops.convert_to_numpy`` calls."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def _keras_values(schedule: Any, steps: npt.NDArray[np.int64], *, one_step: bool) -> Values:
    if one_step:
        return np.array([_to_numpy(schedule(int(step))) for step in steps])
    return _to_numpy(schedule(steps))


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

    Keras computes the period as ``floor(log(1 - 32767 * (1 - 2)) / log(2))`` in float32, where
    the quotient rounds to 14.999999, which floors to 14: Keras ends period 14 (rate 0) instead of
    restarting.
    """
    kwargs: dict[str, Any] = dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=2.0)
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
@pytest.mark.parametrize("case", [pytest.param(case, id=cls) for cls, case in FIRST_CASES.items()])
def test_name_none_config(case: Case) -> None:
    """Keras accepts ``name=None`` (though its schedules then fail when called): configs agree."""
    kwargs = {**case.kwargs, "name": None}
    ours = getattr(lrschedule, case.cls)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, case.cls)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert lrschedule.deserialize(keras.optimizers.schedules.serialize(theirs)) == ours


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
