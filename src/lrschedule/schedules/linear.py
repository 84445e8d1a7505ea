"""Constant and linear schedules (optax's ``constant_schedule`` and ``linear_schedule``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule

__all__ = ["Constant", "Linear"]


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Constant(LearningRateSchedule):
    r"""The same learning rate at every step, as optax's ``constant_schedule``.

    .. math:: \eta(t) = v

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

    Args:
        value: :math:`v`, a finite number (an array's dtype becomes the result dtype).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    A NaN step gives NaN, as every schedule does.

    >>> float(Constant(0.1)(10**9))
    0.1
    """

    value: float
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        value, dtype = _validate.rate("value", self.value)
        self._set(value=value, dtype_from=dtype)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return xp.where(step == step, self.value, step)  # a NaN step stays NaN


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Linear(LearningRateSchedule):
    r"""A linear ramp between two rates, as optax's ``linear_schedule``.

    .. math::

        \eta(t) = \eta_0 + (\eta_1 - \eta_0)\,\frac{\mathrm{clip}(t - t_b,\ 0,\ T)}{T}

    constant at :math:`\eta_0` before :math:`t_b` and at :math:`\eta_1` after :math:`t_b + T`.
    With ``transition_steps=0`` it is constant at :math:`\eta_0`, as in optax.

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

    Args:
        initial_learning_rate: :math:`\eta_0` (optax's ``init_value``).
        end_learning_rate: :math:`\eta_1` (optax's ``end_value``).
        transition_steps: :math:`T \ge 0`.
        transition_begin: :math:`t_b \ge 0`.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = Linear(0.0, 1.0, transition_steps=100, transition_begin=10)
    >>> [float(schedule(t)) for t in (0, 10, 60, 110, 500)]
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """

    initial_learning_rate: float
    end_learning_rate: float
    transition_steps: float
    transition_begin: float = 0
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        rate, dtype = _validate.rate("initial_learning_rate", self.initial_learning_rate)
        self._set(
            initial_learning_rate=rate,
            end_learning_rate=_validate.rate("end_learning_rate", self.end_learning_rate)[0],
            transition_steps=_validate.length("transition_steps", self.transition_steps),
            transition_begin=_validate.non_negative("transition_begin", self.transition_begin),
            dtype_from=dtype,
        )

    def _evaluate(self, xp: Any, step: Any) -> Any:
        start, end, length = (
            self.initial_learning_rate,
            self.end_learning_rate,
            self.transition_steps,
        )
        if length == 0:
            return xp.where(step == step, start, step)
        # Measured from the nearer end of the ramp, so both ends are exact even where XLA turns
        # the division into a multiplication by 1 / length (which is not exact).
        done = xp.clip(step - self.transition_begin, min=0.0, max=length)
        from_start = start + (end - start) * (done / length)
        from_end = end + (start - end) * ((length - done) / length)
        return xp.where(done + done < length, from_start, from_end)
