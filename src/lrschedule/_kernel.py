"""A schedule's formula compiled into one elementwise kernel: CUDA for CuPy and torch, C for tests.

The array layer runs a formula as one library call per operation: on a GPU each one is a kernel
launch that reads and writes the whole array. Here the formula runs once on the symbolic
namespace of :mod:`lrschedule._trace`, and the expression it records becomes one function of one
step (:func:`formula_source`): the step read once, converted to float64 and clamped at 0 as
:func:`lrschedule._array._compute_step` does, every operation in float64 registers, the result
rounded once to the result dtype (float16 and bfloat16 correctly rounded, by integer arithmetic on
the float64 bits). The same function is the body of a CUDA kernel (:func:`cuda_source`, launched
by :func:`launch_cupy` and :func:`launch_torch`; :func:`jiterator_source` for torch without a CUDA
toolkit) and of a C loop that the host compiler builds (:func:`cpu_kernel`), which is how the
tests check the generated code without a GPU.

The generated code computes what NumPy computes, operation by operation: products are never fused
into multiply-adds (``__dmul_rn`` on the GPU, ``-ffp-contract=off`` in C); ``maximum`` and
``minimum`` propagate NaN as NumPy's do (C's ``fmax`` and ``fmin`` drop it); ``round`` is ``rint``
(half to even); constants are written with every bit (``repr`` of a float reads back exactly). Only
the transcendental functions (``exp``, ``log``, ``sin``, ...) come from the platform's math library
and may differ from NumPy's in the last bits. A ``where`` chain on constant boundaries with
constant values (a step function's table) becomes a binary search in ``if``/``else`` branches.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from lrschedule._trace import FLOAT, UNARY, Node, TraceError, post_order, trace
from lrschedule.schedule import LearningRateSchedule

__all__ = [
    "HEADER",
    "c_source",
    "cpu_kernel",
    "cuda_source",
    "formula_source",
    "jiterator_source",
    "launch_cupy",
    "launch_torch",
]

HEADER = r"""
/* lrschedule kernels: the few platform differences between CUDA and C, in one place. */
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define LRS_FN static __device__ __forceinline__
/* a product rounded on its own, never merged into a multiply-add (NumPy rounds each product),
   whatever --fmad the compiler is given */
#define LRS_MUL(a, b) __dmul_rn((a), (b))
#define LRS_BITS(x) ((unsigned long long)__double_as_longlong(x))
#define LRS_DOUBLE(b) __longlong_as_double((long long)(b))
#else
#include <math.h>
#include <string.h>
#define LRS_FN static inline
#define LRS_MUL(a, b) ((a) * (b)) /* compiled with -ffp-contract=off: no multiply-add */
static inline unsigned long long LRS_BITS(double x) {
  unsigned long long b;
  memcpy(&b, &x, sizeof b);
  return b;
}
static inline double LRS_DOUBLE(unsigned long long b) {
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}
#endif
#define LRS_INF LRS_DOUBLE(0x7ff0000000000000ULL)
#define LRS_NAN LRS_DOUBLE(0x7ff8000000000000ULL)

/* NumPy's maximum and minimum: NaN from either operand propagates (fmax and fmin drop it) */
LRS_FN double lrs_maximum(double a, double b) { return (a >= b || a != a) ? a : b; }
LRS_FN double lrs_minimum(double a, double b) { return (a <= b || a != a) ? a : b; }

/* 2**x: at a whole x, from its exponent alone (exp2 computes the same exact value in many more
   float64 operations) */
LRS_FN double lrs_exp2(double x) {
  return (x == floor(x) && fabs(x) <= 1100.0) ? ldexp(1.0, (int)x) : exp2(x);
}

/* A binary floating-point number of m mantissa and e exponent bits (float16: 10, 5; bfloat16:
   7, 8) from its bits, exactly. */
LRS_FN double lrs_from_small(unsigned int h, int m, int e) {
  unsigned int top = (1u << e) - 1u, field = (h >> m) & top, mantissa = h & ((1u << m) - 1u);
  int bias = (int)(top >> 1);
  double v;
  if (field == top) {
    v = mantissa ? LRS_NAN : LRS_INF;
  } else if (field == 0u) {
    v = ldexp((double)mantissa, 1 - bias - m);
  } else {
    v = ldexp((double)(mantissa | (1u << m)), (int)field - bias - m);
  }
  return ((h >> (m + e)) & 1u) ? -v : v;
}

