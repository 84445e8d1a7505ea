"""Numerics that several formulas share: each written once, as a function of the namespace ``xp``.

Like the formulas, these are expressions in ``xp`` with Python decisions only on constants, so
they run unchanged on every namespace the array layer gives a formula.
"""

from __future__ import annotations

import math
import sys
from typing import Any

__all__ = [
    "DECIMAL",
    "EXP_SAFE",
    "SNAP",
    "cycles",
    "grow",
    "grow_pow",
    "half_cosine",
    "keep_nan",
    "past",
    "periods",
    "ramp",
    "times",
    "whole_periods",
    "window",
]

LOG_MAX = math.log(sys.float_info.max)
"""The largest exponent whose ``exp`` is a finite float64 (709.78...)."""
EXP_SAFE = 709.0
"""An exponent whose ``exp`` is finite with room to spare."""
_MARGIN = 1e-9
"""How far below the overflow threshold an exponent is still computed (a relative 1e-9 of the
float maximum): closer, the rounding of the factors could overflow them."""


def keep_nan(xp: Any, step: Any, value: float) -> Any:
    """The constant ``value`` at every step, where a NaN step stays NaN."""
    return xp.where(step == step, value, step)


def times(xp: Any, a: Any, b: Any) -> Any:
    """``a * b``, where 0 times a factor that overflowed to inf is 0 (the exact product of 0 and
    a finite number too large for a float), not NaN; a NaN stays NaN. 0 * inf is never computed
    (NumPy would warn)."""
    zero = ((a == 0.0) | (b == 0.0)) & (a == a) & (b == b)
    return xp.where(zero, 0.0, a) * xp.where(zero, 0.0, b)


def half_cosine(xp: Any, remaining: Any, length: Any) -> Any:
    """:math:`\\tfrac12(1 + \\cos(\\pi (1 - r/L)))` for ``remaining`` :math:`r` of ``length``
    :math:`L`, as :math:`\\sin^2(\\tfrac\\pi2\\, r / L)`: exact near the end of the cosine, where
    :math:`1 + \\cos` would lose digits to cancellation, when :math:`r` is counted in steps."""
    s = xp.sin(1.5707963267948966 * (remaining / length))  # pi / 2, a literal: no global read
    return s * s


def ramp(xp: Any, start: Any, end: Any, done: Any, length: Any, rise: Any | None = None) -> Any:
    """From ``start`` to ``end`` over ``length`` steps, ``done`` of them done (``0 <= done <=
    length``): measured from the nearer end, so that both ends are exact, even where XLA turns the
    division into a multiplication by ``1 / length``. ``rise``: ``end - start``, given where
    ``start`` and ``end`` are arrays of constants, so that it is rounded once from the numbers."""
    if rise is None:
        rise = end - start
    from_start = start + rise * (done / length)
    from_end = end - rise * ((length - done) / length)
    return xp.where(done + done < length, from_start, from_end)


DECIMAL = 2.0**-46
"""How close to a whole multiple :math:`k L` of a length whose decimal value is no float (1.1,
0.07, 33.3) a step counts as reaching it, relative to the step, and at most :data:`SNAP` steps.
:math:`k L` moves with the length's rounding (2**-53 of it in float64, about 2**-48 in float-float
pairs): ``33 / 1.1`` is 29.999999999999996. A step that close short of :math:`k L` is taken to be
at it, so that the periods end at the steps the decimal length gives
(``ExponentialDecay(1.0, 1.1, 0.5, staircase=True)`` halves at step 33, as in Keras); past
:math:`2^{34}` steps the window stops growing, and past about :math:`2^{41}` the rounding is wider
than it."""

SNAP = 2.0**-12
"""The widest window before a period's start or a multiple, in steps: decimal starts are at
least a few thousandths of a step from a whole step, unless they are one."""


def window(length: float) -> bool:
    """Whether ``length``'s whole multiples move with its rounding: a length that is not a whole
    multiple of 2**-10 (1.1, 0.3), whose decimal value is no float; whole numbers and 2.5 or 0.25
    are exact, and so are their multiples. Plain float arithmetic, which ``torch.compile`` folds."""
    return not (length * 1024.0).is_integer()


def whole_periods(xp: Any, step: Any, length: float) -> Any:
    """:math:`\\lfloor t / L \\rfloor` as :func:`periods` counts it."""
    return periods(xp, step, 0.5 * step, length)


