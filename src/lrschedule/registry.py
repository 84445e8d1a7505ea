"""The name -> class table, and safe (de)serialization.

A config is data. :func:`deserialize` looks class names up in this registry and nowhere else: it
never imports a module, evaluates a string or unpickles anything. It accepts three forms:

* lrschedule's: ``{"module": "lrschedule", "class_name": ..., "config": {...}}``
  (plus ``"registered_name"`` for a user's registered class);
* Keras 3's: ``{"module": "keras.optimizers.schedules", "class_name": ..., "config": {...},
  "registered_name": ...}``;
* TF 2's: ``{"class_name": ..., "config": {...}}``;

and refuses, with :class:`ConfigError`, anything else: unknown classes or modules, unknown or
missing keys, values that are not JSON-native, NaN or infinite numbers, nesting deeper than
:data:`MAX_DEPTH`, and configs larger than :data:`MAX_NODES` schedules and lists or
:data:`MAX_NUMBERS` numbers in lists (counted as visited, so a part shared many times counts each
time). The constructors refuse the same sizes, so every schedule that can be built loads back.

The limits are module attributes, read at each call: for trusted input, raise them
(``lrschedule.registry.MAX_NODES = 100_000``).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from lrschedule.schedule import LearningRateSchedule

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_NUMBERS",
    "MAX_TEXT",
    "ConfigError",
    "deserialize",
    "from_json",
    "register",
    "registered",
    "serialize",
    "to_json",
]

MAX_DEPTH = 16
"""Deepest nesting of schedules (and of lists) that a config may have."""

MAX_NODES = 10_000
"""Most schedules and lists a config may hold, counted each time one is visited (a part shared
by several composites, or a YAML alias, counts once per use): loading is then linear in this
number (about 0.2 ms a schedule), never exponential in the nesting."""

MAX_NUMBERS = 250_000
"""Most numbers a config's lists may hold in all (counted as :data:`MAX_NODES` are): a
``PiecewiseConstantDecay`` of up to 124,999 boundaries, searched in O(log n) operations on every
backend."""

MAX_TEXT = 16_000_000
"""Longest JSON text :func:`from_json` parses, in characters: room for :data:`MAX_NUMBERS`
numbers of 26 characters and :data:`MAX_NODES` schedules with names of up to 500 characters."""

_MODULE = "lrschedule"
_KERAS_MODULES = frozenset(
    {
        "keras.optimizers.schedules",
        "keras.src.optimizers.schedules",
        "keras.src.optimizers.schedules.learning_rate_schedule",
    }
)
_TOP_KEYS = frozenset({"module", "class_name", "config", "registered_name"})

S = TypeVar("S", bound=type[LearningRateSchedule])

_lock = threading.RLock()
_by_name: dict[str, type[LearningRateSchedule]] = {}
_by_class: dict[type[LearningRateSchedule], str] = {}
_builtin: set[str] = set()


class ConfigError(ValueError):
    """A config that cannot be loaded: unknown, malformed, or hostile. Names the key and value."""


def register(name: str | None = None, *, override: bool = False) -> Callable[[S], S]:
    """Class decorator: make a schedule loadable from configs under ``name``.

    ``name`` defaults to ``"Custom>ClassName"`` (Keras's convention, ``"package>Name"``). A name
    that is already taken, by a built-in schedule or another class, is an error unless
    ``override=True``; built-in names can never be taken over by :func:`deserialize` input.

    >>> import dataclasses, lrschedule
    >>> @lrschedule.register("Docs>Flat")
    ... @dataclasses.dataclass(frozen=True, repr=False)
    ... class Flat(lrschedule.LearningRateSchedule):
    ...     value: float
    ...     def _evaluate(self, xp, step):
    ...         return xp.full_like(step, self.value)
    >>> lrschedule.serialize(Flat(0.5))["registered_name"]
    'Docs>Flat'
    """

    def decorator(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, LearningRateSchedule)):
            raise TypeError(
                f"register() takes a subclass of LearningRateSchedule. Received: {cls!r}"
            )
        key = f"Custom>{cls.__name__}" if name is None else name
        if not isinstance(key, str) or not key or key != key.strip():
            raise ValueError(f"Argument `name` must be a non-empty string. Received: name={key!r}")
        with _lock:
            taken = _by_name.get(key)
            reloaded = taken is not None and (taken.__module__, taken.__qualname__) == (
                cls.__module__,
                cls.__qualname__,
            )  # the same class defined again (importlib.reload, a notebook cell run twice)
            if taken is not None and taken is not cls and not (override or reloaded):
                raise ValueError(
                    f"The name {key!r} is already registered to {taken.__module__}."
                    f"{taken.__qualname__}; pass override=True to replace it"
                )
            own = _by_class.get(cls)
            if own is not None and own != key and (own in _builtin or not override):
                # one name per class: a second name would change how its configs are written
                raise ValueError(
                    f"{cls.__qualname__} is already registered under the name {own!r}"
                    + ("" if own in _builtin else "; pass override=True to rename it")
                )
            if taken is not None and _by_class.get(taken) == key:
                del _by_class[taken]
            if own is not None and own != key:
                del _by_name[own]
            _by_name[key] = cls
            _by_class[cls] = key
            _builtin.discard(key)
        return cls

    return decorator


def _register_builtin(cls: S) -> S:
    register(cls.__name__)(cls)
    _builtin.add(cls.__name__)
    return cls


def registered() -> dict[str, type[LearningRateSchedule]]:
    """A copy of the registry: name -> class."""
    with _lock:
        return dict(_by_name)


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """``{"module": "lrschedule", "class_name": ..., "config": {...}}``: plain JSON-native data.

    A user's registered class also gets ``"registered_name"``, as in Keras 3.

    >>> import lrschedule
    >>> lrschedule.serialize(lrschedule.ExponentialDecay(0.1, 1000, 0.96))
    {'module': 'lrschedule', 'class_name': 'ExponentialDecay', 'config': {'initial_learning_rate': 0.1, 'decay_steps': 1000, 'decay_rate': 0.96, 'staircase': False, 'name': 'ExponentialDecay'}}
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"serialize() takes a LearningRateSchedule. Received: {schedule!r:.80}")
    with _lock:
        key = _by_class.get(type(schedule))
    if key is None:
        raise ValueError(
            f"{type(schedule).__qualname__} is not registered, so its config could not be loaded "
            "back: decorate the class with @lrschedule.register('package>Name')"
        )
    result: dict[str, Any] = {
        "module": _MODULE,
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
    }
    if key not in _builtin:
        result["registered_name"] = key
    return result


