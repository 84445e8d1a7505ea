"""The only module that knows about array libraries.

A call ``schedule(step)`` comes here (:func:`evaluate`): find the step's namespace and device, pick the
compute dtype (float64 wherever the device offers it) and the result dtype, run the schedule's formula,
and cast the result. Python and NumPy scalars take a fast path that runs the same formula on Python
floats (:data:`python_math`) and returns a NumPy scalar.

Nothing here reads an array's value on the host, so a call traces under ``jax.jit`` and
``torch.compile`` and never synchronizes a GPU stream.
"""

from __future__ import annotations

import bisect
import functools
import math
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["evaluate", "piecewise_constant", "python_math"]

Formula = Callable[[Any, Any], Any]
Piece = float | Formula
"""A piece of :meth:`Select.select`: a constant, or a formula ``f(xp, step)``."""

NUMPY_SCALARS: dict[str | None, type[np.floating[Any]]] = {
    None: np.float64,
    "float64": np.float64,
    "float32": np.float32,
    "float16": np.float16,
}

_ACCEPTED = (
    "a Python int or float, a NumPy integer or floating scalar, or an integer or real floating "
    "array of an array API library (NumPy, CuPy, torch, JAX, dask, ...)"
)


class _PythonMath:
    """The array API functions that formulas use, on Python floats: the scalar fast path.

    Each function follows the IEEE/NumPy conventions (NaN propagates, overflow gives inf, a domain
    error gives NaN) instead of raising as :mod:`math` does, so that a Python-int step and a
    NumPy-array step give the same value, to within 2 float64 ulp: :mod:`math`'s ``exp``,
    ``sin`` and ``pow`` are the C library's, NumPy's are its own, and the two may round the last
    bit differently (float32 and narrower results then almost always agree).
    """

    pi = math.pi
    e = math.e
    inf = math.inf
    nan = math.nan

    @staticmethod
    def floor(x: float) -> float:
        return float(math.floor(x)) if math.isfinite(x) else x

    @staticmethod
    def ceil(x: float) -> float:
        return float(math.ceil(x)) if math.isfinite(x) else x

    @staticmethod
    def round(x: float) -> float:
        return float(round(x)) if math.isfinite(x) else x

    @staticmethod
    def where(condition: bool, x1: float, x2: float) -> float:
        return x1 if condition else x2

    @staticmethod
    def minimum(x1: float, x2: float) -> float:
        return x2 if (x2 < x1 or x2 != x2) else x1

    @staticmethod
    def maximum(x1: float, x2: float) -> float:
        return x2 if (x2 > x1 or x2 != x2) else x1

    @staticmethod
    def clip(x: float, /, min: float | None = None, max: float | None = None) -> float:
        if min is not None and x < min:
            x = min
        if max is not None and x > max:
            x = max
        return x

    @staticmethod
    def sin(x: float) -> float:
        return math.sin(x) if math.isfinite(x) else math.nan

    @staticmethod
    def cos(x: float) -> float:
        return math.cos(x) if math.isfinite(x) else math.nan

    @staticmethod
    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(x: float) -> float:
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan

    @staticmethod
    def log1p(x: float) -> float:
        if x > -1:
            return math.log1p(x)
        return -math.inf if x == -1 else math.nan

    @staticmethod
    def sqrt(x: float) -> float:
        return math.sqrt(x) if x >= 0 else math.nan

    @staticmethod
    def tanh(x: float) -> float:
        return math.tanh(x)

    @staticmethod
    def atan(x: float) -> float:
        return math.atan(x)

    @staticmethod
    def expm1(x: float) -> float:
        try:
            return math.expm1(x)
        except OverflowError:
            return math.inf

    @staticmethod
    def log2(x: float) -> float:
        return _PythonMath.log(x) / math.log(2.0)

    @staticmethod
    def log10(x: float) -> float:
        return _PythonMath.log(x) / math.log(10.0)

    @staticmethod
    def square(x: float) -> float:
        return x * x

    @staticmethod
    def sign(x: float) -> float:
        return x if x != x else float((x > 0) - (x < 0))

    @staticmethod
    def isnan(x: float) -> bool:
        return x != x

    @staticmethod
    def pow(x1: float, x2: float) -> float:
        try:
            return math.pow(x1, x2)
        except OverflowError:
            odd = x1 < 0 and x2 % 2 == 1
            return -math.inf if odd else math.inf
        except ValueError:  # 0 ** negative, or negative ** fractional
            return math.inf if x1 == 0 else math.nan

    @staticmethod
    def abs(x: float) -> float:
        return abs(x)

    @staticmethod
    def full_like(x: float, /, fill_value: float, **_: Any) -> float:
        return float(fill_value)

    @staticmethod
    def astype(x: float, dtype: Any, /, **_: Any) -> float:
        return x

    @staticmethod
    def indicator(condition: bool, like: float, /) -> float:
        return 1.0 if condition else 0.0

    def estimate(self, f: Formula, x: float, /) -> float:
        return float(f(self, x))


def _float_select(xp: Any) -> Callable[..., float]:
    """:meth:`Select.select` on a Python float, for namespace ``xp``: a binary search, and only
    the piece the step is in is evaluated (a NaN step gives NaN)."""

    def select(
        step: float,
        boundaries: Sequence[float],
        pieces: Sequence[Piece],
        *,
        closed: str = "left",
        shift: bool = False,
    ) -> float:
        if closed == "left":
            i = bisect.bisect_right(boundaries, step)
        else:
            i = bisect.bisect_left(boundaries, step)
        piece: Any = pieces[i]
        if type(piece) is float:
            return piece if step == step else step
        value: float = piece(xp, step - boundaries[i - 1] if shift and i else step)
        return value

    return select


