"""Warmup-stable-decay (transformers' ``get_wsd_schedule``, after Hu et al., MiniCPM, 2024).

The smooth shapes are written without cancellation: the half cosines as squared sines of an
argument computed in steps (as in :mod:`lrschedule.schedules.cosine`), and :math:`1 - \\sqrt{x}` as
:math:`(1 - x) / (1 + \\sqrt{x})`, so that the rate is accurate to the last bits near the ends of
each phase, where the textbook forms lose digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked
from lrschedule.schedules._numerics import half_cosine, periods, window

__all__ = ["DECAY_TYPES", "WARMUP_TYPES", "WarmupStableDecay"]

WARMUP_TYPES = ("linear", "cosine", "1-sqrt")
"""The shapes of the warmup: transformers' ``warmup_type`` values."""

DECAY_TYPES = ("linear", "cosine", "1-sqrt", "cosine_with_restarts")
"""The shapes of the decay: transformers' ``decay_type`` values, and ``"cosine_with_restarts"``."""


def _ratio(arg: str, value: object) -> float:
    """A ratio between 0 and 1."""
    ratio = float(check.finite(arg, value))
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(
            f"Argument `{arg}` must be between 0 and 1. Received: {arg}={check.shown(value)}"
        )
    return ratio


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class WarmupStableDecay(LearningRateSchedule):
    r"""Warmup, then a constant rate, then a decay, as transformers' ``get_wsd_schedule``.

    With :math:`W, S, D` the three phases' lengths, :math:`m` = ``min_lr_ratio`` and
    :math:`c` = ``num_cycles``:

    .. math::

        \eta(t) = \eta_0 \cdot \begin{cases}
        m + (1 - m)\, w\big(t / \max(1, W)\big) & t < W \\
        1 & W \le t < W + S \\
        \max\Big(0,\ m + (1 - m)\, d\big((t - W - S) / \max(1, D)\big)\Big) & W + S \le t < W + S + D \\
        m & t \ge W + S + D
        \end{cases}

    with the warmup shape :math:`w(p)` (``warmup_type``) and the decay shape :math:`d(p)`
    (``decay_type``):

    ==========================  =====================================  =======================================
    type                        :math:`w(p)`                           :math:`d(p)`
    ==========================  =====================================  =======================================
    ``"linear"``                :math:`p`                              :math:`1 - p`
    ``"cosine"``                :math:`\tfrac12 (1 - \cos \pi p)`      :math:`\tfrac12 (1 + \cos 2 \pi c p)`
    ``"1-sqrt"``                :math:`1 - \sqrt{1 - p}`               :math:`1 - \sqrt{p}`
    ``"cosine_with_restarts"``                                         :math:`\tfrac12 (1 + \cos \pi \{c p\})`
    ==========================  =====================================  =======================================

    where :math:`\{x\} = x - \lfloor x \rfloor`. ``"cosine_with_restarts"`` (:math:`c` half
    cosines, each restarting from :math:`\eta_0`) is not a transformers ``decay_type``; it is the
    decay of transformers' ``get_cosine_with_hard_restarts_schedule_with_warmup``.

    Args:
        initial_learning_rate: :math:`\eta_0`, the rate of the stable phase (the optimizer's
            ``lr`` in transformers), a finite number.
        warmup_steps: :math:`W \ge 0` (transformers' ``num_warmup_steps``).
        stable_steps: :math:`S \ge 0` (``num_stable_steps``).
        decay_steps: :math:`D \ge 0` (``num_decay_steps``).
        min_lr_ratio: :math:`m \in [0, 1]`: the warmup starts and the decay ends at
            :math:`m\,\eta_0`.
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_type: ``"linear"``, ``"cosine"``, ``"1-sqrt"`` or ``"cosine_with_restarts"``.
        num_cycles: :math:`c \ge 0`, used by the cosine decays: the default 0.5 is one half
            cosine from :math:`\eta_0` down to :math:`m\,\eta_0`.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.
        continue_decay: keep following the decay formula after :math:`W + S + D` instead of
            holding :math:`m\,\eta_0` (keyword-only, in the config only when set). transformers'
            ``"cosine"`` and ``"cosine_with_min_lr"`` schedules do this: their cosine goes on past
            ``num_training_steps`` and rises again.

    ``WarmupStableDecay(lr, W, S, D, m, wt, dt, c)(t)`` equals ``lr * lr_lambda(t)`` of
    transformers' ``get_wsd_schedule(optimizer, num_warmup_steps=W, num_decay_steps=D,
    num_stable_steps=S, warmup_type=wt, decay_type=dt, min_lr_ratio=m, num_cycles=c)`` (with
    ``lr`` the optimizer's learning rate); :func:`lrschedule.get` builds several of transformers'
    schedules from it.

    >>> schedule = WarmupStableDecay(0.1, warmup_steps=10, stable_steps=80, decay_steps=10)
    >>> [round(float(schedule(t)), 6) for t in (0, 5, 10, 50, 90, 95, 100, 500)]
    [0.0, 0.05, 0.1, 0.1, 0.1, 0.05, 0.0, 0.0]
    >>> schedule = WarmupStableDecay(1.0, 0, 0, 100, min_lr_ratio=0.1, decay_type="1-sqrt")
    >>> [round(float(schedule(t)), 6) for t in (0, 25, 100)]
    [1.0, 0.55, 0.1]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    warmup_steps: float = checked(check.non_negative)
    stable_steps: float = checked(check.non_negative)
    decay_steps: float = checked(check.non_negative)
    min_lr_ratio: float = checked(_ratio, 0.0)
    warmup_type: str = checked(check.choice(*WARMUP_TYPES), "linear")
    decay_type: str = checked(check.choice(*DECAY_TYPES), "cosine")
    num_cycles: float = checked(check.non_negative, 0.5)
    dtype: str | None = field(default=None, kw_only=True)
    continue_decay: bool = checked(check.boolean, False, kw_only=True, omit_at_default=True)

    @property
    def end_step(self) -> float:
        return self.warmup_steps + self.stable_steps + self.decay_steps

    def _warmup(self, xp: Any, step: Any) -> Any:
        """:math:`w(p)` for :math:`p = t / \\max(1, W)`, with :math:`t` clipped to the warmup."""
        warmup_steps = self.warmup_steps
        p = xp.clip(step, max=warmup_steps) / max(1.0, warmup_steps)
        if self.warmup_type == "linear":
            return p
        if self.warmup_type == "cosine":  # (1 - cos pi p) / 2 = sin^2(pi p / 2)
            return half_cosine(xp, xp.clip(step, max=warmup_steps), max(1.0, warmup_steps))
        return p / (1.0 + xp.sqrt(1.0 - p))  # 1-sqrt: 1 - sqrt(1 - p), without cancellation

    def _decay(self, xp: Any, steps: Any) -> Any:
        """:math:`d(p)` for :math:`p = s / L`, :math:`s` steps into the decay, :math:`L = \\max(1, D)`."""
        length = max(1.0, self.decay_steps)
        kind = self.decay_type
        if kind == "linear":
            return (length - steps) / length
        if kind == "1-sqrt":  # 1 - sqrt(p) = (1 - p) / (1 + sqrt(p))
            return ((length - steps) / length) / (1.0 + xp.sqrt(steps / length))
        if kind == "cosine":  # (1 + cos 2 pi c p) / 2 = sin^2(pi/2 (1 - 2 c p)), 1 - 2cp in steps
            return half_cosine(xp, length - (2.0 * self.num_cycles) * steps, length)
        # cosine_with_restarts: cycle k holds c s / L in [k, k + 1), exactly: a restart happens
        # exactly at its step
        cycles = self.num_cycles * steps
        k = periods(xp, cycles, 0.5 * cycles, length)
        remaining = (k + 1.0) * length - cycles  # 1 - {c p}, in (0, 1]
        if window(length):  # just short of a restart, which it reaches: the peak
            remaining = xp.clip(remaining, max=length)
        return half_cosine(xp, remaining, length)

    def _last_decay_step(self) -> float | None:
        """The last step into the decay that changes the rate: the decay's end; with
        ``continue_decay``, none for the cosines, and for ``"linear"`` and ``"1-sqrt"`` the step
        where ``m + (1 - m) d(p)`` has reached 0 (so that an infinite step stays finite)."""
        if not self.continue_decay:
            return self.decay_steps
        if self.decay_type not in ("linear", "1-sqrt"):
            return None
        length, ratio = max(1.0, self.decay_steps), self.min_lr_ratio
        return length / (1.0 - ratio) ** 2 if ratio < 1.0 else length

    def _evaluate(self, xp: Any, step: Any) -> Any:
        lr, ratio = self.initial_learning_rate, self.min_lr_ratio
        warmup_steps, stable_steps, decay_steps = (
            self.warmup_steps,
            self.stable_steps,
            self.decay_steps,
        )
        decay_begin = warmup_steps + stable_steps
        end = decay_begin + decay_steps
        steps = xp.clip(step - decay_begin, min=0.0, max=self._last_decay_step())
        decay = self._decay(xp, steps)
        if ratio:
            decay = decay * (1.0 - ratio) + ratio
        if self.continue_decay and self.decay_type in ("linear", "1-sqrt"):
            decay = xp.clip(decay, min=0.0)  # below zero past the end: transformers' max(0, .)
        factor = decay
        if not self.continue_decay:
            factor = xp.where(step >= end, ratio, factor)
        if stable_steps:
            factor = xp.where(step < decay_begin, 1.0, factor)
        if warmup_steps:
            warmup = self._warmup(xp, step)
            if ratio:
                warmup = warmup * (1.0 - ratio) + ratio
            factor = xp.where(step < warmup_steps, warmup, factor)
        return lr * factor
