"""StepDecay, MultiStepDecay, OneCycle and Cyclic against torch's documented definitions.

The references below are written from torch.optim.lr_scheduler's documentation and its closed
forms (``StepLR``, ``MultiStepLR``, ``OneCycleLR``, ``CyclicLR``), evaluated with mpmath at 50
digits, never by calling lrschedule. torch itself is compared in tests/golden/ (make_torch.py).
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mpf

import lrschedule
from checks import assert_torch_compiles_once
from lrschedule import Cyclic, MultiStepDecay, OneCycle, StepDecay

if TYPE_CHECKING:
    from conftest import Backend

Reference = Callable[[int], Any]
DIGITS = 50  # mpmath's working precision for the references (set locally: mp.dps is global)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# -- references, from torch's documentation ---------------------------------------------------


def step_lr(lr: float, step_size: float, gamma: float) -> Reference:
    """StepLR: ``lr * gamma ** (epoch // step_size)``."""

    @mpmath.workdps(DIGITS)
    def f(t: int) -> mpf:
        return mpf(lr) * mpf(gamma) ** mpmath.floor(mpf(t) / mpf(step_size))

    return f


def multi_step_lr(lr: float, milestones: list[float], gamma: float) -> Reference:
    """MultiStepLR: ``lr * gamma ** bisect_right(sorted(milestones), epoch)``."""
    ordered = sorted(milestones)

    @mpmath.workdps(DIGITS)
    def f(t: int) -> mpf:
        return mpf(lr) * mpf(gamma) ** bisect.bisect_right(ordered, t)

    return f


def one_cycle_lr(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Reference:
    """OneCycleLR's phases (torch's ``_schedule_phases``); held at the last step ``N - 1`` after it
    (lrschedule's documented convention where torch extrapolates at ``N`` and raises past it)."""
    initial = mpf(max_lr) / mpf(div_factor)
    peak, final = mpf(max_lr), initial / mpf(final_div_factor)
    p, N = mpf(pct_start), mpf(total_steps)
    if three_phase:
        phases = [
            (p * N - 1, initial, peak),
            (2 * p * N - 2, peak, initial),
            (N - 1, initial, final),
        ]
    else:
        phases = [(p * N - 1, initial, peak), (N - 1, peak, final)]

    def anneal(start: mpf, end: mpf, pct: mpf) -> mpf:
        if anneal_strategy == "cos":
            return end + (start - end) / 2 * (mpmath.cos(mpmath.pi * pct) + 1)
        return (end - start) * pct + start

    @mpmath.workdps(DIGITS)
    def f(t: int) -> mpf:
        step = min(mpf(t), N - 1)
        start_step = mpf(0)
        for i, (end_step, a, b) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                return anneal(a, b, (step - start_step) / (end_step - start_step))
            start_step = end_step
        raise AssertionError("unreachable")

    return f


def cyclic_lr(
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Reference:
    """CyclicLR.get_lr: cycle = floor(1 + t / total), x = 1 + t / total - cycle, ..."""
    up = mpf(step_size_up)
    down = up if step_size_down is None else mpf(step_size_down)
    total = up + down
    ratio = up / total

    @mpmath.workdps(DIGITS)
    def f(t: int) -> mpf:
        cycle = mpmath.floor(1 + mpf(t) / total)
        x = 1 + mpf(t) / total - cycle
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        height = (mpf(max_lr) - mpf(base_lr)) * scale
        if mode == "triangular":
            return mpf(base_lr) + height
        if mode == "triangular2":
            return mpf(base_lr) + height * (1 / mpf(2) ** (cycle - 1))
        return mpf(base_lr) + height * mpf(gamma) ** t

    return f


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
    Case("step", StepDecay(0.1, 30), step_lr(0.1, 30, 0.1), (30, 60, 90)),
    Case(
        "step-growth", StepDecay(0.01, 7, gamma=1.05), step_lr(0.01, 7, 1.05), (7, 14, 700), False
    ),
    Case("step-slow", StepDecay(1.0, 1, gamma=0.9999), step_lr(1.0, 1, 0.9999), (1, 50_000)),
    Case("step-gamma-0", StepDecay(0.5, 10, gamma=0.0), step_lr(0.5, 10, 0.0), (10,)),
    Case("step-float-size", StepDecay(1.0, 2.5, 0.5), step_lr(1.0, 2.5, 0.5), (5, 10, 25)),
    Case("multistep", MultiStepDecay(0.05, [30, 80]), multi_step_lr(0.05, [30, 80], 0.1), (30, 80)),
    Case(
        "multistep-duplicates",
        MultiStepDecay(1.0, [0, 10, 10, 10, 250], gamma=0.5),
        multi_step_lr(1.0, [0, 10, 10, 10, 250], 0.5),
        (10, 250),
    ),
    Case("multistep-none", MultiStepDecay(0.3, []), multi_step_lr(0.3, [], 0.1)),
    Case(
        "onecycle",
        OneCycle(0.1, 1000),
        one_cycle_lr(0.1, 1000),
        (299, 999),
    ),
    Case(
        "onecycle-linear",
        OneCycle(0.5, 400, pct_start=0.25, anneal_strategy="linear"),
        one_cycle_lr(0.5, 400, 0.25, "linear"),
        (99, 399),
    ),
    Case(
        "onecycle-three-phase",
        OneCycle(0.1, 500, three_phase=True, div_factor=10.0, final_div_factor=100.0),
        one_cycle_lr(0.1, 500, three_phase=True, div_factor=10.0, final_div_factor=100.0),
        (149, 298, 499),
    ),
    Case(
        "onecycle-linear-three-phase",
        OneCycle(2.0, 333, pct_start=0.4, anneal_strategy="linear", three_phase=True),
        one_cycle_lr(2.0, 333, 0.4, "linear", three_phase=True),
        (132, 133, 264, 265, 332),
    ),
    Case("onecycle-short", OneCycle(1.0, 2, pct_start=0.9), one_cycle_lr(1.0, 2, 0.9), (1,)),
    Case("cyclic", Cyclic(0.001, 0.006, 20), cyclic_lr(0.001, 0.006, 20), (20, 40, 60)),
    Case(
        "cyclic-down",
        Cyclic(0.01, 0.1, 10, 25),
        cyclic_lr(0.01, 0.1, 10, 25),
        (10, 35, 45, 70),
    ),
    Case(
        "cyclic-triangular2",
        Cyclic(0.001, 0.1, 15, mode="triangular2"),
        cyclic_lr(0.001, 0.1, 15, mode="triangular2"),
        (15, 30, 45, 60, 75),
    ),
    Case(
        "cyclic-triangular2-down-inverted",
        Cyclic(0.5, 0.05, 5, 12, mode="triangular2"),
        cyclic_lr(0.5, 0.05, 5, 12, mode="triangular2"),
        (5, 17, 22, 34),
    ),
    Case(
        "cyclic-exp-range",
        Cyclic(0.001, 0.01, 10, mode="exp_range", gamma=0.99),
        cyclic_lr(0.001, 0.01, 10, mode="exp_range", gamma=0.99),
        (10, 20, 30),
    ),
    Case(
        "cyclic-exp-range-down",
        Cyclic(0.02, 0.2, 8, 20, mode="exp_range", gamma=0.99999),
        cyclic_lr(0.02, 0.2, 8, 20, mode="exp_range", gamma=0.99999),
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
    exact = cyclic_lr(base, peak, up, down, mode, gamma)(step)
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
    exact = one_cycle_lr(peak, total, pct, strategy, three_phase=three_phase)(step)
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
    ("one-total-float", lambda: OneCycle(0.1, 100.0), ValueError, "total_steps=100.0"),
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
    ("cyc-base-nan", lambda: Cyclic(nan, 0.1), ValueError, "base_learning_rate=nan"),
    ("cyc-max-none", lambda: Cyclic(0.01, None), TypeError, "max_learning_rate=None"),
    ("cyc-up-0", lambda: Cyclic(0.01, 0.1, 0), ValueError, "step_size_up=0"),
    ("cyc-up-neg", lambda: Cyclic(0.01, 0.1, -5), ValueError, "step_size_up=-5"),
    ("cyc-down-0", lambda: Cyclic(0.01, 0.1, 5, 0), ValueError, "step_size_down=0"),
    ("cyc-down-inf", lambda: Cyclic(0.01, 0.1, 5, inf), ValueError, "step_size_down=inf"),
    ("cyc-mode", lambda: Cyclic(0.01, 0.1, mode="exp"), ValueError, "mode='exp'"),
    ("cyc-mode-none", lambda: Cyclic(0.01, 0.1, mode=None), ValueError, "mode=None"),
    ("cyc-gamma-0", lambda: Cyclic(0.01, 0.1, gamma=0.0), ValueError, "gamma=0.0"),
]


@pytest.mark.parametrize(("make", "error", "match"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments(make: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


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