python_math = _PythonMath()
python_math.select = _float_select(python_math)  # type: ignore[attr-defined]
"""The namespace a formula sees for Python and NumPy scalar steps: IEEE semantics throughout."""


raw_math: Any = types.ModuleType("lrschedule.raw_math")
raw_math.__dict__.update(
    {
        **{name: getattr(python_math, name) for name in dir(_PythonMath) if name[0] != "_"},
        "floor": math.floor,
        "ceil": math.ceil,
        "round": round,
        "sin": math.sin,
        "cos": math.cos,
        "exp": math.exp,
        "log": math.log,
        "log1p": math.log1p,
        "sqrt": math.sqrt,
        "pow": math.pow,
        "expm1": math.expm1,
    }
)
raw_math.select = _float_select(raw_math)
raw_math.estimate = lambda f, x, /: f(raw_math, x)
""":mod:`math`'s own functions, which raise on overflow and domain errors instead of returning inf
or NaN: the fastest path for the usual finite step, retried with :data:`python_math` whenever one
raises."""


class Select:
    """What the array layer adds to a namespace for formulas: :meth:`select`, built from the
    namespace's own ``where`` and ``clip`` (a mixin: every namespace a formula sees has it)."""

    def select(
        self,
        step: Any,
        boundaries: Sequence[float],
        pieces: Sequence[Piece],
        *,
        closed: str = "left",
        shift: bool = False,
    ) -> Any:
        """A function defined piece by piece: ``pieces[i]`` between ``boundaries[i - 1]`` and
        ``boundaries[i]`` (non-decreasing; a repeated boundary is a jump), the interval closed on
        the ``closed`` side. A piece is a number (a constant) or a formula ``f(xp, t)`` of the
        step ``t``, or with ``shift`` of the step counted from the piece's start (never below 0).
        A NaN step gives NaN.

        On arrays every piece is evaluated and the step picks one (``where``); on a Python
        float (:data:`python_math`) only the piece the step is in. A table of constants is
        :func:`piecewise_constant`.
        """
        xp: Any = self
        if not any(callable(piece) for piece in pieces):
            table = (tuple(boundaries), tuple(pieces))
            return self._table(step, table, closed)  # type: ignore[arg-type]
        first = pieces[0]
        value = first(xp, step) if callable(first) else xp.where(step == step, first, step)
        for boundary, piece in zip(boundaries, pieces[1:], strict=True):
            if callable(piece):
                piece = piece(xp, xp.clip(step - boundary, min=0.0) if shift else step)
            later = step >= boundary if closed == "left" else step > boundary
            value = xp.where(later, piece, value)
        return value

    def _table(self, step: Any, table: Table, closed: str) -> Any:
        """:func:`piecewise_constant` in this namespace (float-float pairs search their own way)."""
        return piecewise_constant(self, step, table, closed)

    def estimate(self, f: Formula, x: Any, /) -> Any:
        """``f(xp, x)`` where the formula needs it only roughly, and makes the result exact by
        itself (a period's index, corrected in exact step units): ``f`` non-decreasing, and
        right to within a few float32 ulps of its intermediate values, which the formula
        tolerates. Every namespace computes ``f`` as usual; float-float pairs compute it in
        plain float32 (:mod:`lrschedule._float_float`)."""
        return f(self, x)

    def indicator(self, condition: Any, like: Any, /) -> Any:
        """1 where ``condition`` holds and 0 elsewhere, in the dtype of ``like`` (the compute
        dtype): a comparison as a number, for arithmetic on 0/1 flags where ``where`` costs
        several arithmetic operations (torch on a CPU)."""
        xp: Any = self
        return xp.astype(condition, like.dtype)


class _Namespace(Select):
    """``xp`` with :class:`Select`: the namespace formulas see for libraries with no faster
    spelling of a function (JAX, array-api-strict, ...)."""

    def __init__(self, xp: Any) -> None:
        self._xp = xp
        self.__name__ = xp.__name__

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._xp, name)
        setattr(self, name, value)  # found once, then a plain attribute
        return value


def scalar_value(formula: Formula, step: Any) -> float:
    """``formula`` at a Python or NumPy scalar step (below zero: at 0), as a Python float: the
    schedule's formula compiled for Python floats (:mod:`lrschedule._python`), retried on
    :data:`python_math` for IEEE results where a Python float operation raises."""
    try:
        x = float(step)
        if x >= 0.0:
            return float(_compiled(formula)(x))
        if x < 0.0:
            return float(_compiled(formula)(0.0))
    except (ArithmeticError, ValueError):  # overflow, a domain error, or a huge Python int
        pass
    return float(formula(python_math, python_math.maximum(_python_step(step), 0.0)))


def _compiled(formula: Formula) -> Callable[[float], float]:
    """The compiled Python-float formula of the schedule whose ``_evaluate`` is ``formula``,
    kept on the schedule (built at its first scalar call)."""
    schedule = getattr(formula, "__self__", None)
    try:
        return schedule._scalar  # type: ignore[union-attr, no-any-return]
    except AttributeError:
        pass
    if schedule is None or getattr(schedule, "_evaluate", None) != formula:
        return lambda x: formula(raw_math, x)
    from lrschedule._python import scalar_formula  # imports _array: here, not at the top

    compiled = scalar_formula(schedule)
    object.__setattr__(schedule, "_scalar", compiled)
    return compiled


