"""Inverse square-root decay after a linear warmup (transformers' ``get_inverse_sqrt_schedule``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked

__all__ = ["InverseSqrt"]

DEFAULT_TIMESCALE = 10_000
"""The timescale when neither ``timescale`` nor ``warmup_steps`` gives one, as in transformers."""


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class InverseSqrt(LearningRateSchedule):
    r"""Inverse square-root decay after a linear warmup, as transformers'
    ``get_inverse_sqrt_schedule`` (after big_vision's ``rsqrt`` schedule).

    .. math::

        \eta(t) = \begin{cases}
        \eta_0\, t / \max(1, W) & t < W \\
        \eta_0 \Big/ \sqrt{\dfrac{t + \tau - W}{\tau}} & t \ge W
        \end{cases}

    so the rate is :math:`\eta_0` at :math:`t = W` and falls as :math:`1/\sqrt{t}` after it,
    halving every time :math:`t - W + \tau` quadruples.

    Args:
        initial_learning_rate: :math:`\eta_0`, the peak rate (the optimizer's ``lr`` in
            transformers), a finite number.
        warmup_steps: :math:`W \ge 0` (transformers' ``num_warmup_steps``): 0, or at least
            :math:`2^{-400}` (it is the default timescale).
        timescale: :math:`\tau > 0`, or ``None`` for transformers' default:
            ``warmup_steps``, or 10000 when ``warmup_steps`` is 0.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    ``InverseSqrt(lr, W, timescale)(t)`` equals ``lr * lr_lambda(t)`` of transformers'
    ``get_inverse_sqrt_schedule(optimizer, W, timescale)`` (with ``lr`` the optimizer's learning
    rate), and ``lrschedule.get("inverse_sqrt", ...)`` returns one.

    >>> schedule = InverseSqrt(0.1, warmup_steps=100)
    >>> [round(float(schedule(t)), 6) for t in (0, 50, 100, 400, 10_000)]
    [0.0, 0.05, 0.1, 0.05, 0.01]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    warmup_steps: float = checked(check.length)
    timescale: float | None = checked(check.positive, None)
    dtype: str | None = field(default=None, kw_only=True)

    @property
    def effective_timescale(self) -> float:
        """:math:`\\tau`: ``timescale``, else ``warmup_steps``, else 10000 (transformers' rule)."""
        if self.timescale is not None:
            return self.timescale
        return self.warmup_steps or DEFAULT_TIMESCALE

    def _evaluate(self, xp: Any, step: Any) -> Any:
        lr, warmup_steps = self.initial_learning_rate, self.warmup_steps
        timescale = self.effective_timescale
        # Evaluated at max(t, W) so that the square root never sees a number below 1, even in
        # the warmup steps that `where` discards; 1 + (t - W) / tau rather than (t + tau - W) / tau,
        # which cancels to 0 at t = W when tau is far below W.
        after = xp.clip(step, min=warmup_steps)
        decay = lr / xp.sqrt(1.0 + (after - warmup_steps) / timescale)
        if warmup_steps == 0:
            return decay
        return xp.where(step < warmup_steps, lr * (step / max(1.0, warmup_steps)), decay)
