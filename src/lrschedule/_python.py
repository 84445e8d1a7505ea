"""A formula compiled to one Python function of a float: the per-call path of Python int steps.

An optimizer asks for the rate once per step, with its step counter (a Python int). Run through
:data:`~lrschedule._array.raw_math`, a formula costs a Python call for every function it uses and
every part of a composite. Traced once (:mod:`lrschedule._trace`), the same expression becomes
straight-line code with every constant inlined: the same float operations in the same order, so
the same value, for the cost of one call. A ``where`` evaluates both sides, as on arrays; an
operation that raises on a Python float (an overflow, a domain error, a division by 0) sends the
call to the general path, which gives IEEE results.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from lrschedule import _array

__all__ = ["scalar_formula"]

ScalarFormula = Callable[[float], float]

MAX_NODES = 200
"""Larger expressions (a long table of constants) keep :data:`~lrschedule._array.raw_math`,
whose ``select`` finds the piece by a binary search."""

_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_CALLS = {
    "floor": "_floor",
    "ceil": "_ceil",
    "round": "round",
    "exp": "_exp",
    "log": "_log",
    "log1p": "_log1p",
    "sin": "_sin",
    "cos": "_cos",
    "sqrt": "_sqrt",
    "abs": "abs",
    "pow": "_pow",
    "isfinite": "_isfinite",
}
_GLOBALS = {
    "_floor": math.floor,
    "_ceil": math.ceil,
    "_exp": math.exp,
    "_log": math.log,
    "_log1p": math.log1p,
    "_sin": math.sin,
    "_cos": math.cos,
    "_sqrt": math.sqrt,
    "_pow": math.pow,
    "_isfinite": math.isfinite,
}

_cache: dict[Any, ScalarFormula] = {}
_lock = threading.Lock()


def scalar_formula(schedule: Any) -> ScalarFormula:
    """``schedule._evaluate`` on Python floats >= 0, compiled (shared by equal schedules), or run
    through :data:`~lrschedule._array.raw_math` where the formula cannot be traced."""
    key: Any = (type(schedule), schedule)
    try:
        found = _cache.get(key)
    except TypeError:  # an unhashable user schedule
        found, key = None, None
    if found is None:
        with _lock:
            found = _compile(schedule._evaluate)
            if key is not None:
                _cache[key] = found
    return found


def _compile(formula: Callable[[Any, Any], Any]) -> ScalarFormula:
    from lrschedule._trace import TraceError, post_order, trace

    def fallback(step: float) -> float:
        value: float = formula(_array.raw_math, step)
        return value

    try:
        root = trace(formula)
    except (TraceError, ArithmeticError, ValueError, TypeError):
        return fallback
    order = post_order(root)
    if len(order) > MAX_NODES:
        return fallback
    try:
        lines = [_line(node) for node in order if node.op != "step"]
    except ValueError:  # an operation this module does not spell
        return fallback
    source = "def formula(t0):\n" + "".join(f"    {line}\n" for line in lines)
    source += f"    return t{root.id}\n"
    namespace: dict[str, Any] = dict(_GLOBALS)
    exec(compile(source, f"<lrschedule formula {formula.__qualname__}>", "exec"), namespace)
    compiled: ScalarFormula = namespace["formula"]
    compiled.__doc__ = source
    return compiled


def _ref(value: Any) -> str:
    if hasattr(value, "op"):
        return f"t{value.id}"
    return repr(float(value)) if math.isfinite(value) else f"float({str(value)!r})"


_TEMPLATES = {
    **{op: f"{{0}} {symbol} {{1}}" for op, symbol in {**_BINARY, **_COMPARE}.items()},
    "neg": "-{0}",
    "and": "{0} and {1}",
    "or": "{0} or {1}",
    "not": "not {0}",
    "where": "{1} if {0} else {2}",
    "float": "1.0 if {0} else 0.0",
    **{op: f"{name}({{0}})" for op, name in _CALLS.items() if op != "pow"},
    "pow": "_pow({0}, {1})",
}
"""Each operation spelled in Python, as :data:`~lrschedule._array.raw_math` computes it."""


def _line(node: Any) -> str:
    """The Python assignment that computes ``node`` from its arguments. ``clip`` is ``maximum``
    then ``minimum``, with NumPy's NaN rules: NaN propagates from either argument."""
    op, args = node.op, [_ref(a) for a in node.args]
    if op == "maximum" or op == "minimum":
        x, y = args  # a constant bound is never NaN
        beyond = f"{y} {'>' if op == 'maximum' else '<'} {x}"
        nan = f" or {y} != {y}" if y.startswith("t") else ""
        return f"t{node.id} = {y} if {beyond}{nan} else {x}"
    template = _TEMPLATES.get(op)
    if template is None:
        raise ValueError(f"no Python spelling of {op!r}")
    return f"t{node.id} = {template.format(*args)}"
