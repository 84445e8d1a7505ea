"""Cosine decay with optional warmup, and cosine decay with warm restarts (Keras 3's
``CosineDecay`` and ``CosineDecayRestarts``, after Loshchilov & Hutter, SGDR, ICLR 2017).

Both write the half cosine :math:`\\tfrac12(1 + \\cos \\pi f)` as :math:`\\sin^2(\\tfrac\\pi2 (1 - f))`
with :math:`1 - f` computed in steps, which is exact near the end of a cycle where the cosine form
loses digits to cancellation.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import SNAP, grow_pow, half_cosine, whole_periods, window

__all__ = ["CosineDecay", "CosineDecayRestarts"]


def _last_period(t0: float, t_mul: float, start_scale: float) -> float:
    """The last period ``i`` whose start :math:`(m^i - 1) k` and length :math:`T_0 m^i` are
    finite floats (``inf`` for ``t_mul == 1``, where periods do not grow)."""
    if t_mul == 1.0:
        return math.inf

    def finite(i: int) -> bool:
        try:
            power = math.pow(t_mul, i)
        except OverflowError:
            return False
        return math.isfinite((power - 1.0) * start_scale) and math.isfinite(t0 * power)

    low, high = 0, math.ceil(math.log(sys.float_info.max) / math.log(t_mul)) + 2
    while high - low > 1:  # finite(low) and not finite(high): bisect
        middle = (low + high) // 2
        low, high = (middle, high) if finite(middle) else (low, middle)
    return float(low)


def _snap(t_mul: float) -> float:
    """How close before a computed period start, in lengths of its period, a step counts as the
    start where the starts are not exact (``t0`` or ``t_mul`` not whole, ``t_mul != 1``): a
    bound on the error of :math:`S_i = (m^i - 1) k` as float-float pairs compute it (their ``pow``
    is within a few units of 2**-40, float64's of 2**-53), relative to :math:`L_i = T_0 m^i`:
    the error is a few roundings of :math:`m^i k = L_i / (m - 1)`. One rule for every backend."""
    return min(2.0**-36 / (t_mul - 1.0), 2.0**-24)


def _t_mul(arg: str, value: object) -> float:
    """``t_mul``: at least 1 (periods never shrink)."""
    result = float(check.at_most_largest(arg, value))
    if not result >= 1.0:
        raise ValueError(f"Argument `{arg}` must be >= 1. Received: {arg}={check.shown(value)}")
    return result


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class CosineDecay(LearningRateSchedule):
    r"""Cosine decay with optional linear warmup, as Keras 3's ``keras.optimizers.schedules.CosineDecay``
    and optax's ``cosine_decay_schedule`` (whose ``exponent`` raises the half cosine to a power).

    Without ``warmup_target``:

    .. math::

        \eta(t) = \eta_0 \left((1 - \alpha)\, \tfrac12 \left(1 + \cos\frac{\pi \min(t, T)}{T}\right)
        + \alpha\right)

    With ``warmup_target`` :math:`\eta_w` and ``warmup_steps`` :math:`W`, the rate rises linearly
    from :math:`\eta_0` to :math:`\eta_w` over :math:`W` steps, then decays as above from
    :math:`\eta_w` over the next :math:`T` steps (``decay_steps`` excludes the warmup):

    .. math::

        \eta(t) = \begin{cases}
        \eta_0 + (\eta_w - \eta_0)\, t / W & t < W \\
        \eta_w \left((1 - \alpha)\, \tfrac12 \left(1 + \cos\frac{\pi \min(t - W, T)}{T}\right)
        + \alpha\right) & t \ge W
        \end{cases}

    Args:
        initial_learning_rate: :math:`\eta_0`, a finite number.
        decay_steps: :math:`T > 0`.
        alpha: :math:`\alpha`, the final rate as a fraction of the decay's starting rate.
        name: kept in the config, as in Keras.
        warmup_target: :math:`\eta_w`, or ``None`` for no warmup (``warmup_steps`` is then unused,
            as in Keras).
        warmup_steps: :math:`W \ge 0`.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.
        exponent: :math:`e \ge 0`: the half cosine :math:`\tfrac12(1 + \cos\ldots)` is raised to
            this power (optax's ``exponent``; keyword-only, in the config only when not 1).

    >>> schedule = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    >>> [round(float(schedule(t)), 6) for t in (0, 5, 10, 60, 110, 500)]
    [0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    decay_steps: float = checked(check.positive)
    alpha: float = checked(check.rate, 0.0)
    name: str | None = "CosineDecay"
    warmup_target: float | None = checked(check.rate, None)
    warmup_steps: float = checked(check.length, 0)
    dtype: str | None = field(default=None, kw_only=True)
    exponent: float = checked(check.non_negative, 1.0, kw_only=True, omit_at_default=True)

    @property
    def end_step(self) -> float:
        return self.decay_steps + (self.warmup_steps if self.warmup_target is not None else 0.0)

    def _prepare(self) -> None:
        target = self.warmup_target
        self._store(_peak=self.initial_learning_rate if target is None else target)

    _peak: float = derived()
    """The rate where the decay starts."""

    def _decay(self, xp: Any, step: Any) -> Any:
        """The decay from the peak, ``step`` steps into it."""
        length = self.decay_steps
        remaining = length - xp.clip(step, max=length)  # in steps: exact near the end
        cosine = half_cosine(xp, remaining, length)
        if self.exponent != 1.0:
            cosine = xp.pow(cosine, self.exponent)
        if self.alpha != 0.0:
            cosine = cosine + self.alpha * (1.0 - cosine)  # exact at both ends, for any alpha
        return self._peak * cosine

    def _warmup(self, xp: Any, step: Any) -> Any:
        start = self.initial_learning_rate
        return start + (self._peak - start) * (step / self.warmup_steps)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if self.warmup_target is None or self.warmup_steps == 0:
            return self._decay(xp, step)
        return xp.select(step, (self.warmup_steps,), (self._warmup, self._decay), shift=True)


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class CosineDecayRestarts(LearningRateSchedule):
    r"""Cosine decay with warm restarts (SGDR), as Keras 3's ``keras.optimizers.schedules.CosineDecayRestarts``.

    Period :math:`i = 0, 1, \dots` lasts :math:`T_i = T_0\, m_t^{\,i}` steps and starts at
    :math:`S_i = \sum_{j<i} T_j`; within it, with :math:`f = (t - S_i) / T_i`,

    .. math::

        \eta(t) = \eta_0 \left((1 - \alpha)\, m_m^{\,i}\, \tfrac12 (1 + \cos \pi f) + \alpha\right)

    (``alpha`` is not scaled by ``m_mul``, as in Keras). Unlike Keras's float32 closed form, the
    period :math:`i` is exact at every step: with ``first_decay_steps=10, t_mul=2``, step 327670
    starts period 15 and gives :math:`\eta_0`, where Keras 3 returns 0. Where :math:`S_i` is not
    a float (``t_mul`` or ``first_decay_steps`` not whole), a step within
    :math:`\min(2^{-36} / (m_t - 1), 2^{-24})` period lengths, and :math:`2^{-12}` steps, before
    :math:`S_i` counts as its start (the peak): ``first_decay_steps=100, t_mul=1.2`` restarts at
    220 and 364.

    Args:
        initial_learning_rate: :math:`\eta_0`, a finite number.
        first_decay_steps: :math:`T_0 > 0`.
        t_mul: :math:`m_t \ge 1`, the factor by which each period is longer than the last.
        m_mul: :math:`m_m \ge 0`, the factor by which each period's peak is lower than the last.
        alpha: :math:`\alpha`, the floor as a fraction of ``initial_learning_rate``.
        name: kept in the config, as in Keras (default ``"SGDRDecay"``, Keras's).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0)
    >>> [round(float(schedule(t)), 6) for t in (0, 5, 10, 20, 30, 327670)]
    [1.0, 0.5, 1.0, 0.5, 1.0, 1.0]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    first_decay_steps: float = checked(check.positive)
    t_mul: float = checked(_t_mul, 2.0)
    m_mul: float = checked(check.non_negative, 1.0)
    alpha: float = checked(check.rate, 0.0)
    name: str | None = "SGDRDecay"
    dtype: str | None = field(default=None, kw_only=True)

    def _prepare(self) -> None:
        t0, t_mul = self.first_decay_steps, self.t_mul
        start_scale = t0 / (t_mul - 1.0) if t_mul != 1.0 else math.inf
        whole = t0.is_integer() and t_mul.is_integer()  # every S_i is a whole number
        periods = (
            (t_mul - 1.0) / t0,  # log1p(step * this) * (1 / log(t_mul)) is the period
            1.0 / math.log(t_mul) if t_mul != 1.0 else math.inf,
            start_scale,  # S_i = (t_mul^i - 1) * this
            whole,
            _last_period(t0, t_mul, start_scale),
            # float32 finds the period to within a fraction of one (its error is a few float32
            # ulps of this factor, times the log of at most 2**128 steps): a rough closed form
            t_mul != 1.0 and 1.0 / math.log(t_mul) <= 2.0**12,
            0.0 if whole or t_mul == 1.0 else _snap(t_mul),
        )
        self._store(_periods=periods)

    _periods: tuple[float, float, float, bool, float, bool, float] = derived()
    """Constants of the period arithmetic."""

    @property
    def may_overflow(self) -> bool:
        return self.m_mul > 1.0

    def _period(self, xp: Any, step: Any) -> tuple[Any, Any, Any]:
        """The period ``i`` of ``step``, the step's offset in it and its length, exact."""
        t0, t_mul = self.first_decay_steps, self.t_mul
        log1p_scale, per_log_t_mul, start_scale, whole, last, rough, snap = self._periods
        if t_mul == 1.0:
            i = whole_periods(xp, step, t0)  # exact, and a step just short of a start reaches it
            offset = step - i * t0
            return i, (xp.clip(offset, min=0.0) if window(t0) else offset), t0

        # Period i starts at S_i = T_0 (m^i - 1) / (m - 1) and lasts L_i = T_0 m^i: the closed
        # form for i (an estimate: float32 will do unless m is within 2**-12 of 1), at most the
        # last period whose start and length are finite (near the float maximum it may overshoot
        # into one that is not), then one correction each way for its rounding, in step units
        # (exact when T_0 and m are whole: S_i is rounded, S_i + L_i = S_(i+1), S_i - L_i / m =
        # S_(i-1)).
        def closed_form(xp: Any, t: Any) -> Any:
            return xp.log(t * log1p_scale + 1.0) * per_log_t_mul

        estimate = xp.estimate(closed_form, step) if rough else closed_form(xp, step)
        i = xp.clip(xp.floor(estimate), max=last)
        power = xp.pow(t_mul, i)
        length = t0 * power
        # S_i; at the default t_mul = 2 it is L_i - T_0 (one pass fewer)
        start = length - t0 if t_mul == 2.0 else (power - 1.0) * start_scale
        if whole:
            start = xp.round(start)  # pow may be an ulp off; the exact S_i is a whole number
        offset = step - start
        # in arithmetic on 0/1 flags (where is several times an arithmetic op on torch's CPU):
        # into the next period (the step moves back by L_i, L_(i+1) = m L_i) or the previous one
        # (forward by L_i / m = L_(i-1)): L changes by (m - 1) times the move, which is 0 where
        # neither applies (nothing overflows near the float maximum)
        if snap:
            # S_i is not whole and only computed to a few roundings (of pow, of the constants and
            # of t_mul itself; S_3 = 364 for T_0 = 100, t_mul = 1.2 comes out 364 + 1 ulp): a step
            # within snap period lengths (_snap), and SNAP steps, before a computed start counts
            # as that start, at offset 0
            before_next = xp.clip(length * (snap * t_mul), max=SNAP)  # the window of S_(i+1)
            late = xp.indicator(offset >= length - before_next, offset)
            early = xp.indicator(offset + xp.clip(length * snap, max=SNAP) < 0.0, offset)
        else:
            late = xp.indicator(offset >= length, offset)
            early = xp.indicator(offset < 0.0, offset)
        shorter = length * 0.5 if t_mul == 2.0 else length / t_mul  # exact either way
        moved = late * length - early * shorter
        offset = offset - moved
        if snap:
            offset = xp.clip(offset, min=0.0)
        length = length + (moved if t_mul == 2.0 else moved * (t_mul - 1.0))
        if self.m_mul != 1.0:
            i = i + late - early
        return i, offset, length

    def _evaluate(self, xp: Any, step: Any) -> Any:
        lr, alpha, m_mul = self.initial_learning_rate, self.alpha, self.m_mul
        fading = m_mul < 1.0  # m^i -> 0: the rate tends to alpha * lr, its value at +inf
        if fading:
            infinite = step == xp.inf
            step = xp.where(infinite, 0.0, step)  # no period arithmetic on inf
        i, offset, length = self._period(xp, step)
        cosine = half_cosine(xp, length - offset, length)
        if m_mul > 1.0:  # growth: the peak lr m^i in finite factors, inf where it overflows
            peak = grow_pow(xp, lr * (1.0 - alpha), m_mul, i)
            value = xp.where(cosine == 0.0, 0.0, peak * cosine)  # never 0 * inf
            return value if alpha == 0.0 else value + lr * alpha
        if fading:
            cosine = xp.where(infinite, 0.0, xp.pow(m_mul, i)) * cosine
        if alpha == 0.0:
            return lr * cosine
        return lr * ((1.0 - alpha) * cosine + alpha)