def _python_step(step: int | float) -> float:
    try:
        return float(step)
    except OverflowError:  # a Python int beyond float range
        return math.inf if step > 0 else -math.inf


def _bad_step(step: object, detail: str = "") -> TypeError:
    got = detail or f"{type(step).__module__}.{type(step).__qualname__}"
    return TypeError(f"step must be {_ACCEPTED}; got {got}: {step!r:.80}")


def evaluate(formula: Formula, step: Any, dtype: str | None, table: Table | None = None) -> Any:
    """Run ``formula(xp, step)`` for a step of any supported kind; see the module docstring.

    ``dtype`` is the schedule's resolved result dtype name, or ``None`` for the namespace's default.
    Steps below zero are treated as step 0. ``table``: the schedule is this step function (which
    ``formula`` computes too), searched directly on NumPy arrays.
    """
    kind = type(step)
    if kind is int or kind is float or isinstance(step, (np.integer, np.floating)):
        scalar = NUMPY_SCALARS.get(dtype) or _numpy_scalar(dtype)
        return scalar(scalar_value(formula, step))
    if isinstance(step, np.generic):
        raise _bad_step(step, f"a NumPy scalar of dtype {step.dtype}")
    cupy = sys.modules.get("cupy")
    if cupy is not None and kind is cupy.ndarray:
        value = _evaluate_cupy(formula, step, dtype)
        if value is not None:
            return value
    torch = sys.modules.get("torch")
    if torch is not None and torch.is_tensor(step):  # not torch.Tensor: see _evaluate_torch
        return _evaluate_torch(torch, formula, step, dtype, table)
    return _evaluate_array(formula, step, dtype, table)


_CUPY_RESULTS = {
    name: np.dtype(name or "float64") for name in (None, "float64", "float32", "float16")
}
"""CuPy's result dtypes: float64 by default (CuPy has float64 on every device, and computes in it)."""


def _evaluate_cupy(formula: Formula, step: Any, dtype: str | None) -> Any:
    """One CuPy kernel, without the array API namespace's lookups (a call at a 0-d step is then
    little more than CuPy's own allocation and launch); ``None`` for anything else: a step dtype
    that is not a number, a ``dtype`` CuPy lacks, a formula that does not compile. The general
    path then takes the call, and says what is wrong."""
    result = _CUPY_RESULTS.get(dtype)
    if result is None or step.dtype.kind not in "iuf":
        return None
    return _launch("launch_cupy", formula, step, np.float64, result)


def _evaluate_torch(torch: Any, formula: Formula, step: Any, dtype: str | None, table: Any) -> Any:
    """:func:`_evaluate_array` for a torch tensor, with torch's own calls where array-api-compat's
    cost microseconds (a 0-d call is a few torch ops: each one counts)."""
    # Under torch.compile a constant: dynamo calls it once while tracing and guards on nothing
    # inside it (the device, the dtypes and the default dtype are guarded anyway), so the lookup
    # adds no guard to check on every call (each is C++ or Python work before the graph runs).
    compute, result, compiling = _torch_dtypes(step.device, step.dtype, dtype)
    if compute is None:
        raise _bad_step(step, f"an array of dtype {step.dtype}")
    # `_HALF` spelled out: under torch.compile a read of that global tuple adds guards per call
    half = (dtype == "float16" or dtype == "bfloat16") and compute == torch.float64
    # is_compiling() read here too: torch releases before 2.13 run the constant function
    # _torch_dtypes outside the trace, where it says False
    if compiling or torch.compiler.is_compiling():  # torch's own functions: see _CompiledTorch
        fx = _CompiledTorch(torch)
        value = formula(fx, step.to(compute).clamp(min=0.0))  # cast first: no wrap-around
        return _to_half(fx, value, result, torch.float32) if half else value.to(result)
    # an import, not a module-level cache: torch.compile guards on globals that a first call
    # changes, and would compile again on the second call
    import array_api_compat.torch as xp

    value = _torch_shortcut(torch, xp, formula, step, (compute, result, half), table)
    if value is not None:
        return value
    return _run_torch(xp, formula, step, compute, result, half)


def _torch_shortcut(
    torch: Any, xp: Any, formula: Formula, step: Any, dtypes: tuple[Any, Any, bool], table: Any
) -> Any:
    """A faster way than the formula's torch ops, where there is one (else ``None``): one
    compiled kernel on a GPU, one Python float for a 0-d CPU tensor, a search of a table."""
    compute, result, half = dtypes
    if step.device.type == "cuda" and type(step) is torch.Tensor and _plain(torch, step):
        return _launch("launch_torch", formula, step, compute, result)
    if step.ndim == 0 and step.device.type == "cpu" and _plain(torch, step):
        # One CPU value: the Python float path and one tensor (a few torch ops cost more).
        value = scalar_value(formula, step.item())
        if half:  # torch rounds a Python float to half precision through float32 too
            return _to_half(xp, torch.tensor(value, dtype=compute), result, torch.float32)
        return torch.tensor(value, dtype=result)
    if table is not None and _searchable_torch(step):
        return _search_torch(xp, table, step, compute, result)
    return None


