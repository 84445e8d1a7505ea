"""Independent references: each schedule's published definition, evaluated exactly with mpmath.

The one home of the tests' (and ``benchmarks/accuracy.py``'s) expected values, written from the
published definitions, never by calling lrschedule: Keras 3's documented formulas and the SGDR paper
(the Keras family), optax's extensions and the composites, torch.optim.lr_scheduler's documented
closed forms (``StepLR``, ``MultiStepLR``, ``OneCycleLR``, ``CyclicLR``) and transformers'
``optimization.py`` (each ``lr_lambda`` times the optimizer's learning rate). Steps are Python ints
(>= 0 unless said); hyperparameters are converted to mpmath exactly. Every reference computes at
:data:`DIGITS` decimal digits, mpmath's working precision, set when this module is imported.

``CASES`` (the Keras and optax families, the composites) and ``EXTRA_CASES`` (the torch and
transformers families) pair a schedule with its reference, and with the steps where it changes
shape (``edges``) or repeats (``periods``: ``(period, offset)`` pairs), for the benchmark's grid.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
from mpmath import mpf

import lrschedule

DIGITS = 60  # mpmath's working precision (decimal digits) for every reference
mpmath.mp.dps = DIGITS

Reference = Callable[[int], mpf]

DECIMAL = mpf(2) ** -46
"""lrschedule's documented rule for a length that is no multiple of 2**-10 (0.1, 1.1; not 2.5): a
step within this fraction of itself, and 2**-12 steps, short of a whole multiple reaches it, and
one just past it is at it."""


def _window(t: float | mpf, T: float) -> mpf:
    if (float(T) * 1024).is_integer():  # multiples of 2**-10: exact
        return mpf(0)
    return min(mpf(t) * DECIMAL, mpf(2) ** -12)


def floor_periods(t: float | mpf, T: float) -> mpf:
    """:math:`\\lfloor t / T \\rfloor` by the rule of :data:`DECIMAL`."""
    return mpmath.floor((mpf(t) + _window(t, T)) / mpf(T))


def ceil_periods(t: float | mpf, T: float) -> mpf:
    """:math:`\\lceil t / T \\rceil` by the rule of :data:`DECIMAL`."""
    return mpmath.ceil((mpf(t) - _window(t, T)) / mpf(T))


def exponential(lr0: float, T: float, rate: float, staircase: bool = False) -> Reference:
    def f(t: int) -> mpf:
        p = floor_periods(t, T) if staircase else mpf(t) / mpf(T)
        return mpf(lr0) * mpf(rate) ** p

    return f


def inverse_time(lr0: float, T: float, rate: float, staircase: bool = False) -> Reference:
    def f(t: int) -> mpf:
        p = floor_periods(t, T) if staircase else mpf(t) / mpf(T)
        return mpf(lr0) / (1 + mpf(rate) * p)

    return f


def polynomial(
    lr0: float, T: float, end: float = 0.0001, power: float = 1.0, cycle: bool = False
) -> Reference:
    def f(t: int) -> mpf:
        if cycle:
            multiplier = 1 if t == 0 else ceil_periods(t, T)
            p = min(mpf(t) / (mpf(T) * multiplier), 1)  # a step just past a multiple: at it
        else:
            p = min(mpf(t), mpf(T)) / mpf(T)
        return (mpf(lr0) - mpf(end)) * (1 - p) ** mpf(power) + mpf(end)

    return f


def piecewise(boundaries: Sequence[float], values: Sequence[float]) -> Reference:
    def f(t: int) -> mpf:
        for boundary, value in zip(boundaries, values[:-1], strict=True):
            if t <= boundary:
                return mpf(value)
        return mpf(values[-1])

    return f


def _half_cosine(fraction: mpf) -> mpf:
    return (1 + mpmath.cos(mpmath.pi * fraction)) / 2


def cosine(
    lr0: float,
    T: float,
    alpha: float = 0.0,
    warmup_target: float | None = None,
    warmup_steps: float = 0,
) -> Reference:
    def decay(t: mpf, peak: mpf) -> mpf:
        t = min(t, mpf(T))
        return peak * ((1 - mpf(alpha)) * _half_cosine(t / mpf(T)) + mpf(alpha))

    def f(t: int) -> mpf:
        if warmup_target is None:
            return decay(mpf(t), mpf(lr0))
        W = mpf(warmup_steps)
        if t < W:
            return mpf(lr0) + (mpf(warmup_target) - mpf(lr0)) * mpf(t) / W
        return decay(mpf(t) - W, mpf(warmup_target))

    return f


def sgdr(
    lr0: float, T0: float, t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0
) -> Reference:
    """SGDR (Loshchilov & Hutter): the periods T0, T0*t_mul, ... exactly, found by bisection.

    Where ``T0`` or ``t_mul`` is not whole, a step within ``min(2**-36 / (t_mul - 1), 2**-24)``
    period lengths, and ``2**-12`` steps, before a period's start counts as its start, at offset 0
    (lrschedule's documented rule: so that ``T0=100, t_mul=1.2`` restarts at steps 220 and 364, as
    its decimal values say); with ``t_mul=1``, :func:`floor_periods`' rule."""
    whole = float(T0).is_integer() and float(t_mul).is_integer()
    snap = 0 if whole or t_mul == 1.0 else min(mpf(2) ** -36 / (mpf(t_mul) - 1), mpf(2) ** -24)
    starts, lengths, keys = [mpf(0)], [mpf(T0)], [mpf(0)]

    def f(t: int) -> mpf:
        step = mpf(t)
        if t_mul == 1.0:
            i = floor_periods(step, T0)
            start, length = i * mpf(T0), mpf(T0)
        else:
            while keys[-1] <= step:  # the table of periods, grown as far as asked
                starts.append(starts[-1] + lengths[-1])
                lengths.append(lengths[-1] * mpf(t_mul))
                keys.append(starts[-1] - min(snap * lengths[-1], mpf(2) ** -12))
            i = bisect.bisect_right(keys, step) - 1
            start, length = starts[i], lengths[i]
        fraction = max(step - start, 0) / length  # a step counted as the start: 0
        decayed = mpf(m_mul) ** i * _half_cosine(fraction)
        return mpf(lr0) * ((1 - mpf(alpha)) * decayed + mpf(alpha))

    return f


