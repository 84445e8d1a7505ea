"""Exponential and inverse-time decay (Keras 3's ``ExponentialDecay`` and ``InverseTimeDecay``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import grow, grow_pow, keep_nan, whole_periods

__all__ = ["ExponentialDecay", "InverseTimeDecay"]


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class ExponentialDecay(LearningRateSchedule):
    r"""Exponential decay, as Keras 3's ``keras.optimizers.schedules.ExponentialDecay`` and optax's
    ``exponential_decay``.

    .. math::

        \eta(t) = \eta_0 \cdot r^{t' / T}
        \qquad \text{or, with } \texttt{staircase}, \qquad
        \eta(t) = \eta_0 \cdot r^{\lfloor t' / T \rfloor},
        \qquad t' = \max(t - t_b, 0)

    optionally bounded by ``end_learning_rate`` (a floor when :math:`r < 1`, a ceiling when
    :math:`r > 1`, as in optax).

    Args:
        initial_learning_rate: :math:`\eta_0`, a finite number (a Python float, or an array or NumPy
            scalar whose dtype then becomes the result dtype).
        decay_steps: :math:`T > 0`, the steps over which the rate is multiplied by ``decay_rate``.
        decay_rate: :math:`r > 0`.
        staircase: decay in whole periods of ``decay_steps``.
        name: kept in the config, as in Keras.
        dtype: the result dtype (``"float16"``, ``"bfloat16"``, ``"float32"``, ``"float64"``).
        transition_begin: :math:`t_b \ge 0`, steps to hold ``initial_learning_rate`` before decaying
            (optax's ``transition_begin``; keyword-only, in the config only when not 0).
        end_learning_rate: the bound, or ``None`` (optax's ``end_value``; keyword-only, in the
            config only when set).

    >>> import numpy as np
    >>> schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    >>> float(schedule(1000))
    0.096
    >>> schedule(np.array([0, 1000, 2000]))
    array([0.1    , 0.096  , 0.09216])
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    decay_steps: float = checked(check.positive)
    decay_rate: float = checked(check.positive)
    staircase: bool = checked(check.boolean, False)
    name: str | None = "ExponentialDecay"
    dtype: str | None = field(default=None, kw_only=True)
    transition_begin: float = checked(check.non_negative, 0, kw_only=True, omit_at_default=True)
    end_learning_rate: float | None = checked(check.rate, None, kw_only=True, omit_at_default=True)

    def _prepare(self) -> None:
        self._store(_log_rate_per_step=math.log(self.decay_rate) / self.decay_steps)

    _log_rate_per_step: float = derived()

    @property
    def may_overflow(self) -> bool:
        return self.decay_rate > 1.0 and self.end_learning_rate is None

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if self.transition_begin:
            step = xp.clip(step - self.transition_begin, min=0.0)
        lr0, end = self.initial_learning_rate, self.end_learning_rate
        if self.decay_rate == 1.0:  # constant (not inf * log(1) = NaN at +inf); end a ceiling
            value = keep_nan(xp, step, lr0)
            return value if end is None else xp.clip(value, max=end)
        if self.staircase:  # whole powers: pow is exact where exp(k * log r) is not
            periods = whole_periods(xp, step, self.decay_steps)
            if end is None:
                if lr0 == 0.0:  # 0, not 0 * an overflowing power = NaN
                    return keep_nan(xp, step, lr0)
                if self.decay_rate <= 1.0:
                    return lr0 * xp.pow(self.decay_rate, periods)
                return grow_pow(xp, lr0, self.decay_rate, periods)
            if self.decay_rate < 1:
                return xp.clip(lr0 * xp.pow(self.decay_rate, periods), min=end)
            # growth up to a ceiling: no more periods than reach it, so nothing overflows
            most = math.ceil(self._log_ceiling_ratio() / math.log(self.decay_rate))
            grown = grow_pow(xp, lr0, self.decay_rate, xp.clip(periods, max=most))
            return xp.clip(grown, max=end)
        # exp(t * (log r / T)): one multiply fewer than pow(r, t / T), and within a few float64
        # ulp of it (both carry the rounding of the exponent), so float32 results are correctly
        # rounded either way.
        exponent = step * self._log_rate_per_step
        if end is None:
            if self.decay_rate <= 1.0:
                return lr0 * xp.exp(exponent)  # a decay: exp cannot overflow
            if lr0 == 0.0:  # 0, not 0 * an overflowing exp = NaN
                return keep_nan(xp, step, lr0)
            return grow(xp, lr0, exponent)
        if self.decay_rate < 1:
            return xp.clip(lr0 * xp.exp(exponent), min=end)
        # Growth up to a ceiling: stop the exponent where the ceiling is reached (the growth is
        # then at most end / lr0, which may be beyond the float range on its own).
        exponent = xp.clip(exponent, max=self._log_ceiling_ratio())
        if lr0 == 0.0:
            return xp.clip(lr0 * xp.exp(exponent), max=end)  # exp(0) (no ceiling above 0)
        return xp.clip(grow(xp, lr0, exponent), max=end)

    def _log_ceiling_ratio(self) -> float:
        """:math:`\\log(\\eta_{end} / \\eta_0)` where the ceiling lies above the rate (else 0), from the
        logs of both, so that a ratio beyond the float range still has a finite log."""
        lr0, end = self.initial_learning_rate, self.end_learning_rate
        if end is None or lr0 == 0.0 or not end / lr0 > 1.0:  # end / lr0 may be inf: still > 1
            return 0.0
        return math.log(abs(end)) - math.log(abs(lr0))


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class InverseTimeDecay(LearningRateSchedule):
    r"""Inverse-time decay, as Keras 3's ``keras.optimizers.schedules.InverseTimeDecay``.

    .. math::

        \eta(t) = \frac{\eta_0}{1 + r \, t / T}
        \qquad \text{or, with } \texttt{staircase}, \qquad
        \eta(t) = \frac{\eta_0}{1 + r \lfloor t / T \rfloor}

    Args:
        initial_learning_rate: :math:`\eta_0`, a finite number.
        decay_steps: :math:`T > 0`.
        decay_rate: :math:`r > 0`.
        staircase: decay in whole periods of ``decay_steps``.
        name: kept in the config, as in Keras.
        dtype: the result dtype; see :class:`ExponentialDecay`.

    >>> schedule = InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)
    >>> float(schedule(2))
    0.05
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    decay_steps: float = checked(check.positive)
    decay_rate: float = checked(check.positive)
    staircase: bool = checked(check.boolean, False)
    name: str | None = "InverseTimeDecay"
    dtype: str | None = field(default=None, kw_only=True)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        length = self.decay_steps
        p = whole_periods(xp, step, length) if self.staircase else step / length
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)