def to_json(schedule: LearningRateSchedule, **kwargs: Any) -> str:
    """:func:`serialize` as JSON text; ``kwargs`` go to :func:`json.dumps` (e.g. ``indent=2``)."""
    import json  # here, not at import: lrschedule imports in little more time than NumPy

    return json.dumps(serialize(schedule), allow_nan=False, **kwargs)


def _reject_constant(token: str) -> Any:
    raise ConfigError(
        f"JSON token {token} is not a finite number; configs hold finite numbers only"
    )


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (``json`` would keep the last one)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        key = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ConfigError(f"JSON object with the key {_short(key)} more than once")
    return result


def from_json(text: str | bytes) -> LearningRateSchedule:
    """Load a schedule from JSON text written by :func:`to_json` (or by Keras); see :func:`deserialize`.

    >>> import lrschedule
    >>> lrschedule.from_json('{"class_name": "InverseTimeDecay", "config": '
    ...                      '{"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}')
    InverseTimeDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)
    """
    if not isinstance(text, (str, bytes, bytearray)):
        raise ConfigError(f"from_json() takes JSON text. Received: {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ConfigError(f"JSON text of {len(text)} characters is longer than {MAX_TEXT}")
    try:
        import json

        data = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys
        )
    except ConfigError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge ints, deep nesting
        raise ConfigError(f"not valid JSON: {str(exc)[:200]}") from None
    return deserialize(data)


def deserialize(config: Any) -> LearningRateSchedule:
    """Build a schedule from a serialized dict (lrschedule's, Keras 3's or TF 2's form).

    A :class:`~lrschedule.LearningRateSchedule` passes through unchanged.

    >>> import lrschedule
    >>> keras_config = {
    ...     "module": "keras.optimizers.schedules", "class_name": "CosineDecay",
    ...     "config": {"initial_learning_rate": 0.1, "decay_steps": 1000, "alpha": 0.0,
    ...                "name": "CosineDecay", "warmup_target": None, "warmup_steps": 0},
    ...     "registered_name": None,
    ... }
    >>> lrschedule.deserialize(keras_config)
    CosineDecay(initial_learning_rate=0.1, decay_steps=1000)
    >>> lrschedule.deserialize({"class_name": "os.system", "config": {}})
    Traceback (most recent call last):
    ...
    lrschedule.registry.ConfigError: unknown schedule class_name='os.system'
    """
    if isinstance(config, LearningRateSchedule):
        return config
    return _deserialize(config, depth=1, path="schedule", count=_Count())


