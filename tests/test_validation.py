"""Every invalid hyperparameter is refused at construction, naming the argument and the value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lrschedule import (
    Constant,
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    Linear,
    PiecewiseConstantDecay,
    PiecewiseInterpolate,
    PolynomialDecay,
    Product,
    Sequential,
    Warmup,
)

nan, inf = float("nan"), float("inf")

BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("exp-steps-0", lambda: ExponentialDecay(0.1, 0, 0.5), ValueError, "decay_steps=0"),
    ("exp-steps-neg", lambda: ExponentialDecay(0.1, -10, 0.5), ValueError, "decay_steps=-10"),
    ("exp-steps-nan", lambda: ExponentialDecay(0.1, nan, 0.5), ValueError, "decay_steps=nan"),
    ("exp-steps-inf", lambda: ExponentialDecay(0.1, inf, 0.5), ValueError, "decay_steps=inf"),
    ("exp-steps-str", lambda: ExponentialDecay(0.1, "10", 0.5), TypeError, "decay_steps='10'"),
    ("exp-steps-bool", lambda: ExponentialDecay(0.1, True, 0.5), TypeError, "decay_steps=True"),
    ("exp-lr-nan", lambda: ExponentialDecay(nan, 10, 0.5), ValueError, "initial_learning_rate"),
    ("exp-lr-none", lambda: ExponentialDecay(None, 10, 0.5), TypeError, "initial_learning_rate"),
    (
        "exp-lr-array",
        lambda: ExponentialDecay(np.array([0.1, 0.2]), 10, 0.5),
        TypeError,
        "initial_learning_rate",
    ),
    ("exp-rate-0", lambda: ExponentialDecay(0.1, 10, 0.0), ValueError, "decay_rate=0.0"),
    ("exp-rate-neg", lambda: ExponentialDecay(0.1, 10, -0.5), ValueError, "decay_rate=-0.5"),
    ("exp-stair-int", lambda: ExponentialDecay(0.1, 10, 0.5, 1), TypeError, "staircase=1"),
    ("exp-stair-str", lambda: ExponentialDecay(0.1, 10, 0.5, "yes"), TypeError, "staircase"),
    ("exp-name", lambda: ExponentialDecay(0.1, 10, 0.5, name=3), TypeError, "name=3"),
    (
        "exp-dtype",
        lambda: ExponentialDecay(0.1, 10, 0.5, dtype="int32"),
        ValueError,
        "dtype='int32'",
    ),
    ("exp-dtype-f8", lambda: ExponentialDecay(0.1, 10, 0.5, dtype="float8"), ValueError, "dtype"),
    ("inv-rate-0", lambda: InverseTimeDecay(0.1, 10, 0), ValueError, "decay_rate=0"),
    ("inv-steps-0", lambda: InverseTimeDecay(0.1, 0.0, 1.0), ValueError, "decay_steps=0.0"),
    (
        "inv-stair",
        lambda: InverseTimeDecay(0.1, 10, 1.0, staircase=None),
        TypeError,
        "staircase=None",
    ),
    ("poly-steps", lambda: PolynomialDecay(0.1, 0), ValueError, "decay_steps=0"),
    (
        "poly-end",
        lambda: PolynomialDecay(0.1, 10, end_learning_rate=inf),
        ValueError,
        "end_learning_rate",
    ),
    ("poly-power", lambda: PolynomialDecay(0.1, 10, power=-1.0), ValueError, "power=-1.0"),
    ("poly-cycle", lambda: PolynomialDecay(0.1, 10, cycle="no"), TypeError, "cycle='no'"),
    ("pw-count", lambda: PiecewiseConstantDecay([10, 20], [1.0, 0.5]), ValueError, "one more than"),
    (
        "pw-unsorted",
        lambda: PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]),
        ValueError,
        "sorted",
    ),
    ("pw-nan", lambda: PiecewiseConstantDecay([nan], [1.0, 0.5]), ValueError, r"boundaries\[0\]"),
    ("pw-value-inf", lambda: PiecewiseConstantDecay([1], [1.0, inf]), ValueError, r"values\[1\]"),
    ("pw-not-list", lambda: PiecewiseConstantDecay(10, [1.0, 0.5]), TypeError, "boundaries=10"),
    ("pw-str", lambda: PiecewiseConstantDecay("12", [1.0, 0.5, 0.1]), TypeError, "boundaries"),
    ("pw-empty", lambda: PiecewiseConstantDecay([], []), ValueError, "values"),
    ("cos-steps", lambda: CosineDecay(0.1, 0), ValueError, "decay_steps=0"),
    ("cos-alpha", lambda: CosineDecay(0.1, 10, alpha=nan), ValueError, "alpha=nan"),
    (
        "cos-warmup-neg",
        lambda: CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=-1),
        ValueError,
        "warmup_steps=-1",
    ),
    (
        "cos-target",
        lambda: CosineDecay(0.1, 10, warmup_target=inf, warmup_steps=5),
        ValueError,
        "warmup_target=inf",
    ),
    ("sgdr-steps", lambda: CosineDecayRestarts(0.1, 0), ValueError, "first_decay_steps=0"),
    ("sgdr-t-mul", lambda: CosineDecayRestarts(0.1, 10, t_mul=0.5), ValueError, "t_mul=0.5"),
    ("sgdr-m-mul", lambda: CosineDecayRestarts(0.1, 10, m_mul=-1.0), ValueError, "m_mul=-1.0"),
    ("sgdr-alpha", lambda: CosineDecayRestarts(0.1, 10, alpha=inf), ValueError, "alpha=inf"),
    (
        "exp-begin",
        lambda: ExponentialDecay(0.1, 10, 0.5, transition_begin=-1),
        ValueError,
        "transition_begin=-1",
    ),
    (
        "exp-end",
        lambda: ExponentialDecay(0.1, 10, 0.5, end_learning_rate=nan),
        ValueError,
        "end_learning_rate",
    ),
    (
        "poly-begin",
        lambda: PolynomialDecay(0.1, 10, transition_begin=inf),
        ValueError,
        "transition_begin=inf",
    ),
    ("cos-exponent", lambda: CosineDecay(0.1, 10, exponent=-2.0), ValueError, "exponent=-2.0"),
    ("constant", lambda: Constant(inf), ValueError, "value=inf"),
    ("constant-str", lambda: Constant("0.1"), TypeError, "value='0.1'"),
    ("linear-steps", lambda: Linear(0.1, 0.0, -5), ValueError, "transition_steps=-5"),
    ("linear-begin", lambda: Linear(0.1, 0.0, 5, -1), ValueError, "transition_begin=-1"),
    ("interp-count", lambda: PiecewiseInterpolate([0, 10], [1.0]), ValueError, "same length"),
    (
        "interp-order",
        lambda: PiecewiseInterpolate([0, 10, 5], [1.0, 2.0, 3.0]),
        ValueError,
        "non-decreasing order",
    ),
    (
        "interp-kind",
        lambda: PiecewiseInterpolate([0], [1.0], "cubic"),
        ValueError,
        "interpolation='cubic'",
    ),
    ("interp-empty", lambda: PiecewiseInterpolate([], []), ValueError, "boundaries"),
    ("warmup-steps", lambda: Warmup(Constant(0.1), -1), ValueError, "warmup_steps=-1"),
    ("warmup-schedule", lambda: Warmup(0.1, 10), TypeError, "schedule=0.1"),
    ("warmup-lr", lambda: Warmup(Constant(0.1), 10, nan), ValueError, "initial_learning_rate"),
    (
        "seq-count",
        lambda: Sequential([Constant(0.1), Constant(0.2)], [1, 2]),
        ValueError,
        "one less",
    ),
    (
        "seq-order",
        lambda: Sequential([Constant(0.1)] * 3, [20, 10]),
        ValueError,
        "non-decreasing order",
    ),
    ("seq-negative", lambda: Sequential([Constant(0.1)] * 2, [-1]), ValueError, ">= 0"),
    ("seq-empty", lambda: Sequential([], []), ValueError, "schedules"),
    (
        "seq-not-schedule",
        lambda: Sequential([Constant(0.1), 0.2], [10]),
        TypeError,
        r"schedules\[1\]",
    ),
    ("product-empty", lambda: Product([]), ValueError, "factors"),
    ("product-nan", lambda: Product([Constant(0.1), nan]), ValueError, r"factors\[1\]"),
    ("product-str", lambda: Product([Constant(0.1), "x"]), TypeError, r"factors\[1\]"),
    ("mul-str", lambda: Constant(0.1) * "x", TypeError, "multiply"),
    ("mul-bool", lambda: True * Constant(0.1), TypeError, "unsupported operand"),
    # magnitudes: within 2**-400..2**400 (or 0), so that no formula overflows on the way
    (
        "exp-steps-tiny",
        lambda: ExponentialDecay(0.1, 5e-324, 0.5),
        ValueError,
        "decay_steps=5e-324",
    ),
    ("exp-lr-huge", lambda: ExponentialDecay(1e300, 10, 0.5), ValueError, r"rate=1e\+300"),
    ("exp-rate-huge", lambda: ExponentialDecay(0.1, 10, 1e300), ValueError, r"decay_rate=1e\+300"),
    ("exp-rate-tiny", lambda: ExponentialDecay(0.1, 10, 1e-300), ValueError, "decay_rate=1e-300"),
    ("linear-steps-tiny", lambda: Linear(0.1, 0.0, 1e-300), ValueError, "transition_steps"),
    ("warmup-steps-tiny", lambda: Warmup(Constant(0.1), 1e-300), ValueError, "warmup_steps"),
    ("constant-huge", lambda: Constant(2.0**401), ValueError, "value="),
    ("product-huge", lambda: Product([Constant(0.1), 1e200]), ValueError, r"factors\[1\]"),
    (
        "interp-boundary-huge",
        lambda: PiecewiseInterpolate([0, 1e200], [1.0, 2.0]),
        ValueError,
        r"boundaries\[1\]",
    ),
    ("interp-value-huge", lambda: PiecewiseInterpolate([0], [1e200]), ValueError, r"values\[0\]"),
    ("sgdr-steps-tiny", lambda: CosineDecayRestarts(0.1, 1e-300), ValueError, "first_decay_steps"),
    # nesting: no deeper than a config may be (registry.MAX_DEPTH levels)
    ("warmup-nesting", lambda: _nested(Warmup, 16), ValueError, "nested no deeper"),
    ("seq-nesting", lambda: _nested(Sequential, 8), ValueError, "nested no deeper"),
    ("product-nesting", lambda: _nested(Product, 8), ValueError, "nested no deeper"),
]


def _nested(cls: type, levels: int) -> Any:
    """``levels`` composites of ``cls`` around a Constant."""
    schedule: Any = Constant(0.1)
    for _ in range(levels):
        if cls is Warmup:
            schedule = Warmup(schedule, 10)
        elif cls is Sequential:
            schedule = Sequential([schedule], [])
        else:
            schedule = Product([schedule, 0.5])
    return schedule


@pytest.mark.parametrize(
    ("make", "error", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_invalid_hyperparameters(make: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_message_reads_like_keras() -> None:
    with pytest.raises(ValueError, match="decay_steps") as info:
        ExponentialDecay(0.1, 0, 0.5)
    assert str(info.value) == "Argument `decay_steps` must be > 0. Received: decay_steps=0"


def test_array_hyperparameters_are_accepted() -> None:
    s = PiecewiseConstantDecay(np.array([10, 20]), np.array([1.0, 0.5, 0.1], dtype=np.float32))
    assert s.boundaries == (10, 20)
    assert s.dtype == "float32"
    assert ExponentialDecay(0.1, np.float32(10.0), np.float64(0.5)).decay_steps == 10.0


def test_magnitudes_at_the_bounds_are_accepted() -> None:
    top, low = 2.0**400, 2.0**-400
    schedule = ExponentialDecay(top, low, top, transition_begin=top, end_learning_rate=low)
    assert schedule.decay_steps == low
    assert Linear(-top, top, low, 0).end_learning_rate == top
    assert Product([Constant(low), top]).factors[1] == top
    assert PiecewiseInterpolate([-top, 0, low], [top, 0.0, -low]).boundaries[0] == -top
    # learning rates and factors have no lower bound (a subnormal rate is an ordinary value)
    assert Linear(5e-324, 0.0, 10).initial_learning_rate == 5e-324
    assert Product([Constant(0.1), 5e-324]).factors[1] == 5e-324


def test_nesting_as_deep_as_configs_is_accepted_and_loads_back() -> None:
    """The deepest composites that can be built load back from their configs (a schedule is a
    level, and so is the list that holds Sequential's and Product's parts)."""
    from lrschedule import deserialize, serialize

    for cls, levels in ((Warmup, 15), (Sequential, 7), (Product, 7)):
        schedule = _nested(cls, levels)
        assert deserialize(serialize(schedule)) == schedule