/* A float64 rounded to the nearest number of m mantissa and e exponent bits, ties to even, in
   one rounding (a cast through float32 would round twice): its bits. */
LRS_FN unsigned short lrs_to_small(double v, int m, int e) {
  unsigned long long b = LRS_BITS(v), sig, q, rest, half, bits;
  unsigned int sign = (unsigned int)(b >> 63) << (m + e), top = (1u << e) - 1u;
  unsigned int inf = top << m;
  int field = (int)((b >> 52) & 0x7ffULL), bias = (int)(top >> 1), exponent, shift;
  sig = b & 0xfffffffffffffULL;
  if (field == 0x7ff) { /* inf, or NaN (made quiet) */
    return (unsigned short)(sign | inf | (sig ? 1u << (m - 1) : 0u));
  }
  if (field == 0) { /* a float64 subnormal: far below half the smallest subnormal here */
    return (unsigned short)sign;
  }
  exponent = field - 1023; /* |v| = 1.sig * 2**exponent */
  shift = 52 - m;          /* the bits of the 53-bit significand that do not fit */
  if (exponent < 1 - bias) {
    shift += 1 - bias - exponent; /* a subnormal result: fewer bits fit */
  }
  if (shift > 54) {
    return (unsigned short)sign; /* below half the smallest subnormal */
  }
  sig |= 1ULL << 52;
  q = sig >> shift;
  rest = sig & ((1ULL << shift) - 1ULL);
  half = 1ULL << (shift - 1);
  if (rest > half || (rest == half && (q & 1ULL))) {
    q += 1ULL; /* may carry into the exponent: still the right bits */
  }
  bits = exponent < 1 - bias ? q : ((unsigned long long)(exponent + bias - 1) << m) + q;
  if (bits > inf) {
    bits = inf; /* beyond the largest finite number: inf */
  }
  return (unsigned short)(sign | bits);
}
"""
"""The C and CUDA code every kernel starts with."""

# step dtype name -> (C storage type, conversion of one stored value to double)
_STEPS: dict[str, tuple[str, str]] = {
    "int8": ("signed char", "(double)({})"),
    "int16": ("short", "(double)({})"),
    "int32": ("int", "(double)({})"),
    "int64": ("long long", "(double)({})"),
    "uint8": ("unsigned char", "(double)({})"),
    "uint16": ("unsigned short", "(double)({})"),
    "uint32": ("unsigned int", "(double)({})"),
    "uint64": ("unsigned long long", "(double)({})"),
    "float16": ("unsigned short", "lrs_from_small({}, 10, 5)"),
    "bfloat16": ("unsigned short", "lrs_from_small({}, 7, 8)"),
    "float32": ("float", "(double)({})"),
    "float64": ("double", "({})"),
}
# result dtype name -> (C storage type, rounding of the float64 result to it)
_RESULTS: dict[str, tuple[str, str]] = {
    "float64": ("double", "({})"),
    "float32": ("float", "(float)({})"),
    "float16": ("unsigned short", "lrs_to_small({}, 10, 5)"),
    "bfloat16": ("unsigned short", "lrs_to_small({}, 7, 8)"),
}

STEP_DTYPES = tuple(_STEPS)
"""The step dtypes a kernel reads (float16 and bfloat16 as their 16 bits)."""
RESULT_DTYPES = tuple(_RESULTS)
"""The result dtypes a kernel writes (float16 and bfloat16 as their 16 bits)."""

SEARCH_MIN = 4
"""A ``where`` chain on at least this many constant boundaries is searched (``log2`` of them
compared per step); a shorter one stays a chain of selects, which have no branches."""

_BINARY = {"add": "({} + {})", "sub": "({} - {})", "mul": "LRS_MUL({}, {})", "div": "({} / {})"}
_CALLS = {
    "maximum": "lrs_maximum({}, {})",
    "minimum": "lrs_minimum({}, {})",
    "pow": "pow({}, {})",
    "neg": "(-{})",
    "floor": "floor({})",
    "ceil": "ceil({})",
    "round": "rint({})",  # half to even, in the default rounding mode (C and CUDA)
    "exp": "exp({})",
    "log": "log({})",
    "log1p": "log1p({})",
    "sin": "sin({})",
    "cos": "cos({})",
    "sqrt": "sqrt({})",
    "abs": "fabs({})",
    "isfinite": "({0} - {0} == 0.0)",  # inf - inf and NaN - NaN are NaN
    "float": "(double)({})",
    "where": "({} ? {} : {})",
    "and": "({} & {})",
    "or": "({} | {})",
    "not": "(!{})",
}
_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
assert set(UNARY) <= set(_CALLS)  # every function the tracer records has its C spelling


def _literal(value: float) -> str:
    """``value`` as a C double literal that reads back to exactly this double."""
    if value != value:
        return "LRS_NAN"
    if math.isinf(value):
        return "LRS_INF" if value > 0 else "(-LRS_INF)"
    text = repr(value)  # the shortest decimal that reads back exactly
    return f"({text})" if text[0] == "-" else text


_Search = tuple[Node, str, list[float], list[float], Any]
"""A matched table: (the searched node, "gt" or "ge", boundaries ascending, values, base)."""


def _table(node: Node) -> _Search | None:
    """``node`` as a step function, when it is a chain ``where(x > b_k, v_k, ... where(x > b_1,
    v_1, base))`` (or ``>=``) of constant boundaries ``b_1 <= ... <= b_k`` and constant values,
    as :func:`lrschedule._array.piecewise_constant` builds it: the value is ``v_j`` for the last
    ``j`` whose comparison holds, else ``base``."""
    pairs: list[tuple[float, float]] = []
    x: Node | None = None
    op = ""
    current: Any = node
    while isinstance(current, Node) and current.op == "where":
        condition, value, rest = current.args
        if not (
            condition.op in ("gt", "ge")
            and isinstance(condition.args[1], float)
            and isinstance(value, float)
        ):
            break
        if x is None:
            x, op = condition.args[0], condition.op
        elif condition.args[0] is not x or condition.op != op:
            break
        pairs.append((condition.args[1], value))
        current = rest
    pairs.reverse()  # innermost first: ascending boundaries
    boundaries = [b for b, _ in pairs]
    if x is None or not _searchable(boundaries):
        return None
    return x, op, boundaries, [v for _, v in pairs], current


def _searchable(boundaries: list[float]) -> bool:
    """Whether a binary search pays off and finds the same value: enough boundaries, sorted."""
    if len(boundaries) < SEARCH_MIN or any(b != b for b in boundaries):
        return False
    return boundaries == sorted(boundaries)


def formula_source(root: Node) -> str:
    """The C/CUDA function ``double lrs_formula(double s)``: the expression at ``root`` for one
    step ``s`` as read (clamped at 0 first, NaN kept), each node once, in SSA temporaries."""
    tables: dict[int, _Search | None] = {}

    def inputs(node: Node) -> list[Node]:
        if node.op == "where":
            if node.id not in tables:
                tables[node.id] = _table(node)
            table = tables[node.id]
            if table is not None:
                return [a for a in (table[0], table[4]) if isinstance(a, Node)]
        return [a for a in node.args if isinstance(a, Node)]

    order = post_order(root, inputs)

    names: dict[int, str] = {}

    def ref(value: Any) -> str:
        return names[value.id] if isinstance(value, Node) else _literal(value)

    lines = [
        "LRS_FN double lrs_formula(double s) {",
        "  s = lrs_maximum(s, 0.0); /* a step below 0 is step 0; NaN stays NaN */",
    ]
    for node in order:
        if node.op == "step":
            names[node.id] = "s"
            continue
        name = names[node.id] = f"t{node.id}"
        kind = "double" if node.dtype is FLOAT else "int"
        table = tables.get(node.id)
        if table is not None:
            lines.append(f"  double {name};")
            lines.extend(_search(name, table, ref, "  "))
            continue
        args = [ref(a) for a in node.args]
        if node.op in _COMPARE:
            expression = f"({args[0]} {_COMPARE[node.op]} {args[1]})"
        elif node.op == "pow" and isinstance(node.args[0], float) and node.args[0] == 2.0:
            expression = f"lrs_exp2({args[1]})"  # as the array layer: exact where pow may not be
        else:
            template = _BINARY.get(node.op) or _CALLS[node.op]
            expression = template.format(*args)
        lines.append(f"  const {kind} {name} = {expression};")
    lines.append(f"  return {ref(root)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _search(name: str, table: _Search, ref: Callable[[Any], str], indent: str) -> list[str]:
    """``if``/``else`` branches that set ``name`` to the table's value at its node: a binary
    search, ``log2`` of the boundaries compared per step, every constant in the code (no table in
    memory). A NaN step fails every comparison: the base value, as in the ``where`` chain."""
    x, op, boundaries, values, base = table
    symbol = _COMPARE[op]
    lines: list[str] = []
    # (low, high, depth): the answer is the last boundary in [low, high) that the step passes
    pending: list[tuple[int, int, int] | str] = [(0, len(boundaries), 1)]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        low, high, depth = item
        pad = indent * depth
        if low == high:  # passed boundaries[:low]: the value after boundaries[low - 1]
            value = ref(base) if low == 0 else _literal(values[low - 1])
            lines.append(f"{pad}{name} = {value};")
            continue
        middle = (low + high) // 2
        lines.append(f"{pad}if ({ref(x)} {symbol} {_literal(boundaries[middle])}) {{")
        pending.append(f"{pad}}}")
        pending.append((low, middle, depth + 1))
        pending.append(f"{pad}}} else {{")
        pending.append((middle + 1, high, depth + 1))
    return lines


def _types(step_dtype: str, result_dtype: str) -> tuple[tuple[str, str], tuple[str, str]]:
    try:
        return _STEPS[step_dtype], _RESULTS[result_dtype]
    except KeyError:
        raise TraceError(f"no kernel reads {step_dtype} steps into {result_dtype}") from None


KERNEL_NAME = "lrschedule_kernel"


def cuda_source(root: Node, step_dtype: str, result_dtype: str) -> str:
    """The CUDA source of the kernel ``lrschedule_kernel(step, out, n)``: ``out[i]`` is the
    formula at ``step[i]`` for ``i < n`` (contiguous arrays).

    Each thread reads :data:`UNROLL` steps, ``blockDim.x`` apart (each read of a warp is one
    contiguous segment), before it computes any of them, in a grid-stride loop over tiles of
    ``blockDim.x * UNROLL`` steps: at the occupancy that float64 formulas leave, one read in flight
    per thread is too few to keep the memory busy."""
    (step_type, load), (result_type, store) = _types(step_dtype, result_dtype)
    value = store.format("lrs_formula(" + load.format("v[k]") + ")")
    return (
        HEADER
        + formula_source(root)
        + f'extern "C" __global__ void {KERNEL_NAME}(\n'
        + f"    const {step_type}* __restrict__ step, {result_type}* __restrict__ out, int n) {{\n"
        + "  const long long threads = blockDim.x;\n"
        + f"  const long long stride = threads * gridDim.x * {UNROLL};\n"
        + f"  for (long long i = (long long)blockIdx.x * threads * {UNROLL} + threadIdx.x; i < n;"
        + " i += stride) {\n"
        + f"    {step_type} v[{UNROLL}];\n"
        + "#pragma unroll\n"
        + f"    for (int k = 0; k < {UNROLL}; k++) {{ /* past the end: step[i] again, unused */\n"
        + "      v[k] = step[i + k * threads < n ? i + k * threads : i];\n"
        + "    }\n"
        + "#pragma unroll\n"
        + f"    for (int k = 0; k < {UNROLL}; k++) {{\n"
        + f"      if (i + k * threads < n) out[i + k * threads] = {value};\n"
        + "    }\n"
        + "  }\n"
        + "}\n"
    )


def c_source(root: Node, step_dtype: str, result_dtype: str) -> str:
    """The C source of ``void lrs_run(step, out, n)``: the loop of :func:`cuda_source`, on the
    host, with the same ``lrs_formula``."""
    (step_type, load), (result_type, store) = _types(step_dtype, result_dtype)
    value = store.format("lrs_formula(" + load.format("step[i]") + ")")
    return (
        HEADER
        + formula_source(root)
        + f"void lrs_run(const {step_type}* step, {result_type}* out, long long n) {{\n"
        + f"  for (long long i = 0; i < n; i++) out[i] = {value};\n"
        + "}\n"
    )


# result dtype name -> the float64 result rounded to it, as a float64 (exact in the result dtype)
_ROUNDED: dict[str, str] = {
    "float64": "({})",
    "float32": "(double)(float)({})",
    "float16": "lrs_from_small(lrs_to_small({}, 10, 5), 10, 5)",
    "bfloat16": "lrs_from_small(lrs_to_small({}, 7, 8), 7, 8)",
}


def jiterator_source(root: Node, result_dtype: str) -> str:
    """The code string of a torch jiterator function ``lrschedule_kernel(step, unused)``.

    jiterator casts its inputs to their common dtype and writes its output in that dtype; with a
    float64 second input the step comes in as a float64 (as the array layer converts it) and the
    value goes out as a float64, rounded here to the result dtype: the cast to it that follows is
    exact. jiterator reads the name of its entry function from a code string that starts with
    ``template``, and takes the last function: the header comes after a first template.
    """
    if result_dtype not in _ROUNDED:
        raise TraceError(f"no kernel writes {result_dtype}")
    value = _ROUNDED[result_dtype].format("lrs_formula((double)step)")
    return (
        "template <typename T> T lrs_identity(T x) { return x; }\n"
        + HEADER
        + formula_source(root)
        + f"template <typename T> T {KERNEL_NAME}(T step, T unused) {{ return (T){value}; }}\n"
    )


# -- building, caching --------------------------------------------------------------------------

_kernels: dict[Any, Any] = {}
_lock = threading.Lock()
_FAILED = object()
"""Cached for a key whose formula does not trace (or whose kernel does not build): the array
layer's usual path, at the cost of one dictionary lookup."""