@dataclass(frozen=True)
class Case:
    id: str
    schedule: lrschedule.LearningRateSchedule
    reference: Reference
    edges: tuple[float, ...] = ()  # steps where a phase or period begins or ends
    periods: tuple[tuple[float, float], ...] = ()  # (period, offset): edges that repeat

    def __repr__(self) -> str:
        return self.id


def _case(
    id: str,
    schedule: Any,
    reference: Reference,
    edges: Sequence[float] = (),
    periods: Sequence[tuple[float, float]] = (),
) -> Case:
    return Case(id, schedule, reference, tuple(edges), tuple(periods))


def geometric_edges(first: float, factor: float, shift: float = 0.0) -> tuple[float, ...]:
    """Period boundaries ``shift + first * (1 + factor + ... + factor**k)`` up to 2**31."""
    edges, start, length = [], 0.0, first
    while start <= 2**31 - 1:
        edges.append(shift + start)
        start += length
        length *= factor
    return tuple(edges)


L = lrschedule
CASES: list[Case] = [
    _case("exp", L.ExponentialDecay(0.1, 1000, 0.96), exponential(0.1, 1000, 0.96)),
    _case(
        "exp-stair",
        L.ExponentialDecay(0.1, 1000, 0.5, staircase=True),
        exponential(0.1, 1000, 0.5, True),
    ),
    _case("exp-float-T", L.ExponentialDecay(2.5, 7.5, 0.9), exponential(2.5, 7.5, 0.9)),
    _case("inv", L.InverseTimeDecay(0.1, 10, 0.5), inverse_time(0.1, 10, 0.5)),
    _case(
        "inv-stair",
        L.InverseTimeDecay(0.1, 100, 2.0, staircase=True),
        inverse_time(0.1, 100, 2.0, True),
    ),
    _case("poly", L.PolynomialDecay(0.1, 1000), polynomial(0.1, 1000)),
    _case(
        "poly-pow",
        L.PolynomialDecay(0.1, 1000, 0.001, power=2.5),
        polynomial(0.1, 1000, 0.001, 2.5),
    ),
    _case(
        "poly-cycle",
        L.PolynomialDecay(0.1, 100, 0.01, power=0.5, cycle=True),
        polynomial(0.1, 100, 0.01, 0.5, True),
    ),
    _case(
        "piecewise",
        L.PiecewiseConstantDecay([10, 100, 1000], [1.0, 0.5, 0.1, 0.01]),
        piecewise([10, 100, 1000], [1.0, 0.5, 0.1, 0.01]),
    ),
    _case("piecewise-none", L.PiecewiseConstantDecay([], [0.3]), piecewise([], [0.3])),
    _case("cos", L.CosineDecay(0.1, 1000), cosine(0.1, 1000)),
    _case("cos-alpha", L.CosineDecay(0.1, 1000, alpha=0.1), cosine(0.1, 1000, 0.1)),
    _case(
        "cos-warmup",
        L.CosineDecay(0.0, 1000, warmup_target=0.1, warmup_steps=100),
        cosine(0.0, 1000, 0.0, 0.1, 100),
    ),
    _case(
        "cos-warmup-alpha",
        L.CosineDecay(0.01, 10_000, alpha=0.05, warmup_target=1.0, warmup_steps=999),
        cosine(0.01, 10_000, 0.05, 1.0, 999),
    ),
    _case("sgdr", L.CosineDecayRestarts(1.0, 10), sgdr(1.0, 10)),
    _case(
        "sgdr-t1-m",
        L.CosineDecayRestarts(0.1, 100, t_mul=1.0, m_mul=0.9),
        sgdr(0.1, 100, 1.0, 0.9),
    ),
    _case("sgdr-t1-49", L.CosineDecayRestarts(1.0, 49, t_mul=1.0), sgdr(1.0, 49, 1.0)),
    _case(
        "sgdr-t1.5-alpha",
        L.CosineDecayRestarts(0.1, 64, t_mul=1.5, m_mul=0.5, alpha=0.01),
        sgdr(0.1, 64, 1.5, 0.5, 0.01),
    ),
]