def periods(xp: Any, step: Any, half_step: Any, length: float) -> Any:
    """:math:`\\lfloor t / L \\rfloor` for ``step`` :math:`t` and ``half_step`` :math:`t / 2`:
    exact for the float values of ``step`` and ``length``, but that a step just short of a whole
    multiple of a decimal length that is no float reaches it (:data:`DECIMAL`).

    ``floor(t / L)`` may round either way at a whole multiple (XLA also turns the division into a
    multiplication by 1 / L): one correction each way, compared in halves so that nothing
    overflows near the float maximum; past :math:`2^{53} L` the count is the float nearest to it.
    """
    half = 0.5 * length
    if window(length):
        half_step = half_step + xp.clip(half_step * DECIMAL, max=0.5 * SNAP)
    k = xp.floor(step / length)
    k = xp.where(k * half > half_step, k - 1.0, k)
    return xp.where((k + 1.0) * half <= half_step, k + 1.0, k)


def cycles(xp: Any, step: Any, half_step: Any, length: float) -> Any:
    """:math:`\\lceil t / L \\rceil` for ``step`` :math:`t` and ``half_step`` :math:`t / 2`, as
    :func:`periods` counts: exact, but that a step just past a whole multiple of a decimal length
    that is no float is at it (:data:`DECIMAL`)."""
    half = 0.5 * length
    if window(length):
        half_step = half_step - xp.clip(half_step * DECIMAL, max=0.5 * SNAP)
    k = xp.ceil(step / length)
    k = xp.where((k - 1.0) * half >= half_step, k - 1.0, k)
    return xp.where(k * half < half_step, k + 1.0, k)


def grow(xp: Any, rate: float, exponent: Any) -> Any:
    """:math:`\\eta\\, e^{x}` for a rate :math:`\\eta` and a growing exponent :math:`x \\ge 0`.

    ``rate * exp(x)`` to the last bit up to :math:`x = -\\log|\\eta|` (for any :math:`x` when
    :math:`|\\eta| \\ge 1`); beyond, the rate times that much growth (about 1) times the rest, in
    factors that each stay finite, so that the product is right where ``exp(x)`` alone would
    overflow but the rate brings it back into range; :math:`\\pm\\infty` where the product
    overflows. Nothing overflows on the way: no NumPy warning, and a product with a factor at 0
    is not 0 * inf = NaN. A rate of 0 gives 0.
    """
    if rate == 0.0:
        return keep_nan(xp, exponent, rate)
    cap = LOG_MAX - math.log(abs(rate))  # |rate| e^x overflows beyond
    first = min(max(-math.log(abs(rate)), 0.0), EXP_SAFE)  # |rate| e^first is about 1
    widths = _chunks(first, cap - _MARGIN, LOG_MAX - _MARGIN)
    value = rate * xp.exp(xp.clip(exponent, max=widths[0]))
    start = widths[0]
    for width in widths[1:]:
        value = value * xp.exp(xp.clip(exponent - start, min=0.0, max=width))
        start += width
    return xp.where(exponent > cap, math.copysign(math.inf, rate), value)


def grow_pow(xp: Any, rate: float, base: float, count: Any) -> Any:
    """:math:`\\eta\\, r^k` for a rate :math:`\\eta`, a base :math:`r > 1` and whole
    :math:`k \\ge 0`, as :func:`grow` does for ``exp``: ``rate * pow(base, k)`` to the last bit
    while :math:`|\\eta| r^k \\le r` (for any :math:`k` when :math:`|\\eta| \\ge 1`), in factors
    that each stay finite beyond, :math:`\\pm\\infty` without overflow where the product
    overflows. A rate of 0 gives 0."""
    if rate == 0.0:
        return keep_nan(xp, count, rate)
    log_base = math.log(base)
    cap = (LOG_MAX - math.log(abs(rate))) / log_base  # |rate| base^k overflows beyond
    finite = max(math.floor(LOG_MAX / log_base - _MARGIN), 1)  # base ** finite is finite
    first = min(max(math.ceil(-math.log(abs(rate)) / log_base), 0), finite)  # |rate| base^first ~ 1
    widths = _chunks(float(first), float(math.floor(cap - _MARGIN)), float(finite))
    value = rate * xp.pow(base, xp.clip(count, max=widths[0]))
    start = widths[0]
    for width in widths[1:]:
        value = value * xp.pow(base, xp.clip(count - start, min=0.0, max=width))
        start += width
    return xp.where(count > cap, math.copysign(math.inf, rate), value)


def _chunks(first: float, total: float, most: float) -> list[float]:
    """Widths that add up to ``total``: ``first`` (or ``total`` when ``first`` is 0), then
    pieces of at most ``most``."""
    widths = [first if first > 0 else min(total, most)]
    while sum(widths) < total:
        widths.append(min(total - sum(widths), most))
    return widths


def past(step: float) -> float:
    """A quarter past ``step``: where a plot of a schedule whose last change is at ``step`` ends,
    having shown its last level (10000 for a change at step 0)."""
    return 1.25 * step if step > 0 else 10_000.0
