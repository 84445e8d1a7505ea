"""Piecewise interpolation between values at boundaries (optax's ``piecewise_interpolate_schedule``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import half_cosine, ramp

__all__ = ["PiecewiseInterpolate"]


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class PiecewiseInterpolate(LearningRateSchedule):
    r"""Values at boundaries, interpolated linearly or along a half cosine in between.

    .. math::

        \eta(t) = \begin{cases}
        v_0 & t \le b_0 \\
        \mathrm{interp}(v_i, v_{i+1}, \tfrac{t - b_i}{b_{i+1} - b_i}) & b_i \le t < b_{i+1} \\
        v_{n-1} & t \ge b_{n-1}
        \end{cases}

    with :math:`\mathrm{interp}(a, b, p) = a + (b - a)p` (``"linear"``) or
    :math:`b + \tfrac{a - b}{2}(1 + \cos \pi p)` (``"cosine"``).

    optax's ``piecewise_interpolate_schedule(kind, init_value, {b: scale, ...})`` is
    ``PiecewiseInterpolate([0, b, ...], [init_value, init_value * scale, ...], kind)``: optax gives
    scales that multiply, this class the values themselves.

    Args:
        boundaries: :math:`n \ge 1` finite steps in non-decreasing order; a repeated boundary is
            a jump (the later value holds from that step on), as in optax.
        values: :math:`n` finite values, the rate at each boundary.
        interpolation: ``"linear"`` or ``"cosine"``.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = PiecewiseInterpolate([0, 100, 200], [0.0, 1.0, 0.5])
    >>> [float(schedule(t)) for t in (0, 50, 100, 150, 1000)]
    [0.0, 0.5, 1.0, 0.75, 0.5]
    """

    boundaries: tuple[float, ...] = checked(check.numbers(check.bounded, min_length=1))
    values: tuple[float, ...] = checked(
        check.numbers(check.rate, min_length=1), carries_dtype=check.values_dtype
    )
    interpolation: str = checked(check.choice("linear", "cosine"), "linear")
    dtype: str | None = field(default=None, kw_only=True)

    def _prepare(self) -> None:
        if len(self.values) != len(self.boundaries):
            raise ValueError(
                "Arguments `boundaries` and `values` must have the same length. "
                f"Received: boundaries={list(self._given('boundaries'))!r}, values={list(self._given('values'))!r}"
            )
        check.increasing("boundaries", self._given("boundaries"), strict=False)
        self._store(_intervals=_intervals(self.boundaries, self.values))

    _intervals: tuple[tuple[float, ...], ...] = derived()
    """Columns of constants, one entry per interval (before the first boundary, between each two,
    after the last): its start, its length, the values at its two ends and their difference. A
    step selects its interval's entries, by a search on long tables: one formula for every
    interval, never one per interval."""

    @property
    def end_step(self) -> float | None:
        return self.boundaries[-1] if self.boundaries[-1] > 0 else None

    def _evaluate(self, xp: Any, step: Any) -> Any:
        start, length, first, last, rise = (
            xp.select(step, self.boundaries, column) for column in self._intervals
        )
        done = xp.minimum(xp.clip(step - start, min=0.0), length)
        if self.interpolation == "linear":
            return ramp(xp, first, last, done, length, rise)
        return first * half_cosine(xp, length - done, length) + last * half_cosine(xp, done, length)


def _intervals(
    boundaries: tuple[float, ...], values: tuple[float, ...]
) -> tuple[tuple[float, ...], ...]:
    """:attr:`PiecewiseInterpolate._intervals`. Before the first boundary and after the last the
    value is constant: an interval of length 1 whose two ends have that value; so is a jump (a
    repeated boundary), whose interval no step is in."""
    b, v = boundaries, values
    rows = [(b[0], 1.0, v[0], v[0], 0.0)]
    for i in range(len(b) - 1):
        length = b[i + 1] - b[i]
        if length == 0.0:
            rows.append((b[i], 1.0, v[i + 1], v[i + 1], 0.0))
        else:
            rows.append((b[i], length, v[i], v[i + 1], v[i + 1] - v[i]))
    rows.append((b[-1], 1.0, v[-1], v[-1], 0.0))
    return tuple(tuple(float(x) for x in column) for column in zip(*rows, strict=True))
