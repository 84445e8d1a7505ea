"""Schedules made of schedules: warmup, a sequence of phases, and products.

A composite evaluates its parts' formulas directly, in the same call, so the whole composite runs
as one branch-free expression (under ``jax.jit``, ``torch.compile``, on a GPU). The result dtype is
the composite's own ``dtype``; when it is not given, the parts' common dtype if they all agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrschedule import _array
from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import keep_nan, times

__all__ = ["Product", "Sequential", "Warmup"]


def _after(start: float, schedule: LearningRateSchedule) -> float:
    """Where a plot of ``schedule``, starting at step ``start``, ends."""
    end = schedule.end_step
    return start + end if end is not None else max(10_000.0, 1.25 * start)


def _factor(arg: str, value: object) -> Any:
    return value if isinstance(value, LearningRateSchedule) else check.rate(arg, value)


def _factors(arg: str, value: object) -> tuple[Any, ...]:
    """Schedules and finite numbers, at least one."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(
            f"Argument `{arg}` must be a list of schedules and numbers. Received: {arg}={check.shown(value)}"
        )
    if not value:
        raise ValueError(f"Argument `{arg}` must not be empty. Received: {arg}=[]")
    factors = tuple(_factor(f"{arg}[{i}]", item) for i, item in enumerate(value))
    check.nested(arg, factors)
    return factors


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Warmup(LearningRateSchedule):
    r"""A linear warmup in front of any schedule.

    .. math::

        \eta(t) = \begin{cases}
        \eta_0 + (s(0) - \eta_0)\, t / W & t < W \\
        s(t - W) & t \ge W
        \end{cases}

    optax's ``warmup_cosine_decay_schedule(init, peak, W, decay_steps, end, exponent)`` is
    ``Warmup(CosineDecay(peak, decay_steps - W, alpha=end / peak, exponent=exponent), W, init)``;
    ``warmup_exponential_decay_schedule`` is ``Warmup(ExponentialDecay(peak, ...), W, init)`` and
    ``warmup_constant_schedule(init, peak, W)`` is ``Warmup(Constant(peak), W, init)``.

    Args:
        schedule: the schedule that follows the warmup; it sees steps counted from its end.
        warmup_steps: :math:`W \ge 0` (0: no warmup).
        initial_learning_rate: :math:`\eta_0`, the rate at step 0.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> from lrschedule import CosineDecay
    >>> schedule = Warmup(CosineDecay(1.0, decay_steps=100), warmup_steps=10)
    >>> [round(float(schedule(t)), 6) for t in (0, 5, 10, 60, 110)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    schedule: LearningRateSchedule = checked(check.part, carries_dtype=check.parts_dtype)
    warmup_steps: float = checked(check.length)
    initial_learning_rate: float = checked(check.rate, 0.0)
    dtype: str | None = field(default=None, kw_only=True)

    def _prepare(self) -> None:
        peak = float(self.schedule._evaluate(_array.python_math, 0.0))
        self._store(_peak=peak, _pieces=(self._warmup, self.schedule._evaluate))

    _peak: float = derived()
    """The rate where the warmup ends: the schedule's at its step 0."""
    _pieces: tuple[Any, Any] = derived()

    @property
    def end_step(self) -> float:
        return _after(self.warmup_steps, self.schedule)

    @property
    def may_overflow(self) -> bool:
        return self.schedule.may_overflow

    def _warmup(self, xp: Any, step: Any) -> Any:
        start = self.initial_learning_rate
        return start + (self._peak - start) * (step / self.warmup_steps)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if self.warmup_steps == 0:
            return self.schedule._evaluate(xp, step)
        return xp.select(step, (self.warmup_steps,), self._pieces, shift=True)


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Sequential(LearningRateSchedule):
    r"""Schedules one after another: schedule :math:`i` runs from ``boundaries[i-1]``, counting its
    steps from there (optax's ``join_schedules``, torch's ``SequentialLR``).

    .. math::

        \eta(t) = s_i(t - b_{i-1}) \quad\text{for}\quad b_{i-1} \le t < b_i
        \qquad (b_{-1} = 0)

    Args:
        schedules: :math:`n \ge 1` schedules.
        boundaries: :math:`n - 1` non-decreasing steps ``>= 0`` where the next one starts. A
            boundary at 0 skips the first schedule, and a repeated boundary the schedule
            between (a zero-length interval: the later schedule holds from that step on), as in
            optax's ``join_schedules``.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> from lrschedule import Constant, Linear
    >>> schedule = Sequential([Linear(0.0, 1.0, 10), Constant(1.0), Linear(1.0, 0.0, 80)], [10, 20])
    >>> [float(schedule(t)) for t in (0, 5, 10, 20, 60, 100, 1000)]
    [0.0, 0.5, 1.0, 1.0, 0.5, 0.0, 0.0]
    """

    schedules: tuple[LearningRateSchedule, ...] = checked(
        check.parts(min_length=1), carries_dtype=check.parts_dtype
    )
    boundaries: tuple[float, ...] = checked(check.numbers(check.non_negative))
    dtype: str | None = field(default=None, kw_only=True)

    def _prepare(self) -> None:
        if len(self.boundaries) != len(self.schedules) - 1:
            raise ValueError(
                "The length of `boundaries` must be one less than the number of `schedules`. "
                f"Received: {len(self.schedules)} schedules and "
                f"boundaries={list(self._given('boundaries'))!r}"
            )
        check.increasing("boundaries", self._given("boundaries"), strict=False)
        self._store(_pieces=tuple(schedule._evaluate for schedule in self.schedules))

    _pieces: tuple[Any, ...] = derived()
    """The schedules' formulas."""

    @property
    def end_step(self) -> float | None:
        if not self.boundaries:
            return self.schedules[0].end_step
        return _after(self.boundaries[-1], self.schedules[-1])

    @property
    def may_overflow(self) -> bool:
        return any(schedule.may_overflow for schedule in self.schedules)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        # each schedule counts its steps from its start
        return xp.select(step, self.boundaries, self._pieces, shift=True)


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Product(LearningRateSchedule):
    r"""The product of schedules and numbers, as torch's ``ChainedScheduler`` multiplies factors.

    .. math:: \eta(t) = \prod_i f_i(t)

    ``schedule * 0.5``, ``0.5 * schedule`` and ``schedule_a * schedule_b`` build one.

    Args:
        factors: schedules and finite numbers, at least one.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> from lrschedule import Constant, ExponentialDecay
    >>> schedule = ExponentialDecay(1.0, 10, 0.5) * Constant(0.2) * 0.5
    >>> schedule
    Product(factors=(ExponentialDecay(initial_learning_rate=1.0, decay_steps=10, decay_rate=0.5), Constant(value=0.2), 0.5))
    >>> float(schedule(10))
    0.05
    """

    factors: tuple[LearningRateSchedule | float, ...] = checked(
        _factors, carries_dtype=check.parts_dtype
    )
    dtype: str | None = field(default=None, kw_only=True)

    @property
    def end_step(self) -> float | None:
        ends = [f.end_step for f in self.factors if isinstance(f, LearningRateSchedule)]
        known = [end for end in ends if end is not None]
        return max(known) if known and len(known) == len(ends) else None

    @property
    def may_overflow(self) -> bool:
        return True  # a product of rates may itself be beyond the float range

    def _evaluate(self, xp: Any, step: Any) -> Any:
        scale = 1.0
        result = None
        for factor in self.factors:
            if isinstance(factor, LearningRateSchedule):
                value = factor._evaluate(xp, step)
                result = value if result is None else times(xp, result, value)
            else:
                scale *= factor
        if result is None or scale == 0.0:
            return keep_nan(xp, step, scale)
        return result if scale == 1.0 else result * scale
