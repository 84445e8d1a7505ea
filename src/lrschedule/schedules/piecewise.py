"""Piecewise constant decay (Keras 3's ``PiecewiseConstantDecay``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _array
from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import past

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
        boundaries: :math:`n` non-decreasing step boundaries, of magnitudes at most
            :math:`2^{400}`; :math:`2n + 1` is at most
            :data:`~lrschedule.registry.MAX_NUMBERS` (250,000), what a config may hold.
            An array step is searched in :math:`O(\log n)` operations on every backend.
        values: :math:`n + 1` values, of magnitudes at most :math:`2^{400}`. If they are arrays or NumPy scalars, their dtype
            becomes the result dtype.
        name: kept in the config, as in Keras (default ``"PiecewiseConstant"``, Keras's).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> [float(schedule(t)) for t in (100, 101, 200, 201)]
    [1.0, 0.5, 0.5, 0.1]
    """

    boundaries: tuple[float, ...] = checked(check.numbers(check.at_most_largest))
    values: tuple[float, ...] = checked(
        check.numbers(check.rate, min_length=1), carries_dtype=check.values_dtype
    )
    name: str | None = "PiecewiseConstant"
    dtype: str | None = field(default=None, kw_only=True)

    def _prepare(self) -> None:
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(
                "The length of `values` must be one more than the length of `boundaries`. "
                f"Received: boundaries={list(self._given('boundaries'))!r}, values={list(self._given('values'))!r}"
            )
        check.increasing("boundaries", self._given("boundaries"), strict=False)
        self._store(_table=(self.boundaries, self.values))

    _table: _array.Table = derived()

    @property
    def end_step(self) -> float | None:
        return past(self.boundaries[-1]) if self.boundaries else None

    def _evaluate(self, xp: Any, step: Any) -> Any:
        # the old value holds at a boundary
        return xp.select(step, self.boundaries, self.values, closed="right")
