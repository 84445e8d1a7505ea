"""The one-cycle policy and cyclical learning rates (torch's ``OneCycleLR`` and ``CyclicLR``).

After Smith, "Super-Convergence" (2017) and "Cyclical Learning Rates for Training Neural Networks"
(WACV 2017), with torch's phase boundaries and scaling, so that the values are torch's.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from lrschedule import _validate
from lrschedule.registry import _register_builtin
from lrschedule.schedule import LearningRateSchedule
from lrschedule.schedules.cosine import _half_cosine
from lrschedule.schedules.exponential import _EXP_SAFE
from lrschedule.schedules.step import _periods

__all__ = ["Cyclic", "OneCycle"]


def _common_rate_dtype(*dtypes: str | None) -> str | None:
    """The dtype the learning rates carry (as arrays or NumPy scalars), when they name just one."""
    named = {dtype for dtype in dtypes if dtype is not None}
    return named.pop() if len(named) == 1 else None


@_register_builtin
@dataclass(frozen=True, repr=False, slots=True)
class OneCycle(LearningRateSchedule):
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
    max_lr, total_steps, ...)`` sets after ``t`` calls of ``scheduler.step()`` (its momentum
    cycling is not a learning rate and is not part of this class).

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

    Args:
        max_learning_rate: :math:`\eta_{max}`, torch's ``max_lr``; a finite number (an array's
            dtype becomes the result dtype).
        total_steps: :math:`N \ge 2`, an integer: the steps of the cycle.
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

    >>> schedule = OneCycle(1.0, total_steps=10, pct_start=0.5, div_factor=10.0,
    ...                     final_div_factor=10.0, anneal_strategy="linear")
    >>> [round(float(schedule(t)), 6) for t in (0, 2, 4, 5, 6, 9, 100)]
    [0.1, 0.55, 1.0, 0.802, 0.604, 0.01, 0.01]
    """

    max_learning_rate: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        rate, dtype = _validate.rate("max_learning_rate", self.max_learning_rate)
        total = _validate.finite("total_steps", self.total_steps)
        if not isinstance(total, int) or total < 2:
            raise ValueError(
                "Argument `total_steps` must be an integer >= 2. "
                f"Received: total_steps={self.total_steps!r}"
            )
        pct = float(_validate.finite("pct_start", self.pct_start))
        if not 0.0 < pct < 1.0:
            raise ValueError(
                f"Argument `pct_start` must be > 0 and < 1. Received: pct_start={self.pct_start!r}"
            )
        self._set(
            max_learning_rate=rate,
            total_steps=total,
            pct_start=pct,
            anneal_strategy=_validate.one_of(
                "anneal_strategy", self.anneal_strategy, ("cos", "linear")
            ),
            div_factor=float(_validate.positive("div_factor", self.div_factor)),
            final_div_factor=float(_validate.positive("final_div_factor", self.final_div_factor)),
            three_phase=_validate.boolean("three_phase", self.three_phase),
            dtype_from=dtype,
        )
        ends = [end for end, _, _ in self._phases()]
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
                    + f". Received: pct_start={self.pct_start!r}, total_steps={self.total_steps!r}"
                )

    def _phases(self) -> list[tuple[float, float, float]]:
        """(end step, start rate, end rate) of each phase, with torch's exact arithmetic."""
        N, pct = self.total_steps, self.pct_start
        initial = self.max_learning_rate / self.div_factor
        peak, final = self.max_learning_rate, initial / self.final_div_factor
        if self.three_phase:
            return [
                (float(pct * N) - 1, initial, peak),
                (float(2 * pct * N) - 2, peak, initial),
                (float(N - 1), initial, final),
            ]
        return [(float(pct * N) - 1, initial, peak), (float(N - 1), peak, final)]

    def _evaluate(self, xp: Any, step: Any) -> Any:
        phases = self._phases()
        step = xp.clip(step, max=phases[-1][0])  # hold the final rate from step N - 1 on
        starts = [0.0] + [end for end, _, _ in phases[:-1]]
        values = []
        for start, (end, a, b) in zip(starts, phases, strict=True):
            # a * w + b * (1 - w), both weights computed from their own end of the phase: a few
            # ulp from the exact value even where it is tiny next to the other end (eta_min).
            length = end - start
            if self.anneal_strategy == "cos":
                w_a = _half_cosine(xp, end - step, length)
                w_b = _half_cosine(xp, step - start, length)
            else:
                w_a = (end - step) / length
                w_b = (step - start) / length
            values.append(a * w_a + b * w_b)
        result = values[-1]
        for (end, _, _), value in zip(phases[-2::-1], values[-2::-1], strict=True):
            result = xp.where(step <= end, value, result)
        return result


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

    where the amplitude's scale :math:`g` is, by ``mode`` (torch's ``scale_fn`` and
    ``scale_mode``): ``"triangular"``: :math:`g = 1`; ``"triangular2"``: :math:`g = 2^{-k}`
    (halved each cycle; torch's :math:`1 / 2^{\text{cycle} - 1}` with its cycle counted from 1);
    ``"exp_range"``: :math:`g = \gamma^{t}` (torch's ``scale_mode="iterations"``).

    ``Cyclic(base_lr, max_lr, ...)`` gives the learning rate that ``CyclicLR(optimizer, base_lr,
    max_lr, ...)`` sets after ``t`` calls of ``scheduler.step()``; torch's custom ``scale_fn`` and
    its momentum cycling are not part of this class. The position within the cycle is computed
    in whole steps, so it stays exact at any step count where torch's :math:`1 + t/C -
    \lfloor 1 + t/C \rfloor` loses digits.

    Every number is checked when the schedule is built: a magnitude of at most
    :math:`2^{400}`, and lengths, periods and factors that must be positive at least
    :math:`2^{-400}` (a ``ValueError`` names the argument otherwise), so that no formula
    overflows on the way to its value.

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

    >>> schedule = Cyclic(0.1, 1.0, step_size_up=3, step_size_down=6, mode="triangular2")
    >>> [round(float(schedule(t)), 6) for t in (0, 3, 6, 9, 12, 15, 18)]
    [0.1, 1.0, 0.55, 0.1, 0.55, 0.325, 0.1]
    """

    base_learning_rate: float
    max_learning_rate: float
    step_size_up: float = 2000
    step_size_down: float | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    dtype: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        base, base_dtype = _validate.rate("base_learning_rate", self.base_learning_rate)
        peak, peak_dtype = _validate.rate("max_learning_rate", self.max_learning_rate)
        down = self.step_size_down
        self._set(
            base_learning_rate=base,
            max_learning_rate=peak,
            step_size_up=_validate.positive("step_size_up", self.step_size_up),
            step_size_down=None if down is None else _validate.positive("step_size_down", down),
            mode=_validate.one_of("mode", self.mode, ("triangular", "triangular2", "exp_range")),
            gamma=float(_validate.positive("gamma", self.gamma)),
            dtype_from=_common_rate_dtype(base_dtype, peak_dtype),
        )

    def _evaluate(self, xp: Any, step: Any) -> Any:
        base, amplitude = self.base_learning_rate, self.max_learning_rate - self.base_learning_rate
        if amplitude == 0.0:  # constant (not 0 * an overflowing growth = NaN)
            return xp.where(step == step, base, step)
        up = self.step_size_up
        down = up if self.step_size_down is None else self.step_size_down
        total = up + down
        mode, gamma = self.mode, self.gamma
        if mode == "triangular2" or (mode == "exp_range" and gamma < 1.0):
            # These tend to the base rate, their value at step 0 (a cycle's start): +inf is
            # evaluated there (its phase would be inf - inf = NaN).
            step = xp.where(step == xp.inf, 0.0, step)
        half_step = 0.5 * step
        cycle = _periods(xp, step, half_step, total)
        # t - k C from halves (no overflow near the float maximum), in [0, C]: past 2**53 steps
        # (2**24 in float32) it may round outside, and XLA may fuse the product into the
        # subtraction (an FMA) where the rounded product is just above the step
        r = xp.clip(2.0 * (half_step - cycle * (0.5 * total)), min=0.0, max=total)
        scale = xp.where(r <= up, r / up, (total - r) / down)
        height = amplitude * scale
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
        first = max(_EXP_SAFE - max(math.log(amplitude), 0.0), 0.0)  # |height| e^first is finite
        grown = (height * xp.exp(xp.clip(exponent, max=first))) * xp.exp(
            xp.clip(exponent - first, min=0.0, max=_EXP_SAFE)
        )
        return xp.where(height == 0.0, 0.0, grown)  # exp may overflow where computed in float32
