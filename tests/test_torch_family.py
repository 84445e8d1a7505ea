"""StepDecay, MultiStepDecay, OneCycle and Cyclic against torch's documented definitions.

The references (``tests/references.py``) are written from torch.optim.lr_scheduler's documentation
and its closed forms (``StepLR``, ``MultiStepLR``, ``OneCycleLR``, ``CyclicLR``), evaluated with
mpmath, never by calling lrschedule. torch itself is compared in tests/golden/ (make_torch.py).
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrschedule
from checks import assert_torch_compiles_once
from lrschedule import Cyclic, MultiStepDecay, OneCycle, OneCycleMomentum, StepDecay
from references import (
    Reference,
    cyclic,
    multi_step_decay,
    one_cycle,
    one_cycle_momentum,
    step_decay,
)

if TYPE_CHECKING:
    from conftest import Backend


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# -- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    schedule: lrschedule.LearningRateSchedule
    reference: Reference
    boundaries: tuple[float, ...] = ()
    large_steps: bool = True  # False where the value at 2**31 steps overflows

    def __repr__(self) -> str:
        return self.id


CASES = [
    Case("step", StepDecay(0.1, 30), step_decay(0.1, 30, 0.1), (30, 60, 90)),
    Case(
        "step-growth",
        StepDecay(0.01, 7, gamma=1.05),
        step_decay(0.01, 7, 1.05),
        (7, 14, 700),
        False,
    ),
    Case("step-slow", StepDecay(1.0, 1, gamma=0.9999), step_decay(1.0, 1, 0.9999), (1, 50_000)),
    Case("step-gamma-0", StepDecay(0.5, 10, gamma=0.0), step_decay(0.5, 10, 0.0), (10,)),
    Case("step-float-size", StepDecay(1.0, 2.5, 0.5), step_decay(1.0, 2.5, 0.5), (5, 10, 25)),
    Case(
        "multistep", MultiStepDecay(0.05, [30, 80]), multi_step_decay(0.05, [30, 80], 0.1), (30, 80)
    ),
    Case(
        "multistep-duplicates",
        MultiStepDecay(1.0, [0, 10, 10, 10, 250], gamma=0.5),
        multi_step_decay(1.0, [0, 10, 10, 10, 250], 0.5),
        (10, 250),
    ),
    Case("multistep-none", MultiStepDecay(0.3, []), multi_step_decay(0.3, [], 0.1)),
    Case(
        "onecycle",
        OneCycle(0.1, 1000),
        one_cycle(0.1, 1000),
        (299, 999),
    ),
    Case(
        "onecycle-linear",
        OneCycle(0.5, 400, pct_start=0.25, anneal_strategy="linear"),
        one_cycle(0.5, 400, 0.25, "linear"),
        (99, 399),
    ),
    Case(
        "onecycle-three-phase",
        OneCycle(0.1, 500, three_phase=True, div_factor=10.0, final_div_factor=100.0),
        one_cycle(0.1, 500, three_phase=True, div_factor=10.0, final_div_factor=100.0),
        (149, 298, 499),
    ),
    Case(
        "onecycle-linear-three-phase",
        OneCycle(2.0, 333, pct_start=0.4, anneal_strategy="linear", three_phase=True),
        one_cycle(2.0, 333, 0.4, "linear", three_phase=True),
        (132, 133, 264, 265, 332),
    ),
    Case("onecycle-short", OneCycle(1.0, 2, pct_start=0.9), one_cycle(1.0, 2, 0.9), (1,)),
    Case(
        "onecycle-epochs",
        OneCycle(0.1, epochs=7, steps_per_epoch=30, pct_start=0.25),
        one_cycle(0.1, 210, 0.25),
        (51, 209),
    ),
    Case(
        "onecycle-momentum",
        OneCycle(0.1, 1000).momentum(),
        one_cycle_momentum(0.85, 0.95, 1000),
        (299, 999),
    ),
    Case(
        "onecycle-momentum-linear-three-phase",
        OneCycle(2.0, 333, 0.4, "linear", three_phase=True).momentum(0.8, 0.9),
        one_cycle_momentum(0.8, 0.9, 333, 0.4, "linear", three_phase=True),
        (132, 133, 264, 265, 332),
    ),
    Case(
        "onecycle-momentum-epochs",
        OneCycleMomentum(0.5, 0.99, epochs=3, steps_per_epoch=40, pct_start=0.2),
        one_cycle_momentum(0.5, 0.99, 120, 0.2),
        (23, 119),
    ),
    Case("cyclic", Cyclic(0.001, 0.006, 20), cyclic(0.001, 0.006, 20), (20, 40, 60)),
    Case(
        "cyclic-momentum",
        Cyclic(0.001, 0.006, 20, 30, mode="triangular2").momentum(0.8, 0.9),
        cyclic(0.9, 0.8, 20, 30, mode="triangular2"),
        (20, 50, 70),
    ),
    Case(
        "cyclic-down",
        Cyclic(0.01, 0.1, 10, 25),
        cyclic(0.01, 0.1, 10, 25),
        (10, 35, 45, 70),
    ),
    Case(
        "cyclic-triangular2",
        Cyclic(0.001, 0.1, 15, mode="triangular2"),
        cyclic(0.001, 0.1, 15, mode="triangular2"),
        (15, 30, 45, 60, 75),
    ),
    Case(
        "cyclic-triangular2-down-inverted",
        Cyclic(0.5, 0.05, 5, 12, mode="triangular2"),
        cyclic(0.5, 0.05, 5, 12, mode="triangular2"),
        (5, 17, 22, 34),
    ),
    Case(
        "cyclic-exp-range",
        Cyclic(0.001, 0.01, 10, mode="exp_range", gamma=0.99),
        cyclic(0.001, 0.01, 10, mode="exp_range", gamma=0.99),
        (10, 20, 30),
    ),
    Case(
        "cyclic-exp-range-down",
        Cyclic(0.02, 0.2, 8, 20, mode="exp_range", gamma=0.99999),
        cyclic(0.02, 0.2, 8, 20, mode="exp_range", gamma=0.99999),
        (8, 28, 36),
    ),
]

LARGE = [10**6, 10**6 + 1, 2**24 + 1, 2**31 - 1]


def _steps(case: Case, large: bool) -> list[int]:
    steps = {0, 1, 2, 3, 5, 17, 100, 999, 1000, 1001, 5000}
    for b in case.boundaries:
        steps.update({b - 1, b, b + 1})
    if large and case.large_steps:
        steps.update(LARGE)
    return sorted(s for s in steps if s >= 0)


# -- values on every backend ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_torch_definition(backend: Backend, case: Case) -> None:
    steps = _steps(case, large=backend.float64 and backend.int_dtype == "int64")
    exact = np.asarray([float(case.reference(t)) for t in steps])
    result = backend.call(case.schedule, backend.asarray(steps))
    assert backend.dtype_name(result) == backend.default_float
    assert tuple(result.shape) == (len(steps),)
    assert backend.same_device(result)
    values = backend.to_numpy(result).astype(np.float64)
    scale = float(np.max(np.abs(exact)))
    if not backend.float64:  # computed in float32
        np.testing.assert_allclose(values, exact, rtol=2e-5, atol=2e-7 * scale)
    elif backend.default_float == "float32":  # computed in float64, rounded to float32
        tiny = float(np.finfo(np.float32).smallest_normal)
        np.testing.assert_allclose(values, exact, rtol=6e-8, atol=tiny)
    else:
        np.testing.assert_allclose(values, exact, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_python_and_numpy_scalars(case: Case) -> None:
    """The scalar fast path gives the array path's value, as a NumPy float64."""
    steps = _steps(case, large=True)
    array_values = case.schedule(np.asarray(steps))
    for step, array_value in zip(steps, array_values, strict=True):
        for given_step in (step, float(step), np.int64(step), np.float64(step)):
            value = case.schedule(given_step)
            assert type(value) is np.float64
            assert math.isclose(value, array_value, rel_tol=1e-15, abs_tol=1e-300), (step, value)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_nan_and_negative_steps(backend: Backend, case: Case) -> None:
    result = backend.to_numpy(backend.call(case.schedule, backend.asarray([np.nan], "float32")))
    assert np.isnan(result).all()
    at_zero = float(case.reference(0))
    negative = backend.to_numpy(backend.call(case.schedule, backend.asarray([-1, -100])))
    np.testing.assert_allclose(negative, [at_zero] * 2, rtol=2e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_argument_and_array_learning_rates(backend: Backend, dtype: str) -> None:
    schedules = [
        StepDecay(0.1, 3, dtype=dtype),
        MultiStepDecay(0.1, [3], dtype=dtype),
        OneCycle(0.1, 10, dtype=dtype),
        Cyclic(0.1, 1.0, 3, dtype=dtype),
    ]
    for schedule in schedules:
        steps = backend.asarray([0, 3, 7])
        if dtype not in backend.dtypes:
            with pytest.raises(ValueError, match="dtype"):
                backend.call(schedule, steps)
            continue
        assert backend.dtype_name(backend.call(schedule, steps)) == dtype
    lr32 = np.float32(0.1)
    assert StepDecay(lr32, 3).dtype == "float32"
    assert MultiStepDecay(lr32, [3]).dtype == "float32"
    assert OneCycle(lr32, 10).dtype == "float32"
    assert Cyclic(lr32, 1.0, 3).dtype == "float32"
    assert Cyclic(0.1, lr32, 3).dtype == "float32"
    assert Cyclic(np.float16(0.1), lr32, 3).dtype is None  # two different dtypes: the default


# -- properties -------------------------------------------------------------------------------


def test_one_cycle_holds_its_final_rate_past_the_end() -> None:
    for strategy in ("cos", "linear"):
        for three_phase in (False, True):
            schedule = OneCycle(0.1, 100, anneal_strategy=strategy, three_phase=three_phase)
            final = 0.1 / 25.0 / 1e4
            values = schedule(np.asarray([99, 100, 101, 10**6, 2**40]))
            np.testing.assert_allclose(values, final, rtol=1e-12)
            assert schedule(4) < schedule(29) == pytest.approx(0.1, rel=1e-15)


def test_one_cycle_peaks_at_the_end_of_the_first_phase() -> None:
    schedule = OneCycle(0.2, 50, pct_start=0.4, div_factor=4.0)  # phase 1 ends at step 19
    values = schedule(np.arange(50))
    assert int(np.argmax(values)) == 19
    assert values[19] == pytest.approx(0.2, rel=1e-15)
    assert values[0] == pytest.approx(0.05, rel=1e-15)
    assert np.all(np.diff(values[:20]) > 0)
    assert np.all(np.diff(values[19:]) < 0)


def test_cyclic_is_periodic_and_triangular2_halves() -> None:
    steps = np.arange(0, 35)
    plain = Cyclic(0.1, 1.0, 10, 25)
    np.testing.assert_allclose(plain(steps + 35 * 1000), plain(steps), rtol=1e-14)
    halving = Cyclic(0.1, 1.0, 10, 25, mode="triangular2")
    np.testing.assert_allclose(
        halving(steps + 35 * 3) - 0.1, (halving(steps) - 0.1) / 8, rtol=1e-13, atol=1e-16
    )


def test_step_decays_are_constant_between_boundaries() -> None:
    step = StepDecay(1.0, 10, 0.5)
    assert len({float(step(t)) for t in range(10, 20)}) == 1
    assert step(19.999) == step(10) == 0.5
    multi = MultiStepDecay(1.0, [8, 5, 5])  # in any order, as torch counts them
    assert multi == MultiStepDecay(1.0, [5, 5, 8])
    assert multi.milestones == (5, 5, 8)
    assert multi(4.999) == 1.0
    assert multi(5) == pytest.approx(0.01, rel=1e-15)  # a duplicate milestone counts twice
    assert multi(8) == pytest.approx(0.001, rel=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    base=st.floats(1e-6, 1.0),
    peak=st.floats(1e-6, 1.0),
    up=st.integers(1, 500),
    down=st.none() | st.integers(1, 500),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
    step=st.integers(0, 100_000),
)
def test_cyclic_generated(
    base: float,
    peak: float,
    up: int,
    down: int | None,
    mode: str,
    gamma: float,
    step: int,
) -> None:
    schedule = Cyclic(base, peak, up, down, mode=mode, gamma=gamma)
    exact = cyclic(base, peak, up, down, mode, gamma)(step)
    value = schedule(step)
    assert math.isclose(value, schedule(np.asarray([step]))[0], rel_tol=1e-13)  # libm vs NumPy SIMD
    # base + (max - base) * scale, as torch: exact to the rounding of the larger rate
    assert math.isclose(value, float(exact), rel_tol=1e-12, abs_tol=1e-15 * max(base, peak))


@settings(max_examples=200, deadline=None)
@given(
    peak=st.floats(1e-6, 10.0),
    total=st.integers(2, 10_000),
    pct=st.floats(0.01, 0.99),
    strategy=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
    fraction=st.floats(0.0, 1.5),
)
def test_one_cycle_generated(
    peak: float,
    total: int,
    pct: float,
    strategy: str,
    three_phase: bool,
    fraction: float,
) -> None:
    first_phase = pct * total - 1
    last_phase = total - 1 - (2 * pct * total - 2 if three_phase else first_phase)
    if not (first_phase > 0 and last_phase > 0):
        with pytest.raises(ValueError, match="no length"):
            OneCycle(peak, total, pct_start=pct, anneal_strategy=strategy, three_phase=three_phase)
        return
    schedule = OneCycle(
        peak, total, pct_start=pct, anneal_strategy=strategy, three_phase=three_phase
    )
    step = round(fraction * total)
    exact = one_cycle(peak, total, pct, strategy, three_phase=three_phase)(step)
    value = schedule(step)
    assert math.isclose(value, schedule(np.asarray([step]))[0], rel_tol=1e-13)  # libm vs NumPy SIMD
    assert math.isclose(value, float(exact), rel_tol=1e-12, abs_tol=1e-300)


# -- config -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_config_round_trip(case: Case) -> None:
    schedule = case.schedule
    text = lrschedule.to_json(schedule)
    assert lrschedule.from_json(text) == schedule
    assert type(schedule).from_config(schedule.get_config()) == schedule
    assert json.loads(text)["class_name"] == type(schedule).__name__
    assert "dtype" not in schedule.get_config()


def test_config_keys_are_torch_arguments_spelled_out() -> None:
    assert list(StepDecay(0.1, 30).get_config()) == ["initial_learning_rate", "step_size", "gamma"]
    assert list(MultiStepDecay(0.1, [3]).get_config()) == [
        "initial_learning_rate",
        "milestones",
        "gamma",
    ]
    assert MultiStepDecay(0.1, (3, 3)).get_config()["milestones"] == [3, 3]
    assert list(OneCycle(0.1, 100).get_config()) == [
        "max_learning_rate",
        "total_steps",
        "pct_start",
        "anneal_strategy",
        "div_factor",
        "final_div_factor",
        "three_phase",
    ]
    assert Cyclic(0.1, 1.0, dtype="float32").get_config() == {
        "base_learning_rate": 0.1,
        "max_learning_rate": 1.0,
        "step_size_up": 2000,
        "step_size_down": None,
        "mode": "triangular",
        "gamma": 1.0,
        "dtype": "float32",
    }
    schedule = Cyclic(0.1, 1.0, dtype="float32")
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule


# -- bad arguments ----------------------------------------------------------------------------

nan, inf = float("nan"), float("inf")

BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("step-lr-nan", lambda: StepDecay(nan, 10), ValueError, "initial_learning_rate=nan"),
    ("step-lr-str", lambda: StepDecay("0.1", 10), TypeError, "initial_learning_rate='0.1'"),
    ("step-size-0", lambda: StepDecay(0.1, 0), ValueError, "step_size=0"),
    ("step-size-neg", lambda: StepDecay(0.1, -3), ValueError, "step_size=-3"),
    ("step-size-inf", lambda: StepDecay(0.1, inf), ValueError, "step_size=inf"),
    ("step-gamma-neg", lambda: StepDecay(0.1, 10, -0.5), ValueError, "gamma=-0.5"),
    ("step-gamma-none", lambda: StepDecay(0.1, 10, None), TypeError, "gamma=None"),
    ("step-dtype", lambda: StepDecay(0.1, 10, dtype="int8"), ValueError, "dtype='int8'"),
    ("multi-lr-inf", lambda: MultiStepDecay(inf, [1]), ValueError, "initial_learning_rate=inf"),
    ("multi-not-list", lambda: MultiStepDecay(0.1, 30), TypeError, "milestones=30"),
    ("multi-str", lambda: MultiStepDecay(0.1, "30"), TypeError, "milestones='30'"),
    ("multi-neg", lambda: MultiStepDecay(0.1, [-1, 5]), ValueError, r"milestones\[0\]=-1"),
    ("multi-nan", lambda: MultiStepDecay(0.1, [5, nan]), ValueError, r"milestones\[1\]=nan"),
    ("multi-gamma", lambda: MultiStepDecay(0.1, [5], gamma=-1), ValueError, "gamma=-1"),
    ("one-lr-nan", lambda: OneCycle(nan, 100), ValueError, "max_learning_rate=nan"),
    ("one-total-1", lambda: OneCycle(0.1, 1), ValueError, "total_steps=1"),
    ("one-total-0", lambda: OneCycle(0.1, 0), ValueError, "total_steps=0"),
    ("one-total-float", lambda: OneCycle(0.1, 100.5), ValueError, "total_steps=100.5"),
    ("one-total-bool", lambda: OneCycle(0.1, True), TypeError, "total_steps=True"),
    ("one-pct-0", lambda: OneCycle(0.1, 100, pct_start=0.0), ValueError, "pct_start=0.0"),
    ("one-pct-1", lambda: OneCycle(0.1, 100, pct_start=1.0), ValueError, "pct_start=1.0"),
    ("one-pct-neg", lambda: OneCycle(0.1, 100, pct_start=-0.3), ValueError, "pct_start=-0.3"),
    ("one-pct-nan", lambda: OneCycle(0.1, 100, pct_start=nan), ValueError, "pct_start=nan"),
    # pct_start * total_steps - 1 == 0: torch divides by zero at step 0
    (
        "one-phase1-empty",
        lambda: OneCycle(0.1, 10, pct_start=0.1),
        ValueError,
        r"pct_start=0.1, total_steps=10",
    ),
    # ... and < 0: torch skips the warmup and starts inside the decay
    (
        "one-phase1-negative",
        lambda: OneCycle(0.1, 3, pct_start=0.3),
        ValueError,
        r"phase 1 .*pct_start=0.3, total_steps=3",
    ),
    # three phases: 2 * pct_start * total_steps - 2 >= total_steps - 1
    (
        "one-phase3-empty",
        lambda: OneCycle(0.1, 100, pct_start=0.505, three_phase=True),
        ValueError,
        r"phase 3 .*pct_start=0.505, total_steps=100",
    ),
    (
        "one-anneal",
        lambda: OneCycle(0.1, 100, anneal_strategy="cosine"),
        ValueError,
        "anneal_strategy='cosine'",
    ),
    ("one-div-0", lambda: OneCycle(0.1, 100, div_factor=0), ValueError, "div_factor=0"),
    (
        "one-final-div-neg",
        lambda: OneCycle(0.1, 100, final_div_factor=-1e4),
        ValueError,
        "final_div_factor=-10000.0",
    ),
    ("one-three-int", lambda: OneCycle(0.1, 100, three_phase=1), TypeError, "three_phase=1"),
    # torch's OneCycleLR: "You must define either total_steps OR (epochs AND steps_per_epoch)"
    (
        "one-no-length",
        lambda: OneCycle(0.1),
        ValueError,
        r"`total_steps` must be given, or both `epochs` and `steps_per_epoch`.*epochs=None",
    ),
    (
        "one-epochs-only",
        lambda: OneCycle(0.1, epochs=10),
        ValueError,
        r"epochs=10, steps_per_epoch=None",
    ),
    ("one-epochs-0", lambda: OneCycle(0.1, epochs=0, steps_per_epoch=5), ValueError, "epochs=0"),
    (
        "one-epochs-float",
        lambda: OneCycle(0.1, epochs=2.5, steps_per_epoch=5),
        ValueError,
        "epochs=2.5",
    ),
    (
        "one-steps-per-epoch-bool",
        lambda: OneCycle(0.1, epochs=2, steps_per_epoch=True),
        TypeError,
        "steps_per_epoch=True",
    ),
    (
        "one-epochs-too-short",
        lambda: OneCycle(0.1, epochs=1, steps_per_epoch=1),
        ValueError,
        "at least 2 steps. Received: epochs=1, steps_per_epoch=1",
    ),
    ("cyc-base-nan", lambda: Cyclic(nan, 0.1), ValueError, "base_learning_rate=nan"),
    ("cyc-max-none", lambda: Cyclic(0.01, None), TypeError, "max_learning_rate=None"),
    ("cyc-up-0", lambda: Cyclic(0.01, 0.1, 0), ValueError, "step_size_up=0"),
    ("cyc-up-neg", lambda: Cyclic(0.01, 0.1, -5), ValueError, "step_size_up=-5"),
    ("cyc-down-0", lambda: Cyclic(0.01, 0.1, 5, 0), ValueError, "step_size_down=0"),
    ("cyc-down-inf", lambda: Cyclic(0.01, 0.1, 5, inf), ValueError, "step_size_down=inf"),
    ("cyc-mode", lambda: Cyclic(0.01, 0.1, mode="exp"), ValueError, "mode='exp'"),
    ("cyc-mode-none", lambda: Cyclic(0.01, 0.1, mode=None), ValueError, "mode=None"),
    ("cyc-gamma-0", lambda: Cyclic(0.01, 0.1, gamma=0.0), ValueError, "gamma=0.0"),
    ("onem-no-length", lambda: OneCycleMomentum(), ValueError, "total_steps=None"),
    ("onem-base-nan", lambda: OneCycleMomentum(nan, 0.9, 10), ValueError, "base_momentum=nan"),
    (
        "onem-phase-empty",
        lambda: OneCycleMomentum(total_steps=10, pct_start=0.1),
        ValueError,
        "pct_start=0.1, total_steps=10",
    ),
    ("cyc-scale-number", lambda: Cyclic(0.01, 0.1, scale=0.5), TypeError, "scale=0.5"),
    (
        "cyc-scale-and-mode",
        lambda: Cyclic(0.01, 0.1, mode="triangular2", scale=StepDecay(1.0, 2)),
        ValueError,
        "leave `mode` at 'triangular'. Received: mode='triangular2'",
    ),
    (
        "cyc-scale-mode",
        lambda: Cyclic(0.01, 0.1, scale=StepDecay(1.0, 2), scale_mode="iteration"),
        ValueError,
        "scale_mode='iteration'",
    ),
    (
        "cyc-scale-mode-alone",
        lambda: Cyclic(0.01, 0.1, scale_mode="iterations"),
        ValueError,
        "no `scale` was given. Received: scale_mode='iterations'",
    ),
]