class _Count:
    """What a config holds so far, counted as visited: schedules and lists, and numbers in
    lists (see :data:`MAX_NODES` and :data:`MAX_NUMBERS`)."""

    __slots__ = ("nodes", "numbers")

    def __init__(self) -> None:
        self.nodes = 0
        self.numbers = 0

    def node(self, path: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                f"{path}: the config holds more than {MAX_NODES} schedules and lists (counted "
                "each time one is used); raise lrschedule.registry.MAX_NODES for trusted input"
            )

    def add_numbers(self, count: int, path: str) -> None:
        self.numbers += count
        if self.numbers > MAX_NUMBERS:
            raise ConfigError(
                f"{path}: the config holds more than {MAX_NUMBERS} numbers in lists (counted "
                "each time one is used); raise lrschedule.registry.MAX_NUMBERS for trusted input"
            )


def _deserialize(data: Any, *, depth: int, path: str, count: _Count) -> LearningRateSchedule:
    count.node(path)
    if depth > MAX_DEPTH:
        raise ConfigError(f"{path}: schedules nested deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a schedule config is a dict. Received: {_short(data)}")
    unknown = [key for key in data if key not in _TOP_KEYS]
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {_short(unknown[0])}; a serialized schedule has the keys "
            "'class_name', 'config' and optionally 'module' and 'registered_name'"
        )
    cls = _resolve(data, path)
    params = data.get("config", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{path}.config: must be a dict. Received: {_short(params)}")
    kwargs = _check_params(cls, params, depth=depth, path=f"{path}.config", count=count)
    try:
        return cls.from_config(kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: {cls.__name__}: {exc}") from None


def _resolve(data: dict[str, Any], path: str) -> type[LearningRateSchedule]:
    class_name = data.get("class_name")
    registered_name = data.get("registered_name")
    module = data.get("module")
    for key, value in (
        ("class_name", class_name),
        ("registered_name", registered_name),
        ("module", module),
    ):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{path}.{key}: must be a string. Received: {_short(value)}")
    if class_name is None:
        raise ConfigError(f"{path}: missing key 'class_name'")
    # registered_name, when given, resolves to exactly that registered name and nothing else.
    key = registered_name if registered_name is not None else class_name
    with _lock:
        cls = _by_name.get(key)
        names = list(_by_name)
    if cls is None:
        import difflib

        close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        field = "registered_name" if registered_name is not None else "class_name"
        raise ConfigError(f"unknown schedule {field}={_short(key)}{hint}")
    if class_name not in (cls.__name__, key):
        raise ConfigError(
            f"{path}: class_name={_short(class_name)} does not match "
            f"registered_name={_short(registered_name)}"
        )
    allowed_modules = {_MODULE, cls.__module__}
    if key in _builtin:
        allowed_modules |= _KERAS_MODULES
    if module is not None and module not in allowed_modules:
        raise ConfigError(
            f"{path}.module: unknown module {_short(module)} for {key!r}; "
            f"expected one of {sorted(allowed_modules)}"
        )
    return cls


def _check_params(
    cls: type[LearningRateSchedule],
    params: dict[str, Any],
    *,
    depth: int,
    path: str,
    count: _Count,
) -> dict[str, Any]:
    """Check a config's keys against the class's fields and its values for JSON-native types."""
    if dataclasses.is_dataclass(cls):
        fields = [f for f in dataclasses.fields(cls) if f.init]
        names = {f.name for f in fields}
        for key in params:
            if key not in names:
                raise ConfigError(
                    f"{path}: unknown key {_short(key)} for {cls.__name__}; "
                    f"expected some of {sorted(names)}"
                )
        for f in fields:
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required and f.name not in params:
                raise ConfigError(f"{path}: missing key {f.name!r} for {cls.__name__}")
    return {
        key: _check_value(value, depth=depth, path=f"{path}.{key}", count=count)
        for key, value in params.items()
    }


def _check_value(value: Any, *, depth: int, path: str, count: _Count) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:  # the constructors accept any int that is a finite float
            raise ConfigError(f"{path}: integer out of range. Received: {_short(value)}") from None
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{path}: must be a finite number. Received: {value!r}")
        return value
    if isinstance(value, dict) and value.get("class_name") in _ARRAY_CLASSES:
        return _keras_tensor(value, path, count)
    if isinstance(value, dict):  # a nested schedule
        return _deserialize(value, depth=depth + 1, path=path, count=count)
    if isinstance(value, (list, tuple)):  # Keras's in-memory configs keep tuples
        count.node(path)
        if depth > MAX_DEPTH:
            raise ConfigError(f"{path}: lists nested deeper than {MAX_DEPTH} levels")
        # numbers first, all at once: a list longer than the limit is refused before it is read
        count.add_numbers(
            sum(1 for item in value if not isinstance(item, (dict, list, tuple))), path
        )
        return [
            _check_value(item, depth=depth + 1, path=f"{path}[{i}]", count=count)
            for i, item in enumerate(value)
        ]
    raise ConfigError(
        f"{path}: {type(value).__name__} is not a JSON value. Received: {_short(value)}"
    )


_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_ARRAY_CLASSES = ("__tensor__", "__numpy__")


class _KerasScalar:
    """A scalar of a dtype NumPy may lack (``bfloat16``) from a Keras config: a number with a
    ``dtype`` name, which the schedule records as its result dtype."""

    __slots__ = ("dtype", "value")
    shape = ()

    def __init__(self, value: float, dtype: str) -> None:
        self.value = value
        self.dtype = dtype

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"{self.dtype}({self.value!r})"


def _keras_tensor(value: dict[str, Any], path: str, count: _Count) -> Any:
    """Keras 3's form of an array hyperparameter: ``{"class_name": "__tensor__", "config":
    {"value": 0.1, "dtype": "float32"}}`` (a backend tensor) or ``"__numpy__"`` (a NumPy array),
    of a scalar or a 1-d list. A floating scalar becomes a NumPy scalar (a ``bfloat16`` one a
    number carrying that dtype name), whose dtype the schedule keeps; an integer one a Python
    int; a list, a list of those."""
    config = value.get("config")
    if (
        set(value) - {"class_name", "config", "module", "registered_name"}
        or not isinstance(config, dict)
        or set(config) != {"value", "dtype"}
    ):
        raise ConfigError(
            f"{path}: malformed {value['class_name']!r} value. Received: {_short(value)}"
        )
    for key in ("module", "registered_name"):  # Keras writes neither for an array
        if value.get(key) is not None:
            raise ConfigError(
                f"{path}.{key}: must be absent or None for {value['class_name']!r}. "
                f"Received: {_short(value[key])}"
            )
    number, dtype, kind = config["value"], config["dtype"], value["class_name"]
    if dtype not in _FLOAT_DTYPES + _INT_DTYPES:
        raise ConfigError(
            f"{path}: a {kind!r} dtype must be one of {list(_FLOAT_DTYPES + _INT_DTYPES)}. "
            f"Received: {_short(dtype)}"
        )
    if isinstance(number, list):
        count.node(path)
        count.add_numbers(len(number), path)
        return [_array_item(item, dtype, f"{path}[{i}]", kind) for i, item in enumerate(number)]
    return _array_item(number, dtype, path, kind)


def _array_item(number: Any, dtype: str, path: str, kind: str) -> Any:
    import numpy as np

    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise ConfigError(f"{path}: a {kind!r} value must be a number. Received: {_short(number)}")
    if dtype in _INT_DTYPES:
        info = np.iinfo(dtype)
        if number != int(number) or not info.min <= number <= info.max:
            raise ConfigError(
                f"{path}: a {kind!r} value must be an integer in {dtype}. "
                f"Received: {_short(number)}"
            )
        return int(number)
    largest = 3.3895313892515355e38 if dtype == "bfloat16" else float(np.finfo(dtype).max)
    try:
        in_range = abs(float(number)) <= largest
    except OverflowError:
        in_range = False
    if not in_range:  # also NaN
        raise ConfigError(
            f"{path}: a {kind!r} value must be finite in {dtype}. Received: {_short(number)}"
        )
    if dtype == "bfloat16":
        return _KerasScalar(float(number), dtype)
    return np.asarray(number, dtype=dtype)[()]


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not escape as another exception
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."
