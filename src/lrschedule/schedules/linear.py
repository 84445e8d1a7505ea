"""Constant and linear schedules (optax's ``constant_schedule`` and ``linear_schedule``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked
from lrschedule.schedules._numerics import keep_nan, ramp

__all__ = ["Constant", "Linear"]


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Constant(LearningRateSchedule):
    r"""The same learning rate at every step, as optax's ``constant_schedule``.

    .. math:: \eta(t) = v

    Args:
        value: :math:`v`, a finite number (an array's dtype becomes the result dtype).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    A NaN step gives NaN, as every schedule does.

    >>> float(Constant(0.1)(10**9))
    0.1
    """

    value: float = checked(check.rate, carries_dtype=check.array_dtype)
    dtype: str | None = field(default=None, kw_only=True)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return keep_nan(xp, step, self.value)


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Linear(LearningRateSchedule):
    r"""A linear ramp between two rates, as optax's ``linear_schedule``.

    .. math::

        \eta(t) = \eta_0 + (\eta_1 - \eta_0)\,\frac{\mathrm{clip}(t - t_b,\ 0,\ T)}{T}

    constant at :math:`\eta_0` before :math:`t_b` and at :math:`\eta_1` after :math:`t_b + T`.
    With ``transition_steps=0`` it is constant at :math:`\eta_0`, as in optax.

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

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    end_learning_rate: float = checked(check.rate)
    transition_steps: float = checked(check.length)
    transition_begin: float = checked(check.non_negative, 0)
    dtype: str | None = field(default=None, kw_only=True)

    @property
    def end_step(self) -> float:
        return self.transition_begin + self.transition_steps

    def _evaluate(self, xp: Any, step: Any) -> Any:
        start, length = self.initial_learning_rate, self.transition_steps
        if length == 0:
            return keep_nan(xp, step, start)
        done = xp.clip(step - self.transition_begin, min=0.0, max=length)
        return ramp(xp, start, self.end_learning_rate, done, length)
