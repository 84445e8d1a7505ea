"""``LearningRateSchedule``: the call template, checks, config, repr, equality and pickling.

A schedule is a frozen dataclass whose fields are its hyperparameters, each declared once with its
check (:func:`checked`). That one declaration gives the constructor, the checks, ``get_config`` /
``from_config``, ``repr``, ``==``/``hash``, ``copy`` and pickling; the class adds cross-field checks
and derived values (``_prepare``) and its formula (``_evaluate``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, ClassVar

from lrschedule import _array, _validate
from lrschedule._array import evaluate as _array_evaluate
from lrschedule._python import scalar_formula

__all__ = ["LearningRateSchedule", "checked", "derived"]

_NUMPY_SCALARS = _array.NUMPY_SCALARS
_ONE = _NUMPY_SCALARS[None](1.0)
"""``value * _ONE`` is ``value`` as a NumPy float64 scalar, exactly (NaN, inf and -0.0 included),
in about half the time of ``numpy.float64(value)``."""

OMIT_AT_DEFAULT = "omit_at_default"
"""Field metadata key: leave the field out of ``get_config()`` while it has its default value."""
_CHECK = "check"
_CARRIES = "carries_dtype"

Check = Callable[[str, Any], Any]


def checked(
    check: Check,
    default: Any = dataclasses.MISSING,
    *,
    kw_only: bool = False,
    omit_at_default: bool = False,
    carries_dtype: Callable[[Any], str | None] | None = None,
) -> Any:
    """A hyperparameter field and its check, declared once: ``decay_steps: float = checked(positive)``.

    ``check(name, value)`` returns the canonical value or raises naming the argument (the checks
    of :mod:`lrschedule._validate`); a default of ``None`` means ``None`` is accepted as "not
    set". ``omit_at_default``: an extension to a peer's config, left out while at its default.
    ``carries_dtype(value)``: the dtype name an array-valued argument carries, which becomes the
    result dtype when no ``dtype=`` is given.
    """
    metadata = {_CHECK: check, OMIT_AT_DEFAULT: omit_at_default, _CARRIES: carries_dtype}
    return dataclasses.field(default=default, kw_only=kw_only, metadata=metadata)


def derived() -> Any:
    """A value derived from the hyperparameters in ``_prepare``: not an argument, and not in the
    config, ``==``, ``hash`` or ``repr``."""
    return dataclasses.field(init=False, repr=False, compare=False)


@functools.cache
def _checks(cls: Any) -> tuple[tuple[str, Check, bool, Any], ...]:
    """(name, check, None accepted, carries_dtype) of each checked field of ``cls``."""
    return tuple(
        (f.name, f.metadata[_CHECK], f.default is None, f.metadata[_CARRIES])
        for f in dataclasses.fields(cls)
        if f.init and _CHECK in f.metadata
    )


def _as_floats(value: Any) -> tuple[Any, Any]:
    """``value`` with its ints as floats (formulas compute with floats: an int operand takes
    Python's slower mixed arithmetic, and a Python int beyond int32 overflows in a JAX array
    without x64), and which were ints (``True``, or a tuple of flags), so configs keep them."""
    if type(value) is int:
        return float(value), True
    if type(value) is tuple and any(type(item) is int for item in value):
        return tuple(float(v) if type(v) is int else v for v in value), tuple(
            type(v) is int for v in value
        )
    return value, None


def _restore_ints(value: Any, flags: Any) -> Any:
    if flags is True:
        return int(value)
    return tuple(int(v) if flag else v for v, flag in zip(value, flags, strict=True))


class LearningRateSchedule:
    """Base class of every schedule: a pure function from a step to a learning rate.

    Subclasses are frozen dataclasses whose fields are hyperparameters, each declared with its check
    (:func:`checked`), and that implement ``_evaluate(xp, step)``: the formula, one expression in
    the array API namespace ``xp`` for a float ``step >= 0``. The array layer chooses ``xp``: a
    real array namespace (NumPy, torch, JAX, ...) for array steps, a namespace of Python-float
    functions for Python and NumPy scalar steps. A formula uses ``xp``'s functions and arithmetic
    operators, ``xp.where`` for a choice, and never a Python ``if`` on the step. Register the
    class to make its configs loadable:

    >>> import dataclasses, lrschedule
    >>> @lrschedule.register("Docs>HalfLife")
    ... @dataclasses.dataclass(frozen=True, repr=False)
    ... class HalfLife(lrschedule.LearningRateSchedule):
    ...     initial_learning_rate: float
    ...     half_life: float
    ...     dtype: str | None = dataclasses.field(default=None, kw_only=True)
    ...
    ...     def _evaluate(self, xp, step):
    ...         return self.initial_learning_rate * xp.pow(0.5, step / self.half_life)
    >>> schedule = HalfLife(0.1, half_life=100)
    >>> float(schedule(200))
    0.025
    >>> lrschedule.from_json(lrschedule.to_json(schedule)) == schedule
    True

    **Bounds.** The built-in schedules check every number when they are built, once: a magnitude
    of at most :math:`2^{400}` (about 2.6e120), and lengths, periods and factors that must be
    positive at least :math:`2^{-400}` (about 3.9e-121); a ``ValueError`` names the argument and
    the value otherwise. Within these bounds no formula overflows on the way to its value, at any
    step: a value beyond the float range is the exact value's own overflow. Parts of a composite
    nested deeper than a config may be (:data:`~lrschedule.registry.MAX_DEPTH` levels), or larger
    than a config may be (:data:`~lrschedule.registry.MAX_NODES` schedules and lists,
    :data:`~lrschedule.registry.MAX_NUMBERS` numbers in lists), are refused the same way.

    A class that is not a dataclass works too: it implements ``get_config()`` itself, as in Keras.
    """

    # __weakref__: jax.jit(schedule) keeps one; _scalar: the formula compiled for Python floats;
    # _kernels: its GPU kernels (lrschedule._kernel); _size: the nodes and numbers of its config
    # (the limits of lrschedule.registry)
    __slots__ = ("__weakref__", "_ints", "_kernels", "_scalar", "_size")
    _scalar: Callable[[float], float]
    dtype: str | None = None
    _keras_name: ClassVar[str | None] = None
    _table: _array.Table | None = None
    """Set by a step function to its ``(boundaries, values)``: ``_array`` then searches NumPy
    arrays of steps directly (``_evaluate`` must compute the same function)."""

    def __call__(self, step: Any, /) -> Any:
        """The learning rate at ``step``, in the step's array library and on its device.

        ``step`` is a Python int or float, a NumPy scalar, or an integer or real floating array of
        any array API library, of any shape. Python and NumPy scalars give a NumPy scalar.
        """
        if type(step) is int and step >= 0:  # the optimizer's step counter: the hot path
            try:
                # the formula compiled for Python floats; `step + 0.0`: float(step) without a call
                if self.dtype is None:  # NumPy's default: float64
                    return self._scalar(step + 0.0) * _ONE
                return _NUMPY_SCALARS[self.dtype](self._scalar(step + 0.0))
            except AttributeError:  # the first call: compile it
                object.__setattr__(self, "_scalar", scalar_formula(self))
                return self(step)
            except (ArithmeticError, ValueError, KeyError):
                pass  # overflow, a domain error or a dtype NumPy lacks: the general path decides
        # the function itself, not `_array.evaluate`: torch.compile would reach the _array module
        # by two names and check on every call, in Python, that they are still one module
        return _array_evaluate(self._evaluate, step, self.dtype, self._table)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        """The formula: the learning rate at the float ``step >= 0``, using the namespace ``xp``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `_evaluate(self, xp, step)`"
        )

    # -- construction -----------------------------------------------------------------------------

    def __post_init__(self) -> None:
        """Check each field as it declares (:func:`checked`), then ``name`` and ``dtype``, then
        the class's own cross-field checks and derived values (``_prepare``)."""
        ints: dict[str, Any] = {}
        carried: set[str] = set()
        kind: Any = type(self)
        for name, check, optional, carries in _checks(kind):
            value = getattr(self, name)
            if value is None and optional:
                continue
            canonical = check(name, value)  # first: `carries` may assume a well-formed value
            if carries is not None and (dtype := carries(value)) is not None:
                carried.add(dtype)
            value, flags = _as_floats(canonical)
            if flags is not None:
                ints[name] = flags
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_ints", ints)
        object.__setattr__(self, "_size", _validate.config_size(self))
        if hasattr(self, "name"):
            object.__setattr__(self, "name", _validate.name(getattr(self, "name", None)))
        dtype = _validate.dtype_name(getattr(self, "dtype", None))
        if dtype is None and len(carried) == 1:
            dtype = carried.pop()
        object.__setattr__(self, "dtype", dtype)
        self._prepare()

    def _prepare(self) -> None:
        """Checks across fields, and derived values (declared with :func:`derived`, stored with
        :meth:`_store`): run once, after every field's own check."""

    def _given(self, name: str) -> Any:
        """Field ``name`` as it was given (ints as ints): for messages."""
        flags = getattr(self, "_ints", {}).get(name)
        value = getattr(self, name)
        return value if flags is None else _restore_ints(value, flags)

    def _store(self, **values: Any) -> None:
        """Store derived values on the frozen instance."""
        for key, value in values.items():
            object.__setattr__(self, key, value)

    # -- what plots and tests need to know -----------------------------------------------------

    @property
    def end_step(self) -> float | None:
        """The step from which the schedule has shown its whole shape (where a plot ends), or
        ``None`` when it has no end (a decay that goes on)."""
        return None

    @property
    def may_overflow(self) -> bool:
        """Whether the exact value may itself be beyond the float range at some finite step (a
        schedule that grows without bound): there ``inf`` is IEEE overflow, not an error."""
        return False

    # -- config -----------------------------------------------------------------------------------

    def _arguments(self) -> dict[str, Any]:
        """The constructor's arguments as given (ints as ints): what config, repr and pickling
        rebuild the schedule from."""
        ints: dict[str, Any] = getattr(self, "_ints", {})
        arguments = {}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            if field.init:
                value = getattr(self, field.name)
                flags = ints.get(field.name)
                arguments[field.name] = value if flags is None else _restore_ints(value, flags)
        return arguments

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters as JSON-native values: ``type(self).from_config(config) == self``.

        ``dtype`` appears only when set, and fields marked as optional extensions only when they
        differ from their default, so a Keras-family config at defaults is exactly Keras's.
        """
        if not dataclasses.is_dataclass(self):
            raise NotImplementedError(
                f"{type(self).__name__} is not a dataclass: it must implement `get_config()`"
            )
        defaults = {f.name: f for f in dataclasses.fields(self)}
        config: dict[str, Any] = {}
        for key, value in self._arguments().items():
            field = defaults[key]
            omit = key == "dtype" or field.metadata.get(OMIT_AT_DEFAULT, False)
            if omit and value == field.default:
                continue
            config[key] = _to_json(value)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Build a schedule from ``get_config()``'s output (nested schedules as serialized dicts)."""
        from lrschedule.registry import deserialize

        if not isinstance(config, dict):
            raise TypeError(
                f"{cls.__name__}.from_config() takes a dict of hyperparameters. "
                f"Received: config={config!r:.80}"
            )

        def load(value: Any) -> Any:
            if isinstance(value, dict):
                return deserialize(value)
            if isinstance(value, list):
                return [load(item) for item in value]
            return value

        return cls(**{key: load(value) for key, value in config.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its arguments: unpickling builds (and checks) it again."""
        if not dataclasses.is_dataclass(self):
            reduced: tuple[Any, ...] = object.__reduce__(self)  # type: ignore[assignment]
            return reduced
        return (_rebuild, (type(self), self._arguments()))

    # -- arithmetic -------------------------------------------------------------------------------

    def __mul__(self, other: object) -> LearningRateSchedule:
        """``schedule * number`` or ``schedule * schedule``: a :class:`~lrschedule.Product`."""
        from lrschedule.schedules.composite import Product

        if isinstance(other, bool) or not isinstance(other, (LearningRateSchedule, int, float)):
            return NotImplemented
        return Product((*_factors(self), *_factors(other)))

    def __rmul__(self, other: object) -> LearningRateSchedule:
        from lrschedule.schedules.composite import Product

        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return NotImplemented
        return Product((*_factors(other), *_factors(self)))

    def _repr_svg_(self) -> str | None:
        """What Jupyter shows for a schedule: its curve as a small SVG when matplotlib is
        installed (:func:`lrschedule.plotting.svg`), else ``None`` (the text ``repr``). A
        schedule that cannot be drawn (a log-scale question, a value beyond the float range)
        falls back to the text too."""
        from lrschedule.plotting import svg

        try:
            return svg(self)
        except Exception:  # a preview must never break the display of the object
            return None

    def __repr__(self) -> str:
        if not dataclasses.is_dataclass(self):
            return f"<{type(self).__name__}>"
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        parts = [
            f"{key}={value!r}"
            for key, value in self._arguments().items()
            if defaults[key] is dataclasses.MISSING or value != defaults[key]
        ]
        return f"{type(self).__name__}({', '.join(parts)})"


def _rebuild(cls: type[LearningRateSchedule], arguments: dict[str, Any]) -> LearningRateSchedule:
    return cls(**arguments)


def _factors(value: Any) -> tuple[Any, ...]:
    """The factors of a product (flattened, so ``a * b * c`` is one product of three)."""
    from lrschedule.schedules.composite import Product

    if isinstance(value, Product) and value.dtype is None:
        return tuple(value.factors)
    return (value,)


def _to_json(value: Any) -> Any:
    if isinstance(value, LearningRateSchedule):
        from lrschedule.registry import serialize

        return serialize(value)
    if isinstance(value, (tuple, list)):
        return [_to_json(item) for item in value]
    return value
