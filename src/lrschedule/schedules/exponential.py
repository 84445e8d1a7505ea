"""Exponential and inverse-time decay (Keras 3's ``ExponentialDecay`` and ``InverseTimeDecay``)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate
from lrschedule.registry import _register_builtin
from lrschedule.schedule import OMIT_AT_DEFAULT, LearningRateSchedule

__all__ = ["ExponentialDecay", "InverseTimeDecay"]

_LOG_MAX = math.log(sys.float_info.max)
"""The largest exponent whose ``exp`` is a finite float64 (709.78...)."""
_EXP_SAFE = 709.0
"""An exponent whose ``exp`` is finite with room to spare."""
_MARGIN = 1e-9
"""How far below the overflow threshold an exponent is still computed (a relative 1e-9 of the
float maximum): closer, the rounding of the factors could overflow them."""


def _grow(xp: Any, rate: float, exponent: Any) -> Any:
    """:math:`\\eta\\, e^{x}` for a rate :math:`\\eta` and a growing exponent :math:`x \\ge 0`.

    ``rate * exp(x)`` to the last bit up to :math:`x = -\\log|\\eta|` (for any :math:`x` when
    :math:`|\\eta| \\ge 1`); beyond, the rate times that much growth (about 1) times the rest, in
    factors that each stay finite, so that the product is right where ``exp(x)`` alone would
    overflow but the rate brings it back into range; :math:`\\pm\\infty` where the product
    overflows. Nothing overflows on the way: no NumPy warning, and a product with a factor at 0
    is not 0 * inf = NaN. A rate of 0 gives 0.
    """
    if rate == 0.0:
        return xp.where(exponent == exponent, rate, exponent)
    cap = _LOG_MAX - math.log(abs(rate))  # |rate| e^x overflows beyond
    first = min(max(-math.log(abs(rate)), 0.0), _EXP_SAFE)  # |rate| e^first is about 1
    widths = _chunks(first, cap - _MARGIN, _LOG_MAX - _MARGIN)
    value = rate * xp.exp(xp.clip(exponent, max=widths[0]))
    start = widths[0]
    for width in widths[1:]:
        value = value * xp.exp(xp.clip(exponent - start, min=0.0, max=width))
        start += width
    return xp.where(exponent > cap, math.copysign(math.inf, rate), value)


def _grow_pow(xp: Any, rate: float, base: float, periods: Any) -> Any:
    """:math:`\\eta\\, r^k` for a rate :math:`\\eta`, a base :math:`r > 1` and whole
    :math:`k \\ge 0`, as :func:`_grow` does for ``exp``: ``rate * pow(base, k)`` to the last bit
    while :math:`|\\eta| r^k \\le r` (for any :math:`k` when :math:`|\\eta| \\ge 1`), in
    factors that each stay finite beyond, :math:`\\pm\\infty` without overflow where the product
    overflows. A rate of 0 gives 0."""
    if rate == 0.0:
        return xp.where(periods == periods, rate, periods)
    log_base = math.log(base)
    cap = (_LOG_MAX - math.log(abs(rate))) / log_base  # |rate| base^k overflows beyond
    finite = max(math.floor(_LOG_MAX / log_base - _MARGIN), 1)  # base ** finite is finite
    first = min(max(math.ceil(-math.log(abs(rate)) / log_base), 0), finite)  # |rate| base^first ~ 1
    widths = _chunks(float(first), float(math.floor(cap - _MARGIN)), float(finite))
    value = rate * xp.pow(base, xp.clip(periods, max=widths[0]))
    start = widths[0]
    for width in widths[1:]:
        value = value * xp.pow(base, xp.clip(periods - start, min=0.0, max=width))
        start += width
    return xp.where(periods > cap, math.copysign(math.inf, rate), value)


def _chunks(first: float, total: float, most: float) -> list[float]:
    """Widths that add up to ``total``: ``first`` (or ``total`` when ``first`` is 0), then
    pieces of at most ``most``."""
    widths = [first if first > 0 else min(total, most)]
    while sum(widths) < total:
        widths.append(min(total - sum(widths), most))
    return widths


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

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

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

    initial_learning_rate: float
    decay_steps: float
    decay_rate: float
    staircase: bool = False
    name: str | None = "ExponentialDecay"
    dtype: str | None = field(default=None, kw_only=True)
    transition_begin: float = field(default=0, kw_only=True, metadata={OMIT_AT_DEFAULT: True})
    end_learning_rate: float | None = field(
        default=None, kw_only=True, metadata={OMIT_AT_DEFAULT: True}
    )

    def __post_init__(self) -> None:
        rate, dtype = _validate.rate("initial_learning_rate", self.initial_learning_rate)
        end = self.end_learning_rate
        self._set(
            initial_learning_rate=rate,
            decay_steps=_validate.positive("decay_steps", self.decay_steps),
            decay_rate=_validate.positive("decay_rate", self.decay_rate),
            staircase=_validate.boolean("staircase", self.staircase),
            transition_begin=_validate.non_negative("transition_begin", self.transition_begin),
            end_learning_rate=None if end is None else _validate.rate("end_learning_rate", end)[0],
            dtype_from=dtype,
        )
        # derived once, not a hyperparameter: not in the config, ==, hash or repr
        object.__setattr__(self, "_log_rate_per_step", math.log(self.decay_rate) / self.decay_steps)

    _log_rate_per_step: float = field(init=False, repr=False, compare=False)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if self.transition_begin:
            step = xp.clip(step - self.transition_begin, min=0.0)
        lr0, end = self.initial_learning_rate, self.end_learning_rate
        if self.decay_rate == 1.0:  # constant (not inf * log(1) = NaN at +inf); end a ceiling
            value = xp.where(step == step, lr0, step)
            return value if end is None else xp.clip(value, max=end)
        if self.staircase:  # whole powers: pow is exact where exp(k * log r) is not
            periods = xp.floor(step / self.decay_steps)
            if end is None:
                if lr0 == 0.0:  # 0, not 0 * an overflowing power = NaN
                    return xp.where(step == step, lr0, step)
                if self.decay_rate <= 1.0:
                    return lr0 * xp.pow(self.decay_rate, periods)
                return _grow_pow(xp, lr0, self.decay_rate, periods)
            if self.decay_rate < 1:
                return xp.clip(lr0 * xp.pow(self.decay_rate, periods), min=end)
            # growth up to a ceiling: no more periods than reach it, so nothing overflows
            most = math.ceil(self._log_ceiling_ratio() / math.log(self.decay_rate))
            grown = _grow_pow(xp, lr0, self.decay_rate, xp.clip(periods, max=most))
            return xp.clip(grown, max=end)
        # exp(t * (log r / T)): one multiply fewer than pow(r, t / T), 2x faster over large arrays
        # and within a few float64 ulp of it (both carry the rounding of the exponent), so float32
        # results are correctly rounded either way.
        exponent = step * self._log_rate_per_step
        if end is None:
            if self.decay_rate <= 1.0:
                return lr0 * xp.exp(exponent)  # a decay: exp cannot overflow
            if lr0 == 0.0:  # 0, not 0 * an overflowing exp = NaN
                return xp.where(step == step, lr0, step)
            return _grow(xp, lr0, exponent)
        if self.decay_rate < 1:
            return xp.clip(lr0 * xp.exp(exponent), min=end)
        # Growth up to a ceiling: stop the exponent where the ceiling is reached (the growth is
        # then at most end / lr0, which may be beyond the float range on its own).
        exponent = xp.clip(exponent, max=self._log_ceiling_ratio())
        if lr0 == 0.0:
            return xp.clip(lr0 * xp.exp(exponent), max=end)  # exp(0) (no ceiling above 0)
        return xp.clip(_grow(xp, lr0, exponent), max=end)

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

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

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

    initial_learning_rate: float
    decay_steps: float
    decay_rate: float
    staircase: bool = False
    name: str | None = "InverseTimeDecay"
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        rate, dtype = _validate.rate("initial_learning_rate", self.initial_learning_rate)
        self._set(
            initial_learning_rate=rate,
            decay_steps=_validate.positive("decay_steps", self.decay_steps),
            decay_rate=_validate.positive("decay_rate", self.decay_rate),
            staircase=_validate.boolean("staircase", self.staircase),
            dtype_from=dtype,
        )

    def _evaluate(self, xp: Any, step: Any) -> Any:
        p = step / self.decay_steps
        if self.staircase:
            p = xp.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)
