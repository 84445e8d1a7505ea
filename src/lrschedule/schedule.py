"""``LearningRateSchedule``: the call template, config, repr, equality and pickling.

A schedule is a frozen dataclass whose fields are its hyperparameters. That one declaration gives the
constructor, ``get_config``/``from_config``, ``repr``, ``==``/``hash``, ``copy`` and pickling; the
class adds its checks (``__post_init__``) and its formula (``_evaluate``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from lrschedule import _array, _validate
from lrschedule._array import evaluate as _array_evaluate

__all__ = ["LearningRateSchedule"]

_NUMPY_SCALARS = _array.NUMPY_SCALARS
_RAW_MATH = _array.raw_math
_ONE = _NUMPY_SCALARS[None](1.0)
"""``value * _ONE`` is ``value`` as a NumPy float64 scalar, exactly (NaN, inf and -0.0 included),
in about half the time of ``numpy.float64(value)``."""

OMIT_AT_DEFAULT = "omit_at_default"
"""Field metadata key: leave the field out of ``get_config()`` while it has its default value."""


class LearningRateSchedule:
    """Base class of every schedule: a pure function from a step to a learning rate.

    Subclasses are frozen dataclasses that implement ``_evaluate(xp, step)``: the formula, written
    with the array API namespace ``xp`` for a float ``step`` that is ``>= 0``. ``xp`` is a real array
    namespace (NumPy, torch, JAX, ...) for array steps and a namespace of Python-float functions for
    Python and NumPy scalar steps, so a formula uses ``xp.floor``, ``xp.where``, ``xp.pow`` and
    arithmetic operators, never a Python ``if`` on the step. Register it to make configs loadable:

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

    A class that is not a dataclass works too: it implements ``get_config()`` itself, as in Keras.
    """

    __slots__ = ("__weakref__",)  # jax.jit(schedule) keeps a weak reference
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
                # `step + 0.0`: float(step), rounded the same, without a call
                if self.dtype is None:  # NumPy's default: float64
                    return self._evaluate(_RAW_MATH, step + 0.0) * _ONE
                return _NUMPY_SCALARS[self.dtype](self._evaluate(_RAW_MATH, step + 0.0))
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

    # -- construction helpers for subclasses' __post_init__ -------------------------------------

    def _set(self, *, dtype_from: str | None = None, **values: Any) -> None:
        """Store checked hyperparameters on a frozen instance; check ``name`` and ``dtype`` too.

        ``dtype_from`` is the dtype name carried by an array-valued learning rate: the result dtype
        when no ``dtype=`` was given.
        """
        for key, value in values.items():
            object.__setattr__(self, key, value)
        if hasattr(self, "name"):
            object.__setattr__(self, "name", _validate.name(getattr(self, "name", None)))
        dtype = _validate.dtype_name(getattr(self, "dtype", None)) or dtype_from
        object.__setattr__(self, "dtype", dtype)

    # -- config -----------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters as JSON-native values: ``type(self).from_config(config) == self``.

        ``dtype`` appears only when set, and fields marked as optional extensions only when they
        differ from their default, so a Keras-family config at defaults is exactly Keras's.
        """
        if not dataclasses.is_dataclass(self):
            raise NotImplementedError(
                f"{type(self).__name__} is not a dataclass: it must implement `get_config()`"
            )
        config: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            if not field.init:
                continue
            value = getattr(self, field.name)
            omit = field.name == "dtype" or field.metadata.get(OMIT_AT_DEFAULT, False)
            if omit and value == field.default:
                continue
            config[field.name] = _to_json(value)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Build a schedule from ``get_config()``'s output (nested schedules as serialized dicts)."""
        from lrschedule.registry import deserialize

        def load(value: Any) -> Any:
            if isinstance(value, dict):
                return deserialize(value)
            if isinstance(value, list):
                return [load(item) for item in value]
            return value

        return cls(**{key: load(value) for key, value in config.items()})

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

    def __repr__(self) -> str:
        if not dataclasses.is_dataclass(self):
            return f"<{type(self).__name__}>"
        parts = []
        for field in dataclasses.fields(self):
            if not field.init:
                continue
            value = getattr(self, field.name)
            if field.default is not dataclasses.MISSING and value == field.default:
                continue
            parts.append(f"{field.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


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
