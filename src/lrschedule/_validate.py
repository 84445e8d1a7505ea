"""Argument checks shared by every schedule.

Each check takes the argument's name and value, returns the value in its canonical form (a Python
``float``, ``int``, ``bool``, ``str`` or ``tuple``) and raises ``ValueError`` or ``TypeError`` with a
message that names the argument and the value it received, in Keras's words:
``"Argument `decay_steps` must be > 0. Received: decay_steps=0"``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

__all__ = [
    "LARGEST",
    "SMALLEST",
    "array_dtype",
    "at_most_largest",
    "boolean",
    "bounded",
    "choice",
    "config_size",
    "dtype_name",
    "finite",
    "increasing",
    "length",
    "name",
    "nested",
    "non_negative",
    "number",
    "numbers",
    "numbers_sequence",
    "one_of",
    "part",
    "parts",
    "parts_dtype",
    "positive",
    "rate",
    "schedule",
    "schedules",
    "values_dtype",
]

DTYPES = ("float16", "bfloat16", "float32", "float64")

LARGEST = 2.0**400
"""The largest magnitude of a learning rate, a length, a count or a factor (about 2.6e120)."""
SMALLEST = 2.0**-400
"""The smallest nonzero length or period (a divisor), or rate of decay (about 3.9e-121).

Within these bounds no formula overflows on the way to its value (a difference of two rates, a
step divided by a period and multiplied by a rate, ...) at any step below :math:`2^{64}`: a value
beyond the float range is then the exact value's own overflow, never an intermediate's."""
_BOUNDS = "2**-400 (about 3.9e-121) and 2**400 (about 2.6e120)"


def shown(value: object) -> str:
    """``repr(value)`` for an error message: at most 200 characters, and never an error itself."""
    try:
        text = repr(value)
    except ValueError:  # holds an int of more than 4300 digits
        text = f"<{type(value).__name__} too large to show>"
    return text if len(text) <= 200 else text[:197] + "..."


def _fail(
    arg: str, requirement: str, value: object, error: type[Exception] = ValueError
) -> Exception:
    return error(f"Argument `{arg}` must be {requirement}. Received: {arg}={shown(value)}")


def _array_dtype_name(value: object) -> str | None:
    """The floating dtype name of an array or NumPy scalar (``'float32'``), else ``None``."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or type(value) in (bool, int, float):  # np.float64 is a float subclass
        return None
    try:
        name = str(dtype).rsplit(".", 1)[-1]  # "torch.float32" -> "float32"
    except ValueError:  # an int of more than 4300 digits
        return None
    return name if name in DTYPES else None


def number(arg: str, value: object) -> int | float:
    """A real number: a Python/NumPy int or float, or a 0-d array of a real dtype.

    Ints stay ints (so a config keeps ``decay_steps: 1000``); everything else becomes a ``float``.
    """
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes, complex)):
        raise _fail(arg, "a real number", value, TypeError)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        try:
            return float(value)
        except OverflowError:  # e.g. a Fraction beyond float range
            raise _fail(arg, "finite", value) from None
    shape = getattr(value, "shape", None)
    if shape is not None and tuple(shape) == () and _array_dtype_name(value) is not None:
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, RuntimeError) as exc:  # e.g. a traced JAX value
            raise _fail(arg, "a concrete real number", value, TypeError) from exc
    raise _fail(arg, "a real number", value, TypeError)


def finite(arg: str, value: object) -> int | float:
    """A finite real number."""
    result = number(arg, value)
    try:
        ok = math.isfinite(result)
    except OverflowError:  # an int too large for a float
        ok = False
    if not ok:
        raise _fail(arg, "finite", value)
    return result


def bounded(arg: str, value: object) -> int | float:
    """A finite number that is 0 or of a magnitude between :data:`SMALLEST` and :data:`LARGEST`
    (a step, a length that divides: nothing divided by it overflows)."""
    result = finite(arg, value)
    if result != 0 and not SMALLEST <= abs(result) <= LARGEST:
        raise _fail(arg, f"0 or of a magnitude between {_BOUNDS}", value)
    return result


def at_most_largest(arg: str, value: object) -> int | float:
    """A finite number of a magnitude at most :data:`LARGEST` (a rate, a factor)."""
    result = finite(arg, value)
    if abs(result) > LARGEST:
        raise _fail(arg, "of a magnitude at most 2**400 (about 2.6e120)", value)
    return result


def positive(arg: str, value: object) -> int | float:
    """A finite number > 0, between :data:`SMALLEST` and :data:`LARGEST` (a length, a period, a
    rate of decay)."""
    result = finite(arg, value)
    if not result > 0:
        raise _fail(arg, "> 0", value)
    if not SMALLEST <= result <= LARGEST:
        raise _fail(arg, f"between {_BOUNDS}", value)
    return result


def non_negative(arg: str, value: object) -> int | float:
    """A finite number >= 0, at most :data:`LARGEST`."""
    result = finite(arg, value)
    if not result >= 0:
        raise _fail(arg, ">= 0", value)
    return at_most_largest(arg, result)


