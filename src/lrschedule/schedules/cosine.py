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

from lrschedule import _validate
from lrschedule.registry import _register_builtin
from lrschedule.schedule import OMIT_AT_DEFAULT, LearningRateSchedule
from lrschedule.schedules.exponential import _grow_pow

__all__ = ["CosineDecay", "CosineDecayRestarts"]


def _half_cosine(xp: Any, remaining: Any, length: Any) -> Any:
    """:math:`\\tfrac12(1 + \\cos(\\pi (1 - r/L)))` for ``remaining`` :math:`r` of ``length`` :math:`L`."""
    s = xp.sin(_QUARTER_TURN * (remaining / length))
    return s * s


_QUARTER_TURN = 0.5 * math.pi


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

    initial_learning_rate: float
    decay_steps: float
    alpha: float = 0.0
    name: str | None = "CosineDecay"
    warmup_target: float | None = None
    warmup_steps: float = 0
    dtype: str | None = field(default=None, kw_only=True)
    exponent: float = field(default=1.0, kw_only=True, metadata={OMIT_AT_DEFAULT: True})

    def __post_init__(self) -> None:
        rate, dtype = _validate.rate("initial_learning_rate", self.initial_learning_rate)
        target = self.warmup_target
        self._set(
            initial_learning_rate=rate,
            decay_steps=_validate.positive("decay_steps", self.decay_steps),
            alpha=float(_validate.at_most_largest("alpha", self.alpha)),
            warmup_target=None if target is None else _validate.rate("warmup_target", target)[0],
            warmup_steps=_validate.length("warmup_steps", self.warmup_steps),
            exponent=float(_validate.non_negative("exponent", self.exponent)),
            dtype_from=dtype,
        )
        # derived once, not hyperparameters: the scalar path's lengths as floats (an int
        # operand takes Python's slower mixed-type arithmetic)
        object.__setattr__(self, "_lengths", (float(self.decay_steps), float(self.warmup_steps)))

    _lengths: tuple[float, float] = field(init=False, repr=False, compare=False)

    def _shape(self, xp: Any, cosine: Any) -> Any:
        """The half cosine (1 to 0) raised to ``exponent`` and lifted to the floor ``alpha``."""
        if self.exponent != 1.0:
            cosine = xp.pow(cosine, self.exponent)
        if self.alpha != 0.0:
            cosine = cosine + self.alpha * (1.0 - cosine)  # exact at both ends, for any alpha
        return cosine

    def _half(self, xp: Any, remaining: Any) -> Any:
        """:func:`_half_cosine` of ``decay_steps``, as a method: under torch.compile a module
        function, a global or a class attribute adds guards to every call, a method of a slotted
        class and a literal none."""
        s = xp.sin(1.5707963267948966 * (remaining / self.decay_steps))  # pi / 2
        return s * s

    def _warmup(self, step: Any) -> Any:
        start = self.initial_learning_rate
        return start + (self.warmup_target - start) * (step / self.warmup_steps)  # type: ignore[operator]

    def _evaluate(self, xp: Any, step: Any) -> Any:
        target = self.warmup_target
        if type(step) is float:  # a Python float: only the phase it is in (NaN: the decay's)
            length, warmup_steps = self._lengths
            if target is None:
                peak = self.initial_learning_rate
            elif step < warmup_steps:
                return self._warmup(step)
            else:
                peak, step = target, step - warmup_steps
            s = xp.sin(_QUARTER_TURN * ((0.0 if step > length else length - step) / length))
            if self.exponent == 1.0 and self.alpha == 0.0:  # the usual case: no call
                return peak * (s * s)
            return peak * self._shape(xp, s * s)
        length, warmup_steps = self.decay_steps, self.warmup_steps
        if target is None:
            remaining = length - xp.clip(step, max=length)
            return self.initial_learning_rate * self._shape(xp, self._half(xp, remaining))
        remaining = length - xp.clip(step - warmup_steps, max=length)
        decay = target * self._shape(xp, self._half(xp, remaining))
        if warmup_steps == 0:
            return decay
        return xp.where(step < warmup_steps, self._warmup(step), decay)


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
    starts period 15 and gives :math:`\eta_0`, where Keras 3 returns 0.

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

    initial_learning_rate: float
    first_decay_steps: float
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0
    name: str | None = "SGDRDecay"
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        rate, dtype = _validate.rate("initial_learning_rate", self.initial_learning_rate)
        t_mul = float(_validate.at_most_largest("t_mul", self.t_mul))
        if not t_mul >= 1.0:
            raise ValueError(f"Argument `t_mul` must be >= 1. Received: t_mul={self.t_mul!r}")
        self._set(
            initial_learning_rate=rate,
            first_decay_steps=_validate.positive("first_decay_steps", self.first_decay_steps),
            t_mul=t_mul,
            m_mul=float(_validate.non_negative("m_mul", self.m_mul)),
            alpha=float(_validate.at_most_largest("alpha", self.alpha)),
            dtype_from=dtype,
        )
        # derived once, not hyperparameters: not in the config, ==, hash or repr
        t0 = self.first_decay_steps
        start_scale = t0 / (t_mul - 1.0) if t_mul != 1.0 else math.inf
        periods = (
            float(t0),  # T_0 as a float: an int takes Python's slower mixed-type arithmetic
            (t_mul - 1.0) / t0,  # log1p(step * this) / log(t_mul) is the period
            math.log(t_mul),
            start_scale,  # S_i = (t_mul^i - 1) * this
            float(t0).is_integer() and t_mul.is_integer(),  # every S_i is a whole number
            _last_period(t0, t_mul, start_scale),
        )
        object.__setattr__(self, "_periods", periods)

    _periods: tuple[float, float, float, float, bool, float] = field(
        init=False, repr=False, compare=False
    )
    """Constants of the period arithmetic (one tuple: one attribute read per call)."""

    def _evaluate(self, xp: Any, step: Any) -> Any:
        t0, log1p_scale, log_t_mul, start_scale, whole, last = self._periods
        t_mul = self.t_mul
        scalar = type(step) is float  # a Python float: the corrections are branches
        fading = self.m_mul < 1.0  # m^i -> 0: the rate tends to alpha * lr, its value at +inf
        if fading:
            infinite = step == math.inf
            # no period arithmetic on inf
            step = (0.0 if infinite else step) if scalar else xp.where(infinite, 0.0, step)
        if t_mul == 1.0:
            i = xp.floor(step / t0)
            # step / t0 may round either way at a period's start (XLA also turns the division
            # into a multiplication by 1 / t0): one correction each way, in exact step units.
            if scalar:
                i = i - 1.0 if i * t0 > step else i
                i = i + 1.0 if (i + 1.0) * t0 <= step else i
            else:
                i = xp.where(i * t0 > step, i - 1.0, i)
                i = xp.where((i + 1.0) * t0 <= step, i + 1.0, i)
            offset = step - i * t0
            length = t0
        else:
            # Period i starts at S_i = T_0 (m^i - 1) / (m - 1) and lasts L_i = T_0 m^i: the closed
            # form for i, then one correction each way for its rounding, in step units (exact
            # when T_0 and m are whole: S_i is rounded, S_i + L_i = S_(i+1), S_i - L_i / m =
            # S_(i-1)). The corrections add only where they apply: nothing overflows near the
            # float maximum.
            # at most the last period whose start and length are finite: near the float maximum
            # the closed form may overshoot into one that is not (the correction then moves on)
            if scalar:
                i = xp.floor(xp.log1p(step * log1p_scale) / log_t_mul)
                i = last if i > last else i
            else:  # log(1 + x): cheaper than log1p (NumPy 2.6x, torch 1.5x); corrected below
                i = xp.floor(xp.log(step * log1p_scale + 1.0) / log_t_mul)
                i = xp.clip(i, max=last)
            power = xp.pow(t_mul, i)
            length = t0 * power
            # S_i; at the default t_mul = 2 it is L_i - T_0 (one pass fewer)
            start = length - t0 if t_mul == 2.0 else (power - 1.0) * start_scale
            if whole:
                start = xp.round(start)  # pow may be an ulp off; the exact S_i is a whole number
            offset = step - start  # the step's position in its period, from here on
            if scalar:
                if offset >= length:
                    offset, length, i = offset - length, length * t_mul, i + 1.0
                elif offset < 0.0:
                    length = length / t_mul
                    offset, i = offset + length, i - 1.0
            else:  # in arithmetic on 0/1 flags: cheaper than where (NumPy 2x, torch 2.5x)
                late = xp.astype(offset >= length, step.dtype)
                early = xp.astype(offset < 0.0, step.dtype)
                # into the next period (the step moves back by L_i, L_(i+1) = m L_i) or the
                # previous one (forward by L_i / m = L_(i-1)): L changes by (m - 1) times the move
                moved = late * length - early * (length / t_mul)
                offset = offset - moved
                length = length + (moved if t_mul == 2.0 else moved * (t_mul - 1.0))
                if self.m_mul != 1.0:
                    i = i + late - early
        half = xp.sin(_QUARTER_TURN * ((length - offset) / length))  # _half_cosine
        cosine = half * half
        lr, alpha = self.initial_learning_rate, self.alpha
        if self.m_mul > 1.0:  # growth: the peak lr m^i in finite factors, inf where it overflows
            peak = _grow_pow(xp, lr * (1.0 - alpha), self.m_mul, i)
            value = xp.where(cosine == 0.0, 0.0, peak * cosine)  # never 0 * inf
            return value if alpha == 0.0 else value + lr * alpha
        if fading:
            fade = xp.pow(self.m_mul, i)
            fade = (0.0 if infinite else fade) if scalar else xp.where(infinite, 0.0, fade)
            cosine = fade * cosine
        if alpha == 0.0:
            return lr * cosine
        return lr * ((1.0 - alpha) * cosine + alpha)
