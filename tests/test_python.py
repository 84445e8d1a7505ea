"""The per-call path of Python int steps: each formula compiled to straight-line Python
(``lrschedule._python``) gives the values of the formula run on ``raw_math`` itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrschedule
from lrschedule import _array
from lrschedule._python import MAX_NODES, scalar_formula
from test_edges import EDGES, Edge

STEPS = [0, 1, 2, 7, 99, 100, 101, 999, 1000, 1001, 4321, 10**4, 12_345, 10**6, 2**31 - 1, 2**53]


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_compiled_formula_equals_the_formula(edge: Edge) -> None:
    schedule = edge.schedule
    compiled = scalar_formula(schedule)
    assert compiled.__doc__, "not compiled"
    assert compiled.__doc__.startswith("def formula"), "not compiled"
    for step in STEPS:
        try:
            expected = schedule._evaluate(_array.raw_math, float(step))
        except (ArithmeticError, ValueError):
            continue  # the general path decides (IEEE results)
        try:
            got = compiled(float(step))
        except (ArithmeticError, ValueError):
            continue  # an inactive piece raised: the general path, same value (test below)
        assert got == expected or (math.isnan(got) and math.isnan(expected)), (step, got)


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_python_int_steps_equal_numpy_scalar_steps(edge: Edge) -> None:
    """The hot path (compiled) and the general scalar path (a NumPy int) agree bit for bit."""
    schedule = edge.schedule
    for step in STEPS:
        if schedule.dtype == "bfloat16":
            continue  # NumPy scalars have no bfloat16
        hot, general = schedule(step), schedule(np.int64(step))
        assert type(hot) is type(general)
        np.testing.assert_array_equal(hot, general)


def test_equal_schedules_share_one_compiled_formula() -> None:
    a = lrschedule.CosineDecay(0.1, 1000, warmup_target=1.0, warmup_steps=10)
    b = lrschedule.CosineDecay(0.1, 1000, warmup_target=1.0, warmup_steps=10)
    assert scalar_formula(a) is scalar_formula(b)


def test_long_tables_keep_the_binary_search() -> None:
    n = MAX_NODES + 10
    schedule = lrschedule.PiecewiseConstantDecay(list(range(n)), [float(v) for v in range(n + 1)])
    compiled = scalar_formula(schedule)
    assert compiled.__doc__ is None or not compiled.__doc__.startswith("def formula")
    assert float(schedule(n // 2)) == n // 2


def test_a_formula_that_branches_on_the_step_runs_as_written() -> None:
    class Branchy(lrschedule.LearningRateSchedule):
        def _evaluate(self, xp: object, step: float) -> float:
            return 1.0 if step < 10 else 2.0  # a Python if: not traceable, still works

        def get_config(self) -> dict[str, object]:
            return {}

    schedule = Branchy()
    assert float(schedule(3)) == 1.0
    assert float(schedule(30)) == 2.0


@pytest.mark.parametrize("step", [25, 10**6, 10**400, math.inf])
def test_a_nested_formula_on_the_ieee_path(step: float) -> None:
    """Beyond the float range the compiled formula raises and the step goes to ``python_math``:
    a schedule nested in another (here a restart schedule scaling a cyclic one) then receives a
    plain Python float computed by its parent, and gives the value the array path gives."""
    scale = lrschedule.CosineDecayRestarts(1.0, 10, m_mul=0.5)
    schedule = lrschedule.Cyclic(0.01, 0.1, step_size_up=10, scale=scale, scale_mode="cycle")
    with np.errstate(invalid="ignore"):  # +inf: the phase inf - inf is NaN on both paths
        expected = schedule(np.asarray([float(step) if step < 1e308 else math.inf]))[0]
    np.testing.assert_array_equal(schedule(step), expected)