def length(arg: str, value: object) -> int | float:
    """A length in steps that a formula divides by: 0, or between :data:`SMALLEST` and
    :data:`LARGEST`."""
    return bounded(arg, non_negative(arg, value))


def rate(arg: str, value: object) -> float:
    """A learning rate (or any value a schedule takes on) of a magnitude at most :data:`LARGEST`."""
    return float(at_most_largest(arg, value))


def array_dtype(value: object) -> str | None:
    """The floating dtype name an array or NumPy scalar carries (``'float32'``), else ``None``."""
    return _array_dtype_name(value)


def parts_dtype(value: object) -> str | None:
    """The result dtype that all the schedules among ``value`` (a schedule or a list) share."""
    from lrschedule.schedule import LearningRateSchedule

    items = value if isinstance(value, (list, tuple)) else (value,)
    dtypes = {item.dtype for item in items if isinstance(item, LearningRateSchedule)}
    return dtypes.pop() if len(dtypes) == 1 else None


Check = Callable[[str, Any], Any]


def choice(*choices: str) -> Check:
    """A check: one of ``choices``."""

    def check(arg: str, value: object) -> str:
        return one_of(arg, value, choices)

    return check


def numbers(item: Check = finite, *, min_length: int = 0) -> Check:
    """A check: a list of numbers (or a 1-d array), each checked by ``item`` as ``arg[i]``."""

    def check(arg: str, value: object) -> tuple[Any, ...]:
        values = numbers_sequence(arg, value, min_length=min_length)
        return tuple(item(f"{arg}[{i}]", v) for i, v in enumerate(values))

    return check


def part(arg: str, value: object) -> Any:
    """A schedule that is part of a composite, nested no deeper than a config may be."""
    result = schedule(arg, value)
    nested(arg, result)
    return result


def parts(*, min_length: int = 0) -> Check:
    """A check: a list of schedules that are parts of a composite (see :func:`part`)."""

    def check(arg: str, value: object) -> tuple[Any, ...]:
        result = schedules(arg, value, min_length=min_length)
        nested(arg, result)
        return result

    return check


def boolean(arg: str, value: object) -> bool:
    """A Python or NumPy bool (not an int: ``staircase=1`` is a mistake worth reporting)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise _fail(arg, "a bool", value, TypeError)


def name(value: object) -> str | None:
    """A schedule's ``name``: a string, or ``None`` as Keras allows."""
    if value is None or isinstance(value, str):
        return value
    raise _fail("name", "a string or None", value, TypeError)


def dtype_name(value: object) -> str | None:
    """A result dtype given by name: one of ``float16``, ``bfloat16``, ``float32``, ``float64``."""
    if value is None:
        return None
    name = value if isinstance(value, str) else _array_dtype_name(_DtypeHolder(value))
    if name in DTYPES:
        return name
    raise _fail("dtype", f"None or one of {', '.join(map(repr, DTYPES))}", value)


class _DtypeHolder:
    """Lets ``dtype_name`` accept a dtype object (``np.float32``, ``torch.float32``) as well as a name."""

    def __init__(self, dtype: object) -> None:
        self.dtype = getattr(dtype, "__name__", dtype)


def one_of(arg: str, value: object, choices: Sequence[str]) -> str:
    """A string from a fixed set of choices."""
    if isinstance(value, str) and value in choices:
        return value
    raise _fail(arg, f"one of {', '.join(map(repr, choices))}", value)


def numbers_sequence(arg: str, value: object, *, min_length: int = 0) -> tuple[int | float, ...]:
    """A list or tuple (or 1-d array) of finite numbers."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(
        value, (Sequence, *_array_types(value))
    ):
        raise _fail(arg, "a list of numbers", value, TypeError)
    from lrschedule.registry import MAX_NUMBERS

    if len(value) > MAX_NUMBERS:  # type: ignore[arg-type]
        raise _fail(
            arg,
            f"a list of at most {MAX_NUMBERS} numbers (lrschedule.registry.MAX_NUMBERS, the most "
            f"a config may hold; this one has {len(value)})",  # type: ignore[arg-type]
            value,
        )
    items: list[Any] = list(value)  # type: ignore[call-overload]
    if len(items) < min_length:
        raise _fail(arg, f"a list of at least {min_length} numbers", value)
    return tuple(finite(f"{arg}[{i}]", item) for i, item in enumerate(items))


def increasing(arg: str, values: tuple[int | float, ...], *, strict: bool) -> None:
    """Check that ``values`` are sorted: strictly increasing, or non-decreasing."""
    for before, after in itertools.pairwise(values):
        if after < before or (strict and after == before):
            order = "strictly increasing" if strict else "sorted in non-decreasing order"
            raise ValueError(f"Argument `{arg}` must be {order}. Received: {arg}={list(values)!r}")


def values_dtype(values: Sequence[object]) -> str | None:
    """The dtype name that array-valued ``values`` share (``None`` if plain or mixed)."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(
        values, (Sequence, *_array_types(values))
    ):
        return None  # not a list: the field's own check says so, naming the argument
    dtypes = {_array_dtype_name(value) for value in values}
    return dtypes.pop() if len(dtypes) == 1 else None


