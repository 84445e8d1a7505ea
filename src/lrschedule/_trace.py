"""A symbolic array namespace that records a formula as an expression DAG.

A schedule's formula (``_evaluate(xp, step)``) is one expression in ``xp``; run once with
:class:`SymbolicNamespace` and a symbolic step, it returns the :class:`Node` at the root of that
expression instead of an array. :mod:`lrschedule._kernel` compiles the DAG into one elementwise
kernel. Anything the namespace cannot express (a Python ``if`` on the step, a function it lacks, a
bool used as a number) raises :class:`TraceError`, and the caller runs the formula as it always
does.

Nodes are hash-consed: building the same operation on the same operands twice returns the same
node, so a subexpression that a formula computes twice (``step == step``, a shared half cosine)
is one node, emitted once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrschedule._array import Select

__all__ = [
    "BOOL",
    "FLOAT",
    "UNARY",
    "Node",
    "SymbolicNamespace",
    "TraceError",
    "post_order",
    "trace",
]


class TraceError(Exception):
    """The formula does something the symbolic namespace cannot record; run it the usual way."""


class SymbolicDtype:
    """The dtype of a symbolic value: the compute dtype (``FLOAT``) or boolean (``BOOL``).

    A formula reads ``step.dtype`` only to cast a comparison to the step's (compute) dtype."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<symbolic {self.name}>"


FLOAT = SymbolicDtype("float")
BOOL = SymbolicDtype("bool")

UNARY = ("floor", "ceil", "round", "exp", "log", "log1p", "sin", "cos", "sqrt", "abs")
"""The float functions that are one node each (the code generator maps every one)."""
_COMPARISONS = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
"""Each comparison and its mirror (``c < x`` is ``x > c``), for a constant on the left."""


