"""One rule for what a NumPy step gives back, and how close the scalar and array paths are."""

from __future__ import annotations

import numpy as np
import pytest

import lrschedule
from test_edges import EDGES, Edge


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_a_0d_numpy_step_gives_a_0d_array(edge: Edge) -> None:
    if edge.schedule.dtype == "bfloat16":
        pytest.skip("NumPy has no bfloat16")
    result = edge.schedule(np.array(150))
    assert type(result) is np.ndarray
    assert result.shape == ()


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_a_masked_step_keeps_its_mask(edge: Edge) -> None:
    if edge.schedule.dtype == "bfloat16":
        pytest.skip("NumPy has no bfloat16")
    steps = np.ma.array([1, 2, 3, 4], mask=[False, True, False, True])
    result = edge.schedule(steps)
    assert isinstance(result, np.ma.MaskedArray)
    np.testing.assert_array_equal(np.ma.getmaskarray(result), [False, True, False, True])
    np.testing.assert_array_equal(result.compressed(), edge.schedule(np.array([1, 3])))


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_python_int_and_array_steps_within_two_float64_ulp(edge: Edge) -> None:
    """The scalar path runs the C library's exp, sin and pow, NumPy its own: the last bit may
    differ (ExponentialDecay(0.1, 1000, 0.5): exp differs by 1 ulp on 200 of 4,768 steps, the
    result on 172, 24 of them by 2 ulp), no more. That one ulp of exp may be two of the result
    (the product with the rate rounds again): StepDecay(0.1, 30) at 4170 is
    0.1 * exp(-320.06...), where NumPy's exp is 1 ulp below the correctly rounded
    1.0000000000000205e-139 (the C library's) and 1e-140 sits low in its binade."""
    schedule = lrschedule.deserialize(
        {
            **lrschedule.serialize(edge.schedule),
            "config": {**edge.schedule.get_config(), "dtype": "float64"},
        }
    )
    steps = np.arange(0, 4768)
    scalar = np.asarray([schedule(int(t)) for t in steps])
    array = np.asarray(schedule(steps))
    finite = np.isfinite(scalar) & np.isfinite(array)
    assert np.array_equal(np.isfinite(scalar), np.isfinite(array))
    ulp = np.spacing(np.maximum(np.abs(scalar[finite]), np.abs(array[finite])))
    assert np.all(np.abs(scalar[finite] - array[finite]) <= 2 * ulp)


def test_float16_on_dask() -> None:
    da = pytest.importorskip("dask.array")
    result = lrschedule.Constant(0.1, dtype="float16")(da.arange(3))
    assert result.dtype == np.float16
    np.testing.assert_array_equal(result.compute(), np.full(3, 0.1, dtype=np.float16))