def schedule(arg: str, value: object) -> Any:
    """A :class:`~lrschedule.LearningRateSchedule`."""
    from lrschedule.schedule import LearningRateSchedule

    if isinstance(value, LearningRateSchedule):
        return value
    raise _fail(arg, "a LearningRateSchedule", value, TypeError)


def schedules(arg: str, value: object, *, min_length: int = 0) -> tuple[Any, ...]:
    """A list or tuple of schedules."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Sequence):
        raise _fail(arg, "a list of schedules", value, TypeError)
    if len(value) < min_length:
        raise _fail(arg, f"a list of at least {min_length} schedules", value)
    return tuple(schedule(f"{arg}[{i}]", item) for i, item in enumerate(value))


def nested(arg: str, value: Any) -> None:
    """Check that ``value`` (a schedule, or a list of schedules and numbers, given as argument
    ``arg`` of a composite) nests no deeper than a config may (:data:`~lrschedule.registry.MAX_DEPTH`
    levels, counted as configs count them: a schedule is a level, and so is a list of schedules),
    so that every schedule that can be built loads back from its config."""
    from lrschedule.registry import MAX_DEPTH

    depth = 1 + _depth_below(value, MAX_DEPTH, {})
    if depth > MAX_DEPTH:
        raise _fail(
            arg,
            f"nested no deeper than configs may be ({MAX_DEPTH} levels, where a schedule and a "
            "list of schedules are a level each)",
            value,
        )


def _depth_below(value: Any, budget: int, seen: dict[int, int]) -> int:
    """The levels a config adds below the level that holds ``value``: a nested schedule adds 1
    and its own levels, a list adds 1 for each schedule or list in it. Counting stops past
    ``budget`` (enough to tell that it is too deep); ``seen`` holds the schedules already
    counted (a schedule may appear many times in a tree)."""
    from lrschedule.schedule import LearningRateSchedule

    if budget < 0:
        return 0
    if isinstance(value, LearningRateSchedule):
        known = seen.get(id(value))
        if known is None:
            known = 1
            if dataclasses.is_dataclass(value):
                inner = [getattr(value, f.name) for f in dataclasses.fields(value) if f.init]
                known += max((_depth_below(item, budget - 1, seen) for item in inner), default=0)
            seen[id(value)] = known
        return known
    if isinstance(value, (list, tuple)):
        return max(
            (
                1 + _depth_below(item, budget - 1, seen)
                for item in value
                if isinstance(item, (LearningRateSchedule, list, tuple))
            ),
            default=0,
        )
    return 0


def config_size(value: Any) -> tuple[int, int]:
    """The schedules and lists, and the numbers in lists, that the config of the schedule
    ``value`` holds, counted as :func:`~lrschedule.registry.deserialize` counts them (a part
    used twice counts twice); its parts' sizes are known (each was counted when it was built).
    A ``ValueError`` names the argument that takes it past
    :data:`~lrschedule.registry.MAX_NODES` or :data:`~lrschedule.registry.MAX_NUMBERS`."""
    from lrschedule import registry
    from lrschedule.schedule import LearningRateSchedule

    nodes, numbers = 1, 0
    if not dataclasses.is_dataclass(value):
        return nodes, numbers
    for f in dataclasses.fields(value):
        if not f.init:
            continue
        item = getattr(value, f.name)
        items = item if isinstance(item, tuple) else (item,)
        if isinstance(item, tuple):
            nodes += 1
        for one in items:
            if isinstance(one, LearningRateSchedule):
                inner = getattr(one, "_size", (1, 0))
                nodes += inner[0]
                numbers += inner[1]
            elif isinstance(item, tuple):
                numbers += 1
        if nodes > registry.MAX_NODES:
            raise _fail(
                f.name,
                f"small enough for a config: at most {registry.MAX_NODES} schedules and lists "
                "(lrschedule.registry.MAX_NODES, counted each time one is used; this schedule's "
                f"config would hold {nodes})",
                item,
            )
        if numbers > registry.MAX_NUMBERS:
            raise _fail(
                f.name,
                f"small enough for a config: at most {registry.MAX_NUMBERS} numbers in lists "
                "(lrschedule.registry.MAX_NUMBERS, counted each time one is used; this "
                f"schedule's config would hold {numbers})",
                item,
            )
    return nodes, numbers


def _array_types(value: object) -> tuple[type, ...]:
    """Accept 1-d arrays (``np.array([100, 200])``) where a list of numbers is expected."""
    shape = getattr(value, "shape", None)
    return (type(value),) if shape is not None and len(tuple(shape)) == 1 else ()
