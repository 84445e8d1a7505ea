"""Schedules made of schedules: warmup, a sequence of phases, and products.

A composite evaluates its parts' formulas directly, in the same call, so the whole composite runs
as one branch-free expression (under ``jax.jit``, ``torch.compile``, on a GPU). The result dtype is
the composite's own ``dtype``; when it is not given, the parts' common dtype if they all agree.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _array, _validate
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule

__all__ = ["Product", "Sequential", "Warmup"]


def _common_dtype(parts: tuple[Any, ...]) -> str | None:
    dtypes = {part.dtype for part in parts if isinstance(part, LearningRateSchedule)}
    return dtypes.pop() if len(dtypes) == 1 else None


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

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and a ``warmup_steps`` of 0 or at least :math:`2^{-400}`; parts nested
    deeper than a config may be (:data:`~lrschedule.registry.MAX_DEPTH` levels, a schedule
    and a list of schedules a level each) are refused too (a ``ValueError`` names the
    argument).

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

    schedule: LearningRateSchedule
    warmup_steps: float
    initial_learning_rate: float = 0.0
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        schedule = _validate.schedule("schedule", self.schedule)
        _validate.nested("schedule", schedule)
        self._set(
            schedule=schedule,
            warmup_steps=_validate.length("warmup_steps", self.warmup_steps),
            initial_learning_rate=_validate.rate(
                "initial_learning_rate", self.initial_learning_rate
            )[0],
            dtype_from=_common_dtype((schedule,)),
        )
        # derived once, not a hyperparameter: not in the config, ==, hash or repr
        peak = float(schedule._evaluate(_array.python_math, 0.0))  # where the warmup ends
        object.__setattr__(self, "_peak", peak)

    _peak: float = field(init=False, repr=False, compare=False)

    def _warmup(self, step: Any) -> Any:
        start = self.initial_learning_rate
        return start + (self._peak - start) * (step / self.warmup_steps)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        warmup_steps = self.warmup_steps
        if type(step) is float and warmup_steps != 0:  # a Python float: only its phase
            if step < warmup_steps:
                return self._warmup(step)
            return self.schedule._evaluate(xp, step - warmup_steps)
        after = self.schedule._evaluate(xp, xp.clip(step - warmup_steps, min=0.0))
        if warmup_steps == 0:
            return after
        return xp.where(step < warmup_steps, self._warmup(step), after)


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Sequential(LearningRateSchedule):
    r"""Schedules one after another: schedule :math:`i` runs from ``boundaries[i-1]``, counting its
    steps from there (optax's ``join_schedules``, torch's ``SequentialLR``).

    .. math::

        \eta(t) = s_i(t - b_{i-1}) \quad\text{for}\quad b_{i-1} \le t < b_i
        \qquad (b_{-1} = 0)

    Every number is checked when the schedule is built (a magnitude of at most
    :math:`2^{400}`), and parts nested deeper than a config may be
    (:data:`~lrschedule.registry.MAX_DEPTH` levels, a schedule and a list of schedules a level
    each) are refused (a ``ValueError`` names the argument).

    Args:
        schedules: :math:`n \ge 1` schedules.
        boundaries: :math:`n - 1` strictly increasing steps ``>= 0`` where the next one starts.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.

    >>> from lrschedule import Constant, Linear
    >>> schedule = Sequential([Linear(0.0, 1.0, 10), Constant(1.0), Linear(1.0, 0.0, 80)], [10, 20])
    >>> [float(schedule(t)) for t in (0, 5, 10, 20, 60, 100, 1000)]
    [0.0, 0.5, 1.0, 1.0, 0.5, 0.0, 0.0]
    """

    schedules: tuple[LearningRateSchedule, ...]
    boundaries: tuple[float, ...]
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        schedules = _validate.schedules("schedules", self.schedules, min_length=1)
        boundaries = _validate.numbers_sequence("boundaries", self.boundaries)
        if len(boundaries) != len(schedules) - 1:
            raise ValueError(
                "The length of `boundaries` must be one less than the number of `schedules`. "
                f"Received: {len(schedules)} schedules and boundaries={list(boundaries)!r}"
            )
        if boundaries and boundaries[0] < 0:
            raise ValueError(
                f"Argument `boundaries` must be >= 0. Received: boundaries={list(boundaries)!r}"
            )
        _validate.increasing("boundaries", boundaries, strict=True)
        _validate.nested("schedules", schedules)
        self._set(schedules=schedules, boundaries=boundaries, dtype_from=_common_dtype(schedules))
        # derived once, not a hyperparameter: the scalar path's boundaries as floats (an int
        # operand takes Python's slower mixed-type arithmetic), or the one boundary of two phases
        floats = tuple(map(float, boundaries))
        object.__setattr__(self, "_scalar_boundaries", floats[0] if len(floats) == 1 else floats)

    _scalar_boundaries: float | tuple[float, ...] = field(init=False, repr=False, compare=False)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        if type(step) is float:  # a Python float: only the schedule it is in (NaN: the last)
            boundaries = self._scalar_boundaries
            if isinstance(boundaries, float):  # two phases, the usual composite: no search
                if step < boundaries:
                    return self.schedules[0]._evaluate(xp, step)
                return self.schedules[1]._evaluate(xp, step - boundaries)
            i = bisect_right(boundaries, step)
            return self.schedules[i]._evaluate(xp, step - boundaries[i - 1] if i else step)
        result = self.schedules[0]._evaluate(xp, step)
        for boundary, schedule in zip(self.boundaries, self.schedules[1:], strict=True):
            value = schedule._evaluate(xp, xp.clip(step - boundary, min=0.0))
            result = xp.where(step < boundary, result, value)
        return result


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Product(LearningRateSchedule):
    r"""The product of schedules and numbers, as torch's ``ChainedScheduler`` multiplies factors.

    .. math:: \eta(t) = \prod_i f_i(t)

    ``schedule * 0.5``, ``0.5 * schedule`` and ``schedule_a * schedule_b`` build one.

    Every number is checked when the schedule is built (a magnitude of at most
    :math:`2^{400}`), and parts nested deeper than a config may be
    (:data:`~lrschedule.registry.MAX_DEPTH` levels, a schedule and a list of schedules a level
    each) are refused (a ``ValueError`` names the argument).

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

    factors: tuple[LearningRateSchedule | float, ...]
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if isinstance(self.factors, (str, bytes)) or not isinstance(self.factors, (list, tuple)):
            raise TypeError(
                f"Argument `factors` must be a list of schedules and numbers. "
                f"Received: factors={self.factors!r}"
            )
        factors = tuple(
            f
            if isinstance(f, LearningRateSchedule)
            else float(_validate.at_most_largest(f"factors[{i}]", f))
            for i, f in enumerate(self.factors)
        )
        if not factors:
            raise ValueError("Argument `factors` must not be empty. Received: factors=[]")
        _validate.nested("factors", factors)
        self._set(factors=factors, dtype_from=_common_dtype(factors))

    def _evaluate(self, xp: Any, step: Any) -> Any:
        scale = 1.0
        result = None
        for factor in self.factors:
            if isinstance(factor, LearningRateSchedule):
                value = factor._evaluate(xp, step)
                result = value if result is None else _times(xp, result, value)
            else:
                scale *= factor
        if result is None or scale == 0.0:
            return xp.where(step == step, scale, step)
        return result if scale == 1.0 else result * scale


def _times(xp: Any, a: Any, b: Any) -> Any:
    """``a * b``, where 0 times a factor that overflowed to inf is 0 (the exact product of 0 and
    a finite number too large for a float), not NaN; a NaN stays NaN. 0 * inf is never computed
    (NumPy would warn)."""
    zero = ((a == 0.0) | (b == 0.0)) & (a == a) & (b == b)
    return xp.where(zero, 0.0, a) * xp.where(zero, 0.0, b)