STEPS = [
    0,
    1,
    2,
    48,
    49,
    98,
    147,
    4900,
    5,
    9,
    10,
    11,
    99,
    100,
    101,
    500,
    999,
    1000,
    1001,
    1099,
    1100,
    5000,
    10_999,
    123_456,
    327_669,
    327_670,
    327_671,
    2**20 - 1,
]
LARGE_STEPS = [2**24 + 1, 10**9 + 7, 2**31 - 1]


# -- optax-style extensions and composites (issue: beyond Keras) -----------------------------------


def shifted(reference: Reference, begin: int) -> Reference:
    """A reference that holds its step-0 value for ``begin`` steps (optax's transition_begin)."""
    return lambda t: reference(max(t - begin, 0))


def bounded(reference: Reference, end: float, rate: float) -> Reference:
    """optax's end_value: a floor when decaying, a ceiling when growing."""
    bound = mpf(end)
    return lambda t: max(reference(t), bound) if rate < 1 else min(reference(t), bound)


def cosine_power(lr0: float, T: float, alpha: float, exponent: float) -> Reference:
    def f(t: int) -> mpf:
        half = _half_cosine(min(mpf(t), mpf(T)) / mpf(T))
        return mpf(lr0) * ((1 - mpf(alpha)) * half ** mpf(exponent) + mpf(alpha))

    return f


def constant(value: float) -> Reference:
    return lambda t: mpf(value)


def linear(start: float, end: float, steps: float, begin: float = 0) -> Reference:
    def f(t: int) -> mpf:
        if steps == 0:
            return mpf(start)
        done = min(max(mpf(t) - mpf(begin), 0), mpf(steps)) / mpf(steps)
        return mpf(start) + (mpf(end) - mpf(start)) * done

    return f


def interpolate(boundaries: Sequence[float], values: Sequence[float], kind: str) -> Reference:
    def f(t: int) -> mpf:
        if t <= boundaries[0]:
            return mpf(values[0])
        for i in range(len(boundaries) - 1):
            if boundaries[i] <= t < boundaries[i + 1]:
                p = (mpf(t) - boundaries[i]) / (mpf(boundaries[i + 1]) - boundaries[i])
                a, b = mpf(values[i]), mpf(values[i + 1])
                if kind == "linear":
                    return a + (b - a) * p
                return b + (a - b) / 2 * (1 + mpmath.cos(mpmath.pi * p))
        return mpf(values[-1])

    return f


def warmup(reference: Reference, steps: int, start: float = 0.0) -> Reference:
    def f(t: int) -> mpf:
        if t < steps:
            return mpf(start) + (reference(0) - mpf(start)) * mpf(t) / steps
        return reference(t - steps)

    return f