def _run_torch(xp: Any, formula: Formula, step: Any, compute: Any, result: Any, half: bool) -> Any:
    """The formula over a torch tensor outside torch.compile: whole on a GPU, in chunks of
    :data:`TORCH_CHUNK` on the CPU."""
    torch = sys.modules["torch"]
    if compute == torch.float32:  # no float64 on this device (Apple MPS)
        value = _pairs(formula, xp, step, result)
        if value is not None:
            return value
    fx = _formula_namespace(xp, step)

    def run(part: Any) -> Any:
        value = formula(fx, part.to(compute).clamp(min=0.0))  # cast first: no wrap-around
        return _to_half(xp, value, result, torch.float32) if half else value.to(result)

    if step.device.type != "cpu":
        return run(step)
    if not _heap_ready:
        _keep_temporaries_on_the_heap()
    if step.numel() <= 2 * TORCH_CHUNK:
        return run(step)
    # On the CPU every torch op writes a new tensor: in chunks, they stay in the cache.
    flat = step.reshape(-1)
    out = torch.empty(flat.shape, dtype=result)
    for start in range(0, flat.numel(), TORCH_CHUNK):
        out[start : start + TORCH_CHUNK] = run(flat[start : start + TORCH_CHUNK])
    return out.reshape(step.shape)


TORCH_CHUNK = 65_536
"""torch CPU tensors are evaluated in chunks of this many elements (as NumPy arrays are in
:data:`CHUNK`s), so that a formula's temporaries stay in the CPU cache (docs/performance.md)."""


_torch_cache: dict[tuple[Any, Any, str | None], tuple[Any, Any]] = {}


def _torch_dtypes(device: Any, step_dtype: Any, dtype: str | None) -> tuple[Any, Any, bool]:
    """:func:`_dtypes` for a torch device (cached per device, default dtype and ``dtype``;
    ``None, None`` for a bool or complex ``step_dtype``), and whether torch.compile is tracing
    the call. torch's default dtype and compiling flag are read here, where they add no guard
    (dynamo guards on the default dtype anyway)."""
    torch = sys.modules["torch"]
    if step_dtype.is_complex or step_dtype == torch.bool:
        return None, None, False
    key = (device, torch.get_default_dtype(), dtype)
    dtypes = _torch_cache.get(key)
    if dtypes is None:
        import array_api_compat.torch as xp

        dtypes = _torch_cache[key] = _dtypes(xp, device, dtype)
    return (*dtypes, torch.compiler.is_compiling())


# what torch.compiler.assume_constant_result does, without importing torch: dynamo runs the
# function at trace time on the (constant) arguments and puts its result in the graph as a constant
_torch_dtypes._dynamo_marked_constant = True  # type: ignore[attr-defined]


