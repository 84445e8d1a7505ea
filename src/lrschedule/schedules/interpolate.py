"""Piecewise interpolation between values at boundaries (optax's ``piecewise_interpolate_schedule``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule

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

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

    Args:
        boundaries: :math:`n \ge 1` strictly increasing finite steps.
        values: :math:`n` finite values, the rate at each boundary.
        interpolation: ``"linear"`` or ``"cosine"``.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = PiecewiseInterpolate([0, 100, 200], [0.0, 1.0, 0.5])
    >>> [float(schedule(t)) for t in (0, 50, 100, 150, 1000)]
    [0.0, 0.5, 1.0, 0.75, 0.5]
    """

    boundaries: tuple[float, ...]
    values: tuple[float, ...]
    interpolation: str = "linear"
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        boundaries = _validate.numbers_sequence("boundaries", self.boundaries, min_length=1)
        values = _validate.numbers_sequence("values", self.values, min_length=1)
        if len(values) != len(boundaries):
            raise ValueError(
                "Arguments `boundaries` and `values` must have the same length. "
                f"Received: boundaries={list(boundaries)!r}, values={list(values)!r}"
            )
        for i, boundary in enumerate(boundaries):
            _validate.bounded(f"boundaries[{i}]", boundary)
        _validate.increasing("boundaries", boundaries, strict=True)
        self._set(
            boundaries=boundaries,
            values=tuple(_validate.rate(f"values[{i}]", v)[0] for i, v in enumerate(values)),
            interpolation=_validate.one_of(
                "interpolation", self.interpolation, ("linear", "cosine")
            ),
            dtype_from=_validate.values_dtype(self.values),
        )

    def _evaluate(self, xp: Any, step: Any) -> Any:
        b, v = self.boundaries, self.values
        result = xp.where(step == step, v[0], step)  # a NaN step stays NaN
        for i in range(len(b) - 1):
            fraction = xp.clip((step - b[i]) / (b[i + 1] - b[i]), min=0.0, max=1.0)
            if self.interpolation == "linear":
                value = v[i] + (v[i + 1] - v[i]) * fraction
            else:
                value = v[i + 1] + (v[i] - v[i + 1]) * 0.5 * (1.0 + xp.cos(math.pi * fraction))
            result = xp.where(step >= b[i], value, result)
        return xp.where(step >= b[-1], v[-1], result)
