"""Independent references: each schedule's published definition, evaluated exactly with mpmath.

Written from Keras 3's documented formulas and the SGDR paper, never by calling lrschedule. Steps are
Python ints >= 0; hyperparameters are converted to mpmath exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
from mpmath import mpf

import lrschedule

mpmath.mp.dps = 60

Reference = Callable[[int], mpf]


def exponential(lr0: float, T: float, rate: float, staircase: bool = False) -> Reference:
    def f(t: int) -> mpf:
        p = mpf(t) / mpf(T)
        if staircase:
            p = mpmath.floor(p)
        return mpf(lr0) * mpf(rate) ** p

    return f


def inverse_time(lr0: float, T: float, rate: float, staircase: bool = False) -> Reference:
    def f(t: int) -> mpf:
        p = mpf(t) / mpf(T)
        if staircase:
            p = mpmath.floor(p)
        return mpf(lr0) / (1 + mpf(rate) * p)

    return f


def polynomial(
    lr0: float, T: float, end: float = 0.0001, power: float = 1.0, cycle: bool = False
) -> Reference:
    def f(t: int) -> mpf:
        if cycle:
            multiplier = 1 if t == 0 else mpmath.ceil(mpf(t) / mpf(T))
            p = mpf(t) / (mpf(T) * multiplier)
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
    """SGDR (Loshchilov & Hutter): walk the periods T0, T0*t_mul, ... exactly."""

    def f(t: int) -> mpf:
        step = mpf(t)
        if t_mul == 1.0:
            i = mpmath.floor(step / mpf(T0))
            start, length = i * mpf(T0), mpf(T0)
        else:
            i, start, length = 0, mpf(0), mpf(T0)
            while start + length <= step:
                start += length
                length *= mpf(t_mul)
                i += 1
        fraction = (step - start) / length
        decayed = mpf(m_mul) ** i * _half_cosine(fraction)
        return mpf(lr0) * ((1 - mpf(alpha)) * decayed + mpf(alpha))

    return f


@dataclass(frozen=True)
class Case:
    id: str
    schedule: lrschedule.LearningRateSchedule
    reference: Reference

    def __repr__(self) -> str:
        return self.id


def _case(id: str, schedule: Any, reference: Reference) -> Case:
    return Case(id, schedule, reference)


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
