"""The one-cycle policy and cyclical learning rates (torch's ``OneCycleLR`` and ``CyclicLR``).

After Smith, "Super-Convergence" (2017) and "Cyclical Learning Rates for Training Neural Networks"
(WACV 2017), with torch's phase boundaries and scaling, so that the values are torch's.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate as check
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule, checked, derived
from lrschedule.schedules._numerics import EXP_SAFE, half_cosine, keep_nan, periods, times

__all__ = ["Cyclic", "OneCycle", "OneCycleMomentum"]


def _total_steps(arg: str, value: object) -> int:
    """``total_steps``: an integer of at least 2."""
    total = check.finite(arg, value)
    if isinstance(total, float) and total.is_integer():  # 1000.0: what the schedule stores
        total = int(total)
    if not isinstance(total, int) or total < 2:
        raise ValueError(
            f"Argument `{arg}` must be an integer >= 2. Received: {arg}={check.shown(value)}"
        )
    return check.non_negative(arg, total)  # type: ignore[return-value]


def _positive_integer(arg: str, value: object) -> int:
    """``epochs``, ``steps_per_epoch``: an integer of at least 1."""
    count = check.finite(arg, value)
    if isinstance(count, float) and count.is_integer():  # as stored: a float
        count = int(count)
    if not isinstance(count, int) or count < 1:
        raise ValueError(
            f"Argument `{arg}` must be an integer >= 1. Received: {arg}={check.shown(value)}"
        )
    return check.non_negative(arg, count)  # type: ignore[return-value]


def _fraction(arg: str, value: object) -> float:
    """A fraction strictly between 0 and 1."""
    result = float(check.finite(arg, value))
    if not 0.0 < result < 1.0:
        raise ValueError(
            f"Argument `{arg}` must be > 0 and < 1. Received: {arg}={check.shown(value)}"
        )
    return result


class _OneCycleShape(LearningRateSchedule):
    """What :class:`OneCycle` and :class:`OneCycleMomentum` share: torch's phases over
    :math:`N` steps (``total_steps``, or ``epochs * steps_per_epoch``), annealed from level to
    level. A subclass gives the levels (:meth:`_levels`)."""

    __slots__ = ()
    total_steps: float | None
    pct_start: float
    anneal_strategy: str
    three_phase: bool
    epochs: float | None
    steps_per_epoch: float | None
    _total: float
    _pieces: tuple[tuple[float, float, float, float, float], ...]
    """(start, end, length, start level, end level) of each phase."""
    _inner: tuple[float, ...]
    """The steps where one phase ends and the next begins."""
    _formulas: tuple[Any, ...]
    """Each phase's formula, f(xp, t)."""

    def _levels(self) -> tuple[float, float, float]:
        """(start, turn, final): phase 1 goes from start to turn; with two phases, phase 2 from
        turn to final; with three, phase 2 back to start and phase 3 from start to final."""
        raise NotImplementedError

    def _prepare(self) -> None:
        if self.total_steps is not None:
            total = self.total_steps
        elif self.epochs is not None and self.steps_per_epoch is not None:
            total = self.epochs * self.steps_per_epoch
            if total < 2:
                raise ValueError(
                    "Arguments `epochs` and `steps_per_epoch` must give a cycle of at least 2 "
                    f"steps. Received: epochs={self.epochs:.0f}, "
                    f"steps_per_epoch={self.steps_per_epoch:.0f}"
                )
        else:
            arguments = self._arguments()
            raise ValueError(
                "Argument `total_steps` must be given, or both `epochs` and `steps_per_epoch` "
                f"(as torch's OneCycleLR asks). Received: total_steps=None, "
                f"epochs={arguments['epochs']!r}, "
                f"steps_per_epoch={arguments['steps_per_epoch']!r}"
            )
        self._store(_total=float(total))
        phases = self._phases()
        ends = [end for end, _, _ in phases]
        starts = [0.0, *ends[:-1]]
        self._store(
            _pieces=tuple(
                (start, end, end - start, a, b)
                for start, (end, a, b) in zip(starts, phases, strict=True)
            ),
            _inner=tuple(ends[:-1]),
        )
        self._store(_formulas=tuple(self._phase(i) for i in range(len(phases))))
        for i, (start, end) in enumerate(itertools.pairwise([0.0, *ends])):
            if not end > start:
                raise ValueError(
                    f"Arguments `pct_start` and `total_steps` give phase {i + 1} of the cycle "
                    f"(steps {start:g} to {end:g}) no length; it needs pct_start * total_steps > 1"
                    + (
                        " and pct_start < (total_steps + 1) / (2 * total_steps)"
                        if self.three_phase
                        else ""
                    )
                    + f". Received: pct_start={self.pct_start!r}, total_steps={self._total:.0f}"
                )

    @property
    def end_step(self) -> float:
        return self._total

    def _phases(self) -> list[tuple[float, float, float]]:
        """(end step, start level, end level) of each phase, with torch's exact arithmetic."""
        N, pct = self._total, self.pct_start
        start, turn, final = self._levels()
        if self.three_phase:
            return [
                (float(pct * N) - 1, start, turn),
                (float(2 * pct * N) - 2, turn, start),
                (float(N - 1), start, final),
            ]
        return [(float(pct * N) - 1, start, turn), (float(N - 1), turn, final)]

    def _phase(self, i: int) -> Any:
        """Phase ``i``, from step ``start`` (level ``a``) to ``end`` (level ``b``): ``a * w + b *
        (1 - w)``, both weights computed from their own end of the phase, so that the value is a
        few ulp from the exact one even where it is tiny next to the other end (eta_min)."""
        start, end, length, a, b = self._pieces[i]
        if self.anneal_strategy == "cos":
            return lambda xp, t: (
                a * half_cosine(xp, end - t, length) + b * half_cosine(xp, t - start, length)
            )
        return lambda xp, t: a * ((end - t) / length) + b * ((t - start) / length)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        # a step on a boundary belongs to the phase that ends there; the final level from N - 1 on
        step = xp.clip(step, max=self._total - 1.0)
        return xp.select(step, self._inner, self._formulas, closed="right")


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class OneCycle(_OneCycleShape):
    r"""The 1cycle policy, as torch's ``torch.optim.lr_scheduler.OneCycleLR`` (learning rates).

    The rate rises from :math:`\eta_0 = \eta_{max} / d` to :math:`\eta_{max}`, then falls to
    :math:`\eta_{min} = \eta_0 / d_f`, each phase annealed from its start :math:`a` to its end
    :math:`b` over its steps :math:`[s, e]` by

    .. math::

        \mathrm{anneal}(t) = \begin{cases}
        b + (a - b)\, \tfrac12 \left(1 + \cos \pi \frac{t - s}{e - s}\right) & \texttt{"cos"} \\
        a + (b - a)\, \frac{t - s}{e - s} & \texttt{"linear"}
        \end{cases}

    with torch's phase boundaries, for :math:`N` = ``total_steps`` and :math:`p` = ``pct_start``:

    .. math::

        \begin{array}{lll}
        \text{two phases:} & [0,\ pN - 1]:\ \eta_0 \to \eta_{max} & [pN - 1,\ N - 1]:\ \eta_{max}
        \to \eta_{min} \\
        \text{three phases:} & [0,\ pN - 1]:\ \eta_0 \to \eta_{max} & [pN - 1,\ 2pN - 2]:\
        \eta_{max} \to \eta_0, \quad [2pN - 2,\ N - 1]:\ \eta_0 \to \eta_{min}
        \end{array}

    A step on a boundary belongs to the phase that ends there, as in torch.

    **Past the end.** The schedule holds :math:`\eta_{min}` from step :math:`N - 1` on. torch
    evaluates its last phase once more at step :math:`N` (one step past the phase's end: a
    little above :math:`\eta_{min}` with ``"cos"``, below it, usually negative, with
    ``"linear"``) and raises past :math:`N`; this class gives :math:`\eta_{min}` there instead.
    On steps :math:`0 \dots N - 1` it matches torch.

    ``OneCycle(max_lr, total_steps, ...)`` gives the learning rate that ``OneCycleLR(optimizer,
    max_lr, total_steps, ...)`` sets after ``t`` calls of ``scheduler.step()``; its momentum
    cycling is :meth:`momentum`, a :class:`OneCycleMomentum`.

    Args:
        max_learning_rate: :math:`\eta_{max}`, torch's ``max_lr``; a finite number (an array's
            dtype becomes the result dtype).
        total_steps: :math:`N \ge 2`, an integer: the steps of the cycle; or ``None`` (the
            default) to give ``epochs`` and ``steps_per_epoch`` instead.
        pct_start: :math:`0 < p < 1`, the fraction of the cycle spent rising. Every phase must
            have a positive length: :math:`pN > 1`, and with ``three_phase`` also
            :math:`2pN - 2 < N - 1`.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        div_factor: :math:`d > 0`: :math:`\eta_0 = \eta_{max} / d`.
        final_div_factor: :math:`d_f > 0`: :math:`\eta_{min} = \eta_0 / d_f`.
        three_phase: fall back to :math:`\eta_0` symmetrically before annealing to
            :math:`\eta_{min}` (the original paper's shape), instead of falling to
            :math:`\eta_{min}` in one phase (fastai's, torch's default).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.
        epochs: with ``steps_per_epoch``, the cycle's length as torch also takes it:
            :math:`N` = ``epochs * steps_per_epoch`` (integers >= 1), when ``total_steps`` is
            ``None``. As in torch, ``total_steps`` wins when both are given, and neither is a
            ``ValueError``. Keyword-only; in the config only when given.
        steps_per_epoch: see ``epochs``.

    >>> OneCycle(0.1, epochs=10, steps_per_epoch=100).end_step
    1000.0
    >>> schedule = OneCycle(1.0, total_steps=10, pct_start=0.5, div_factor=10.0,
    ...                     final_div_factor=10.0, anneal_strategy="linear")
    >>> [round(float(schedule(t)), 6) for t in (0, 2, 4, 5, 6, 9, 100)]
    [0.1, 0.55, 1.0, 0.802, 0.604, 0.01, 0.01]
    """

    max_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    total_steps: int | None = checked(_total_steps, None)
    pct_start: float = checked(_fraction, 0.3)
    anneal_strategy: str = checked(check.choice("cos", "linear"), "cos")
    div_factor: float = checked(check.positive, 25.0)
    final_div_factor: float = checked(check.positive, 1e4)
    three_phase: bool = checked(check.boolean, False)
    dtype: str | None = field(default=None, kw_only=True)
    epochs: int | None = checked(_positive_integer, None, kw_only=True, omit_at_default=True)
    steps_per_epoch: int | None = checked(
        _positive_integer, None, kw_only=True, omit_at_default=True
    )

    _total: float = derived()
    """:math:`N`: ``total_steps``, or ``epochs * steps_per_epoch``."""
    _pieces: tuple[tuple[float, float, float, float, float], ...] = derived()
    _inner: tuple[float, ...] = derived()
    _formulas: tuple[Any, ...] = derived()

    def _levels(self) -> tuple[float, float, float]:
        initial = self.max_learning_rate / self.div_factor
        return initial, self.max_learning_rate, initial / self.final_div_factor

    def momentum(self, base_momentum: float = 0.85, max_momentum: float = 0.95) -> OneCycleMomentum:
        """The momentum that torch's ``OneCycleLR(..., cycle_momentum=True, base_momentum,
        max_momentum)`` sets alongside this learning rate: a :class:`OneCycleMomentum` of the
        same cycle, for :class:`lrschedule.torch.LRScheduler`'s ``momentum=`` or optax's
        ``inject_hyperparams``.

        >>> schedule = OneCycle(0.1, total_steps=100)
        >>> momentum = schedule.momentum()
        >>> [round(float(momentum(t)), 6) for t in (0, 29, 99)]
        [0.95, 0.85, 0.95]
        """
        return OneCycleMomentum(
            base_momentum,
            max_momentum,
            total_steps=self._arguments()["total_steps"],
            pct_start=self.pct_start,
            anneal_strategy=self.anneal_strategy,
            three_phase=self.three_phase,
            epochs=self._arguments()["epochs"],
            steps_per_epoch=self._arguments()["steps_per_epoch"],
            dtype=self.dtype,
        )


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class OneCycleMomentum(_OneCycleShape):
    r"""The momentum of the 1cycle policy, as torch's ``OneCycleLR(..., cycle_momentum=True)``
    sets it: inverse to the learning rate of :class:`OneCycle`.

    Over the same phases as :class:`OneCycle`'s, with the same annealing, the momentum goes from
    :math:`m_{max}` down to :math:`m_{base}` while the rate rises, and back up to
    :math:`m_{max}` while it falls (with ``three_phase``: up to :math:`m_{max}` in phase 2, and
    held there in phase 3). From step :math:`N - 1` on it stays at :math:`m_{max}`. torch sets
    ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam and its kin) to these values;
    :class:`lrschedule.torch.LRScheduler` does too, given this schedule as ``momentum=``.
    ``OneCycle(...).momentum(base_momentum, max_momentum)`` builds the one that matches a
    learning-rate schedule.

    Args:
        base_momentum: :math:`m_{base}`, torch's ``base_momentum``: the momentum at the peak
            learning rate.
        max_momentum: :math:`m_{max}`, torch's ``max_momentum``: the momentum at the start and
            the end of the cycle.
        total_steps: :math:`N \ge 2`, an integer; or ``None`` to give ``epochs`` and
            ``steps_per_epoch``, as for :class:`OneCycle`.
        pct_start: as for :class:`OneCycle`.
        anneal_strategy: as for :class:`OneCycle`.
        three_phase: as for :class:`OneCycle`.
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`.
        epochs: as for :class:`OneCycle`.
        steps_per_epoch: as for :class:`OneCycle`.

    >>> momentum = OneCycleMomentum(0.85, 0.95, total_steps=10, pct_start=0.5,
    ...                             anneal_strategy="linear")
    >>> [round(float(momentum(t)), 6) for t in (0, 2, 4, 9, 100)]
    [0.95, 0.9, 0.85, 0.95, 0.95]
    """

    base_momentum: float = checked(check.rate, 0.85, carries_dtype=check.array_dtype)
    max_momentum: float = checked(check.rate, 0.95, carries_dtype=check.array_dtype)
    total_steps: int | None = checked(_total_steps, None)
    pct_start: float = checked(_fraction, 0.3)
    anneal_strategy: str = checked(check.choice("cos", "linear"), "cos")
    three_phase: bool = checked(check.boolean, False)
    dtype: str | None = field(default=None, kw_only=True)
    epochs: int | None = checked(_positive_integer, None, kw_only=True, omit_at_default=True)
    steps_per_epoch: int | None = checked(
        _positive_integer, None, kw_only=True, omit_at_default=True
    )

    _total: float = derived()
    """:math:`N`: ``total_steps``, or ``epochs * steps_per_epoch``."""
    _pieces: tuple[tuple[float, float, float, float, float], ...] = derived()
    _inner: tuple[float, ...] = derived()
    _formulas: tuple[Any, ...] = derived()

    def _levels(self) -> tuple[float, float, float]:
        return self.max_momentum, self.base_momentum, self.max_momentum


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class Cyclic(LearningRateSchedule):
    r"""Cyclical learning rates, as torch's ``torch.optim.lr_scheduler.CyclicLR`` (learning rates).

    Each cycle of :math:`C = S_u + S_d` steps rises linearly from :math:`\eta_b` towards
    :math:`\eta_m` over :math:`S_u` steps and falls back over :math:`S_d`. With
    :math:`k = \lfloor t / C \rfloor` the cycle (from 0) and :math:`r = t - kC` the step within it,

    .. math::

        \eta(t) = \eta_b + (\eta_m - \eta_b)\, h(r)\, g(t),
        \qquad h(r) = \begin{cases} r / S_u & r \le S_u \\ (C - r) / S_d & r > S_u \end{cases}

    where the amplitude's scale :math:`g` is, by ``mode``: ``"triangular"``: :math:`g = 1`;
    ``"triangular2"``: :math:`g = 2^{-k}` (halved each cycle; torch's
    :math:`1 / 2^{\text{cycle} - 1}` with its cycle counted from 1); ``"exp_range"``:
    :math:`g = \gamma^{t}` (torch's ``scale_mode="iterations"``). Or any schedule ``scale``
    (torch's custom ``scale_fn``, as data that a config saves): :math:`g = \text{scale}(k)` with
    ``scale_mode="cycle"``, :math:`g = \text{scale}(t)` with ``"iterations"``. torch calls its
    ``scale_fn`` with the cycle counted from 1, this class its ``scale`` with :math:`k`, from 0:
    ``scale_fn=lambda x: f(x)`` is a ``scale`` whose value at :math:`k` is :math:`f(k + 1)`
    (``lambda x: 0.5 ** (x - 1)``, "triangular2", is ``ExponentialDecay(1.0, 1, 0.5)``).

    ``Cyclic(base_lr, max_lr, ...)`` gives the learning rate that ``CyclicLR(optimizer, base_lr,
    max_lr, ...)`` sets after ``t`` calls of ``scheduler.step()``. For torch's momentum cycling,
    see :meth:`momentum`. The position within the cycle is computed
    in whole steps, so it stays exact at any step count where torch's :math:`1 + t/C -
    \lfloor 1 + t/C \rfloor` loses digits.

    Args:
        base_learning_rate: :math:`\eta_b`, torch's ``base_lr``; a finite number.
        max_learning_rate: :math:`\eta_m`, torch's ``max_lr``; a finite number.
        step_size_up: :math:`S_u > 0`, the steps of the rising half of a cycle.
        step_size_down: :math:`S_d > 0`, the steps of the falling half, or ``None`` for
            :math:`S_u` (torch accepts 0, a sawtooth; this class asks for a positive length).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: :math:`\gamma > 0`, the per-step factor of ``"exp_range"`` (unused otherwise).
        dtype: the result dtype; see :class:`~lrschedule.ExponentialDecay`. Without it, the
            dtype that the learning rates carry as arrays, when they name one.
        scale: a schedule, the amplitude's scale :math:`g` in place of ``mode``'s (which must
            then be left at ``"triangular"``); keyword-only, in the config only when given.
        scale_mode: ``"cycle"`` (``scale`` of the cycle :math:`k`, from 0) or ``"iterations"``
            (``scale`` of the step :math:`t`), as torch's ``scale_mode``; only with ``scale``.

    >>> schedule = Cyclic(0.1, 1.0, step_size_up=3, step_size_down=6, mode="triangular2")
    >>> [round(float(schedule(t)), 6) for t in (0, 3, 6, 9, 12, 15, 18)]
    [0.1, 1.0, 0.55, 0.1, 0.55, 0.325, 0.1]
    >>> from lrschedule import ExponentialDecay, Constant
    >>> halved = Cyclic(0.1, 1.0, 3, 6, scale=ExponentialDecay(1.0, 1, 0.5))
    >>> [round(float(halved(t)), 6) for t in (0, 3, 6, 9, 12, 15, 18)]
    [0.1, 1.0, 0.55, 0.1, 0.55, 0.325, 0.1]
    """

    base_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    max_learning_rate: float = checked(check.rate, carries_dtype=check.array_dtype)
    step_size_up: float = checked(check.positive, 2000)
    step_size_down: float | None = checked(check.positive, None)
    mode: str = checked(check.choice("triangular", "triangular2", "exp_range"), "triangular")
    gamma: float = checked(check.positive, 1.0)
    dtype: str | None = field(default=None, kw_only=True)
    scale: LearningRateSchedule | None = checked(
        check.part, None, kw_only=True, omit_at_default=True
    )
    scale_mode: str = checked(
        check.choice("cycle", "iterations"), "cycle", kw_only=True, omit_at_default=True
    )

    def _prepare(self) -> None:
        if self.scale is not None and self.mode != "triangular":
            raise ValueError(
                "Arguments `mode` and `scale` both give the amplitude's scale: with a `scale`, "
                f"leave `mode` at 'triangular'. Received: mode={self.mode!r}, "
                f"scale={self.scale!r:.80}"
            )
        if self.scale is None and self.scale_mode != "cycle":
            raise ValueError(
                "Argument `scale_mode` says what a `scale` schedule is a function of, and no "
                f"`scale` was given. Received: scale_mode={self.scale_mode!r}, scale=None"
            )

    def momentum(self, base_momentum: float = 0.8, max_momentum: float = 0.9) -> Cyclic:
        r"""The momentum that torch's ``CyclicLR(..., cycle_momentum=True, base_momentum,
        max_momentum)`` sets alongside this learning rate: inverse to it, from
        :math:`m_{max}` at a cycle's start towards :math:`m_{base}` at its peak, with the same
        amplitude scale. It is a ``Cyclic`` from ``max_momentum`` towards ``base_momentum``
        (torch's ``max_momentum - (max_momentum - base_momentum) h(r) g``), for
        :class:`lrschedule.torch.LRScheduler`'s ``momentum=`` or optax's ``inject_hyperparams``.

        >>> momentum = Cyclic(0.1, 1.0, step_size_up=4).momentum()
        >>> [round(float(momentum(t)), 6) for t in (0, 2, 4, 6, 8)]
        [0.9, 0.85, 0.8, 0.85, 0.9]
        """
        arguments = self._arguments()
        arguments.update(base_learning_rate=max_momentum, max_learning_rate=base_momentum)
        return Cyclic(**arguments)

    @property
    def may_overflow(self) -> bool:
        if self.scale is not None:
            return self.scale.may_overflow
        return self.mode == "exp_range" and self.gamma > 1.0

    def _evaluate(self, xp: Any, step: Any) -> Any:
        base, amplitude = self.base_learning_rate, self.max_learning_rate - self.base_learning_rate
        if amplitude == 0.0:  # constant (not 0 * an overflowing growth = NaN)
            return keep_nan(xp, step, base)
        up = self.step_size_up
        down = up if self.step_size_down is None else self.step_size_down
        total = up + down
        mode, gamma = self.mode, self.gamma
        if mode == "triangular2" or (mode == "exp_range" and gamma < 1.0):
            # These tend to the base rate, their value at step 0 (a cycle's start): +inf is
            # evaluated there (its phase would be inf - inf = NaN).
            step = xp.where(step == xp.inf, 0.0, step)
        half_step = 0.5 * step
        cycle = periods(xp, step, half_step, total)
        # t - k C from halves (no overflow near the float maximum), in [0, C]: past 2**53 steps
        # (2**24 in float32) it may round outside, and XLA may fuse the product into the
        # subtraction (an FMA) where the rounded product is just above the step
        r = xp.clip(2.0 * (half_step - cycle * (0.5 * total)), min=0.0, max=total)
        scale = xp.where(r <= up, r / up, (total - r) / down)
        height = amplitude * scale
        if self.scale is not None:  # 0 times a scale that overflowed is 0, not NaN
            at = cycle if self.scale_mode == "cycle" else step
            return base + times(xp, height, self.scale._evaluate(xp, at))
        if mode == "triangular":
            return base + height
        if mode == "triangular2":
            return base + height * xp.pow(0.5, cycle)
        if gamma == 1.0:
            return base + height
        if gamma < 1.0:
            # exp(t log gamma), not pow(gamma, t): accurate in float32 too, where gamma near 1
            # rounded to float32 and raised to the power t would be off by t * 6e-8.
            return base + height * xp.exp(step * math.log(gamma))
        return base + self._grown(xp, height, step * math.log(gamma))

    def _grown(self, xp: Any, height: Any, exponent: Any) -> Any:
        """``height * exp(exponent)`` for ``"exp_range"`` with :math:`\\gamma > 1`, in two factors
        that cannot overflow on their own: a height of 0 (a cycle's start) stays 0, never
        0 * inf = NaN, and only a product that overflows gives inf."""
        amplitude = abs(self.max_learning_rate - self.base_learning_rate)
        first = max(EXP_SAFE - max(math.log(amplitude), 0.0), 0.0)  # |height| e^first is finite
        grown = (height * xp.exp(xp.clip(exponent, max=first))) * xp.exp(
            xp.clip(exponent - first, min=0.0, max=EXP_SAFE)
        )
        return xp.where(height == 0.0, 0.0, grown)  # exp may overflow where computed in float32
