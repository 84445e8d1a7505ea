"""Float-float arithmetic: float64-like accuracy where the device has no float64.

On JAX without x64, on TPUs, on Apple MPS and on array-api-strict's ``Device("no_float64")`` the
compute dtype would be float32, and a schedule's formula loses digits to its own roundings: a
float32 step past 2**24 is not even the step. Here each value is a :class:`Pair` of float32
arrays, ``hi + lo`` with ``hi = fl(hi + lo)`` (about 48 significant bits), and :class:`FloatFloat`
is the namespace a formula then sees: the same ``_evaluate(xp, step)`` runs unchanged, and
:func:`evaluate` rounds once to the result dtype.

Arithmetic uses error-free transformations: TwoSum for sums, Dekker's product with Veltkamp's
split for products (every partial product is exact, so a compiler that contracts a multiply and
an add into an FMA changes nothing), a corrected quotient for division. ``exp``, ``log``,
``sin``/``cos``, ``sqrt`` and ``pow`` reduce their argument exactly in pairs and evaluate a
polynomial whose leading terms are pairs and whose small tail is plain float32 (its rounding is
below 2**-36 of the result): about 36 good bits, enough for results correctly rounded to float32
nearly always and within 1 ulp always. A step enters exactly: an integer step is split into a
multiple of 2**24 and the rest, each exact in float32.

Non-finite values: an operation whose pair result would not be finite (inf, NaN, an overflow
inside a split) keeps the plain float32 result with ``lo = 0``, so ``inf`` and ``NaN`` behave
as in float32 arithmetic.

Opt-in for now: :class:`set_raw_float32` ``(False)`` turns pairs on. They are several times the
cost of the plain float32 formula under ``jax.jit`` (docs/performance.md), more than the goal
the pairs must meet before they become the default.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lrschedule._array import Select

__all__ = ["FloatFloat", "Pair", "evaluate", "raw_float32", "set_raw_float32"]

_raw = True


def raw_float32() -> bool:
    """Whether float32 devices run formulas in plain float32 (see :class:`set_raw_float32`)."""
    return _raw


class set_raw_float32:  # noqa: N801 - a function to the user, as torch.set_grad_enabled
    """Run schedules in plain float32 where the device has no float64 (``True``, the default
    for now), or in float-float pairs (``False``).

    Where the compute dtype is float32 for lack of float64 (JAX without x64, TPUs), lrschedule can
    compute every formula in pairs of float32 numbers, about 48 bits, so that float32 results are
    correctly rounded at any step count, where plain float32 drifts by up to thousands of ulp at
    large step counts. Pairs cost several times the arithmetic of plain float32, so they are
    opt-in until they are cheap enough to be the default. The mode is read when a call is traced
    or run: a function already compiled by ``jax.jit`` keeps what it was traced with.

    Call it to set the mode, or use it as a context manager to set it for a block:

    >>> import lrschedule
    >>> with lrschedule.set_raw_float32(False):
    ...     print(lrschedule.raw_float32())
    False
    >>> lrschedule.raw_float32()
    True
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
    # NumPy-backed arrays (array-api-strict) would warn where a pair's error term meets inf or
    # 0/0, which the pair arithmetic then discards: the values are IEEE's either way
    with np.errstate(all="ignore"):
        value = formula(ff, ff.from_step(step))
        return ff.to_result(value, result)


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


def _three(c: float) -> tuple[float, float, float]:
    """``c`` as three float32 parts, the first two of 16 bits (exact times any |n| < 2**8)."""
    a = _bits(c, 16)
    b = _bits(c - a, 16)
    return a, b, _f32(c - a - b)