class _CompiledTorch(Select):
    """The namespace a formula sees on torch tensors under ``torch.compile``: torch's own
    functions where they are the array API's for tensors of the compute dtype and Python numbers
    (``clip`` is ``torch.clamp``), array-api-compat's for the rest.

    Built while tracing, in the traced code: dynamo then guards on this class and on the torch
    functions a formula calls, where each array-api-compat wrapper adds guards of its own (on its
    module's globals and tables, and a Python one that torch reached by two names is one module),
    all checked before every call.
    """

    def __init__(self, torch: Any) -> None:
        self._torch = torch

    def __getattr__(self, name: str) -> Any:
        import array_api_compat.torch as xp

        return getattr(xp, name)

    def where(self, condition: Any, x1: Any, x2: Any, /) -> Any:
        return self._torch.where(condition, x1, x2)

    def clip(self, x: Any, /, min: Any = None, max: Any = None) -> Any:
        return self._torch.clamp(x, min=min, max=max)

    def pow(self, x1: Any, x2: Any, /) -> Any:
        return self._torch.pow(x1, x2)

    def astype(self, x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
        return x.to(dtype=dtype, copy=copy) if device is None else x.to(device, dtype, copy=copy)

    def exp(self, x: Any, /) -> Any:
        return self._torch.exp(x)

    def log(self, x: Any, /) -> Any:
        return self._torch.log(x)

    def sin(self, x: Any, /) -> Any:
        return self._torch.sin(x)

    def cos(self, x: Any, /) -> Any:
        return self._torch.cos(x)

    def floor(self, x: Any, /) -> Any:
        return self._torch.floor(x)

    def round(self, x: Any, /) -> Any:
        return self._torch.round(x)

    def isfinite(self, x: Any, /) -> Any:
        return self._torch.isfinite(x)


def _plain(torch: Any, step: Any) -> bool:
    """Whether ``step`` is a plain tensor, whose value may be read: not one that autograd or
    ``torch.func`` (vmap, grad) tracks."""
    if step.requires_grad:
        return False
    functorch = getattr(torch._C, "_functorch", None)
    wrapped = getattr(functorch, "is_functorch_wrapped_tensor", None)
    return wrapped is None or not wrapped(step)


def _numpy_scalar(dtype: str | None) -> type[np.floating[Any]]:
    try:
        return NUMPY_SCALARS[dtype]
    except KeyError:
        raise ValueError(
            f"dtype={dtype!r} is not available for Python and NumPy scalar steps, which return "
            f"NumPy scalars; NumPy offers {', '.join(n for n in NUMPY_SCALARS if n)}. "
            "Pass the step as a torch or JAX array to get this dtype."
        ) from None


def _namespace_and_device(step: Any) -> tuple[Any, Any]:
    """The step's array API namespace and device; a ``TypeError`` for anything else.

    (torch tensors do not come here: :func:`_evaluate_torch`.)
    """
    import array_api_compat

    if step is None or not array_api_compat.is_array_api_obj(step):
        raise _bad_step(step)
    return array_api_compat.array_namespace(step), array_api_compat.device(step)


CHUNK = 16_384
"""NumPy evaluates large steps in chunks of this many elements: the formula's temporaries then stay
in the CPU cache instead of streaming whole arrays through memory once per operation."""


class _UfuncClip(_Namespace):
    """A namespace whose ``clip`` is two ufuncs (``maximum``, ``minimum``): array-api-compat's
    generic ``clip`` for CuPy assigns through a boolean mask, which reads the mask's count on the
    host (a stream sync), and it is the slowest way to clip on NumPy. ``pow(2.0, x)`` is
    ``exp2(x)``, much cheaper than a general power. Everything else is ``xp``'s."""

    def __init__(self, xp: Any, module: Any) -> None:
        super().__init__(xp)
        self._maximum = module.maximum
        self._minimum = module.minimum
        self._exp2 = module.exp2
        self._pow = xp.pow

    def pow(self, x1: Any, x2: Any, /) -> Any:
        if type(x1) is float and x1 == 2.0:
            return self._exp2(x2)
        return self._pow(x1, x2)

    def clip(self, x: Any, /, min: Any = None, max: Any = None) -> Any:
        if min is not None:
            x = self._maximum(x, min)
        if max is not None:
            x = self._minimum(x, max)
        return x


class _TorchClamp(_UfuncClip):
    """:class:`_UfuncClip` for torch tensors outside ``torch.compile`` (inductor compiles the
    plain namespace well): ``clip`` is ``Tensor.clamp``, one op (``torch.maximum`` takes no
    Python numbers), and ``pow(2.0, x)`` is ``torch.exp2`` (``torch.pow`` of a Python number to a
    tensor is a general power, far slower)."""

    def clip(self, x: Any, /, min: Any = None, max: Any = None) -> Any:
        return x.clamp(min=min, max=max)


_formula_namespaces: dict[int, Any] = {}


def _formula_namespace(xp: Any, step: Any) -> Any:
    """The namespace a formula sees for ``step``: ``xp``, with a ufunc ``clip`` on NumPy/CuPy
    and torch's own ``clamp`` on torch (not under ``torch.compile``: :class:`_CompiledTorch`
    there)."""
    kind = _UfuncClip
    if isinstance(step, np.ndarray):
        module = np
    elif (cupy := sys.modules.get("cupy")) is not None and isinstance(step, cupy.ndarray):
        module = cupy
    elif (torch := sys.modules.get("torch")) is not None and torch.is_tensor(step):
        module, kind = torch, _TorchClamp
    else:
        found = _formula_namespaces.get(id(xp))
        if found is None:
            found = _formula_namespaces[id(xp)] = _Namespace(xp)
        return found
    found = _formula_namespaces.get(id(xp))
    if found is None:
        found = _formula_namespaces[id(xp)] = kind(xp, module)
    return found


def _evaluate_array(formula: Formula, step: Any, dtype: str | None, table: Table | None) -> Any:
    value = _evaluate_namespace(formula, step, dtype, table)
    if isinstance(step, np.ndarray):  # one rule for every schedule (docs/guide/backends.md)
        return _numpy_result(step, value)
    return value


def _numpy_result(step: Any, value: Any) -> Any:
    """A NumPy step's result: an ndarray of the step's shape, 0-d included (NumPy's own
    functions give a scalar there, ``where`` a 0-d array), and for a masked array a masked
    array with the step's mask (every entry computed; a masked step's value is unspecified)."""
    value = np.asarray(value)
    if isinstance(step, np.ma.MaskedArray):
        return np.ma.MaskedArray(value, mask=np.ma.getmaskarray(step).copy())
    return value


def _evaluate_namespace(formula: Formula, step: Any, dtype: str | None, table: Table | None) -> Any:
    xp, device = _namespace_and_device(step)
    if not xp.isdtype(step.dtype, ("integral", "real floating")):
        raise _bad_step(step, f"an array of dtype {step.dtype}")
    compute, result = _dtypes(xp, device, dtype)
    value = _evaluate_elsewhere(formula, xp, step, dtype, table, compute, result)
    if value is not None:
        return value
    fx = _formula_namespace(xp, step)
    if isinstance(step, np.ndarray):
        if not _heap_ready:
            _keep_temporaries_on_the_heap()
        if step.size > 2 * CHUNK:
            return _evaluate_numpy_chunks(formula, fx, step, compute, result)
    value = formula(fx, _compute_step(xp, step, compute))
    if dtype in _HALF and _double_rounding(xp) and compute == getattr(xp, "float64", None):
        return _to_half(xp, value, result, xp.float32)  # JAX; torch: _evaluate_torch
    return xp.astype(value, result, copy=False)


def _evaluate_elsewhere(
    formula: Formula,
    xp: Any,
    step: Any,
    dtype: str | None,
    table: Table | None,
    compute: Any,
    result: Any,
) -> Any:
    """The call on a path other than the formula in ``xp``: a NumPy table search, dask block by
    block, one CuPy kernel, float-float pairs on a float32-only device; ``None`` where none
    applies."""
    if table is not None and isinstance(step, np.ndarray):
        return _search_numpy(table, step, result)
    if xp.__name__ == "array_api_compat.dask.array":  # lazily, block by block, as NumPy arrays
        block = functools.partial(_evaluate_block, formula, dtype, table)
        meta = np.empty((0,) * step.ndim, dtype=result)
        return step.map_blocks(block, dtype=result, meta=meta)
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(step, cupy.ndarray):
        value = _launch("launch_cupy", formula, step, compute, result)
        if value is not None:
            return value
    if compute == xp.float32:  # no float64 on this device
        return _pairs(formula, xp, step, result)
    return None


def _pairs(formula: Formula, xp: Any, step: Any, result: Any) -> Any:
    """The formula in float-float pairs on a device without float64 (:mod:`lrschedule._float_float`),
    ``None`` where :func:`~lrschedule.set_raw_float32` switched them off."""
    from lrschedule import _float_float  # imported at the first such call

    if _float_float.raw_float32():
        return None
    return _float_float.evaluate(formula, xp, step, result)


def _launch(launcher: str, formula: Formula, step: Any, compute: Any, result: Any) -> Any:
    """The formula as one compiled GPU kernel (:mod:`lrschedule._kernel`: one read of each step,
    one write of each result), or ``None`` where it does not compile: then the usual path."""
    from lrschedule import _kernel  # imported at the first GPU call only

    return getattr(_kernel, launcher)(formula, step, compute, result)


_HALF = ("float16", "bfloat16")


def _double_rounding(xp: Any) -> bool:
    """Whether ``xp`` casts float64 to float16 and bfloat16 through float32 (torch and JAX do;
    NumPy and dask cast directly)."""
    name: str = xp.__name__
    return name.startswith(("array_api_compat.torch", "jax"))


def _to_half(xp: Any, value: Any, half: Any, single: Any) -> Any:
    """float64 ``value`` correctly rounded to ``half`` (float16 or bfloat16).

    torch and JAX cast float64 to these through float32, which rounds twice: a value just off a
    midpoint of two ``half`` numbers rounds to the midpoint in float32, then ties to even, maybe
    the wrong way. Every ``half`` midpoint is a float32 number, so only those need care: where the
    float32 value ``y`` is a midpoint and ``value`` is not, ``y`` moves a few float32 ulps toward
    ``value`` (far less than the distance to the next midpoint), and the second rounding is right.
    """
    y = xp.astype(value, single)
    back = xp.astype(y, value.dtype)
    near = xp.astype(xp.astype(y, half), single)  # y rounded to half, and back (exact)
    # The neighbour of `near` across y, if y is a midpoint: exact (Sterbenz), and no subnormal
    # on the way (XLA on CPU flushes those to zero).
    other = 2.0 * y - near
    midpoint = (
        (y != near) & (xp.astype(xp.astype(other, half), single) == other) & xp.isfinite(other)
    )
    # whether value lies beyond y (1) or between 0 and y (-1), or is y (0); not xp.sign, which
    # array-api-compat writes for torch as a masked assignment (torch.compile cannot trace it)
    beyond = (value - back) * value
    away = xp.astype(beyond > 0.0, single) - xp.astype(beyond < 0.0, single)
    y = xp.where(midpoint, y * (1.0 + away * 2.0**-20), y)  # a few float32 ulps toward value
    return xp.astype(y, half)


def _evaluate_block(formula: Formula, dtype: str | None, table: Table | None, block: Any) -> Any:
    """A dask block (a NumPy array): NumPy's chunked evaluation and search apply to it."""
    return _evaluate_array(formula, block, dtype, table)


def _evaluate_numpy_chunks(formula: Formula, xp: Any, step: Any, compute: Any, result: Any) -> Any:
    """``formula`` over a large NumPy array, one cache-sized chunk at a time (formulas are
    elementwise: a schedule is a function of each step alone)."""
    flat = step.reshape(-1)
    out = np.empty(flat.shape, dtype=result)
    # touched in one pass first: page faults taken chunk by chunk, between the chunks'
    # temporaries, made large outputs several times slower (docs/performance.md, 1e8 steps)
    out.fill(0)
    for start in range(0, flat.size, CHUNK):
        part = flat[start : start + CHUNK]
        out[start : start + CHUNK] = formula(xp, _numpy_step(part, compute))
    return out.reshape(step.shape)


_heap_ready = False


def _keep_temporaries_on_the_heap() -> None:
    """Let the C allocator keep a formula's temporaries on its heap (NumPy arrays and torch CPU
    tensors: the first call on one comes here), as it does once a program has freed any array
    of a few MiB. Whole arrays below the chunk size gain the most: their temporaries would
    otherwise be mapped from the OS one by one.

    A chunk's temporaries are 128 KiB (:data:`CHUNK` float64 values, NumPy) or 512 KiB
    (:data:`TORCH_CHUNK`, torch) each, and a formula holds up to a dozen at once. In a process
    that has not yet freed a block larger than that, glibc ``malloc`` maps each temporary from
    the OS (or trims its heap after every chunk), so each new temporary costs page faults (the
    numbers are in docs/guide/backends.md). glibc raises its two
    thresholds by itself when a mapped block is freed (to that block's size, and twice that);
    freeing one 8 MiB block (never touched: no page of it is written) raises them now.
    Elsewhere (other allocators) this is one allocation and nothing more.
    """
    global _heap_ready
    block = np.empty(8 << 20, dtype=np.uint8)
    del block
    _heap_ready = True


def _numpy_step(step: Any, compute: Any) -> Any:
    """A NumPy step array in the compute dtype (a new array), below zero replaced by 0 and NaN
    kept: a plain cast, and a clamp in place only where it can change something. An integer
    array's minimum (read on the host: NumPy's arrays are there) and a cast cost less than one
    ufunc that casts and clamps (``np.maximum(step, 0.0, dtype=...)``)."""
    value = step.astype(compute)
    kind = step.dtype.kind
    if kind == "f" or (kind == "i" and step.size and step.min() < 0):
        np.maximum(value, 0.0, out=value)
    return value


def _compute_step(xp: Any, step: Any, compute: Any) -> Any:
    """The step in the compute dtype, below zero replaced by 0 (NaN stays NaN).

    CuPy does both in one pass (a ufunc with ``dtype=``). Elsewhere a signed integer step is
    clamped before the cast (an integer maximum, which cannot wrap around): a float ``maximum``
    must propagate NaN, and under ``jax.jit`` on a CPU it made ``ExponentialDecay`` over 10**7
    steps 1.4x the hand-written expression (docs/performance.md, the sweep), the integer one
    nothing measurable.
    """
    if isinstance(step, np.ndarray):
        return _numpy_step(step, compute)
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(step, cupy.ndarray):
        return cupy.maximum(step, 0.0, dtype=compute)
    if xp.isdtype(step.dtype, "unsigned integer"):
        return xp.astype(step, compute, copy=False)
    if xp.isdtype(step.dtype, "signed integer"):
        return xp.astype(xp.clip(step, min=0), compute, copy=False)
    return xp.clip(xp.astype(step, compute, copy=False), min=0.0)


Table = tuple[tuple[float, ...], tuple[float, ...]]
"""A step function's ``(boundaries, values)``: ``values[i]`` where
``boundaries[i-1] < step <= boundaries[i]``; boundaries non-decreasing, one more value."""


SEARCH_FROM = 65
"""Tables with at least this many boundaries are searched (:func:`piecewise_constant`); smaller
ones are a ``where`` chain: under ``jax.jit`` on a CPU, XLA's searchsorted costs as much as a
chain of several hundred fused ``where`` (docs/performance.md, the sweep's PiecewiseConstant)."""


def piecewise_constant(xp: Any, step: Any, table: Table, closed: str = "right") -> Any:
    """The step function ``table`` at an array ``step``, as a formula (NaN for a NaN step);
    ``closed="left"``: ``values[i]`` where ``boundaries[i-1] <= step < boundaries[i]``.

    Up to ``SEARCH_FROM - 1`` boundaries: one ``where`` per boundary, with no table on the
    device, so no host-to-device copy (CUDA graphs capture it), and XLA fuses it into one
    kernel. From :data:`SEARCH_FROM` boundaries on: ``xp.searchsorted`` among the boundaries
    (copied to the step's device at each call), then ``xp.take`` of the value: O(log n)
    operations per step, and a graph of a fixed size under ``jax.jit`` (a chain of 50,000
    ``where`` took 40 s and 1.45 GB to compile). The step is already in the compute dtype, so
    boundaries compare as the chain's Python floats do. NumPy arrays and torch CPU tensors that
    need no gradient do not come here: :func:`evaluate` searches them; Python floats neither: the
    schedule bisects them itself. The result depends on the step (a ``where`` on it), so under
    autograd it carries a gradient, zero where the step is a number.
    """
    import array_api_compat  # not at the top: importing lrschedule stays cheap

    boundaries, values = table
    # a step that is no array (the GPU kernel tracer's node) keeps the chain: the kernel
    # compiler turns a long chain into a binary search of its own
    if len(boundaries) < SEARCH_FROM or not array_api_compat.is_array_api_obj(step):
        result = xp.where(step == step, values[0], step)  # a NaN step stays NaN
        for boundary, value in zip(boundaries, values[1:], strict=True):
            later = step > boundary if closed == "right" else step >= boundary
            result = xp.where(later, value, result)
        if closed == "left":  # XLA folds max(t, 0) >= 0 to true, NaN or not: NaN again here
            result = xp.where(step == step, result, step)
        return result
    device = array_api_compat.device(step)
    search = xp.asarray(boundaries, dtype=step.dtype, device=device)
    lookup = xp.asarray(values, dtype=step.dtype, device=device)
    # the number of boundaries below the step (side="left"; "right": at most the step): the
    # index of its value
    side = "left" if closed == "right" else "right"
    index = xp.searchsorted(search, xp.reshape(step, (-1,)), side=side)
    found = xp.reshape(xp.take(lookup, index), step.shape)
    return xp.where(step == step, found, step)  # a NaN step stays NaN


def _search_numpy(table: Table, step: Any, result: Any) -> Any:
    """``table`` at a NumPy array of steps by :func:`numpy.searchsorted` on the steps as given:
    no float copy of the steps, no clamp (negative boundaries are dropped instead: no step,
    clamped at 0, is below them), and integer steps searched among whole-number boundaries."""
    integral = step.dtype.kind in "iu" and step.dtype != np.uint64
    search, lookup = _numpy_tables(table, integral, np.dtype(result).name)
    if step.size <= 2 * CHUNK:
        return np.asarray(lookup.take(np.searchsorted(search, step)))
    flat = step.reshape(-1)
    out = np.empty(flat.shape, dtype=lookup.dtype)
    for start in range(0, flat.size, CHUNK):
        part = slice(start, start + CHUNK)
        lookup.take(np.searchsorted(search, flat[part]), out=out[part])
    return out.reshape(step.shape)


_TORCH_SEARCHABLE = (
    "int8", "int16", "int32", "int64", "uint8", "float16", "bfloat16", "float32", "float64"
)  # fmt: skip


def _searchable_torch(step: Any) -> bool:
    """Whether :func:`_search_torch` can search the torch tensor ``step``: on the CPU, of a dtype
    ``torch.searchsorted`` takes (elsewhere the formula: on a GPU it needs no table on the
    device, so no host-to-device copy, and inductor fuses its ``where`` chain into one kernel)."""
    return (
        step.device.type == "cpu"
        and str(step.dtype)[6:] in _TORCH_SEARCHABLE
        and not step.requires_grad  # the formula: a result that carries a (zero) gradient
    )


def _search_torch(xp: Any, table: Table, step: Any, compute: Any, result: Any) -> Any:
    """``table`` at a torch CPU tensor of steps: :func:`torch.searchsorted` on the steps as
    given, as :func:`_search_numpy` does, then a lookup."""
    import torch

    integral = None if step.is_floating_point() else step.dtype
    search, lookup = _torch_tables(xp, table, integral, compute, result)
    if step.numel() <= 2 * TORCH_CHUNK:
        return lookup[torch.searchsorted(search, step)]
    # in chunks, into the result: the int64 indices of one chunk at a time, not of every step
    # (at 10**8 float32 steps those took twice the result's memory)
    flat = step.reshape(-1)
    out = torch.empty(flat.shape, dtype=lookup.dtype)
    index = torch.empty(TORCH_CHUNK, dtype=torch.int64)
    for start in range(0, flat.numel(), TORCH_CHUNK):
        part = flat[start : start + TORCH_CHUNK]
        where = index[: part.numel()]
        torch.searchsorted(search, part, out=where)
        torch.index_select(lookup, 0, where, out=out[start : start + TORCH_CHUNK])
    return out.reshape(step.shape)


@functools.lru_cache(maxsize=256)
def _torch_tables(xp: Any, table: Table, integral: Any, compute: Any, result: Any) -> Any:
    """The search and lookup tensors of ``table`` for :func:`_search_torch` (CPU tensors).

    ``integral``: the integer dtype of the steps, or ``None`` for float steps. Integer steps are
    searched among boundaries of their own dtype (capped at its maximum, which no step exceeds):
    ``torch.searchsorted`` of int32 steps among int64 boundaries converts every step first.
    """
    search, lookup = _numpy_tables(table, integral is not None, "float64")
    values = xp.asarray(lookup, dtype=compute)
    if str(result)[6:] in _HALF and compute == xp.float64:
        values = _to_half(xp, values, result, xp.float32)
    if integral is not None:
        top = xp.iinfo(integral).max
        return xp.asarray(np.minimum(search, top), dtype=integral), xp.astype(values, result)
    return xp.asarray(search), xp.astype(values, result)


@functools.lru_cache(maxsize=256)
def _numpy_tables(
    table: Table, integral: bool, result: str
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The search and lookup arrays of ``table`` for :func:`_search_numpy`.

    Boundaries below 0 and their values go (a step below 0 counts as step 0). For integer steps
    the boundaries are floored, since ``t > b`` is ``t > floor(b)`` for a whole ``t``, and capped
    at the int64 maximum. For float steps ``+inf`` ends the boundaries, so a NaN step (which
    :func:`numpy.searchsorted` sorts after ``+inf``) finds the NaN appended to the values.
    """
    boundaries, values = table
    below = bisect.bisect_left(boundaries, 0.0)
    kept, values = boundaries[below:], values[below:]
    if integral:
        top = 2**63 - 1
        search = np.asarray([min(math.floor(b), top) for b in kept], dtype=np.int64)
    else:
        search = np.asarray((*kept, math.inf), dtype=np.float64)
        values = (*values, math.nan)
    return search, np.asarray(values, dtype=np.float64).astype(result)


_cache: dict[tuple[int, str, str, str | None], tuple[Any, Any]] = {}


def _compiling() -> bool:
    """Whether torch.compile is tracing this call (its guards would then include the contents of
    :data:`_cache`: a first call that fills it would recompile on the second)."""
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.compiler.is_compiling())


def _dtypes(xp: Any, device: Any, dtype: str | None) -> tuple[Any, Any]:
    """The (compute, result) dtypes for a step on ``device`` of namespace ``xp``.

    Cached per namespace, device, default float dtype (which follows ``torch.set_default_dtype``
    and JAX's x64 flag) and requested dtype. Devices are keyed by ``str``: CuPy's are not hashable.
    """
    info = xp.__array_namespace_info__()
    default = info.default_dtypes(device=device)["real floating"]
    key = (id(xp), str(device), str(default), dtype)
    compiling = _compiling()  # torch.compile would guard on the cache's contents: not used then
    hit = None if compiling else _cache.get(key)
    if hit is not None:
        return hit
    floats = info.dtypes(device=device, kind="real floating")
    compute = floats.get("float64", floats.get("float32"))
    if dtype is None:
        result = default
    elif dtype in ("float32", "float64"):
        result = floats.get(dtype)
    else:  # float16 and bfloat16 are outside the standard: take them where the library has them
        result = getattr(xp, dtype, None)
        if result is None and xp.__name__ == "array_api_compat.dask.array":
            result = getattr(np, dtype, None)  # dask's blocks are NumPy arrays: float16 is there
    if result is None:
        raise ValueError(
            f"dtype={dtype!r} is not available for {xp.__name__} arrays on device {device!s}; "
            f"this device offers {', '.join(floats)}"
            + (
                " (for JAX, enable float64 with jax.config.update('jax_enable_x64', True))"
                if xp.__name__.startswith("jax")
                else ""
            )
        )
    if not compiling:
        _cache[key] = (compute, result)  # one atomic store: a race computes an entry twice at most
    return compute, result