def _key(formula: Callable[[Any, Any], Any], *rest: Any) -> tuple[Any, ...]:
    """A cache key: the schedule (a frozen, hashable dataclass: equal schedules share a kernel)
    and its formula's function, or the formula itself when it is not a bound method."""
    owner = getattr(formula, "__self__", None)
    function = getattr(formula, "__func__", formula)
    return (owner, function, *rest) if owner is not None else (formula, *rest)


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The kernel for ``key``, built once (under a lock; the read needs none), or ``None`` where
    the formula does not trace or the kernel did not build."""
    try:
        kernel = _kernels.get(key)
    except TypeError:  # an unhashable schedule (a user class): the usual path
        return None
    if kernel is None:
        with _lock:
            kernel = _kernels.get(key)
            if kernel is None:
                kernel = _build(build)
                _kernels[key] = kernel
    return None if kernel is _FAILED else kernel


def _kernel(
    formula: Callable[[Any, Any], Any], key: tuple[Any, ...], build: Callable[[], Any]
) -> Any:
    """:func:`_cached` for ``_key(formula, *key)``, remembered on the schedule itself (its
    ``_kernels``, where it has one): a call then finds its kernel by ``key`` alone (a few dtypes
    and a device), without hashing every field of the schedule (a microsecond or more for a
    composite)."""
    owner = getattr(formula, "__self__", None)
    memo: dict[Any, Any] | None = getattr(owner, "_kernels", None)
    entry = (getattr(formula, "__func__", None), *key)
    if memo is not None:
        kernel = memo.get(entry, _FAILED)
        if kernel is not _FAILED:
            return kernel
    kernel = _cached(_key(formula, *key), build)
    if memo is None and isinstance(owner, LearningRateSchedule):
        memo = {}
        object.__setattr__(owner, "_kernels", memo)  # frozen: set as the dataclass sets fields
    if memo is not None:
        memo[entry] = kernel  # a dict's item: set atomically, at worst twice
    return kernel


def _build(build: Callable[[], Any]) -> Any:
    try:
        return build()
    except TraceError:
        return _FAILED
    except Exception as exc:  # any failure of the compiler: warn, and run as before
        warnings.warn(
            f"lrschedule could not compile a kernel ({type(exc).__name__}: {exc}); the schedule "
            "runs as one array operation at a time instead",
            RuntimeWarning,
            stacklevel=4,
        )
        return _FAILED


def _traced(formula: Callable[[Any, Any], Any]) -> Node:
    """:func:`trace`, with any error of the formula itself counted as "does not trace": the usual
    path then runs the formula and reports the error as it always has."""
    try:
        return trace(formula)
    except TraceError:
        raise
    except Exception as exc:
        raise TraceError(f"{type(exc).__name__} while tracing: {exc}") from exc


# -- the host compiler (tests) ------------------------------------------------------------------

_NUMPY_STORAGE = {"float16": "uint16", "bfloat16": "uint16"}
_cpu_dir: list[str] = []


def c_compiler() -> str | None:
    """The host C compiler (``$CC``, else ``cc`` or ``gcc`` on the ``PATH``), or ``None``."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        found = shutil.which(name) if name else None
        if found:
            return found
    return None