_SPLITTER = 4097.0  # 2**12 + 1: Veltkamp's split of a 24-bit significand into two of 12 bits
_LN2 = _three(math.log(2.0))
_INV_LN2 = _f32(1.0 / math.log(2.0))
# pi / 2 as three float32 numbers (from 60 digits of pi; float64's pi / 2 is 6e-17 off, which
# n = 2**24 quarter turns would make 1e-9)
_HALF_PI = (
    float.fromhex("0x1.921fb6p+0"),
    float.fromhex("-0x1.777a5cp-25"),
    float.fromhex("-0x1.ee59dap-50"),
)
_TWO_OVER_PI = _f32(2.0 / math.pi)
_ONE_BIT = 2.0**23 + 1.0  # Veltkamp's splitter that leaves one significant bit: a power of two

# Taylor coefficients: the leading ones as pairs, the tails (below 2**-14 of the result) as float32
_EXP_PAIRS = [_split_constant(1.0 / math.factorial(k)) for k in (4, 3)]
_EXP_TAIL = [_f32(1.0 / math.factorial(k)) for k in (11, 10, 9, 8, 7, 6, 5)]
_SIN_PAIRS = [_split_constant((-1.0) ** (k // 2) / math.factorial(k)) for k in (5, 3)]
_SIN_TAIL = [_f32((-1.0) ** (k // 2) / math.factorial(k)) for k in (17, 15, 13, 11, 9, 7)]
_COS_PAIRS = [_split_constant((-1.0) ** (k // 2) / math.factorial(k)) for k in (6, 4)]
_COS_TAIL = [_f32((-1.0) ** (k // 2) / math.factorial(k)) for k in (18, 16, 14, 12, 10, 8)]


# -- the pair type --------------------------------------------------------------------------------


class Pair:
    """A float-float value: float32 arrays ``hi`` and ``lo`` with ``hi = fl(hi + lo)``.

    The operators of an array (arithmetic with pairs, arrays and Python numbers; comparisons,
    which give the namespace's boolean arrays) in pair arithmetic. ``bool(pair)`` raises: a
    formula never reads a value on the host.
    """

    __slots__ = ("ff", "hi", "lo")
    __array_priority__ = 1000  # NumPy defers its operators to ours

    def __init__(self, hi: Any, lo: Any, ff: FloatFloat) -> None:
        self.hi = hi
        self.lo = lo
        self.ff = ff

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
        return f"Pair(hi={self.hi!r}, lo={self.lo!r})"

    def __neg__(self) -> Pair:
        return Pair(-self.hi, -self.lo, self.ff)

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
        if str(getattr(xp, "__name__", "")).startswith("jax"):
            import jax

            self._stop = jax.lax.stop_gradient
            self._pow2 = _pow2_jax  # type: ignore[method-assign]

    # -- conversions ------------------------------------------------------------------------------

    def from_step(self, step: Any) -> Pair:
        """The step as an exact pair (integers below 2**48; float steps as they are), below zero
        replaced by 0, NaN kept."""
        xp = self.xp
        if xp.isdtype(step.dtype, "integral"):
            info = xp.iinfo(step.dtype)
            if info.min < 0:
                step = xp.clip(step, min=0)  # in the integer dtype: no wrap-around
            if info.max < 2**24:
                hi = xp.astype(step, self.float32)
                return Pair(hi, xp.zeros_like(hi), self)
            # a multiple of 2**24 and the rest: each exact in float32 (below 2**48)
            low = step % (2**24)
            hi = xp.astype(step - low, self.float32)
            lo = xp.astype(low, self.float32)
            return Pair(*self._renormalize(hi, lo), self)
        hi = xp.clip(xp.astype(step, self.float32), min=0.0)
        return Pair(hi, xp.zeros_like(hi), self)

    def to_result(self, value: Any, result: Any) -> Any:
        """``value`` rounded once to the ``result`` dtype."""
        xp = self.xp
        if not isinstance(value, Pair):
            return xp.astype(value, result)
        if result == self.float32:
            return value.hi  # hi = fl(hi + lo): already the rounded value
        return _to_half(xp, value.hi, value.lo, result, self.float32)

    def lift(self, x: Operand) -> Pair:
        """A pair of any operand: a pair, a Python number, or an array (cast to float32)."""
        if isinstance(x, Pair):
            return x
        xp = self.xp
        if isinstance(x, (int, float)):
            raise TypeError("internal: a constant is lifted with its array")  # pragma: no cover
        hi = x if x.dtype == self.float32 else xp.astype(x, self.float32)
        return Pair(hi, xp.zeros_like(hi), self)

    def _parts(self, x: Operand) -> tuple[Any, Any, bool]:
        """``(hi, lo, constant)``: a Python number as two Python floats, a pair's arrays."""
        if isinstance(x, (int, float)):
            hi, lo = _split_constant(float(x))
            return hi, lo, True
        p = self.lift(x)
        return p.hi, p.lo, False

    # -- error-free transformations ---------------------------------------------------------------

    def _renormalize(self, s: Any, e: Any) -> tuple[Any, Any]:
        """``(s + e, the rounding error of that sum)`` for ``|e|`` below about ``|s|``; where this
        is not finite (inf, NaN, an overflow inside a split) the plain float32 ``s`` and 0."""
        xp = self.xp
        e = self._stop(e)
        hi = s + e
        lo = self._stop(e - (hi - s))
        ok = xp.isfinite(lo)
        return xp.where(ok, hi, s), xp.where(ok, lo, 0.0)

    def _two_sum(self, a: Any, b: Any) -> tuple[Any, Any]:
        s = a + b
        bb = s - a
        return s, (a - (s - bb)) + (b - bb)

    def _split(self, a: Any) -> tuple[Any, Any]:
        # Veltkamp: 12 + 12 bits. If a compiler fuses 4097 * a into `t - a` (an FMA), `t - a` is
        # 4096 * a exactly and `hi` still has 12 bits: the split stays exact.
        t = a * _SPLITTER
        hi = t - (t - a)
        return hi, a - hi

    def _two_prod(self, a: Any, b: Any) -> tuple[Any, Any]:
        """``a * b`` and its rounding error, for arrays ``a`` and ``b`` (Dekker, no FMA)."""
        p = a * b
        ah, al = self._split(a)
        bh, bl = self._split(b)
        return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl

    def _two_prod_constant(self, a: Any, c: float) -> tuple[Any, Any]:
        """``a * c`` and its rounding error for a float32 constant ``c`` (split once, here)."""
        p = a * c
        ah, al = self._split(a)
        ch = _bits(c, 12) if c else 0.0  # any split into two halves of 12 bits is exact
        cl = c - ch
        return p, ((ah * ch - p) + ah * cl + al * ch) + al * cl

    # -- arithmetic -------------------------------------------------------------------------------

    def add(self, a: Operand, b: Operand) -> Pair:
        if not isinstance(a, Pair):
            a, b = b, a
        ah, al, _ = self._parts(a)
        bh, bl, constant = self._parts(b)
        s, e = self._two_sum(ah, bh)
        e = e + (al + bl) if not (constant and bl == 0.0) else e + al
        return Pair(*self._renormalize(s, e), self)

    def negative(self, x: Operand) -> Any:
        if isinstance(x, (int, float)):
            return -x
        return -self.lift(x)

    def multiply(self, a: Operand, b: Operand) -> Pair:
        if not isinstance(a, Pair):
            a, b = b, a
        assert isinstance(a, Pair)
        if isinstance(b, (int, float)):
            c = float(b)
            if c == 0.0 or not math.isfinite(c):
                return self._plain(a.hi * c)
            if abs(math.frexp(c)[0]) == 0.5:  # a power of two: an exact scaling
                return Pair(a.hi * c, a.lo * c, self)
            ch, cl = _split_constant(c)
            p, e = self._two_prod_constant(a.hi, ch)
            return Pair(*self._renormalize(p, self._checked(p, e + (a.hi * cl + a.lo * ch))), self)
        b = self.lift(b)
        p, e = self._two_prod(a.hi, b.hi)
        return Pair(*self._renormalize(p, self._checked(p, e + (a.hi * b.lo + a.lo * b.hi))), self)

    def _checked(self, p: Any, e: Any) -> Any:
        """A product's error term ``e``, or 0 where it cannot be one (above 2**-22 of ``p``):
        below about 2**-100 Dekker's partial products are subnormal, which XLA flushes to 0;
        there the float32 product ``p`` stands alone."""
        xp = self.xp
        return xp.where(xp.abs(e) <= xp.abs(p) * 2.0**-22, e, 0.0)

    def _times_array(self, a: Pair, y: Any) -> Pair:
        """``a * y`` for a plain float32 array ``y``."""
        p, e = self._two_prod(a.hi, y)
        return Pair(*self._renormalize(p, self._checked(p, e + a.lo * y)), self)

    def _plain(self, hi: Any) -> Pair:
        xp = self.xp
        return Pair(hi, xp.zeros_like(hi), self)

    def divide(self, a: Operand, b: Operand) -> Pair:
        """``a / b`` with one correction: exact where the quotient is a pair (a whole number of
        periods comes out whole), else within a few units of 2**-48."""
        ah, al, _ = self._parts(a)
        if isinstance(b, (int, float)):
            bh, bl = _split_constant(float(b))
            q = ah / bh
            p, pe = self._two_prod_constant(q, bh)
            pl = pe + q * bl if bl else pe
        else:
            bp = self.lift(b)
            bh, bl = bp.hi, bp.lo
            q = ah / bh
            p, pe = self._two_prod(q, bh)
            pl = pe + q * bl
        s, e = self._two_sum(ah, -p)  # the remainder a - q b, exactly up to the lo parts
        e = e + (al - pl)
        correction = (s + e) / bh
        return Pair(*self._renormalize(q, correction), self)

    # -- comparisons ------------------------------------------------------------------------------

    def less(self, a: Operand, b: Operand) -> Any:
        ah, al, _ = self._parts(a)
        bh, bl, _ = self._parts(b)
        return (ah < bh) | ((ah == bh) & (al < bl))

    def less_equal(self, a: Operand, b: Operand) -> Any:
        ah, al, _ = self._parts(a)
        bh, bl, _ = self._parts(b)
        return (ah < bh) | ((ah == bh) & (al <= bl))

    def equal(self, a: Operand, b: Operand) -> Any:
        ah, al, _ = self._parts(a)
        bh, bl, _ = self._parts(b)
        return (ah == bh) & (al == bl)

    # -- selection --------------------------------------------------------------------------------

    def where(self, condition: Any, x1: Operand, x2: Operand, /) -> Pair:
        xp = self.xp
        h1, l1, c1 = self._parts(x1)
        h2, l2, c2 = self._parts(x2)
        if c1 and c2:  # two numbers: an array for one of them (where needs one)
            h2 = xp.full_like(condition, h2, dtype=self.float32)
            l2 = xp.full_like(condition, l2, dtype=self.float32)
        return Pair(xp.where(condition, h1, h2), xp.where(condition, l1, l2), self)

    def clip(self, x: Operand, /, min: Any = None, max: Any = None) -> Pair:
        p = self.lift(x)
        if min is not None:
            p = self.where(self.less(p, min), min, p)
        if max is not None:
            p = self.where(self.less(max, p), max, p)
        return p

    def minimum(self, x1: Operand, x2: Operand, /) -> Pair:
        """The smaller of the two, NaN if either is NaN."""
        a, b = (x2, x1) if isinstance(x1, (int, float)) else (x1, x2)
        return self.where(self.less(b, a) | self._nan(b), b, a)

    def maximum(self, x1: Operand, x2: Operand, /) -> Pair:
        """The larger of the two, NaN if either is NaN."""
        a, b = (x2, x1) if isinstance(x1, (int, float)) else (x1, x2)
        return self.where(self.less(a, b) | self._nan(b), b, a)

    def _nan(self, x: Operand) -> Any:
        if isinstance(x, (int, float)):
            return x != x
        hi = self.lift(x).hi
        return hi != hi

    def abs(self, x: Operand, /) -> Pair:
        p = self.lift(x)
        negative = p.hi < 0.0
        xp = self.xp
        return Pair(xp.where(negative, -p.hi, p.hi), xp.where(negative, -p.lo, p.lo), self)

    def isfinite(self, x: Operand, /) -> Any:
        return self.xp.isfinite(self.lift(x).hi)

    def isnan(self, x: Operand, /) -> Any:
        return self.xp.isnan(self.lift(x).hi)

    def astype(self, x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
        """A cast: to the pair's dtype (float32), a pair (booleans as 0 and 1); else ``xp``'s."""
        if isinstance(x, Pair):
            return x if dtype == self.float32 else self.to_result(x, dtype)
        if dtype == self.float32:
            return self.lift(self.xp.astype(x, self.float32))
        return self.xp.astype(x, dtype)

    def square(self, x: Operand, /) -> Pair:
        p = self.lift(x)
        return self.multiply(p, p)

    # -- rounding to whole numbers ----------------------------------------------------------------

    def floor(self, x: Operand, /) -> Pair:
        """``floor(hi + lo)``: where ``hi`` is whole the floor of ``lo`` counts, else it cannot
        (``|lo|`` is below the distance from ``hi`` to the next whole number)."""
        xp = self.xp
        p = self.lift(x)
        fh = xp.floor(p.hi)
        fl = xp.where(fh == p.hi, xp.floor(p.lo), 0.0)
        return Pair(*self._renormalize(fh, fl), self)

    def ceil(self, x: Operand, /) -> Pair:
        return -self.floor(-self.lift(x))

    def round(self, x: Operand, /) -> Pair:
        """To the nearest whole number, ties to even (the array API's ``round``)."""
        up = self.floor(self.lift(x) + 0.5)
        tie = self.equal(up, self.lift(x) + 0.5)
        odd = self.floor(up * 0.5) * 2.0 != up
        return self.where(tie & odd, up - 1.0, up)

    # -- elementary functions ---------------------------------------------------------------------

    def sqrt(self, x: Operand, /) -> Pair:
        """float32 ``sqrt`` of ``hi`` and one Newton step, ``(x - s^2) / (2 s)``, computed on a
        safe input (1) at 0, inf and below 0, where the plain float32 root stands: ``jax.grad``
        through a ``where`` would otherwise meet 0 * inf = NaN from the discarded branch."""
        xp = self.xp
        p = self.lift(x)
        good = (p.hi > 0.0) & xp.isfinite(p.hi)
        safe = xp.where(good, p.hi, 1.0)
        s = xp.sqrt(safe)
        sq, sq_err = self._two_prod(s, s)
        correction = (((safe - sq) - sq_err) + xp.where(good, p.lo, 0.0)) / (s + s)
        hi, lo = self._renormalize(s, correction)
        return Pair(xp.where(good, hi, xp.sqrt(p.hi)), xp.where(good, lo, 0.0), self)

    def _pow2(self, k: Any) -> Any:
        """``2**k`` exactly, for float32 arrays of whole ``k``: float32 ``exp``
        (a few ulp), rounded to one significant bit (Veltkamp), which is the power of two.
        Valid for whole ``k`` in [-100, 100]."""
        v = self.xp.exp(k * _f32(math.log(2.0)))
        t = v * _ONE_BIT
        return t - (t - v)

    def exp(self, x: Operand, /) -> Pair:
        xp = self.xp
        p = self.lift(x)
        # beyond these exp is 0 or inf in float32 (and the scaling below stays in range)
        h = xp.clip(p.hi, min=-104.0, max=89.0)
        n = xp.round(h * _INV_LN2)
        # r = x - n log 2 in pairs: n has at most 8 bits, the first two parts of log 2 16 bits,
        # so both products are exact, and h - n ln2_1 is exact (Sterbenz)
        s, e = self._two_sum(h - n * _LN2[0], -(n * _LN2[1]))
        lo = xp.where(h == p.hi, p.lo, 0.0)  # beyond the clip, no lo part
        e = e + (lo - n * _LN2[2])
        r = Pair(*self._renormalize(s, e), self)
        # exp r = 1 + r (1 + r (1/2 + r (1/6 + r (1/24 + r tail))))
        q = self._add_pair_constant(
            self._times_array(r, self._horner_tail(r.hi, _EXP_TAIL)), _EXP_PAIRS[0]
        )
        q = self._add_pair_constant(r * q, _EXP_PAIRS[1])
        q = r * q + 0.5
        q = r * q + 1.0
        q = r * q + 1.0
        half = xp.floor(n * 0.5)
        scale1, scale2 = self._pow2(half), self._pow2(n - half)
        hi = (q.hi * scale1) * scale2
        lo = (q.lo * scale1) * scale2
        finite = xp.isfinite(hi)
        return Pair(hi, xp.where(finite, lo, 0.0), self)

    def _add_pair_constant(self, a: Pair, c: tuple[float, float]) -> Pair:
        """``a + (c_hi + c_lo)`` for a constant already split."""
        s, e = self._two_sum(a.hi, c[0])
        e = e + (a.lo + c[1])
        return Pair(*self._renormalize(s, e), self)

    def _horner_tail(self, x: Any, coefficients: list[float]) -> Any:
        """A polynomial's small tail in plain float32, highest coefficient first."""
        y = x * coefficients[0] + coefficients[1]
        for c in coefficients[2:]:
            y = y * x + c
        return y

    def log(self, x: Operand, /) -> Pair:
        """float32 ``log`` of ``hi``, and one Newton step in pairs: ``y + x exp(-y) - 1``."""
        xp = self.xp
        p = self.lift(x)
        y = xp.log(p.hi)
        good = xp.isfinite(y) & (p.hi > 0.0)
        y0 = xp.where(good, y, 0.0)  # no exp of inf on the way
        step = self.multiply(p, self.exp(Pair(-y0, xp.zeros_like(y0), self))) - 1.0
        out = self.add(step, Pair(y0, xp.zeros_like(y0), self))
        return Pair(xp.where(good, out.hi, y), xp.where(good, out.lo, 0.0), self)

    def log1p(self, x: Operand, /) -> Pair:
        """``log(u) + (x - (u - 1)) / u`` for ``u = 1 + x``: what rounding ``1 + x`` lost."""
        p = self.lift(x)
        u = p + 1.0
        lost = (p - (u - 1.0)) / u
        return self.log(u) + lost

    def expm1(self, x: Operand, /) -> Pair:
        return self.exp(x) - 1.0

    def _sin_cos(self, x: Operand, quarter_turns: int) -> Pair:
        """``sin(x + quarter_turns * pi / 2)``: ``x`` less the nearest multiple ``n`` of pi / 2
        (in three parts, two of them multiplied exactly: within 2**-47 of ``x - n pi / 2`` for
        ``|n|`` below 2**24), then the sine or cosine polynomial by the quadrant."""
        xp = self.xp
        p = self.lift(x)
        # past 2**23 quarter turns n and the reduction are no longer exact: float32's sin or
        # cos of hi there (as float32 arithmetic would give), and a harmless argument meanwhile
        huge = ~(xp.abs(p.hi) < 2.0**23)  # NaN and inf too
        p = Pair(xp.where(huge, 0.0, p.hi), xp.where(huge, 0.0, p.lo), self)
        n = xp.round(p.hi * _TWO_OVER_PI)
        p1, e1 = self._two_prod_constant(n, _HALF_PI[0])
        p2, e2 = self._two_prod_constant(n, _HALF_PI[1])
        # hi - p1 is exact (Sterbenz); the small terms sum in float32 below 2**-48 of x
        s, e = self._two_sum(p.hi - p1, -p2)
        e = e + ((p.lo - e1) - (e2 + n * _HALF_PI[2]))
        r = Pair(*self._renormalize(s, e), self)
        r2 = r * r
        # sin r = r + r^3 (-1/6 + r^2 (1/120 + r^2 tail))
        q = self._times_array(r2, self._horner_tail(r2.hi, _SIN_TAIL))
        q = self._add_pair_constant(q, _SIN_PAIRS[0])
        q = self._add_pair_constant(r2 * q, _SIN_PAIRS[1])
        sine = r + (r * r2) * q
        # cos r = 1 + r^2 (-1/2 + r^2 (1/24 + r^2 (-1/720 + r^2 tail)))
        q = self._times_array(r2, self._horner_tail(r2.hi, _COS_TAIL))
        q = self._add_pair_constant(q, _COS_PAIRS[0])
        q = self._add_pair_constant(r2 * q, _COS_PAIRS[1])
        q = r2 * q - 0.5
        cosine = r2 * q + 1.0
        quadrant = n + float(quarter_turns)
        quadrant = quadrant - 4.0 * xp.floor(quadrant * 0.25)  # 0, 1, 2, 3
        odd = (quadrant == 1.0) | (quadrant == 3.0)
        value = self.where(odd, cosine, sine)
        negate = quadrant >= 2.0
        hi = xp.where(negate, -value.hi, value.hi)
        lo = xp.where(negate, -value.lo, value.lo)
        plain = (xp.sin if quarter_turns == 0 else xp.cos)(xp.where(huge, self.lift(x).hi, 0.0))
        return Pair(xp.where(huge, plain, hi), xp.where(huge, 0.0, lo), self)

    def sin(self, x: Operand, /) -> Pair:
        return self._sin_cos(x, 0)

    def cos(self, x: Operand, /) -> Pair:
        return self._sin_cos(x, 1)

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
            return self._pow_arrays(b, self._plain_constant(power, b))
        return self._pow_arrays(self.lift(x1), self.lift(x2))

    def _pow_constant(self, base: float, k: Pair) -> Pair:
        """``base ** k`` for a constant ``base > 0``: ``exp(k log base)``, and for whole ``k``
        below 2**7 in magnitude a product of the powers ``base ** (2 ** j)`` (constants), which
        is exact wherever the partial products fit in a pair: an SGDR period of ``t_mul = 1.5``
        starts on its step, where ``exp`` would be a few units of 2**-45 off."""
        xp = self.xp
        general = self.exp(k * math.log(base))
        whole = (self.floor(k) == k) & (self.abs(k) < 128.0)
        count = xp.where(whole, xp.abs(k.hi), 0.0)  # below 2**7: in hi alone
        product: Pair | None = None
        for j in range(7):
            half = xp.floor(count * 0.5)
            bit = count != half * 2.0
            count = half
            factor = self.where(bit, _pow_python(base, 2**j), 1.0)
            product = factor if product is None else product * factor
        assert product is not None
        product = self.where(k.hi < 0.0, 1.0 / product, product)
        return self.where(whole, product, general)

    def _plain_constant(self, c: float, like: Pair) -> Pair:
        hi, lo = _split_constant(c)
        xp = self.xp
        return Pair(xp.full_like(like.hi, hi), xp.full_like(like.hi, lo), self)

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
        h = xp.clip(y.hi, min=-300.0, max=300.0)
        n = xp.round(h)
        lo = xp.where(h == y.hi, y.lo, 0.0)  # beyond the clip, no lo part
        f = Pair(*self._renormalize(h - n, lo), self)  # h - n exact
        value = self.exp(f * math.log(2.0))
        thirds = xp.floor(n / 3.0)
        scales = (self._pow2(thirds), self._pow2(thirds), self._pow2(n - 2.0 * thirds))
        hi, lo = value.hi, value.lo
        for scale in scales:
            hi, lo = hi * scale, lo * scale
        return Pair(hi, xp.where(xp.isfinite(hi), lo, 0.0), self)


def _pow2_jax(k: Any) -> Any:
    """:meth:`FloatFloat._pow2` on JAX: the float32 bits of ``2**k`` (biased exponent
    ``k + 127``, for whole ``k`` in [-126, 127]), three integer operations instead of ``exp``."""
    import jax

    biased = k.astype("int32") + 127
    return jax.lax.bitcast_convert_type(biased << 23, "float32")


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