def sequential(references: Sequence[Reference], boundaries: Sequence[int]) -> Reference:
    def f(t: int) -> mpf:
        begin = 0
        for reference, boundary in zip(references, boundaries, strict=False):
            if t < boundary:
                return reference(t - begin)
            begin = boundary
        return references[-1](t - begin)

    return f


def product(*references: Reference, scale: float = 1.0) -> Reference:
    def f(t: int) -> mpf:
        result = mpf(scale)
        for reference in references:
            result *= reference(t)
        return result

    return f


CASES += [
    _case(
        "exp-begin-floor",
        L.ExponentialDecay(0.1, 100, 0.5, transition_begin=250, end_learning_rate=0.01),
        bounded(shifted(exponential(0.1, 100, 0.5), 250), 0.01, 0.5),
    ),
    _case(
        "exp-growth-ceiling",
        L.ExponentialDecay(0.01, 10, 1.5, end_learning_rate=0.5),
        bounded(exponential(0.01, 10, 1.5), 0.5, 1.5),
    ),
    _case(
        "poly-begin",
        L.PolynomialDecay(0.1, 500, 0.001, power=2.0, transition_begin=100),
        shifted(polynomial(0.1, 500, 0.001, 2.0), 100),
    ),
    _case(
        "cos-exponent",
        L.CosineDecay(0.1, 1000, alpha=0.1, exponent=2.0),
        cosine_power(0.1, 1000, 0.1, 2.0),
    ),
    _case("constant", L.Constant(0.25), constant(0.25)),
    _case("linear", L.Linear(0.1, 0.001, 1000), linear(0.1, 0.001, 1000)),
    _case("linear-begin", L.Linear(0.0, 1.0, 300, 50), linear(0.0, 1.0, 300, 50)),
    _case("linear-zero", L.Linear(0.3, 1.0, 0), linear(0.3, 1.0, 0)),
    _case(
        "interp-linear",
        L.PiecewiseInterpolate([10, 100, 1000], [0.0, 1.0, 0.01]),
        interpolate([10, 100, 1000], [0.0, 1.0, 0.01], "linear"),
    ),
    _case(
        "interp-cosine",
        L.PiecewiseInterpolate([0, 500, 1001], [0.1, 0.2, 0.02], "cosine"),
        interpolate([0, 500, 1001], [0.1, 0.2, 0.02], "cosine"),
    ),
    _case(
        "warmup-cos",
        L.Warmup(L.CosineDecay(1.0, 900, alpha=0.05), 100, 0.1),
        warmup(cosine(1.0, 900, 0.05), 100, 0.1),
    ),
    _case(
        "warmup-sgdr",
        L.Warmup(L.CosineDecayRestarts(0.5, 64), 1000),
        warmup(sgdr(0.5, 64), 1000),
    ),
    _case(
        "sequential",
        L.Sequential(
            [L.Linear(0.0, 1.0, 100), L.CosineDecay(1.0, 400), L.Constant(0.01)], [100, 500]
        ),
        sequential([linear(0.0, 1.0, 100), cosine(1.0, 400), constant(0.01)], [100, 500]),
    ),
    _case(
        "product",
        L.ExponentialDecay(1.0, 1000, 0.5, staircase=True) * L.CosineDecayRestarts(1.0, 100) * 0.1,
        product(exponential(1.0, 1000, 0.5, True), sgdr(1.0, 100), scale=0.1),
    ),
]


# -- the torch family (torch.optim.lr_scheduler's documented closed forms) -------------------------


def step_decay(lr: float, step_size: float, gamma: float) -> Reference:
    """StepLR: ``lr * gamma ** floor(t / step_size)``."""
    return lambda t: mpf(lr) * mpf(gamma) ** floor_periods(t, step_size)


def multi_step_decay(lr: float, milestones: Sequence[float], gamma: float) -> Reference:
    """MultiStepLR: ``lr * gamma ** bisect_right(sorted(milestones), t)`` (a repeated milestone
    counts as often as it appears)."""
    ordered = sorted(milestones)
    return lambda t: mpf(lr) * mpf(gamma) ** bisect.bisect_right(ordered, t)


