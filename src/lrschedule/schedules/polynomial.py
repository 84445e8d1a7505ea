"""Polynomial decay (Keras 3's ``PolynomialDecay``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked
from lrschedule.schedules._numerics import cycles

__all__ = ["PolynomialDecay"]


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class PolynomialDecay(LearningRateSchedule):
    r"""Polynomial decay, as Keras 3's ``keras.optimizers.schedules.PolynomialDecay`` and optax's
    ``polynomial_schedule``.

    .. math::

        \eta(t) = (\eta_0 - \eta_T) \left(1 - \frac{\min(t, T)}{T}\right)^{p} + \eta_T

    With ``cycle=True`` the horizon grows to the next multiple of :math:`T` instead of stopping:
    :math:`T_t = T \cdot \max(1, \lceil t / T \rceil)` and :math:`\eta(t) = (\eta_0 - \eta_T)
    (1 - t / T_t)^p + \eta_T` (so the multiplier is 1 at step 0, as in Keras).

    Args:
        initial_learning_rate: :math:`\eta_0`, a finite number.
        decay_steps: :math:`T > 0`.
        end_learning_rate: :math:`\eta_T`, a finite number.
        power: :math:`p \ge 0`.
        cycle: restart the decay after each ``decay_steps``.
        name: kept in the config, as in Keras.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.
        transition_begin: steps to hold ``initial_learning_rate`` before decaying, so that
            :math:`t` above is :math:`\max(t - t_b, 0)` (optax's ``transition_begin``;
            keyword-only, in the config only when not 0).

    >>> schedule = PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01)
    >>> [round(float(schedule(t)), 6) for t in (0, 50, 100, 200)]
    [0.1, 0.055, 0.01, 0.01]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    decay_steps: float = checked(check.positive)
    end_learning_rate: float = checked(check.rate, 0.0001)
    power: float = checked(check.non_negative, 1.0)
    cycle: bool = checked(check.boolean, False)
    name: str | None = "PolynomialDecay"
    dtype: str | None = field(default=None, kw_only=True)
    transition_begin: float = checked(check.non_negative, 0, kw_only=True, omit_at_default=True)

    @property
    def end_step(self) -> float | None:
        return self.transition_begin + self.decay_steps

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if self.transition_begin:
            step = xp.clip(step - self.transition_begin, min=0.0)
        if self.cycle:
            length = self.decay_steps
            # +inf: the value at the end of a cycle, which every cycle ends at (the limit).
            step = xp.where(step == xp.inf, length, step)
            # The fraction (h - t) / h of the horizon h = k T, from halves of h and t (exactly
            # the same fraction, without overflow near the float maximum); h may round below t
            # (k T rounds, and a step just past a whole multiple of a T that is not whole is at
            # it), where the fraction is clipped at 0.
            half_step = 0.5 * step
            half_horizon = xp.clip(cycles(xp, step, half_step, length), min=1.0) * (0.5 * length)
            remaining = xp.clip((half_horizon - half_step) / half_horizon, min=0.0)
        else:
            remaining = (self.decay_steps - xp.clip(step, max=self.decay_steps)) / self.decay_steps
        if self.power != 1.0:
            remaining = xp.pow(remaining, self.power)
        end = self.end_learning_rate
        return (self.initial_learning_rate - end) * remaining + end
