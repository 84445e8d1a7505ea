"""Float-float arithmetic: float64-like accuracy where the device has no float64.

On JAX without x64, on TPUs, on Apple MPS and on array-api-strict's ``Device("no_float64")`` the
compute dtype would be float32, and a schedule's formula loses digits to its own roundings: a
float32 step past 2**24 is not even the step. Here each value is a :class:`Pair` of float32
arrays, ``hi + lo`` with ``hi = fl(hi + lo)`` (about 48 significant bits), and :class:`FloatFloat`
is the namespace a formula then sees: the same ``_evaluate(xp, step)`` runs unchanged, and
:func:`evaluate` rounds once to the result dtype.

Arithmetic uses error-free transformations: TwoSum for sums, Dekker's product with Veltkamp's
split for products (every partial product is exact, so a compiler that contracts a multiply and
an add into an FMA changes nothing), a quotient from a reciprocal with the exact remainder as its
correction. ``exp``, ``log`` and ``sin``/``cos`` reduce their argument exactly in pairs, take
the value at the nearest of a few points from a small table of pairs (a chain of ``where``) and
evaluate a short polynomial whose leading terms are pairs: within about 2**-38 of the exact
value, enough for float32 results correctly rounded nearly always and within 1 ulp always. A
step enters exactly: an integer step is split into a multiple of 2**24 and the rest, each exact
in float32.

Cost: each pair carries a static :class:`Range` (bounds, NaN, whole numbers), so the guards for
non-finite values and flushed subnormals run only where the range does not exclude them. On
JAX, nothing in a schedule is an operation XLA counts as expensive (division, ``log``, ``exp``,
``sqrt``: their seeds come from the float32 bits), so XLA fuses the whole formula into one
kernel, and the result passes one division that keeps it out of its consumers' kernels
(:func:`_once`). Under ``jax.jit`` 10**7 steps take 1.8 to 2.6 times the plain float32
formula, and an optimizer's compiled step about what the plain formula takes
(docs/performance.md).

Non-finite values: an operation whose pair result would not be finite (inf, NaN, an overflow
inside a split) keeps the plain float32 result with ``lo = 0``, so ``inf`` and ``NaN`` behave
as in float32 arithmetic.

On by default: :class:`set_raw_float32` ``(True)`` turns pairs off, for plain float32 speed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from lrschedule import _array
from lrschedule._array import SEARCH_FROM, Select, piecewise_constant

__all__ = ["FloatFloat", "Pair", "evaluate", "raw_float32", "set_raw_float32"]

_raw = False


def raw_float32() -> bool:
    """Whether float32 devices run formulas in plain float32 (see :class:`set_raw_float32`)."""
    return _raw


class set_raw_float32:  # noqa: N801 - a function to the user, as torch.set_grad_enabled
    """Run schedules in plain float32 where the device has no float64 (``True``), or in
    float-float pairs (``False``, the default).

    Where the compute dtype is float32 for lack of float64 (JAX without x64, TPUs, Apple MPS),
    lrschedule computes every formula in pairs of float32 numbers, so that float32 results are
    correctly rounded at any step count (within 1 ulp always), where plain float32 drifts by up to
    thousands of ulp at large step counts. Pairs cost 1.8 to 2.6 times the plain formula over
    10**7 steps under ``jax.jit``, and about as much as it in a compiled training step (where the
    rate is computed once per step); ``True`` opts out. The mode is read when a call is traced
    or run: a function already compiled by ``jax.jit`` keeps what it was traced with.

    Call it to set the mode, or use it as a context manager to set it for a block:

    >>> import lrschedule
    >>> with lrschedule.set_raw_float32(True):
    ...     print(lrschedule.raw_float32())
    True
    >>> lrschedule.raw_float32()
    False
    """

    def __init__(self, enabled: bool) -> None:
        global _raw
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool; got {enabled!r}")
        self._previous = _raw
        _raw = enabled

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        global _raw
        _raw = self._previous


def evaluate(formula: Callable[[Any, Any], Any], xp: Any, step: Any, result: Any) -> Any:
    """``formula`` at the array ``step`` of namespace ``xp`` in float-float pairs, rounded once to
    the ``result`` dtype (below zero the step counts as 0, NaN stays NaN)."""
    ff = _namespace(xp)
    if ff._jax:
        import jax

        if not isinstance(step, jax.core.Tracer):  # eager: one compiled call, not hundreds
            compiled = _compiled(ff, formula, result)
            if compiled is not None:
                return compiled(step)
    return _evaluate(ff, formula, step, result)


def _evaluate(ff: FloatFloat, formula: Callable[[Any, Any], Any], step: Any, result: Any) -> Any:
    # NumPy-backed arrays (array-api-strict) would warn where a pair's error term meets inf or
    # 0/0, which the pair arithmetic then discards: the values are IEEE's either way
    with np.errstate(all="ignore"):
        value = ff.to_result(formula(ff, ff.from_step(step)), result)
        if ff._jax and step.ndim == 0:
            value = _once(ff.xp, value, step)
    return value


_COMPILED_MOST = 256
_compiled_formulas: dict[tuple[Any, str], Callable[[Any], Any]] = {}


def _compiled(ff: FloatFloat, formula: Callable[[Any, Any], Any], result: Any) -> Any:
    """``formula`` in pairs under ``jax.jit``, for eager JAX steps: a schedule's pairs are
    hundreds of operations, each a dispatch of its own outside ``jax.jit`` (milliseconds a call).
    One per formula (a schedule's bound ``_evaluate``, equal for equal schedules) and result
    dtype, the last :data:`_COMPILED_MOST` kept; ``None`` for a formula that is not hashable."""
    import functools

    import jax

    key = (formula, str(result))
    try:
        found = _compiled_formulas.get(key)
    except TypeError:  # an unhashable schedule: traced on every call
        return None
    if found is None:
        if len(_compiled_formulas) >= _COMPILED_MOST:
            del _compiled_formulas[next(iter(_compiled_formulas))]
        found = jax.jit(functools.partial(_evaluate, ff, formula, result=result))
        _compiled_formulas[key] = found
    return found


def _once(xp: Any, value: Any, step: Any) -> Any:
    """``value`` divided by a 1 that XLA cannot see is 1 (the step times 0, plus 1).

    Pairs are hundreds of cheap operations, which XLA copies into every consumer of a 0-d result:
    in an optimizer's update, once per element of each parameter. XLA never copies a division
    into a consumer that reads its value more than once, so the schedule becomes a computation
    of its own, run once (an ``optimization_barrier`` is gone before fusion).
    """
    zero = xp.astype(step, value.dtype) * 0.0
    if xp.isdtype(step.dtype, "real floating"):
        zero = xp.where(xp.isfinite(zero), zero, 0.0)
    return value / (zero + 1.0)


_namespaces: dict[int, FloatFloat] = {}


def _namespace(xp: Any) -> FloatFloat:
    found = _namespaces.get(id(xp))
    if found is None:
        found = _namespaces[id(xp)] = FloatFloat(xp)
    return found


# -- constants ------------------------------------------------------------------------------------


def _f32(x: float) -> float:
    """``x`` rounded to float32 (to nearest, ties to even), as a Python float."""
    with np.errstate(over="ignore"):
        return float(np.float32(x))


def _split_constant(c: float) -> tuple[float, float]:
    """A Python float as a normalized pair of float32 numbers (Python floats): 48 of its bits."""
    hi = _f32(c)
    if not math.isfinite(hi):
        return hi, 0.0
    lo = _f32(c - hi)
    # renormalize: ``lo`` may have rounded to half an ulp of ``hi``, a tie that ``hi + lo`` breaks
    top = _f32(hi + lo)
    return top, _f32(lo - (top - hi))


def _bits(c: float, keep: int) -> float:
    """``c`` rounded to ``keep`` significant bits: a product with a small integer is then exact."""
    m, e = math.frexp(c)
    return math.ldexp(round(math.ldexp(m, keep)), e - keep)


_SPLITTER = 4097.0  # 2**12 + 1: Veltkamp's split of a 24-bit significand into two of 12 bits
_ONE_BIT = 2.0**23 + 1.0  # Veltkamp's splitter that leaves one significant bit: a power of two
_SAFE = 2.0**100
"""Pairs whose values stay within this magnitude need no guard: no split or product overflows."""
_SMALLEST = 2.0**-100
"""Products at least this large have no subnormal partial product (XLA flushes those to 0)."""


def _parts(c: float, bits: int, count: int) -> tuple[float, ...]:
    """``c`` as ``count`` float32 numbers, all but the last of ``bits`` significant bits (so that
    each is multiplied exactly by a whole number of ``24 - bits`` bits)."""
    parts = []
    for _ in range(count - 1):
        part = _bits(c, bits)
        parts.append(part)
        c -= part
    return (*parts, _f32(c))


def _table(values: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 ``values`` as float32 pairs (hi, lo) and the 12 leading bits of each hi (the
    upper half of Veltkamp's split, for exact products)."""
    pairs = [_split_constant(v) for v in values]
    hi = np.asarray([p[0] for p in pairs], dtype=np.float32)
    lo = np.asarray([p[1] for p in pairs], dtype=np.float32)
    top = np.asarray([_bits(float(h), 12) if h else 0.0 for h in hi], dtype=np.float32)
    return hi, lo, top


# exp: x = (8 k + j) log(2) / 8 + r, |r| <= log(2) / 16; the n = 8 k + j of |x| <= 150 have 11
# bits, so the first two parts of log(2) / 8 (13 bits each) multiply n exactly
_EXP_TABLE = _table([2.0 ** (j / 8) for j in range(8)])
_LN2_8 = _parts(math.log(2.0) / 8, 13, 3)
_LN2 = _parts(math.log(2.0), 16, 3)  # k log 2 exact in the first two parts for |k| < 2**8
# log: m in [3/4, 3/2) is c (1 + u) for c = 1 + j / 8 (j = -2 to 4), |u| <= 1/12
_LOG_TABLE = _table([math.log1p(j / 8) for j in range(-2, 5)])
_INVERSE_TABLE = _table([1.0 / (1.0 + j / 8) for j in range(-2, 5)])
_THIRD = _split_constant(1 / 3)
_INV_LN2_8 = _f32(8 / math.log(2.0))
# sin: x = n pi / 16 + r, |r| <= pi / 32; sin(x) = A cos r + B sin r with A, B the sine and
# cosine of j pi / 16 (j = n mod 8), swapped and negated by the quadrant. pi / 16 in two float64
# parts (float64's pi is 1.2e-16 off, which n = 2**13 would show)
_PI_16 = math.pi / 16, 1.2246467991473532e-16 / 16
_SINES = [math.sin(j * math.pi / 16) for j in range(8)]
_COSINES = [math.cos(j * math.pi / 16) for j in range(8)]
_SIN_TABLE, _COS_TABLE = _table(_SINES), _table(_COSINES)
# sin and cos of n pi / 16 for n = 0 to 8 (the first quadrant, its end exact): no quadrant logic
_QUARTER_TABLE = _table([*_SINES, 1.0]) + _table([*_COSINES, 0.0])
_SIXTH = _split_constant(-1 / 6)
_SIN_BITS = 13
"""Up to |n| < 2**13 (|x| < 1600) the reduction needs no exact products."""


# -- static ranges --------------------------------------------------------------------------------


class Range(NamedTuple):
    """What is known of a pair's values when the formula is traced, from its operands: decides
    which guards an operation needs (none, for the usual bounded finite values)."""

    low: float
    """No value that is not NaN is below."""
    high: float
    """No value is above."""
    nan: bool = True
    """Some value may be NaN."""
    tiny: float = 0.0
    """No value other than 0 is smaller in magnitude."""
    whole: bool = False
    """Every finite value is a whole number."""

    @property
    def safe(self) -> bool:
        """Finite, not NaN, at most :data:`_SAFE` in magnitude: arithmetic needs no guard."""
        return not self.nan and self.low >= -_SAFE and self.high <= _SAFE

    @property
    def magnitude(self) -> float:
        return max(-self.low, self.high)

    @property
    def least(self) -> float:
        """The smallest magnitude of a value."""
        return 0.0 if self.low <= 0.0 <= self.high else min(abs(self.low), abs(self.high))


UNKNOWN = Range(-math.inf, math.inf)


def _constant_range(c: float) -> Range:
    if c != c:
        return UNKNOWN
    return Range(c, c, False, abs(c), math.isfinite(c) and c.is_integer())


def _interval(low: float, high: float, nan: bool, tiny: float, whole: bool) -> Range:
    """A range from bounds that may have come out NaN (inf - inf, 0 * inf): then unknown."""
    if low != low or high != high:
        return Range(-math.inf, math.inf, True, 0.0, whole)
    return Range(low, high, nan, tiny, whole)


def _add_range(a: Range, b: Range) -> Range:
    same_sign = (a.low >= 0.0 and b.low >= 0.0) or (a.high <= 0.0 and b.high <= 0.0)
    whole = a.whole and b.whole
    tiny = 1.0 if whole else min(a.tiny, b.tiny) if same_sign else 0.0
    infinite = math.inf in (a.high, b.high) and -math.inf in (a.low, b.low)
    return _interval(a.low + b.low, a.high + b.high, a.nan or b.nan or infinite, tiny, whole)


def _negative_range(a: Range) -> Range:
    return Range(-a.high, -a.low, a.nan, a.tiny, a.whole)


def _multiply_range(a: Range, b: Range) -> Range:
    ends = [x * y for x in (a.low, a.high) for y in (b.low, b.high)]
    zero_inf = (a.least == 0.0 and b.magnitude == math.inf) or (
        b.least == 0.0 and a.magnitude == math.inf
    )
    nan = a.nan or b.nan or zero_inf or any(e != e for e in ends)
    ends = [e for e in ends if e == e]
    if not ends:
        return UNKNOWN
    return _interval(min(ends), max(ends), nan, a.tiny * b.tiny, a.whole and b.whole)


def _divide_range(a: Range, b: Range) -> Range:
    if b.least == 0.0 or b.nan:
        return UNKNOWN
    inverse = Range(1.0 / b.high, 1.0 / b.low, False, 1.0 / b.magnitude)
    r = _multiply_range(a, inverse)
    return r._replace(whole=False, nan=r.nan or (a.magnitude == b.magnitude == math.inf))


def _hull(a: Range, b: Range) -> Range:
    return Range(
        min(a.low, b.low),
        max(a.high, b.high),
        a.nan or b.nan,
        min(a.tiny, b.tiny),
        a.whole and b.whole,
    )


def _monotone(a: Range, f: Callable[[float], float], tiny: float = 0.0) -> Range:
    """The range of ``f`` (non-decreasing) of ``a``'s values."""
    return _interval(f(a.low), f(a.high), a.nan, tiny, False)


def _whole_range(a: Range, f: Callable[[float], float]) -> Range:
    """The range of whole numbers ``f(x)`` (floor, round) of ``a``'s values."""
    ends = [float(f(v)) if math.isfinite(v) else v for v in (a.low, a.high)]
    return _interval(ends[0], ends[1], a.nan, 1.0, True)


def _sign_like(p: Pair) -> bool:
    """Whether every value of ``p`` is -1, 0 or 1 (a flag): products with it are exact."""
    r = p.range
    return p.lo is None and r.whole and not r.nan and r.low >= -1.0 and r.high <= 1.0


def _safe_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _safe_log(x: float) -> float:
    return -math.inf if x <= 0.0 else math.log(x)


# -- the pair type --------------------------------------------------------------------------------


class Pair:
    """A float-float value: float32 arrays ``hi`` and ``lo`` with ``hi = fl(hi + lo)`` (``lo``
    ``None`` where it is 0 by construction), and the :class:`Range` of its values.

    The operators of an array (arithmetic with pairs, arrays and Python numbers; comparisons,
    which give the namespace's boolean arrays) in pair arithmetic. ``bool(pair)`` raises: a
    formula never reads a value on the host.
    """

    __slots__ = ("ff", "hi", "lo", "range")
    __array_priority__ = 1000  # NumPy defers its operators to ours

    def __init__(self, hi: Any, lo: Any, ff: FloatFloat, range: Range = UNKNOWN) -> None:
        self.hi = hi
        self.lo = lo
        self.ff = ff
        self.range = range

    @property
    def dtype(self) -> Any:
        return self.hi.dtype

    @property
    def shape(self) -> Any:
        return self.hi.shape

    @property
    def ndim(self) -> int:
        return int(self.hi.ndim)

    def __bool__(self) -> bool:
        raise TypeError("a float-float pair has no truth value: formulas use xp.where")

    def __repr__(self) -> str:
        return f"Pair(hi={self.hi!r}, lo={self.lo!r}, {self.range})"

    def __neg__(self) -> Pair:
        lo = None if self.lo is None else -self.lo
        return Pair(-self.hi, lo, self.ff, _negative_range(self.range))

    def __pos__(self) -> Pair:
        return self

    def __abs__(self) -> Pair:
        return self.ff.abs(self)

    def __add__(self, other: Any) -> Pair:
        return self.ff.add(self, other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Pair:
        return self.ff.add(self, self.ff.negative(other))

    def __rsub__(self, other: Any) -> Pair:
        return self.ff.add(-self, other)

    def __mul__(self, other: Any) -> Pair:
        return self.ff.multiply(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Pair:
        return self.ff.divide(self, other)

    def __rtruediv__(self, other: Any) -> Pair:
        return self.ff.divide(other, self)

    def __lt__(self, other: Any) -> Any:
        return self.ff.less(self, other)

    def __le__(self, other: Any) -> Any:
        return self.ff.less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return self.ff.less(other, self)

    def __ge__(self, other: Any) -> Any:
        return self.ff.less_equal(other, self)

    def __eq__(self, other: Any) -> Any:
        return self.ff.equal(self, other)

    def __ne__(self, other: Any) -> Any:
        return ~self.ff.equal(self, other)

    __hash__ = None  # type: ignore[assignment]


# -- the namespace --------------------------------------------------------------------------------


Operand = Pair | float | int | Any


def _sum(*terms: Any) -> Any:
    """The float32 sum of the terms that are not ``None`` (``None`` if all are)."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


def _fast_two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``a + b`` and its rounding error, for ``|a| >= |b|`` (or ``a`` 0)."""
    s = a + b
    return s, b - (s - a)


def _two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``a + b`` and its rounding error, for any order of magnitudes (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: Any) -> tuple[Any, Any]:
    """Veltkamp's split into two halves of 12 bits. If a compiler fuses ``4097 * a`` into
    ``t - a`` (an FMA), ``t - a`` is ``4096 * a`` exactly and the split stays exact."""
    t = a * _SPLITTER
    hi = t - (t - a)
    return hi, a - hi


def _product_error(a: Any, a1: Any, a2: Any, b: Any, b1: Any, b2: Any, p: Any) -> Any:
    """Dekker's error of ``p = fl(a * b)`` from the splits ``a = a1 + a2``, ``b = b1 + b2``:
    every partial product is exact, so no FMA is needed and a contracted one changes nothing."""
    e = (a1 * b1 - p) + a1 * b2 + a2 * b1
    if (isinstance(a2, float) and a2 == 0.0) or (isinstance(b2, float) and b2 == 0.0):
        return e
    return e + a2 * b2


class FloatFloat(Select):
    """The array API functions that formulas use, on :class:`Pair` values of the namespace ``xp``.

    Python numbers mix in as exact pairs of their 48 leading bits; boolean results are ``xp``'s
    own arrays, so ``&``, ``|`` and ``~`` are ``xp``'s.
    """

    pi = math.pi
    e = math.e
    inf = math.inf
    nan = math.nan

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.float32 = xp.float32
        # Derivatives flow through the hi parts only: an error term is a difference of nearly
        # equal numbers, whose derivative is 1 - 1, and an infinite derivative (sqrt at 0)
        # would make it inf - inf = NaN. JAX is the library that differentiates these calls.
        self._stop: Callable[[Any], Any] = _identity
        self._jax = str(getattr(xp, "__name__", "")).startswith("jax")
        if self._jax:
            import jax

            self._stop = jax.lax.stop_gradient
            self._pow2 = _pow2_jax  # type: ignore[method-assign]
            self._reciprocal = _reciprocal_jax  # type: ignore[method-assign]
            self._rsqrt = _rsqrt_jax  # type: ignore[method-assign]
            self._frexp = _frexp_jax  # type: ignore[method-assign]

    # -- conversions ------------------------------------------------------------------------------

    def from_step(self, step: Any) -> Pair:
        """The step as an exact pair (integers below 2**48; float steps as they are), below zero
        replaced by 0, NaN kept."""
        xp = self.xp
        if xp.isdtype(step.dtype, "integral"):
            info = xp.iinfo(step.dtype)
            if info.min < 0:
                step = xp.clip(step, min=0)  # in the integer dtype: no wrap-around
            r = Range(0.0, float(info.max), False, 1.0, True)
            if info.max < 2**24:
                return Pair(xp.astype(step, self.float32), None, self, r)
            # a multiple of 2**24 and the rest: each exact in float32 (below 2**48)
            low = step % (2**24)
            hi, lo = _fast_two_sum(
                xp.astype(step - low, self.float32), xp.astype(low, self.float32)
            )
            return Pair(hi, lo, self, r)
        hi = xp.clip(xp.astype(step, self.float32), min=0.0)
        return Pair(hi, None, self, Range(0.0, math.inf))

    def to_result(self, value: Any, result: Any) -> Any:
        """``value`` rounded once to the ``result`` dtype."""
        xp = self.xp
        if not isinstance(value, Pair):
            return xp.astype(value, result)
        if result == self.float32:
            return value.hi  # hi = fl(hi + lo): already the rounded value
        lo = xp.zeros_like(value.hi) if value.lo is None else value.lo
        return _to_half(xp, value.hi, lo, result, self.float32)

    def lift(self, x: Operand) -> Pair:
        """A pair of any operand: a pair, or an array (cast to float32)."""
        if isinstance(x, Pair):
            return x
        if isinstance(x, (int, float)):
            raise TypeError("internal: a constant is lifted with its array")  # pragma: no cover
        xp = self.xp
        r = UNKNOWN
        if x.dtype == xp.bool:
            r = Range(0.0, 1.0, False, 1.0, True)
        elif xp.isdtype(x.dtype, "integral"):
            info = xp.iinfo(x.dtype)
            r = Range(float(info.min), float(info.max), False, 1.0, True)
        hi = x if x.dtype == self.float32 else xp.astype(x, self.float32)
        return Pair(hi, None, self, r)

    def _parts(self, x: Operand) -> tuple[Any, Any, Range, bool]:
        """``(hi, lo, range, constant)``: a Python number as two Python floats (``lo`` ``None``
        when 0), a pair's arrays."""
        if isinstance(x, (int, float)):
            hi, lo = _split_constant(float(x))
            return hi, (lo or None), _constant_range(float(x)), True
        p = self.lift(x)
        return p.hi, p.lo, p.range, False

    def _finish(self, plain: Any, s: Any, e: Any, r: Range, guard: bool) -> Pair:
        """The pair ``s + e`` normalized (``|e|`` below about ``|s|``); with ``guard``, where it
        is not finite (inf, NaN, an overflow inside a split) the plain float32 result and 0."""
        hi, lo = _fast_two_sum(s, self._stop(e))
        lo = self._stop(lo)
        if guard:
            xp = self.xp
            ok = xp.isfinite(lo)
            hi, lo = xp.where(ok, hi, plain), xp.where(ok, lo, 0.0)
        return Pair(hi, lo, self, r)

    def _two_prod_constant(self, a: Any, c: float) -> tuple[Any, Any]:
        """``a * c`` and its rounding error for a float32 constant ``c``."""
        p = a * c
        a1, a2 = _split(a)
        c1 = _bits(c, 12)
        return p, _product_error(a, a1, a2, c, c1, c - c1, p)

    def _lookup(self, columns: tuple[np.ndarray, ...], j: Any) -> list[Any]:
        """``column[j]`` of each column of a small table, for a float32 array of whole ``j``
        from 0 (a chain of ``where``: unlike a gather, XLA keeps it in SIMD code)."""
        xp = self.xp
        values = [xp.full_like(j, float(column[0])) for column in columns]
        for i in range(1, len(columns[0])):
            later = j >= float(i)
            values = [
                xp.where(later, float(column[i]), v)
                for column, v in zip(columns, values, strict=True)
            ]
        return values

    def _nan_to_zero(self, j: Any, r: Range) -> Any:
        return self.xp.where(j == j, j, 0.0) if r.nan else j

    # -- arithmetic -------------------------------------------------------------------------------

    def add(self, a: Operand, b: Operand) -> Pair:
        if not isinstance(a, Pair):
            a, b = b, a
        ah, al, ra, _ = self._parts(a)
        bh, bl, rb, _ = self._parts(b)
        r = _add_range(ra, rb)
        if al is None and bl is None and r.whole and r.magnitude <= 2.0**24 and not r.nan:
            return Pair(ah + bh, None, self, r)  # whole numbers below 2**24: exact
        if rb.magnitude <= ra.least:
            s, e = _fast_two_sum(ah, bh)
        elif ra.magnitude <= rb.least and not isinstance(bh, float):
            s, e = _fast_two_sum(bh, ah)
        else:
            s, e = _two_sum(ah, bh)
        return self._finish(s, s, _sum(e, al, bl), r, not (ra.safe and rb.safe and r.safe))

    def negative(self, x: Operand) -> Any:
        if isinstance(x, (int, float)):
            return -x
        return -self.lift(x)

    def multiply(self, a: Operand, b: Operand) -> Pair:
        if not isinstance(a, Pair):
            a, b = b, a
        assert isinstance(a, Pair)
        xp = self.xp
        if isinstance(b, (int, float)):
            c = float(b)
            rb = _constant_range(c)
            r = _multiply_range(a.range, rb)
            if c == 0.0 or not math.isfinite(c):
                return Pair(a.hi * c, None, self, r)
            if abs(math.frexp(c)[0]) == 0.5:  # a power of two: an exact scaling
                return Pair(a.hi * c, None if a.lo is None else a.lo * c, self, r)
            ch, cl = _split_constant(c)
            c1 = _bits(ch, 12)
            p = a.hi * ch
            a1, a2 = _split(a.hi)
            e = _product_error(a.hi, a1, a2, ch, c1, ch - c1, p)
            e = _sum(e, a.hi * cl if cl else None, None if a.lo is None else a.lo * ch)
        else:
            b = self.lift(b)
            rb = b.range
            r = _multiply_range(a.range, rb)
            for x, y in ((a, b), (b, a)):
                if _sign_like(y) and not (x.range.nan or x.range.magnitude == math.inf):
                    # a 0/1 flag (or -1): the product is exact
                    return Pair(x.hi * y.hi, None if x.lo is None else x.lo * y.hi, self, r)
            p = a.hi * b.hi
            a1, a2 = _split(a.hi)
            b1, b2 = _split(b.hi)
            e = _product_error(a.hi, a1, a2, b.hi, b1, b2, p)
            e = _sum(
                e,
                None if b.lo is None else a.hi * b.lo,
                None if a.lo is None else a.lo * b.hi,
            )
        if a.range.tiny * rb.tiny < _SMALLEST:
            # below about 2**-100 Dekker's partial products may be subnormal, which XLA flushes
            # to 0: there the float32 product stands alone
            # (an error term above 2**-22 of the product is none)
            e = xp.where(xp.abs(e) <= xp.abs(p) * 2.0**-22, e, 0.0)
        return self._finish(p, p, e, r, not (a.range.safe and rb.safe and r.safe))

    def divide(self, a: Operand, b: Operand) -> Pair:
        """``a / b``: ``q = a (1/b)`` and one correction, the exact remainder ``a - q b`` times
        ``1/b``; exact where the quotient is a float32 number (a whole number of periods comes
        out whole: the remainder is then a few units of ``q``'s last bit, which ``1/b`` within
        2**-23 leaves as they are), else within a few units of 2**-48."""
        ah, al, ra, _ = self._parts(a)
        bh, bl, rb, constant = self._parts(b)
        r = _divide_range(ra, rb)
        guard = not (ra.safe and rb.safe and r.safe)
        inverse = _f32(1.0 / bh) if constant else self._reciprocal(bh)
        q = ah * inverse
        q1, q2 = _split(q)
        if constant:
            b1 = _bits(bh, 12)
            b2: Any = bh - b1
        else:
            b1, b2 = _split(bh)
        p = q * bh
        pe = _sum(_product_error(q, q1, q2, bh, b1, b2, p), None if bl is None else q * bl)
        s, e = _two_sum(ah, -p)  # the remainder a - q b, exactly up to the lo parts
        e = _sum(e, al, None if pe is None else -pe)
        return self._finish(q, q, (s + e) * inverse, r, guard)

    # -- comparisons ------------------------------------------------------------------------------

    def _compare(self, a: Operand, b: Operand, strict: bool) -> Any:
        ah, al, ra, _ = self._parts(a)
        bh, bl, rb, _ = self._parts(b)
        if al is None and bl is None:
            return ah < bh if strict else ah <= bh
        if ra.safe and rb.safe:
            # hi - hi is exact where the two are close, and decides alone where they are not
            d = (ah - bh) + _sum(al, None if bl is None else -bl)
            return d < 0.0 if strict else d <= 0.0
        al = 0.0 if al is None else al
        bl = 0.0 if bl is None else bl
        return (ah < bh) | ((ah == bh) & ((al < bl) if strict else (al <= bl)))

    def less(self, a: Operand, b: Operand) -> Any:
        return self._compare(a, b, True)

    def less_equal(self, a: Operand, b: Operand) -> Any:
        return self._compare(a, b, False)

    def equal(self, a: Operand, b: Operand) -> Any:
        ah, al, _, _ = self._parts(a)
        bh, bl, _, _ = self._parts(b)
        if al is None and bl is None:
            return ah == bh
        return (ah == bh) & ((0.0 if al is None else al) == (0.0 if bl is None else bl))

    # -- selection --------------------------------------------------------------------------------

    def where(self, condition: Any, x1: Operand, x2: Operand, /) -> Pair:
        xp = self.xp
        h1, l1, r1, c1 = self._parts(x1)
        h2, l2, r2, c2 = self._parts(x2)
        if c1 and c2:  # two numbers: an array for one of them (where needs one)
            h2 = xp.full_like(condition, h2, dtype=self.float32)
        lo = None
        if l1 is not None or l2 is not None:
            l1, l2 = (0.0 if l1 is None else l1), (0.0 if l2 is None else l2)
            if isinstance(l1, float) and isinstance(l2, float):  # where needs one array
                l1 = xp.full_like(h1 if not isinstance(h1, float) else h2, l1)
            lo = xp.where(condition, l1, l2)
        return Pair(xp.where(condition, h1, h2), lo, self, _hull(r1, r2))

    def clip(self, x: Operand, /, min: Any = None, max: Any = None) -> Pair:
        p = self.lift(x)
        if min is not None and not (isinstance(min, (int, float)) and p.range.low >= min):
            p = self.where(self.less(p, min), min, p)
            if isinstance(min, (int, float)):
                p.range = p.range._replace(low=float(min))
        if max is not None and not (isinstance(max, (int, float)) and p.range.high <= max):
            p = self.where(self.less(max, p), max, p)
            if isinstance(max, (int, float)):
                p.range = p.range._replace(high=float(max))
        return p

    def minimum(self, x1: Operand, x2: Operand, /) -> Pair:
        """The smaller of the two, NaN if either is NaN."""
        a, b = (x2, x1) if isinstance(x1, (int, float)) else (x1, x2)
        return self.where(self._or_nan(self.less(b, a), b), b, a)

    def maximum(self, x1: Operand, x2: Operand, /) -> Pair:
        """The larger of the two, NaN if either is NaN."""
        a, b = (x2, x1) if isinstance(x1, (int, float)) else (x1, x2)
        return self.where(self._or_nan(self.less(a, b), b), b, a)

    def _or_nan(self, condition: Any, x: Operand) -> Any:
        """``condition``, or where ``x`` is NaN."""
        if isinstance(x, (int, float)):
            return condition if x == x else condition | True
        p = self.lift(x)
        return condition | (p.hi != p.hi) if p.range.nan else condition

    def abs(self, x: Operand, /) -> Pair:
        p = self.lift(x)
        r = p.range
        if r.low >= 0.0:
            return p
        bounds = Range(r.least, r.magnitude, r.nan, r.tiny, r.whole)
        if r.high <= 0.0:
            return Pair(-p.hi, None if p.lo is None else -p.lo, self, bounds)
        negative = p.hi < 0.0
        xp = self.xp
        lo = None if p.lo is None else xp.where(negative, -p.lo, p.lo)
        return Pair(xp.where(negative, -p.hi, p.hi), lo, self, bounds)

    def estimate(self, f: Callable[[Any, Any], Any], x: Operand, /) -> Pair:
        """``f`` where the formula needs it only roughly (:meth:`Select.estimate`): in plain
        float32, on the pair's high part, clamped to ``f`` on the bounds of ``x``'s range (in
        float64, rounded to float32), which is then its range. The clamp moves an estimate only
        towards the exact value, as ``f`` is non-decreasing, and keeps the range as tight as
        ``f``'s: an SGDR period estimated at -0.1 would otherwise make every later operation
        allow for period -1."""
        p = self.lift(x)
        r = p.range
        low, high = (float(np.float32(f(_array.python_math, v))) for v in (r.low, r.high))
        fx = _array._formula_namespace(self.xp, p.hi)
        value = fx.clip(f(fx, p.hi), min=low, max=high)
        return Pair(value, None, self, _interval(low, high, r.nan, 0.0, False))

    def isfinite(self, x: Operand, /) -> Any:
        return self.xp.isfinite(self.lift(x).hi)

    def isnan(self, x: Operand, /) -> Any:
        return self.xp.isnan(self.lift(x).hi)

    def astype(self, x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
        """A cast: to the pair's dtype (float32), a pair (booleans as 0 and 1); else ``xp``'s."""
        if isinstance(x, Pair):
            return x if dtype == self.float32 else self.to_result(x, dtype)
        if dtype == self.float32:
            return self.lift(x)
        return self.xp.astype(x, dtype)

    def square(self, x: Operand, /) -> Pair:
        p = self.lift(x)
        return self.multiply(p, p)

    def _table(self, step: Any, table: Any, closed: str) -> Any:
        """The step function ``table`` (boundaries, values) at a pair ``step``: below
        :data:`~lrschedule._array.SEARCH_FROM` boundaries a chain of ``where``; from there a
        search: the number of boundaries below the step (at most the step with
        ``closed="left"``) among the boundaries' high parts, plus, among the few whose high part
        equals the step's, those with a lower low part. A NaN step gives NaN."""
        xp = self.xp
        p = self.lift(step)
        boundaries, values = table
        if len(boundaries) < SEARCH_FROM:
            return piecewise_constant(self, p, table, closed)
        bh, bl, _ = _table(list(boundaries))
        vh, vl, _ = _table(list(values))
        left = closed == "right"  # the boundaries strictly below the step count
        device = {} if self._jax else {"device": p.hi.device}
        keys = xp.asarray(bh, **device)
        flat = xp.reshape(p.hi, (-1,))
        if p.lo is None and not np.any(bl):
            index = xp.searchsorted(keys, flat, side="left" if left else "right")
        else:
            start = xp.searchsorted(keys, flat, side="left")
            end = xp.searchsorted(keys, flat, side="right")
            step_lo = 0.0 if p.lo is None else xp.reshape(p.lo, (-1,))
            low = xp.asarray(bl, **device)
            _, counts = np.unique(bh, return_counts=True)
            index = start
            for t in range(int(counts.max())):  # the boundaries that share one high part
                at = xp.clip(start + t, max=len(bh) - 1)
                lower = xp.take(low, at) < step_lo if left else xp.take(low, at) <= step_lo
                index = index + xp.astype((start + t < end) & lower, start.dtype)
        hi = xp.reshape(xp.take(xp.asarray(vh, **device), index), p.hi.shape)
        lo = xp.reshape(xp.take(xp.asarray(vl, **device), index), p.hi.shape)
        r = Range(float(min(values)), float(max(values)), p.range.nan)
        nan = p.hi != p.hi
        return Pair(xp.where(nan, p.hi, hi), xp.where(nan, 0.0, lo), self, r)

    # -- rounding to whole numbers ----------------------------------------------------------------

    def floor(self, x: Operand, /) -> Pair:
        """``floor(hi + lo)``: where ``hi`` is whole the floor of ``lo`` counts, else it cannot
        (``|lo|`` is below the distance from ``hi`` to the next whole number)."""
        p = self.lift(x)
        if p.range.whole:
            return p
        xp = self.xp
        r = _whole_range(p.range, math.floor)
        fh = xp.floor(p.hi)
        if p.lo is None:
            return Pair(fh, None, self, r)
        fl = xp.where(fh == p.hi, xp.floor(p.lo), 0.0)
        return self._finish(fh, fh, fl, r, not r.safe)

    def ceil(self, x: Operand, /) -> Pair:
        return -self.floor(-self.lift(x))

    def round(self, x: Operand, /) -> Pair:
        """To the nearest whole number, ties to even (the array API's ``round``): ``hi``'s, but
        where ``hi`` is whole ``lo``'s counts, and where ``hi`` lies halfway ``lo`` decides."""
        p = self.lift(x)
        if p.range.whole:
            return p
        xp = self.xp
        r = _whole_range(p.range, round)
        n = xp.round(p.hi)
        if p.lo is None:
            return Pair(n, None, self, r)
        d = p.hi - n  # exact
        up = xp.astype((d == 0.5) & (p.lo > 0.0), self.float32)
        down = xp.astype((d == -0.5) & (p.lo < 0.0), self.float32)
        n = n + (up - down)  # whole and below 2**23 where it changes: exact
        return self._finish(n, n, xp.where(d == 0.0, xp.round(p.lo), 0.0), r, not r.safe)

    # -- elementary functions ---------------------------------------------------------------------

    def sqrt(self, x: Operand, /) -> Pair:
        """``s = x / sqrt(x)`` to float32 and one Newton step, ``(x - s^2) / (2 s)``, computed on
        a safe input (1) at 0, inf and below 0, where the root is ``x`` (or NaN): ``jax.grad``
        through a ``where`` would otherwise meet 0 * inf = NaN from the discarded branch."""
        xp = self.xp
        p = self.lift(x)
        r = _monotone(p.range, lambda v: math.sqrt(max(v, 0.0)), math.sqrt(p.range.tiny))
        r = r._replace(nan=r.nan or p.range.low < 0.0)
        plain = p.range.least > 0.0 and p.range.safe
        good = None if plain else (p.hi > 0.0) & xp.isfinite(p.hi)
        safe = p.hi if good is None else xp.where(good, p.hi, 1.0)
        y = self._rsqrt(safe)
        s = safe * y
        sq = s * s
        s1, s2 = _split(s)
        residual = (safe - sq) - _product_error(s, s1, s2, s, s1, s2, sq)
        if p.lo is not None:
            residual = residual + (p.lo if good is None else xp.where(good, p.lo, 0.0))
        out = self._finish(s, s, residual * (y * 0.5), r, False)
        if good is None:
            return out
        special = xp.where(p.hi >= 0.0, p.hi, math.nan)  # sqrt at 0, -0, inf; NaN below 0
        return Pair(xp.where(good, out.hi, special), xp.where(good, out.lo, 0.0), self, r)

    def _reciprocal(self, b: Any) -> Any:
        """``1 / b`` for float32 arrays (xp's division; on JAX without one, within 2**-23, and
        ``1 / 0 = inf``, ``1 / inf = 0``, NaN for NaN, so that ``a (1 / b)`` is ``a / b`` at
        those too)."""
        return 1.0 / b

    def _rsqrt(self, x: Any) -> Any:
        """``1 / sqrt(x)`` for positive float32 arrays (on JAX without a division or root)."""
        return 1.0 / self.xp.sqrt(x)

    def _frexp(self, x: Any) -> tuple[Any, Any]:
        """``(k, m)`` with ``x = m 2**k`` exactly, ``m`` in [1, 2), for positive finite float32
        ``x`` (whole ``k`` as float32)."""
        xp = self.xp
        k = xp.floor(xp.log2(x))
        m, _ = self._scale(x, None, -k, 130.0)
        low, high = m < 1.0, m >= 2.0  # log2 may round across a power of two
        k = k + (xp.astype(high, self.float32) - xp.astype(low, self.float32))
        m = xp.where(low, m * 2.0, xp.where(high, m * 0.5, m))
        return k, m

    def _pow2(self, k: Any) -> Any:
        """``2**k`` exactly, for float32 arrays of whole ``k``: float32 ``exp``
        (a few ulp), rounded to one significant bit (Veltkamp), which is the power of two.
        Valid for whole ``k`` in [-100, 100]."""
        v = self.xp.exp(k * _f32(math.log(2.0)))
        t = v * _ONE_BIT
        return t - (t - v)

    def _scale(self, hi: Any, lo: Any, k: Any, most: float) -> tuple[Any, Any]:
        """``(hi, lo) * 2**k`` exactly for whole ``k`` with ``|k| <= most``, in factors of at
        most 2**100 (what :meth:`_pow2` makes exactly)."""
        xp = self.xp
        count = max(1, math.ceil(most / 90))
        rest = k
        for i in range(count):
            part = rest if i == count - 1 else xp.trunc(k * (1.0 / count))
            if i < count - 1:
                rest = rest - part
            scale = self._pow2(part)
            hi, lo = hi * scale, None if lo is None else lo * scale
        return hi, lo

    def exp(self, x: Operand, /) -> Pair:
        """``2**k 2**(j/8) exp(r)`` for ``x = (8 k + j) log(2) / 8 + r``: ``r`` in pairs (the
        multiple of log(2) / 8 in three parts, two of them exact), ``2**(j/8)`` from a table of
        pairs, and ``exp(r) = 1 + r + r^2 / 2 + ...`` with ``|r| <= log(2) / 16``: ``r^2`` exact
        (Dekker), the terms past it below 2**-16, so that plain float32 keeps them to 2**-40."""
        xp = self.xp
        p = self.lift(x)
        rx = p.range
        # beyond these exp is 0 or inf in float32 (and the scaling below stays in range)
        low, high = max(rx.low, -104.0), min(rx.high, 89.0)
        r = _interval(_safe_exp(rx.low), _safe_exp(rx.high), rx.nan, _safe_exp(low), False)
        h = p.hi
        if rx.low < -104.0 or rx.high > 89.0:
            h = xp.clip(
                h, min=-104.0 if rx.low < -104.0 else None, max=89.0 if rx.high > 89.0 else None
            )
        lo = p.lo if p.lo is None or h is p.hi else xp.where(h == p.hi, p.lo, 0.0)
        n = xp.round(h * _INV_LN2_8)
        s, e = _two_sum(h - n * _LN2_8[0], -(n * _LN2_8[1]))
        s, e = _two_sum(s, _sum(e, lo, -(n * _LN2_8[2])))  # r = s + e, normalized
        # exp(r) - 1 = s + s^2 / 2 + (s^3 (1/6 + s / 24 + ...) + e (1 + s)), s^2 = z + ze exactly
        z = s * s
        s1, s2 = _split(s)
        ze = _product_error(s, s1, s2, s, s1, s2, z)
        tail = _f32(1 / 6) + s * (_f32(1 / 24) + s * (_f32(1 / 120) + s * _f32(1 / 720)))
        small = (z * s) * tail + ((e + e * s) + ze * 0.5)
        w, we = _fast_two_sum(s, z * 0.5)  # exp(r) = 1 + w + we
        we = we + small
        k = xp.floor(n * 0.125)
        th, tl, t1 = self._lookup(_EXP_TABLE, self._nan_to_zero(n - k * 8.0, rx))
        # T (1 + w) = T + T w: no sum with a constant, which XLA would reassociate ((1 + w) - 1
        # is folded to w, and the rounding error of 1 + w lost)
        tw = th * w
        w1, w2 = _split(w)
        tw_err = _product_error(th, t1, th - t1, w, w1, w2, tw) + (th * we + tl * w)
        q, qe = _fast_two_sum(th, tw)
        q, qe = _fast_two_sum(q, self._stop(qe + (tl + tw_err)))
        most = max(abs(math.floor(low / math.log(2.0))), abs(math.ceil(high / math.log(2.0))))
        hi, lo = self._scale(q, qe, k, most + 1)
        if rx.high > 88.0 or rx.nan:
            lo = xp.where(xp.isfinite(hi), lo, 0.0)
        return Pair(hi, self._stop(lo), self, r)

    def log(self, x: Operand, /) -> Pair:
        """``k log 2 + log c + log1p(u)`` for ``x = 2**k m``, ``m`` in [3/4, 3/2), ``c = 1 + j / 8``
        the nearest such number and ``u = (m - c) / c`` (``|u| <= 1/12``): ``log c`` and ``1 / c``
        from a table of pairs, ``log1p(u) = u - u^2 / 2 + u^3 / 3 - ...`` with its first three
        terms in pairs. Within about 2**-38 of the logarithm (and near 1 of it, relatively)."""
        xp = self.xp
        p = self.lift(x)
        rx = p.range
        r = _monotone(rx, _safe_log)._replace(nan=rx.nan or rx.low < 0.0)
        hi, lo = p.hi, p.lo
        good = None
        if not (rx.least > 0.0 and rx.safe):
            good = (hi > 0.0) & (hi < math.inf)  # finite and positive (not NaN)
            hi = xp.where(good, hi, 1.0)
            lo = None if lo is None else xp.where(good, lo, 0.0)
        k, m = self._frexp(hi)
        big = m >= 1.5
        m = xp.where(big, m * 0.5, m)
        k = k + xp.astype(big, self.float32)
        ml = None
        if lo is not None:
            most = max(abs(math.log2(rx.least)) if rx.least > 0.0 else 150.0, 130.0)
            ml, _ = self._scale(lo, None, -k, most)
        j = xp.round((m - 1.0) * 8.0)  # -2 to 4
        d, dl = m - (j * 0.125 + 1.0), ml  # m - c exact (Sterbenz)
        if ml is not None:
            d, dl = _fast_two_sum(d, ml)
        ih, il, i1, lh, ll, _ = self._lookup(_INVERSE_TABLE + _LOG_TABLE, j + 2.0)
        # u = (d + dl) / c = (d + dl) (ih + il): a product in pairs, unnormalized
        u = d * ih
        d1, d2 = _split(d)
        ue = _product_error(ih, i1, ih - i1, d, d1, d2, u)
        ue = ue + (d * il + (0.0 if dl is None else dl * ih))
        u1, u2 = _split(u)
        z = u * u  # u^2 = z + ze, u^3 = c + ce exactly
        ze = _product_error(u, u1, u2, u, u1, u2, z)
        z1, z2 = _split(z)
        c = u * z
        ce = _product_error(u, u1, u2, z, z1, z2, c) + u * ze
        t, te = self._two_prod_constant(c, _THIRD[0])  # u^3 / 3 = t + te
        te = te + (c * _THIRD[1] + ce * _THIRD[0])
        coefficients = [-1 / 4, 1 / 5, -1 / 6, 1 / 7, -1 / 8, 1 / 9, -1 / 10]
        tail = _f32(coefficients[-1])
        for coefficient in reversed(coefficients[:-1]):
            tail = _f32(coefficient) + u * tail
        # log1p(u + ue) = u - z / 2 + t + (z^2 tail - ze / 2 + te + ue / (1 + u))
        after = ue * (1.0 - u * (1.0 - u * (1.0 - u * (1.0 - u))))
        small = (z * z) * tail + ((te - ze * 0.5) + after)
        s1, e1 = _fast_two_sum(u, z * -0.5)
        s2, e2 = _fast_two_sum(s1, t)
        s0, e0 = _fast_two_sum(k * _LN2[0], k * _LN2[1])  # k log 2, |k| < 2**8: exact parts
        s3, e3 = _two_sum(s0, lh)
        s4, e4 = _two_sum(s3, s2)
        rest = ((e0 + k * _LN2[2]) + (ll + (e1 + e2))) + ((e3 + e4) + small)
        out = self._finish(s4, s4, rest, r, False)
        if good is None:
            return out
        special = xp.where(p.hi == 0.0, -math.inf, xp.where(p.hi > 0.0, p.hi, math.nan))
        return Pair(xp.where(good, out.hi, special), xp.where(good, out.lo, 0.0), self, r)

    def log1p(self, x: Operand, /) -> Pair:
        """``log(u) + (x - (u - 1)) / u`` for ``u = 1 + x``: what rounding ``1 + x`` lost."""
        p = self.lift(x)
        u = p + 1.0
        lost = (p - (u - 1.0)) / u
        return self.log(u) + lost

    def expm1(self, x: Operand, /) -> Pair:
        return self.exp(x) - 1.0

    def _sin(self, x: Operand, quarter_turns: int) -> Pair:
        """``sin(x + quarter_turns * pi / 2)`` as ``A cos r + B sin r`` for ``x = n pi / 16 + r``,
        ``|r| <= pi / 32`` in pairs (``n pi / 16`` in exact parts), ``A`` and ``B`` from a table
        of pairs by ``n``; float32's own sine of ``hi`` past 2**23 (where float32 has no
        fraction). ``r^2`` and ``r^3 / 6`` are pairs: where the result is about ``r``, their
        float32 rounding would show."""
        xp = self.xp
        p = self.lift(x)
        rx = p.range
        r = Range(-1.0, 1.0, rx.nan or rx.magnitude == math.inf)
        limit = 2.0**_SIN_BITS * _PI_16[0] * 0.999
        h, lo = p.hi, p.lo
        huge = None
        if rx.magnitude > limit or rx.nan:
            huge = ~(xp.abs(h) < 2.0**23)  # NaN and inf too
            h = xp.where(huge, 0.0, h)
            lo = None if lo is None else xp.where(huge, 0.0, lo)
        n = xp.round(h * _f32(16 / math.pi))
        if rx.magnitude <= limit and not rx.nan:
            # |n| < 2**bits: two parts of pi / 16 of 24 - bits bits multiply n exactly
            bits = max(1, math.ceil(math.log2(rx.magnitude / _PI_16[0] + 1.0)))
            q0, q1, q2 = _parts(_PI_16[0], 24 - bits, 3)
            s, e = _two_sum(h - n * q0, -(n * q1))
            e = _sum(e, lo, -(n * _f32(q2 + _PI_16[1])))
        else:  # any n below 2**31: exact products with three float32 parts of pi / 16
            q0, q1, q2 = _parts(_PI_16[0] + _PI_16[1], 24, 3)
            p0, e0 = self._two_prod_constant(n, q0)
            p1, e1 = self._two_prod_constant(n, q1)
            s, e = _two_sum(h - p0, -p1)  # h - p0 exact (Sterbenz)
            e = _sum(e, lo, -(e0 + (e1 + n * q2)))
        s, e = _two_sum(s, e)  # r = s + e, normalized
        s1, s2 = _split(s)
        z = s * s
        ze = _product_error(s, s1, s2, s, s1, s2, z)
        z1, z2 = _split(z)
        c = s * z  # r^3 = c + ce
        ce = _product_error(s, s1, s2, z, z1, z2, c) + s * ze
        # sin r = r - r^3 / 6 + r^3 (z / 120 - ...): -c / 6 in pairs, the rest to float32
        t, te = self._two_prod_constant(c, _SIXTH[0])
        tail = z * (_f32(1 / 120) + z * (_f32(-1 / 5040) + z * _f32(1 / 362880)))
        te = te + ((c * _SIXTH[1] + ce * _SIXTH[0]) + (c * tail - (e * z) * 0.5))
        sr, sre = _two_sum(s, t)
        sre = sre + (e + te)
        # cos r - 1 = -z / 2 (exact) + rest
        half = z * -0.5
        rest = (z * z) * (_f32(1 / 24) + z * (_f32(-1 / 720) + z * _f32(1 / 40320)))
        rest = rest - (ze * 0.5 + s * e)
        negative = None
        if quarter_turns == 0 and huge is None and rx.low >= 0.0 and rx.high < 8.5 * _PI_16[0]:
            # 0 <= n <= 8 (a schedule's sin, from 0 to pi / 2): A and B straight from the table
            ah, al, at, bh, bl, bt = self._lookup(_QUARTER_TABLE, n)
        else:  # the quadrant of n (+ quarter_turns) and n mod 8
            m = n + float(8 * quarter_turns)
            m = m - xp.floor(m * 0.03125) * 32.0  # 0 to 31
            q = xp.floor(m * 0.125)
            sh, sl, st, ch, cl, ct = self._lookup(_SIN_TABLE + _COS_TABLE, m - q * 8.0)
            odd = (q == 1.0) | (q == 3.0)
            ah, al, at = xp.where(odd, ch, sh), xp.where(odd, cl, sl), xp.where(odd, ct, st)
            bh, bl, bt = xp.where(odd, -sh, ch), xp.where(odd, -sl, cl), xp.where(odd, -st, ct)
            negative = q >= 2.0
        # A cos r + B sin r = A + A (cos r - 1) + B sin r
        u = ah * half
        h1, h2 = _split(half)
        ue = _product_error(ah, at, ah - at, half, h1, h2, u) + (al * half + ah * rest)
        v = bh * sr
        r1, r2 = _split(sr)
        ve = _product_error(bh, bt, bh - bt, sr, r1, r2, v) + (bh * sre + bl * sr)
        total, err = _two_sum(ah, v)
        total, err2 = _two_sum(total, u)
        out = self._finish(total, total, (err + err2) + (al + (ue + ve)), r, False)
        hi_out, lo_out = out.hi, out.lo
        if negative is not None:
            hi_out = xp.where(negative, -out.hi, out.hi)
            lo_out = xp.where(negative, -out.lo, out.lo)
        if huge is None:
            return Pair(hi_out, lo_out, self, r)
        plain = (xp.sin if quarter_turns == 0 else xp.cos)(xp.where(huge, p.hi, 0.0))
        return Pair(xp.where(huge, plain, hi_out), xp.where(huge, 0.0, lo_out), self, r)

    def sin(self, x: Operand, /) -> Pair:
        return self._sin(x, 0)

    def cos(self, x: Operand, /) -> Pair:
        return self._sin(x, 1)

    def pow(self, x1: Operand, x2: Operand, /) -> Pair:
        """``x1 ** x2``: ``exp(x2 log x1)`` in pairs; a power of two to a whole power is exact
        (``2 ** k`` scales by ``2 ** round(k)`` and ``exp(0)`` is 1), the other whole powers
        are within a few units of 2**-40."""
        if isinstance(x1, (int, float)):
            base = float(x1)
            k = self.lift(x2)
            if base == 1.0:
                return self.where(k == k, 1.0, 1.0)
            if base == 0.0:
                return self.where(
                    k > 0.0, 0.0, self.where(k == 0.0, 1.0, self.where(k == k, math.inf, k))
                )
            if base > 0.0 and math.isfinite(base):
                m, e = math.frexp(base)
                if m == 0.5:  # 2 ** (e - 1)
                    return self._exp2(k * float(e - 1))
                return self._pow_constant(base, k)
            return self._pow_arrays(self._plain_constant(base, k), k)
        if isinstance(x2, (int, float)):
            power = float(x2)
            b = self.lift(x1)
            if power == 0.0:
                return self.where(b == b, 1.0, 1.0)
            if power == 1.0:
                return b
            if power == 2.0:
                return b * b
            if power == 0.5:
                return self.sqrt(b)
            if b.range.least > 0.0 and b.range.safe and math.isfinite(power):
                return self.exp(self.log(b) * power)
            return self._pow_arrays(b, self._plain_constant(power, b))
        return self._pow_arrays(self.lift(x1), self.lift(x2))

    def _pow_constant(self, base: float, k: Pair) -> Pair:
        """``base ** k`` for a constant ``base > 0``: ``exp(k log base)``, and for whole ``k``
        below 2**7 in magnitude a product of the powers ``base ** (2 ** j)`` (constants), which
        is exact wherever the partial products fit in a pair: an SGDR period of ``t_mul = 1.5``
        starts on its step, where ``exp`` would be a few units of 2**-45 off."""
        xp = self.xp
        bits = 7
        if k.range.whole and not k.range.nan and k.range.magnitude < 128.0:
            bits = max(1, math.ceil(math.log2(k.range.magnitude + 1.0)))
            general = None
            whole = None
        else:
            general = self.exp(k * math.log(base))
            whole = (self.floor(k) == k) & (self.abs(k) < 128.0)
        count = xp.abs(k.hi) if whole is None else xp.where(whole, xp.abs(k.hi), 0.0)
        product: Pair | None = None
        for j in range(bits):
            half = xp.floor(count * 0.5)
            bit = count != half * 2.0
            count = half
            factor = self.where(bit, _pow_python(base, 2**j), 1.0)
            product = factor if product is None else product * factor
        assert product is not None
        if k.range.low < 0.0:
            product = self.where(k.hi < 0.0, 1.0 / product, product)
        if general is None:
            return product
        return self.where(whole, product, general)

    def _plain_constant(self, c: float, like: Pair) -> Pair:
        hi, lo = _split_constant(c)
        xp = self.xp
        return Pair(xp.full_like(like.hi, hi), xp.full_like(like.hi, lo), self, _constant_range(c))

    def _pow_arrays(self, b: Pair, k: Pair) -> Pair:
        """``b ** k`` for ``b >= 0`` (0 ** k: 0, 1 or inf by the sign of k), ``exp(k log b)``;
        a negative base gives NaN unless ``k`` is whole (then the sign of ``b ** k``)."""
        xp = self.xp
        magnitude = self.abs(b)
        zero = magnitude.hi == 0.0
        safe = self.where(zero, 1.0, magnitude)
        value = self.exp(k * self.log(safe))
        value = self.where(
            zero, self.where(k > 0.0, 0.0, self.where(k == 0.0, 1.0, math.inf)), value
        )
        whole = self.floor(k) == k
        odd = whole & (self.floor(k * 0.5) * 2.0 != k)
        negative = b.hi < 0.0
        value = self.where(negative & odd, -value, value)
        value = self.where(negative & ~whole, math.nan, value)
        nan = xp.isnan(b.hi) | xp.isnan(k.hi)
        return self.where(nan & ~(k == 0.0), math.nan, value)

    def _exp2(self, y: Pair) -> Pair:
        """``2 ** y``: exact for whole ``y`` (``2 ** round(y)`` times ``exp(0) = 1``)."""
        xp = self.xp
        ry = y.range
        r = _monotone(ry, lambda v: _safe_exp(v * math.log(2.0)))
        low, high = max(ry.low, -300.0), min(ry.high, 300.0)
        h = y.hi
        if ry.low < -300.0 or ry.high > 300.0:
            h = xp.clip(h, min=-300.0, max=300.0)
        most = max(abs(low), abs(high)) + 1.0
        if ry.whole and not ry.nan:  # a power of two, exactly
            hi, _ = self._scale(xp.ones_like(h), None, h, most)
            r = Range(2.0**low, 2.0**high, False, 2.0**low, low >= 0.0)
            return Pair(hi, None, self, r)
        n = xp.round(h)
        lo = y.lo if y.lo is None or h is y.hi else xp.where(h == y.hi, y.lo, 0.0)
        fr = Range(-0.5, 0.5, ry.nan)  # h - n is exact
        f = Pair(h - n, None, self, fr) if lo is None else self._finish(h - n, h - n, lo, fr, False)
        value = self.exp(f * math.log(2.0))
        hi, lo = self._scale(value.hi, value.lo, n, most)
        return Pair(hi, None if lo is None else xp.where(xp.isfinite(hi), lo, 0.0), self, r)


def _pow2_jax(k: Any) -> Any:
    """:meth:`FloatFloat._pow2` on JAX: the float32 bits of ``2**k`` (biased exponent
    ``k + 127``, for whole ``k`` in [-126, 127]), three integer operations instead of ``exp``."""
    import jax

    biased = k.astype("int32") + 127
    return jax.lax.bitcast_convert_type(biased << 23, "float32")


# XLA does not fuse a division, log or square root into more than one consumer: a value used
# several times (as a pair's parts are) splits the program into kernels, each a pass over memory.
# These seeds from the float32 bits and Newton steps are multiplications and additions only.


def _reciprocal_jax(b: Any) -> Any:
    """``1 / b`` within 2**-23 for finite ``b != 0``: a seed from the bits (within 1/8), three
    Newton steps ``r (2 - |b| r)``."""
    import jax

    jnp = jax.numpy
    a = abs(b)
    bits = jax.lax.bitcast_convert_type(a, "int32")
    r = jax.lax.bitcast_convert_type(0x7EF311C3 - bits, "float32")
    for _ in range(3):
        r = r * (2.0 - a * r)
    r = jnp.where(a == 0.0, jnp.inf, jnp.where(a == jnp.inf, 0.0, jnp.where(a == a, r, a)))
    return jnp.where(b < 0.0, -r, r)


def _rsqrt_jax(x: Any) -> Any:
    """``1 / sqrt(x)`` within 2**-23 for positive finite ``x``: a seed from the bits, three
    Newton steps ``y (3/2 - x/2 y^2)``."""
    import jax

    bits = jax.lax.bitcast_convert_type(x, "int32")
    y = jax.lax.bitcast_convert_type(0x5F3759DF - (bits >> 1), "float32")
    half = x * 0.5
    for _ in range(3):
        y = y * (1.5 - half * (y * y))
    return y


def _frexp_jax(x: Any) -> tuple[Any, Any]:
    """:meth:`FloatFloat._frexp` from the float32 bits (normal ``x``)."""
    import jax

    bits = jax.lax.bitcast_convert_type(x, "int32")
    k = ((bits >> 23) & 0xFF) - 127
    m = jax.lax.bitcast_convert_type((bits & 0x7FFFFF) | 0x3F800000, "float32")
    return k.astype("float32"), m


def _identity(x: Any) -> Any:
    return x


def _pow_python(base: float, exponent: int) -> float:
    """``base ** exponent`` in Python floats, inf where that overflows."""
    try:
        return base**exponent
    except OverflowError:
        return math.inf


def _to_half(xp: Any, hi: Any, lo: Any, half: Any, single: Any) -> Any:
    """The pair ``hi + lo`` correctly rounded to ``half`` (float16 or bfloat16).

    Casting ``hi`` alone rounds twice where ``hi`` is a midpoint of two ``half`` numbers and
    ``lo`` is not 0: there ``hi`` moves a few float32 ulp toward ``lo`` first (every ``half``
    midpoint has at most 12 significant bits, so the moved value is exact and no midpoint).
    """
    near = xp.astype(xp.astype(hi, half), single)
    other = 2.0 * hi - near
    midpoint = (hi != near) & (xp.astype(xp.astype(other, half), single) == other)
    away = xp.astype(lo * hi > 0.0, single) - xp.astype(lo * hi < 0.0, single)
    moved = xp.where(midpoint & xp.isfinite(other), hi * (1.0 + away * 2.0**-20), hi)
    return xp.astype(moved, half)