def one_cycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Reference:
    """OneCycleLR's phases (torch's ``_schedule_phases``: the phase ends are
    ``float(pct_start * total_steps) - 1`` and so on), held at step ``N - 1`` after it
    (lrschedule's documented convention, where torch extrapolates at ``N`` and raises past it)."""
    initial = mpf(max_lr) / mpf(div_factor)
    peak, final = mpf(max_lr), initial / mpf(final_div_factor)
    N = mpf(total_steps)
    first = mpf(float(pct_start * total_steps)) - 1
    if three_phase:
        second = mpf(float(2 * pct_start * total_steps)) - 2
        phases = [(first, initial, peak), (second, peak, initial), (N - 1, initial, final)]
    else:
        phases = [(first, initial, peak), (N - 1, peak, final)]

    def f(t: int) -> mpf:
        step, start = min(mpf(t), N - 1), mpf(0)
        for i, (end, a, b) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                x = (step - start) / (end - start)
                if anneal_strategy == "cos":
                    return b + (a - b) / 2 * (1 + mpmath.cos(mpmath.pi * x))
                return a + (b - a) * x
            start = end
        raise AssertionError("unreachable")

    return f


def cyclic(
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Reference:
    """CyclicLR.get_lr: ``cycle = floor(1 + t / total)``, ``x = 1 + t / total - cycle``, the
    triangle's height scaled by ``1 / 2 ** (cycle - 1)`` (triangular2) or ``gamma ** t``
    (exp_range)."""
    up = mpf(step_size_up)
    total = up + (up if step_size_down is None else mpf(step_size_down))
    ratio = up / total

    def f(t: int) -> mpf:
        cycle = mpmath.floor(1 + mpf(t) / total)
        x = 1 + mpf(t) / total - cycle
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        height = (mpf(max_lr) - mpf(base_lr)) * scale
        if mode == "triangular2":
            height /= mpf(2) ** (cycle - 1)
        elif mode == "exp_range":
            height *= mpf(gamma) ** t
        return mpf(base_lr) + height

    return f


# -- the transformers family (transformers/optimization.py) -----------------------------------------


def _hf_warmup(t: int, W: float) -> mpf:
    """transformers' linear warmup factor: ``t / max(1, W)``."""
    return mpf(t) / max(1, mpf(W))


def inverse_sqrt(lr: float, W: float, timescale: float | None = None) -> Reference:
    """get_inverse_sqrt_schedule: ``timescale`` defaults to ``W or 10_000``."""
    tau = mpf(timescale if timescale is not None else (W or 10_000))

    def f(t: int) -> mpf:
        if t < W:
            return mpf(lr) * _hf_warmup(t, W)
        return mpf(lr) / mpmath.sqrt((mpf(t) + tau - mpf(W)) / tau)

    return f


def wsd(
    lr: float,
    W: float,
    S: float,
    D: float,
    m: float = 0.0,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    c: float = 0.5,
    continue_decay: bool = False,
) -> Reference:
    """get_wsd_schedule (warmup ``W``, stable ``S``, decay ``D`` steps, ``min_lr_ratio`` ``m``,
    ``num_cycles`` ``c``), plus lrschedule's documented extensions: the cosine-with-restarts decay
    (transformers' ``get_cosine_with_hard_restarts_schedule_with_warmup`` shape) and
    ``continue_decay`` (the decay formula past ``W + S + D`` instead of the floor)."""
    m_ = mpf(m)

    def f(t: int) -> mpf:
        if t < W:
            p = _hf_warmup(t, W)
            if warmup_type == "cosine":
                p = (1 - mpmath.cos(mpmath.pi * p)) / 2
            elif warmup_type == "1-sqrt":
                p = 1 - mpmath.sqrt(1 - p)
            return mpf(lr) * max(0, m_ + (1 - m_) * p)
        if t < W + S:
            return mpf(lr)
        if t >= W + S + D and not continue_decay:
            return mpf(lr) * m_
        p = (mpf(t) - mpf(W) - mpf(S)) / max(1, mpf(D))
        if decay_type == "linear":
            d = 1 - p
        elif decay_type == "cosine":
            d = (1 + mpmath.cos(2 * mpmath.pi * mpf(c) * p)) / 2
        elif decay_type == "1-sqrt":
            d = 1 - mpmath.sqrt(p)
        else:  # cosine_with_restarts
            cycles, length = mpf(c) * (mpf(t) - mpf(W) - mpf(S)), max(1, mpf(D))
            into = max(cycles / length - floor_periods(cycles, float(length)), 0)
            d = (1 + mpmath.cos(mpmath.pi * into)) / 2
        return mpf(lr) * max(0, m_ + (1 - m_) * d)

    return f


def hf_constant_with_warmup(lr: float, W: float) -> Reference:
    """get_constant_schedule_with_warmup."""
    return lambda t: mpf(lr) * _hf_warmup(t, W) if t < W else mpf(lr)


def hf_linear(lr: float, W: float, T: float) -> Reference:
    """get_linear_schedule_with_warmup."""

    def f(t: int) -> mpf:
        if t < W:
            return mpf(lr) * _hf_warmup(t, W)
        return mpf(lr) * max(0, (mpf(T) - t) / max(1, mpf(T) - mpf(W)))

    return f


def hf_cosine(lr: float, W: float, T: float, c: float = 0.5, m: float = 0.0) -> Reference:
    """get_cosine_schedule_with_warmup (``num_cycles`` ``c``), and with ``min_lr_rate`` ``m``
    get_cosine_with_min_lr_schedule_with_warmup."""

    def f(t: int) -> mpf:
        if t < W:
            return mpf(lr) * _hf_warmup(t, W)
        p = (mpf(t) - mpf(W)) / max(1, mpf(T) - mpf(W))
        factor = (1 + mpmath.cos(2 * mpmath.pi * mpf(c) * p)) / 2
        return mpf(lr) * max(0, factor * (1 - mpf(m)) + mpf(m))

    return f


def hf_cosine_with_restarts(lr: float, W: float, T: float, c: float = 1) -> Reference:
    """get_cosine_with_hard_restarts_schedule_with_warmup: 0 from ``T`` on."""

    def f(t: int) -> mpf:
        if t < W:
            return mpf(lr) * _hf_warmup(t, W)
        p = (mpf(t) - mpf(W)) / max(1, mpf(T) - mpf(W))
        if p >= 1:
            return mpf(0)
        return mpf(lr) * max(0, (1 + mpmath.cos(mpmath.pi * mpmath.frac(mpf(c) * p))) / 2)

    return f


def hf_polynomial(
    lr: float, W: float, T: float, lr_end: float = 1e-7, power: float = 1.0
) -> Reference:
    """get_polynomial_decay_schedule_with_warmup: ``lr_end`` from ``T`` on."""

    def f(t: int) -> mpf:
        if t < W:
            return mpf(lr) * _hf_warmup(t, W)
        if t > T:
            return mpf(lr_end)
        remaining = 1 - (mpf(t) - mpf(W)) / (mpf(T) - mpf(W))
        return (mpf(lr) - mpf(lr_end)) * remaining ** mpf(power) + mpf(lr_end)

    return f


# -- where the cases above change shape (for the benchmark's grid) ----------------------------------

_SHAPES: dict[str, tuple[tuple[float, ...], tuple[tuple[float, float], ...]]] = {
    # case id: (edges, (period, offset) pairs)
    "exp": ((1000,), ()),
    "exp-stair": ((), ((1000, 0),)),
    "exp-float-T": ((), ((7.5, 0),)),
    "inv": ((10,), ()),
    "inv-stair": ((), ((100, 0),)),
    "poly": ((1000,), ()),
    "poly-pow": ((1000,), ()),
    "poly-cycle": ((), ((100, 0),)),
    "piecewise": ((10, 100, 1000), ()),
    "cos": ((1000,), ()),
    "cos-alpha": ((1000,), ()),
    "cos-warmup": ((100, 1100), ()),
    "cos-warmup-alpha": ((999, 10_999), ()),
    "sgdr": (geometric_edges(10, 2.0), ()),
    "sgdr-t1-m": ((), ((100, 0),)),
    "sgdr-t1-49": ((), ((49, 0),)),
    "sgdr-t1.5-alpha": (geometric_edges(64, 1.5), ()),
    "exp-begin-floor": ((250, 250 + 100 * math.log2(10)), ()),
    "exp-growth-ceiling": ((10 * math.log(50) / math.log(1.5),), ()),
    "poly-begin": ((100, 600), ()),
    "cos-exponent": ((1000,), ()),
    "linear": ((1000,), ()),
    "linear-begin": ((50, 350), ()),
    "interp-linear": ((10, 100, 1000), ()),
    "interp-cosine": ((500, 1001), ()),
    "warmup-cos": ((100, 1000), ()),
    "warmup-sgdr": (geometric_edges(64, 2.0, 1000), ()),
    "sequential": ((100, 500), ()),
    "product": (geometric_edges(100, 2.0), ((1000, 0),)),
}
CASES = [_case(c.id, c.schedule, c.reference, *_SHAPES.get(c.id, ((), ()))) for c in CASES]

EXTRA_CASES: list[Case] = [
    _case("step", L.StepDecay(0.1, 30), step_decay(0.1, 30, 0.1), (), [(30, 0)]),
    _case("step-float-size", L.StepDecay(1.0, 2.5, 0.5), step_decay(1.0, 2.5, 0.5), (), [(2.5, 0)]),
    _case(
        "multistep",
        L.MultiStepDecay(0.05, [30, 80]),
        multi_step_decay(0.05, [30, 80], 0.1),
        (30, 80),
    ),
    _case("onecycle", L.OneCycle(0.1, 1000), one_cycle(0.1, 1000), (299, 999)),
    _case(
        "onecycle-linear-3",
        L.OneCycle(2.0, 333, pct_start=0.4, anneal_strategy="linear", three_phase=True),
        one_cycle(2.0, 333, 0.4, "linear", three_phase=True),
        (132.2, 264.4, 332),
    ),
    _case("cyclic", L.Cyclic(0.001, 0.006, 20), cyclic(0.001, 0.006, 20), (), [(40, 0), (40, 20)]),
    _case(
        "cyclic-tri2-down",
        L.Cyclic(0.01, 0.1, 10, 25, mode="triangular2"),
        cyclic(0.01, 0.1, 10, 25, "triangular2"),
        (),
        [(35, 0), (35, 10)],
    ),
    _case(
        "cyclic-exp-range",
        L.Cyclic(0.02, 0.2, 8, 20, mode="exp_range", gamma=0.99999),
        cyclic(0.02, 0.2, 8, 20, "exp_range", 0.99999),
        (),
        [(28, 0), (28, 8)],
    ),
    _case("isqrt", L.InverseSqrt(0.01, 4000), inverse_sqrt(0.01, 4000), (4000,)),
    _case(
        "isqrt-timescale",
        L.InverseSqrt(0.1, 100, timescale=7),
        inverse_sqrt(0.1, 100, 7),
        (100,),
    ),
    _case(
        "wsd",
        L.WarmupStableDecay(0.1, 100, 800, 100),
        wsd(0.1, 100, 800, 100),
        (100, 900, 1000),
    ),
    _case(
        "wsd-1-sqrt",
        L.WarmupStableDecay(
            1.0, 50, 0, 1000, min_lr_ratio=0.1, warmup_type="cosine", decay_type="1-sqrt"
        ),
        wsd(1.0, 50, 0, 1000, 0.1, "cosine", "1-sqrt"),
        (50, 1050),
    ),
    _case(
        "wsd-restarts",
        L.WarmupStableDecay(
            0.5, 0, 100, 1000, decay_type="cosine_with_restarts", num_cycles=3, continue_decay=True
        ),
        wsd(0.5, 0, 100, 1000, 0.0, "linear", "cosine_with_restarts", 3, True),
        (100,),
        [(1000 / 3, 100)],
    ),
]


def one_cycle_momentum(
    base_momentum: float,
    max_momentum: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    three_phase: bool = False,
) -> Reference:
    """OneCycleLR's momentum with ``cycle_momentum=True`` (torch's ``_schedule_phases``: the
    ``start_momentum``/``end_momentum`` of each phase), annealed as the learning rate is."""
    low, high = mpf(base_momentum), mpf(max_momentum)
    p, N = mpf(pct_start), mpf(total_steps)
    if three_phase:
        phases = [(p * N - 1, high, low), (2 * p * N - 2, low, high), (N - 1, high, high)]
    else:
        phases = [(p * N - 1, high, low), (N - 1, low, high)]

    @mpmath.workdps(DIGITS)
    def f(t: int) -> mpf:
        step = min(mpf(t), N - 1)
        start_step = mpf(0)
        for i, (end_step, a, b) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                if anneal_strategy == "cos":
                    return b + (a - b) / 2 * (mpmath.cos(mpmath.pi * pct) + 1)
                return (b - a) * pct + a
            start_step = end_step
        raise AssertionError("unreachable")

    return f
