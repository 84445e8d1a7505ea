"""Step decay at a fixed period and at milestones (torch's ``StepLR`` and ``MultiStepLR``)."""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import grow, keep_nan, past, whole_periods

__all__ = ["MultiStepDecay", "StepDecay"]


def _sorted(arg: str, value: object) -> tuple[float, ...]:
    """Milestones: steps >= 0, in any order (stored sorted)."""
    return tuple(sorted(check.numbers(check.non_negative)(arg, value)))


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class StepDecay(LearningRateSchedule):
    r"""The rate multiplied by ``gamma`` every ``step_size`` steps, as torch's
    ``torch.optim.lr_scheduler.StepLR``.

    .. math::

        \eta(t) = \eta_0 \, \gamma^{\lfloor t / S \rfloor}

    ``StepDecay(lr, step_size, gamma)`` gives the learning rate that ``StepLR(optimizer,
    step_size, gamma)`` sets after ``t`` calls of ``scheduler.step()``, on an optimizer created with
    ``lr``. torch multiplies the current rate by :math:`\gamma` at each multiple of :math:`S`; this
    class raises :math:`\gamma` to the power directly (torch's ``_get_closed_form_lr``), which
    differs from torch's running product by rounding only (a few ulp after many periods). It is
    also Keras's ``ExponentialDecay(lr, step_size, gamma, staircase=True)``. torch documents an
    integer ``step_size``; for another one this class computes :math:`\lfloor t / S \rfloor` with
    the decimal value of :math:`S` (torch's running form, which tests ``t % S == 0``, never decays
    at ``step_size=1.1``, and its closed form ``55 // 1.1`` is 49.0 in float64):
    ``StepDecay(1.0, 1.1, 0.5)`` decays for the 50th time at step 55 (a step within 2**-46 of
    itself short of a multiple reaches it, as in the staircases; see the Keras guide).

    Args:
        initial_learning_rate: :math:`\eta_0`, torch's ``lr`` of the optimizer; a finite number
            (an array's dtype becomes the result dtype).
        step_size: :math:`S > 0`, the period of the decay in steps.
        gamma: :math:`\gamma \ge 0`, the factor applied once per period (:math:`\gamma > 1`
            grows the rate).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = StepDecay(0.05, step_size=30, gamma=0.1)
    >>> [round(float(schedule(t)), 8) for t in (0, 29, 30, 59, 60, 90)]
    [0.05, 0.05, 0.005, 0.005, 0.0005, 5e-05]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    step_size: float = checked(check.positive)
    gamma: float = checked(check.non_negative, 0.1)
    dtype: str | None = field(default=None, kw_only=True)

    @property
    def may_overflow(self) -> bool:
        return self.gamma > 1.0

    def _evaluate(self, xp: Any, step: Any) -> Any:
        rate, gamma = self.initial_learning_rate, self.gamma
        if gamma == 0.0:  # the rate, then 0 from the first period on (a NaN step stays NaN)
            return xp.where(step < self.step_size, rate, keep_nan(xp, step, 0.0))
        if rate == 0.0 or gamma == 1.0:  # constant (not 0 * inf, nor inf * log(1) at +inf)
            return keep_nan(xp, step, rate)
        periods = whole_periods(xp, step, self.step_size)
        # exp(k log gamma), not pow(gamma, k): in float32, gamma's own rounding would be raised
        # to the k-th power (k * 6e-8 relative), where here only the product k log gamma rounds.
        if gamma < 1.0:
            return rate * xp.exp(periods * math.log(gamma))
        return grow(xp, rate, periods * math.log(gamma))  # inf past overflow, without warning


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class MultiStepDecay(LearningRateSchedule):
    r"""The rate multiplied by ``gamma`` at each milestone, as torch's
    ``torch.optim.lr_scheduler.MultiStepLR``.

    .. math::

        \eta(t) = \eta_0 \, \gamma^{\,\#\{i \,:\, m_i \le t\}}

    A milestone listed twice counts twice (:math:`\gamma^2` from that step on), as in torch, and a
    milestone at 0 applies from step 0. ``MultiStepDecay(lr, milestones, gamma)`` gives the
    learning rate that ``MultiStepLR(optimizer, milestones, gamma)`` sets after ``t`` calls of
    ``scheduler.step()``; the factors are multiplied in torch's order (one
    :math:`\gamma^{n}` per distinct milestone), so the values are torch's to the last bit. The
    milestones may come in any order (they are stored sorted): torch counts them as a multiset
    too. A milestone that is not a whole number applies from the first step after it, as in
    torch's closed form (torch's running form, which looks integer steps up in the milestones,
    never applies it).

    Args:
        initial_learning_rate: :math:`\eta_0`, torch's ``lr`` of the optimizer; a finite number
            (an array's dtype becomes the result dtype).
        milestones: the steps :math:`m_i \ge 0` where the decay applies; may be empty.
        gamma: :math:`\gamma \ge 0`, the factor applied at each milestone.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> schedule = MultiStepDecay(1.0, milestones=[30, 80, 80], gamma=0.5)
    >>> [float(schedule(t)) for t in (0, 29, 30, 79, 80, 1000)]
    [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]
    """

    initial_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    milestones: tuple[float, ...] = checked(_sorted)
    gamma: float = checked(check.non_negative, 0.1)
    dtype: str | None = field(default=None, kw_only=True)

    def _prepare(self) -> None:
        rate, counts = self.initial_learning_rate, collections.Counter(self.milestones)
        if rate == 0.0 or self.gamma == 1.0:  # constant (not 0 * an overflowing power)
            self._store(_levels=((), (rate,)))
            return
        # the milestones in increasing order, and the rate from each on: multiplied by gamma **
        # count at each (inf where that overflows), in torch's order of multiplication
        levels = [rate]
        for count in counts.values():
            levels.append(levels[-1] * _power(self.gamma, count))
        self._store(_levels=(tuple(counts), tuple(levels)))

    _levels: tuple[tuple[float, ...], tuple[float, ...]] = derived()
    """The distinct milestones, and the rate before the first and from each on: a table of
    constants, searched on long tables."""

    @property
    def may_overflow(self) -> bool:
        return self.gamma > 1.0

    @property
    def end_step(self) -> float | None:
        return past(self.milestones[-1]) if self.milestones else None

    def _evaluate(self, xp: Any, step: Any) -> Any:
        milestones, levels = self._levels
        return xp.select(step, milestones, levels)


def _power(base: float, exponent: int) -> float:
    """``base ** exponent`` for ``base >= 0``, ``inf`` where it overflows (Python raises)."""
    try:
        return base**exponent
    except OverflowError:
        return math.inf
