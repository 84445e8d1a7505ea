"""Zero-length intervals (issue 13, item 3): a boundary at step 0 and repeated boundaries.

optax accepts both: a repeated boundary is a jump (the later value, or schedule, holds from that
step on), and a scale at step 0 in ``piecewise_interpolate_schedule`` applies from step 0. The
expected values below are written out by hand from that definition; optax itself is compared
where it is installed.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import lrschedule
from lrschedule import Constant, Linear, PiecewiseInterpolate, Sequential

if TYPE_CHECKING:
    from conftest import Backend

STEPS = [0, 50, 99, 100, 150, 200, 300]

CASES: list[tuple[str, lrschedule.LearningRateSchedule, list[float]]] = [
    # 0 -> 1 over [0, 100], a jump to 0.5 at 100, then 0.5 -> 0 over [100, 200]
    (
        "interpolate-jump",
        PiecewiseInterpolate([0, 100, 100, 200], [0.0, 1.0, 0.5, 0.0]),
        [0.0, 0.5, 0.99, 0.5, 0.25, 0.0, 0.0],
    ),
    # optax's scale at step 0: the second value from step 0 on
    (
        "interpolate-at-0",
        PiecewiseInterpolate([0, 0, 200], [1.0, 0.5, 0.0]),
        [0.5, 0.375, 0.2525, 0.25, 0.125, 0.0, 0.0],
    ),
    # three values at one step: the last one holds
    (
        "interpolate-triple",
        PiecewiseInterpolate([100, 100, 100], [1.0, 2.0, 3.0]),
        [1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0],
    ),
    (
        "interpolate-cosine-jump",
        PiecewiseInterpolate([0, 100, 100, 200], [0.0, 1.0, 0.5, 0.0], interpolation="cosine"),
        [0.0, 0.5, 0.5 * (1 - np.cos(np.pi * 0.99)), 0.5, 0.25, 0.0, 0.0],
    ),
    # Sequential: a boundary at 0 skips the first schedule, a repeated one the one between
    (
        "sequential-at-0",
        Sequential([Constant(9.0), Linear(1.0, 0.0, 100)], [0]),
        [1.0, 0.5, 0.01, 0.0, 0.0, 0.0, 0.0],
    ),
    (
        "sequential-repeated",
        Sequential([Constant(1.0), Constant(9.0), Linear(2.0, 0.0, 200)], [100, 100]),
        [1.0, 1.0, 1.0, 2.0, 1.5, 1.0, 0.0],
    ),
]


@pytest.mark.parametrize(("name", "schedule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_zero_length_intervals(
    backend: Backend, name: str, schedule: lrschedule.LearningRateSchedule, expected: list[float]
) -> None:
    result = backend.to_numpy(backend.call(schedule, backend.asarray(STEPS)))
    rtol = 1e-12 if backend.default_float == "float64" else 1e-6
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=1e-15, err_msg=name)


@pytest.mark.parametrize(("name", "schedule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_zero_length_intervals_on_python_steps(
    name: str, schedule: lrschedule.LearningRateSchedule, expected: list[float]
) -> None:
    """The scalar path (a search on Python floats) agrees, and the config keeps the repeats."""
    values = [float(schedule(t)) for t in STEPS]
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15, err_msg=name)
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule


_optax = pytest.mark.skipif(
    importlib.util.find_spec("optax") is None, reason="optax is not installed"
)


def _every_step(schedule: Any, steps: range) -> np.ndarray:
    """optax's piecewise schedules compare one step with all their boundaries: one at a time."""
    return np.asarray([float(schedule(t)) for t in steps])


@_optax
@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_optax_piecewise_interpolate_with_a_scale_at_step_0(kind: str) -> None:
    """The migration row: ``{0: s0, b1: s1, ...}`` is ``PiecewiseInterpolate([0, 0, b1, ...],
    [v0, v0 s0, v0 s0 s1, ...])``."""
    import jax
    import optax

    with jax.enable_x64(True):
        theirs = optax.piecewise_interpolate_schedule(kind, 0.1, {0: 0.5, 40: 0.1, 60: 2.0})
        expected = _every_step(theirs, range(100))
    ours = PiecewiseInterpolate([0, 0, 40, 60], [0.1, 0.05, 0.005, 0.01], interpolation=kind)
    np.testing.assert_allclose(ours(np.arange(100)), expected, rtol=1e-12, atol=0)


@_optax
def test_optax_join_schedules_with_zero_length_intervals() -> None:
    import jax
    import optax

    boundaries = [0, 10, 10, 25]
    with jax.enable_x64(True):
        theirs = optax.join_schedules(
            [optax.linear_schedule(i + 1.0, 0.0, 7) for i in range(5)], boundaries
        )
        expected = _every_step(theirs, range(40))
    ours = Sequential([Linear(i + 1.0, 0.0, 7) for i in range(5)], boundaries)
    np.testing.assert_allclose(ours(np.arange(40)), expected, rtol=1e-12, atol=0)
