"""Python-int hyperparameters of 2**31 or more, on every backend (issue 13, bug 1).

optax's own test calls ``jax.jit(cosine_decay_schedule(1000.0, decay_steps=int(1e10)))(int(1e9))``
with x64 off and expects 975.52826. A Python int beyond int32 must never meet an int32 array as an
int (JAX raises ``OverflowError`` without x64): lrschedule stores numbers as floats, so every
length, boundary and milestone enters a float32-only namespace (JAX without x64,
array-api-strict's ``Device("no_x64")``) as a float, and int32 steps are compared with them in the
compute dtype. Each schedule with an int length, boundary or milestone is checked here, on int
steps of the backend's widest integer dtype and on float32 steps past 2**31.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import lrschedule as L  # noqa: N812
from conftest import Backend

BIG = 10**10  # > 2**33
HUGE = 3_000_000_000  # > 2**31, the boundary of docs/guide/keras.md

SCHEDULES: dict[str, L.LearningRateSchedule] = {
    "CosineDecay": L.CosineDecay(1000.0, decay_steps=BIG),
    "CosineDecayRestarts": L.CosineDecayRestarts(1.0, first_decay_steps=BIG),
    "ExponentialDecay": L.ExponentialDecay(1.0, BIG, 0.5, transition_begin=HUGE),
    "PolynomialDecay": L.PolynomialDecay(1.0, BIG, 0.1, power=2.0),
    "Linear": L.Linear(1.0, 0.1, BIG, transition_begin=HUGE),
    "StepDecay": L.StepDecay(1.0, HUGE, gamma=0.5),
    "MultiStepDecay": L.MultiStepDecay(1.0, (HUGE, BIG), gamma=0.5),
    "InverseTimeDecay": L.InverseTimeDecay(1.0, HUGE, 0.5, staircase=True),
    "Cyclic": L.Cyclic(0.1, 1.0, step_size_up=HUGE, step_size_down=BIG),
    "OneCycle": L.OneCycle(1.0, total_steps=BIG),
    "InverseSqrt": L.InverseSqrt(1.0, warmup_steps=HUGE),
    "Warmup": L.Warmup(L.Constant(1.0), warmup_steps=HUGE),
    "Sequential": L.Sequential((L.Constant(1.0), L.Linear(1.0, 0.5, BIG)), boundaries=(HUGE,)),
    "PiecewiseInterpolate": L.PiecewiseInterpolate((0, HUGE, BIG), (1.0, 0.5, 0.1)),
    "PiecewiseConstantDecay": L.PiecewiseConstantDecay((HUGE, BIG), (1.0, 0.5, 0.1)),
    "WarmupStableDecay": L.WarmupStableDecay(1.0, HUGE, HUGE, BIG),
}

INT_STEPS = [0, 10**9, 2**31 - 1]  # in int32 range: the steps an int32 counter reaches
FLOAT_STEPS = [0.0, 4.0e9, 1.2e10]  # exact in float32, beyond int32 and on both sides of HUGE


def _expected(schedule: L.LearningRateSchedule, steps: list[float], float64: bool) -> np.ndarray:
    """NumPy's float64 values, at the steps as the backend holds them (float32 without float64)."""
    held = np.asarray(steps, dtype=np.float64 if float64 else np.float32).astype(np.float64)
    return np.asarray(schedule(held), dtype=np.float64)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_giant_int_hyperparameters_on_int_steps(backend: Backend, name: str) -> None:
    schedule = SCHEDULES[name]
    result = backend.call(schedule, backend.asarray(INT_STEPS))
    expected = _expected(schedule, INT_STEPS, backend.float64)
    rtol = 1e-12 if backend.default_float == "float64" else 2e-6
    np.testing.assert_allclose(backend.to_numpy(result), expected, rtol=rtol, atol=0.0)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_giant_int_hyperparameters_on_float32_steps(backend: Backend, name: str) -> None:
    schedule = SCHEDULES[name]
    result = backend.call(schedule, backend.asarray(FLOAT_STEPS, "float32"))
    expected = _expected(schedule, FLOAT_STEPS, False)  # float32 steps hold these exactly
    rtol = 1e-12 if backend.default_float == "float64" else 2e-6
    np.testing.assert_allclose(backend.to_numpy(result), expected, rtol=rtol, atol=0.0)


def test_optax_giant_int_case_on_every_backend(backend: Backend) -> None:
    """optax's test value, and the closed form 500 (1 + cos(pi / 10))."""
    schedule = L.CosineDecay(1000.0, decay_steps=int(1e10))
    result = backend.to_numpy(backend.call(schedule, backend.asarray(int(1e9))))
    assert math.isclose(float(result), 975.52826, rel_tol=1e-7)
    closed = 500.0 * (1.0 + math.cos(math.pi / 10.0))
    assert math.isclose(float(result), closed, rel_tol=1e-7)


def test_optax_giant_int_case_under_jax_jit_without_x64() -> None:
    """optax's test, as it is written: a Python int step into ``jax.jit`` with x64 off."""
    jax = pytest.importorskip("jax")
    with jax.enable_x64(False):
        schedule: Any = L.CosineDecay(1000.0, decay_steps=int(1e10))
        for call in (jax.jit(schedule), schedule):
            value = call(jax.numpy.asarray(int(1e9)))
            assert value.dtype == jax.numpy.float32
            np.testing.assert_allclose(np.asarray(value), 975.52826, rtol=1e-7)
        assert np.asarray(jax.jit(schedule)(int(1e9))) == pytest.approx(975.52826, rel=1e-7)


def test_keras_guide_boundary_on_int32_steps(backend: Backend) -> None:
    """docs/guide/keras.md's ``PiecewiseConstantDecay([3_000_000_000], ...)`` on int32 steps."""
    schedule = L.PiecewiseConstantDecay([HUGE], [1.0, 0.5])
    steps = backend.asarray([0, 5, 2**31 - 1], "int32")
    np.testing.assert_array_equal(backend.to_numpy(backend.call(schedule, steps)), [1.0] * 3)