def cpu_kernel(
    formula: Callable[[Any, Any], Any], step_dtype: str, result_dtype: str
) -> Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]] | None:
    """The kernel's C twin for the host: a function from a NumPy array of steps of
    ``step_dtype`` to the results in ``result_dtype`` (float16 and bfloat16 steps and results as
    their bits, in uint16 arrays), or ``None`` where the formula does not trace.

    Compiled once per process and source (``-O2 -ffp-contract=off``, no fast math); raises
    ``RuntimeError`` without a C compiler, ``subprocess.CalledProcessError`` when the generated
    code does not compile."""
    return _cached(  # type: ignore[no-any-return]
        _key(formula, "cpu", step_dtype, result_dtype),
        lambda: _build_cpu(_traced(formula), step_dtype, result_dtype),
    )


def _build_cpu(
    root: Node, step_dtype: str, result_dtype: str
) -> Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    compiler = c_compiler()
    if compiler is None:
        raise RuntimeError("no C compiler (set CC, or put cc or gcc on the PATH)")
    source = c_source(root, step_dtype, result_dtype)
    if not _cpu_dir:
        _cpu_dir.append(tempfile.mkdtemp(prefix="lrschedule-kernels-"))
    stem = os.path.join(_cpu_dir[0], hashlib.sha256(source.encode()).hexdigest()[:24])
    with open(stem + ".c", "w") as file:
        file.write(source)
    flags = ["-std=c99", "-O2", "-shared", "-fPIC", "-ffp-contract=off", "-fno-fast-math"]
    subprocess.run(
        [compiler, *flags, "-o", stem + ".so", stem + ".c", "-lm"],
        check=True,
        capture_output=True,
    )
    run = ctypes.CDLL(stem + ".so").lrs_run
    run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_longlong]
    run.restype = None
    step_storage = np.dtype(_NUMPY_STORAGE.get(step_dtype, step_dtype))
    result_storage = np.dtype(_NUMPY_STORAGE.get(result_dtype, result_dtype))

    def kernel(step: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        step = np.ascontiguousarray(step)
        if step.dtype != step_storage:
            raise TypeError(f"steps of dtype {step.dtype}; this kernel reads {step_storage}")
        out = np.empty(step.shape, dtype=result_storage)
        run(step.ctypes.data, out.ctypes.data, step.size)
        return out

    return kernel


# -- the GPU launchers ----------------------------------------------------------------------------

BLOCK = 256
"""Threads per block of every launch."""
UNROLL = 4
"""Steps each thread reads together in one pass of the kernel (:func:`cuda_source`)."""
MAX_BLOCKS = 65_536
"""At most this many blocks per launch: the grid-stride loop covers the rest."""
MAX_LAUNCH = 2**31 - 1
"""At most this many steps per launch (``n`` is a C ``int``); a larger array takes several."""


def _launches(n: int) -> list[tuple[int, int, int]]:
    """(start, count, blocks) of each launch over ``n`` steps."""
    if n <= MAX_LAUNCH:  # the usual case, without the loop's cost (a 0-d step's call counts it)
        return [(0, n, _blocks(n))] if n else []
    return [
        (start, count, _blocks(count))
        for start in range(0, n, MAX_LAUNCH)
        for count in (min(n - start, MAX_LAUNCH),)
    ]


def _blocks(count: int) -> int:
    """The blocks of one launch over ``count`` steps: a tile of ``BLOCK * UNROLL`` steps each."""
    return min((count + BLOCK * UNROLL - 1) // (BLOCK * UNROLL), MAX_BLOCKS)


def launch_cupy(formula: Callable[[Any, Any], Any], step: Any, compute: Any, result: Any) -> Any:
    """``formula`` at the CuPy array ``step`` as one kernel on the current stream, or ``None``
    (the array layer's usual path) where the formula does not trace or the dtypes have no kernel.
    ``compute`` and ``result`` are the array layer's dtypes; only float64 compute is compiled.

    A call is the output's allocation and one launch (CuPy's ``RawKernel`` passes an array as
    its data pointer, whatever its shape): nothing is reshaped or sliced unless the steps are not
    contiguous or outnumber :data:`MAX_LAUNCH`."""
    if compute is not np.float64 and np.dtype(compute) != np.float64:
        return None
    cupy = sys.modules["cupy"]

    def build() -> Any:
        source = cuda_source(_traced(formula), step.dtype.name, np.dtype(result).name)
        return cupy.RawKernel(source, KERNEL_NAME)  # compiled per device at its first launch

    kernel = _kernel(formula, ("cupy", step.dtype, result), build)
    if kernel is None:
        return None
    with step.device:
        if not step.flags.c_contiguous:
            step = cupy.ascontiguousarray(step)
        out = cupy.empty(step.shape, dtype=result)
        n = step.size
        if n <= MAX_LAUNCH:
            if n:
                kernel((_blocks(n),), (BLOCK,), (step, out, np.int32(n)))
            return out
        flat, flat_out = step.reshape(-1), out.reshape(-1)
        for start, count, blocks in _launches(n):
            end = start + count
            kernel((blocks,), (BLOCK,), (flat[start:end], flat_out[start:end], np.int32(count)))
    return out


def launch_torch(formula: Callable[[Any, Any], Any], step: Any, compute: Any, result: Any) -> Any:
    """``formula`` at the torch CUDA tensor ``step`` as one kernel on torch's current stream, or
    ``None`` (the usual path) where the formula does not trace or the dtypes have no kernel.

    The kernel is compiled by ``torch.cuda._compile_kernel`` (torch 2.8 and later, NVRTC with the
    CUDA toolkit's headers) and launched through the CUDA driver (:class:`_Driver`): the output's
    allocation and one launch. Without it (or without a toolkit), by torch's jiterator, which
    needs neither: one kernel for float64 results, and an exact cast after it for the others
    (jiterator writes the inputs' dtype)."""
    torch = sys.modules["torch"]
    if compute != torch.float64 or torch.jit.is_tracing():  # a trace records torch's ops only
        return None
    device = step.device
    kernel = _kernel(
        formula,
        ("torch", device.index, step.dtype, result),
        lambda: _build_torch(torch, formula, device, step.dtype, result),
    )
    return None if kernel is None else kernel.run(torch, step, result)


def _build_torch(torch: Any, formula: Any, device: Any, step_dtype: Any, result: Any) -> Any:
    step_name, result_name = str(step_dtype)[6:], str(result)[6:]  # "torch.int64"
    root = _traced(formula)
    compile_kernel = getattr(torch.cuda, "_compile_kernel", None)
    if compile_kernel is not None:
        source = cuda_source(root, step_name, result_name)
        try:
            with torch.cuda.device(device):  # compiled for, and loaded on, this device
                compiled = compile_kernel(source, KERNEL_NAME)
                return _Launched.of(torch, compiled)
        except OSError:  # no CUDA toolkit (CUDA_HOME) for NVRTC's include path
            pass
    if step_name not in _JITERATOR_STEPS:
        raise TraceError(f"jiterator may not read {step_name} steps")
    jitted = torch.cuda.jiterator._create_jit_fn(jiterator_source(root, result_name))
    unused = torch.empty((), dtype=torch.float64, device=device)
    jitted(torch.empty(1, dtype=step_dtype, device=device), unused)  # compiles it now
    return _Jiterated(jitted)


_JITERATOR_STEPS = (
    "int8", "int16", "int32", "int64", "uint8", "float16", "bfloat16", "float32", "float64"
)  # fmt: skip
"""The step dtypes jiterator converts (torch's unsigned types beyond uint8 have few kernels)."""


class _Jiterated:
    """A jiterator function: its float64 output, cast exactly to the result dtype."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def run(self, torch: Any, step: Any, result: Any) -> Any:
        # the second input only makes float64 the common dtype: never written, never read
        unused = torch.empty((), dtype=torch.float64, device=step.device)
        return self.function(step, unused).to(result)  # exact: rounded in the kernel


class _Launched:
    """A kernel of ``torch.cuda._compile_kernel``, launched through :class:`_Driver` where the
    driver library loads (else by the kernel object itself, which loads it at every launch)."""

    __slots__ = ("context", "driver", "function", "kernel", "stream")

    def __init__(self, kernel: Any, driver: _Driver | None, context: int | None, stream: Any):
        self.kernel = kernel
        self.driver = driver
        self.function = getattr(kernel, "func", None)
        self.context = context
        self.stream = stream  # device index -> the current stream's handle

    @classmethod
    def of(cls, torch: Any, kernel: Any) -> _Launched:
        """``kernel``, just compiled and loaded in the current CUDA context."""
        driver = _driver()
        raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
        if raw is None:
            raw = lambda index: torch.cuda.current_stream(index).cuda_stream  # noqa: E731
        if driver is None or getattr(kernel, "func", None) is None:
            return cls(kernel, None, None, raw)
        return cls(kernel, driver, driver.context(), raw)

    def run(self, torch: Any, step: Any, result: Any) -> Any:
        if not step.is_contiguous():
            step = step.contiguous()
        # empty_like: a third of empty's time (the step's shape and device, read in C++)
        out = torch.empty_like(step, dtype=result, memory_format=torch.contiguous_format)
        n = step.numel()
        if self.driver is None:
            device = step.device
            with torch.cuda.device(device):
                stream = torch.cuda.current_stream(device)
                for start, count, blocks in _launches(n):
                    self.kernel(
                        grid=(blocks, 1, 1),
                        block=(BLOCK, 1, 1),
                        args=[step.view(-1)[start:], out.view(-1)[start:], count],
                        stream=stream,
                    )
            return out
        self.driver.launch(
            self.function,
            self.context,
            (step.data_ptr(), step.element_size()),
            (out.data_ptr(), out.element_size()),
            n,
            self.stream(step.get_device()),
        )
        return out


class _Driver:
    """The few functions of the CUDA driver that a launch needs, through ctypes, looked up once
    (torch's kernel objects open the driver library again at every launch: tens of
    microseconds)."""

    def __init__(self, library: Any) -> None:
        self._launch = library.cuLaunchKernel
        self._launch.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [ctypes.c_void_p] * 3
        self._launch.restype = ctypes.c_int
        self._current = library.cuCtxGetCurrent
        self._current.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._current.restype = ctypes.c_int
        self._push = library.cuCtxPushCurrent_v2
        self._push.argtypes = [ctypes.c_void_p]
        self._push.restype = ctypes.c_int
        self._pop = library.cuCtxPopCurrent_v2
        self._pop.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._pop.restype = ctypes.c_int
        self._error = library.cuGetErrorString
        self._error.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
        self._error.restype = ctypes.c_int

    def _check(self, code: int) -> None:
        if code:
            text = ctypes.c_char_p()
            self._error(code, ctypes.byref(text))
            message = text.value.decode() if text.value else "unknown error"
            raise RuntimeError(
                f"CUDA driver error {code} launching an lrschedule kernel: {message}"
            )

    def context(self) -> int | None:
        """The calling thread's current CUDA context (its handle), if any."""
        current = ctypes.c_void_p()
        self._check(self._current(ctypes.byref(current)))
        return current.value

    def launch(
        self,
        function: Any,
        context: int | None,
        step: tuple[int, int],
        out: tuple[int, int],
        n: int,
        stream: int,
    ) -> None:
        """``function`` over ``n`` steps at ``step`` into ``out`` (each a device pointer and its
        element size) on ``stream``, in ``context``, where its module was loaded: made current
        for the launch where another is (a thread that never used CUDA has none)."""
        current = ctypes.c_void_p()
        self._check(self._current(ctypes.byref(current)))
        switch = current.value != context
        if switch:
            self._check(self._push(context))
        try:
            for start, count, blocks in _launches(n):
                arguments = _Arguments(step[0] + start * step[1], out[0] + start * out[1], count)
                at = ctypes.addressof(arguments)
                pointers = _Pointers(at, at + _Arguments.out.offset, at + _Arguments.n.offset)
                self._check(
                    self._launch(function, blocks, 1, 1, BLOCK, 1, 1, 0, stream, pointers, None)
                )
        finally:
            if switch:
                self._check(self._pop(ctypes.byref(current)))


class _Arguments(ctypes.Structure):
    """The kernel's arguments ``(step, out, n)``, each where the launch's pointers point."""

    _fields_ = [("step", ctypes.c_void_p), ("out", ctypes.c_void_p), ("n", ctypes.c_int)]


_Pointers = ctypes.c_void_p * 3


_drivers: list[_Driver | None] = []


def _driver() -> _Driver | None:
    """The CUDA driver's functions, loaded once; ``None`` where the library does not load."""
    if not _drivers:
        name = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
        try:
            _drivers.append(_Driver(ctypes.CDLL(name)))
        except (OSError, AttributeError):
            _drivers.append(None)
    return _drivers[0]
