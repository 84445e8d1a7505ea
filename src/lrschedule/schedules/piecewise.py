"""Piecewise constant decay (Keras 3's ``PiecewiseConstantDecay``)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _array, _validate
from lrschedule._array import piecewise_constant
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule

__all__ = ["PiecewiseConstantDecay"]


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class PiecewiseConstantDecay(LearningRateSchedule):
    r"""Piecewise constant values, as Keras 3's ``keras.optimizers.schedules.PiecewiseConstantDecay``.

    .. math::

        \eta(t) = v_i \quad\text{for}\quad b_{i-1} < t \le b_i
        \qquad (b_{-1} = -\infty,\ b_n = +\infty)

    The old value holds *at* a boundary: ``values[1]`` starts after ``boundaries[0]``.

    Args:
        boundaries: :math:`n` finite, non-decreasing step boundaries.
        values: :math:`n + 1` finite values. If they are arrays or NumPy scalars, their dtype
            becomes the result dtype.
        name: kept in the config, as in Keras (default ``"PiecewiseConstant"``, Keras's).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> [float(schedule(t)) for t in (100, 101, 200, 201)]
    [1.0, 0.5, 0.5, 0.1]
    """

    boundaries: tuple[float, ...]
    values: tuple[float, ...]
    name: str | None = "PiecewiseConstant"
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        boundaries = _validate.numbers_sequence("boundaries", self.boundaries)
        values = _validate.numbers_sequence("values", self.values, min_length=1)
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "The length of `values` must be one more than the length of `boundaries`. "
                f"Received: boundaries={list(boundaries)!r}, values={list(values)!r}"
            )
        _validate.increasing("boundaries", boundaries, strict=False)
        self._set(
            boundaries=boundaries,
            values=tuple(float(v) for v in values),
            dtype_from=_validate.values_dtype(self.values),
        )
        # derived once, not a hyperparameter: not in the config, ==, hash or repr
        object.__setattr__(self, "_table", (self.boundaries, self.values))

    _table: _array.Table = field(init=False, repr=False, compare=False)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if type(step) is float:  # a Python float: a binary search (a NaN step stays NaN)
            return self.values[bisect_left(self.boundaries, step)] if step == step else step
        # the function, not `_array.piecewise_constant`: torch.compile would reach the _array
        # module by two names and check on every call, in Python, that they are still one module
        return piecewise_constant(xp, step, self._table)