class Node:
    """One operation of the recorded expression: ``op`` applied to ``args`` (nodes and Python
    floats). ``dtype`` is :data:`FLOAT` or :data:`BOOL`. Operators build new nodes, as an array's
    would build new arrays; converting a node to a Python value raises :class:`TraceError`."""

    __slots__ = ("_ns", "args", "dtype", "id", "op")

    def __init__(
        self, ns: SymbolicNamespace, op: str, args: tuple[Any, ...], dtype: SymbolicDtype, id: int
    ) -> None:
        self._ns = ns
        self.op = op
        self.args = args
        self.dtype = dtype
        self.id = id

    def __repr__(self) -> str:
        return f"<Node {self.id}: {self.op}{tuple(getattr(a, 'id', a) for a in self.args)}>"

    # identity hash: == builds a node, as it builds an array
    __hash__ = object.__hash__

    # -- arithmetic (float operands) --------------------------------------------------------------

    def __add__(self, other: Any) -> Node:
        return self._ns._float_op("add", self, other)

    def __radd__(self, other: Any) -> Node:
        return self._ns._float_op("add", other, self)

    def __sub__(self, other: Any) -> Node:
        return self._ns._float_op("sub", self, other)

    def __rsub__(self, other: Any) -> Node:
        return self._ns._float_op("sub", other, self)

    def __mul__(self, other: Any) -> Node:
        return self._ns._float_op("mul", self, other)

    def __rmul__(self, other: Any) -> Node:
        return self._ns._float_op("mul", other, self)

    def __truediv__(self, other: Any) -> Node:
        return self._ns._float_op("div", self, other)

    def __rtruediv__(self, other: Any) -> Node:
        return self._ns._float_op("div", other, self)

    def __pow__(self, other: Any) -> Node:
        return self._ns.pow(self, other)

    def __rpow__(self, other: Any) -> Node:
        return self._ns.pow(other, self)

    def __neg__(self) -> Node:
        return self._ns._float_op("neg", self)

    def __pos__(self) -> Node:
        self._ns._float(self)
        return self

    def __abs__(self) -> Node:
        return self._ns.abs(self)

    # -- comparisons (float operands, bool result) ------------------------------------------------

    def __lt__(self, other: Any) -> Node:
        return self._ns._compare("lt", self, other)

    def __le__(self, other: Any) -> Node:
        return self._ns._compare("le", self, other)

    def __gt__(self, other: Any) -> Node:
        return self._ns._compare("gt", self, other)

    def __ge__(self, other: Any) -> Node:
        return self._ns._compare("ge", self, other)

    def __eq__(self, other: Any) -> Node:  # type: ignore[override]
        return self._ns._compare("eq", self, other)

    def __ne__(self, other: Any) -> Node:  # type: ignore[override]
        return self._ns._compare("ne", self, other)

    # -- logic (bool operands) --------------------------------------------------------------------

    def __and__(self, other: Any) -> Node:
        return self._ns._logic("and", self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Node:
        return self._ns._logic("or", self, other)

    __ror__ = __or__

    def __invert__(self) -> Node:
        return self._ns._logic("not", self)

    # -- what a formula must not do with a step: read its value on the host ------------------------

    def __bool__(self) -> bool:
        raise TraceError("the formula branches in Python on a step-dependent value")

    def __float__(self) -> float:
        raise TraceError("the formula converts a step-dependent value to a Python float")

    def __int__(self) -> int:
        raise TraceError("the formula converts a step-dependent value to a Python int")

    def __index__(self) -> int:
        raise TraceError("the formula uses a step-dependent value as an index")


class SymbolicNamespace(Select):
    """The array API namespace a formula sees while it is traced: the functions formulas use,
    each recording a node, and the array layer's :meth:`~lrschedule._array.Select.select`
    (built from ``where`` and ``clip``). An attribute it lacks raises :class:`TraceError`."""

    pi = math.pi
    e = math.e
    inf = math.inf
    nan = math.nan

    def __init__(self) -> None:
        self._nodes: dict[tuple[Any, ...], Node] = {}
        self.step = self._node("step", (), FLOAT)

    def __getattr__(self, name: str) -> Any:
        raise TraceError(f"the formula uses xp.{name}, which the kernel compiler does not know")

    # -- building nodes ---------------------------------------------------------------------------

    def _node(self, op: str, args: tuple[Any, ...], dtype: SymbolicDtype) -> Node:
        # float.hex tells 0.0 from -0.0 (== does not), and names every NaN alike
        key = (op, *(a.id if isinstance(a, Node) else float.hex(a) for a in args))
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = Node(self, op, args, dtype, len(self._nodes))
        return node

    def _operand(self, value: Any, dtype: SymbolicDtype) -> Any:
        """``value`` as an operand of ``dtype``: a node of that dtype, or a Python number (a
        float constant; Python ints convert as NumPy converts them, to the nearest float)."""
        if isinstance(value, Node):
            if value._ns is not self:
                raise TraceError("a node of another trace")
            if value.dtype is not dtype:
                raise TraceError(f"a {value.dtype.name} value where a {dtype.name} one is needed")
            return value
        if dtype is FLOAT and type(value) in (float, int):
            try:
                return float(value)
            except OverflowError:  # NumPy refuses it too: the usual path says how
                raise TraceError(f"an int beyond the float range: {value}") from None
        raise TraceError(f"an operand of type {type(value).__name__}: {value!r:.60}")

    def _float(self, value: Any) -> Any:
        return self._operand(value, FLOAT)

    def _float_op(self, op: str, *operands: Any) -> Node:
        args = tuple(self._float(x) for x in operands)
        if not any(isinstance(a, Node) for a in args):  # never from an operator: one is a node
            raise TraceError(f"{op} of constants only")
        return self._node(op, args, FLOAT)

    def _compare(self, op: str, x: Any, y: Any) -> Node:
        if op in ("eq", "ne") and isinstance(x, Node) and x.dtype is BOOL:  # equal, exclusive or
            return self._node(op, (x, self._operand(y, BOOL)), BOOL)
        x, y = self._float(x), self._float(y)
        if not isinstance(x, Node):  # a constant on the left: the mirrored comparison
            x, y, op = y, x, _COMPARISONS[op]
        if not isinstance(x, Node):
            raise TraceError("a comparison of constants only")
        return self._node(op, (x, y), BOOL)

    def _logic(self, op: str, *operands: Any) -> Node:
        return self._node(op, tuple(self._operand(x, BOOL) for x in operands), BOOL)

    # -- the namespace's functions ----------------------------------------------------------------

    def where(self, condition: Any, x1: Any, x2: Any, /) -> Node:
        return self._node(
            "where", (self._operand(condition, BOOL), self._float(x1), self._float(x2)), FLOAT
        )

    def maximum(self, x1: Any, x2: Any, /) -> Node:
        return self._float_op("maximum", x1, x2)

    def minimum(self, x1: Any, x2: Any, /) -> Node:
        return self._float_op("minimum", x1, x2)

    def clip(self, x: Any, /, min: Any = None, max: Any = None) -> Any:
        """``maximum`` then ``minimum``, as the array layer clips NumPy and CuPy arrays (NaN
        propagates from ``x`` and from the bounds)."""
        x = self._float(x)
        if min is not None:
            x = self.maximum(x, min)
        if max is not None:
            x = self.minimum(x, max)
        return x

    def pow(self, x1: Any, x2: Any, /) -> Node:
        return self._float_op("pow", x1, x2)

    def isfinite(self, x: Any, /) -> Node:
        return self._node("isfinite", (self._float(x),), BOOL)

    def isnan(self, x: Any, /) -> Node:
        x = self._float(x)
        return self._compare("ne", x, x)

    def astype(self, x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Node:
        """A cast to the compute dtype (``step.dtype``): of a comparison, 1.0 or 0.0."""
        if dtype is not FLOAT or device is not None:
            raise TraceError(f"a cast to {dtype!r}: only the step's own dtype is known")
        if isinstance(x, Node) and x.dtype is BOOL:
            return self._node("float", (x,), FLOAT)
        return self._operand(x, FLOAT)  # type: ignore[no-any-return]

    def _unary(self, op: str, x: Any) -> Node:
        return self._float_op(op, x)

    def floor(self, x: Any, /) -> Node:
        return self._unary("floor", x)

    def ceil(self, x: Any, /) -> Node:
        return self._unary("ceil", x)

    def round(self, x: Any, /) -> Node:
        return self._unary("round", x)  # half to even, as the array API's round

    def exp(self, x: Any, /) -> Node:
        return self._unary("exp", x)

    def log(self, x: Any, /) -> Node:
        return self._unary("log", x)

    def log1p(self, x: Any, /) -> Node:
        return self._unary("log1p", x)

    def sin(self, x: Any, /) -> Node:
        return self._unary("sin", x)

    def cos(self, x: Any, /) -> Node:
        return self._unary("cos", x)

    def sqrt(self, x: Any, /) -> Node:
        return self._unary("sqrt", x)

    def abs(self, x: Any, /) -> Node:
        return self._unary("abs", x)


def trace(formula: Callable[[Any, Any], Any]) -> Node:
    """The expression ``formula(xp, step)`` computes, as the :class:`Node` at its root (a float
    node). Raises :class:`TraceError` where the formula is not one symbolic expression."""
    ns = SymbolicNamespace()
    root = formula(ns, ns.step)
    if not isinstance(root, Node) or root.dtype is not FLOAT:
        raise TraceError(f"the formula returned {root!r:.60}, not a float expression of the step")
    return root


def post_order(root: Node, inputs: Callable[[Node], list[Node]] | None = None) -> list[Node]:
    """Every node ``root`` depends on, each once, after its inputs (``inputs(node)``, by default
    its node arguments): the order to compute them in. Without recursion: a table of a thousand
    boundaries is a chain that deep."""
    inputs = inputs or (lambda node: [a for a in node.args if isinstance(a, Node)])
    order: list[Node] = []
    done: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node.id in done:
            continue
        if expanded:
            done.add(node.id)
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(inputs(node)) if child.id not in done)
    return order