@pytest.mark.parametrize(("make", "error", "match"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments(make: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_one_cycle_from_epochs_is_torchs() -> None:
    """``epochs`` and ``steps_per_epoch``, as torch's OneCycleLR takes them (torch itself)."""
    torch = pytest.importorskip("torch")
    schedule = OneCycle(0.3, epochs=4, steps_per_epoch=25, three_phase=True)
    assert schedule.end_step == 100
    assert schedule.get_config()["epochs"] == 4
    assert "epochs" not in OneCycle(0.3, 100).get_config()
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    torch_schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, 0.3, epochs=4, steps_per_epoch=25, three_phase=True
    )
    for step in range(100):
        assert math.isclose(optimizer.param_groups[0]["lr"], schedule(step), rel_tol=1e-12), step
        optimizer.step()
        torch_schedule.step()
    # total_steps wins over epochs, as in torch
    assert OneCycle(0.3, 50, epochs=4, steps_per_epoch=25).end_step == 50


CUSTOM_SCALES: list[tuple[str, Any, str, Callable[[float], float]]] = [
    # torch calls scale_fn with the cycle counted from 1; the scale schedule sees it from 0
    ("halved", lrschedule.ExponentialDecay(1.0, 1, 0.5), "cycle", lambda x: 0.5 ** (x - 1)),
    (
        "polynomial",
        lrschedule.PolynomialDecay(1.0, 5, 0.2),
        "cycle",
        lambda x: 1.0 - 0.8 * min(x - 1, 5) / 5,
    ),
    ("iterations", lrschedule.ExponentialDecay(1.0, 1, 0.999), "iterations", lambda x: 0.999**x),
    (
        "steps",
        lrschedule.PiecewiseConstantDecay([30, 60], [1.0, 0.5, 0.2]),
        "iterations",
        lambda x: 1.0 if x <= 30 else 0.5 if x <= 60 else 0.2,
    ),
]


@pytest.mark.parametrize(
    ("scale", "scale_mode", "scale_fn"),
    [c[1:] for c in CUSTOM_SCALES],
    ids=[c[0] for c in CUSTOM_SCALES],
)
def test_cyclic_custom_scale_is_torchs_scale_fn(
    scale: Any, scale_mode: str, scale_fn: Callable[[float], float]
) -> None:
    """torch's ``scale_fn``/``scale_mode`` as a schedule: torch's values, and a JSON round trip
    (which torch's lambda cannot make)."""
    torch = pytest.importorskip("torch")
    schedule = Cyclic(0.1, 1.0, 3, 6, scale=scale, scale_mode=scale_mode)
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule
    assert lrschedule.deserialize(lrschedule.serialize(schedule)).scale == scale
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    torch_schedule = torch.optim.lr_scheduler.CyclicLR(
        optimizer, 0.1, 1.0, 3, 6, scale_fn=scale_fn, scale_mode=scale_mode, cycle_momentum=False
    )
    expected = []
    for _ in range(100):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        torch_schedule.step()
    np.testing.assert_allclose(schedule(np.arange(100)), expected, rtol=1e-13, atol=1e-15)
    python = [float(schedule(t)) for t in range(100)]
    np.testing.assert_allclose(python, expected, rtol=1e-13, atol=1e-15)


def test_cyclic_custom_scale_on_every_backend(backend: Backend) -> None:
    schedule = Cyclic(0.1, 1.0, 3, 6, scale=lrschedule.ExponentialDecay(1.0, 1, 0.5))
    same = Cyclic(0.1, 1.0, 3, 6, mode="triangular2")
    steps = list(range(0, 60, 1))
    result = backend.to_numpy(backend.call(schedule, backend.asarray(steps)))
    expected = backend.to_numpy(backend.call(same, backend.asarray(steps)))
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=0)


def test_cyclic_custom_scale_config() -> None:
    schedule = Cyclic(0.1, 1.0, scale=lrschedule.Constant(0.5), scale_mode="iterations")
    config = schedule.get_config()
    assert config["scale"] == lrschedule.serialize(lrschedule.Constant(0.5))
    assert config["scale_mode"] == "iterations"
    assert "scale" not in Cyclic(0.1, 1.0).get_config()
    assert repr(schedule).endswith("scale=Constant(value=0.5), scale_mode='iterations')")
    assert float(schedule(2000)) == pytest.approx(0.55)


def test_bad_config_is_a_config_error() -> None:
    config = lrschedule.serialize(OneCycle(0.1, 100))
    config["config"]["pct_start"] = 1.5
    with pytest.raises(lrschedule.ConfigError, match=r"pct_start=1\.5"):
        lrschedule.deserialize(config)


# -- jit and compile --------------------------------------------------------------------------


@pytest.mark.skipif(not _has("jax"), reason="jax is not installed")
def test_jax_jit() -> None:
    import jax
    import jax.numpy as jnp

    for case in CASES:
        traces: list[int] = []

        def lr(step: Any, schedule: Any = case.schedule, traces: list[int] = traces) -> Any:
            traces.append(1)
            return schedule(step)

        jitted = jax.jit(lr)
        steps = [0, 1, 17, 100, 1000, 5000]
        values = [float(jitted(jnp.asarray(t))) for t in steps]
        assert len(traces) == 1, case.id
        exact = [float(case.reference(t)) for t in steps]
        np.testing.assert_allclose(values, exact, rtol=2e-5, atol=1e-7, err_msg=case.id)


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_torch_compile_fullgraph(case: Case) -> None:
    assert_torch_compiles_once(case.schedule, case.reference)
