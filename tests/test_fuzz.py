"""Fuzzing: constructors, ``deserialize`` and ``from_json`` on arbitrary input, and round trips.

Three contracts, each checked on generated input (hypothesis):

* **Constructors.** Every built-in schedule class, given arbitrary argument values and types, either
  builds a schedule whose values are finite at finite steps (a few steps, as Python and NumPy scalars
  and as NumPy arrays) or raises ``ValueError``/``TypeError`` whose message names the argument.
  Nothing else: no ``OverflowError``, ``ZeroDivisionError``, ``RecursionError``, and no warning.
  An infinite value is accepted only where the exact value may itself lie beyond the float range
  (a schedule that grows, or a product): that is IEEE overflow, not a bug.
* **Configs.** ``deserialize`` and ``from_json`` on arbitrary JSON-like data and text return a
  schedule or raise ``ConfigError``: never another exception, never a hang (each input well under
  a second), never an import.
* **Round trips.** Every schedule built above loads back from its config equal, with identical
  values.

The number of examples comes from the hypothesis profile: the normal run uses hypothesis's default
(100 per test); ``nox -s fuzz`` loads the longer ``fuzz`` profile (``LRSCHEDULE_HYPOTHESIS_PROFILE``,
see ``tests/conftest.py``). ``pytest --hypothesis-show-statistics`` prints the counts and the events
(built / refused, per class) of each test.

Nothing is excused: a constructor's only accepted refusal is the documented one (a ``ValueError`` or
``TypeError`` naming an argument), and anything else escapes the fuzzer as a failure. Generated
schedules are only ever the class drawn (a refused draw is rejected, never replaced), and
:func:`test_plausible_arguments_build_every_class` checks that every class builds often enough
to be fuzzed at all. The bugs the fuzzer found have deterministic regression tests at the end,
each named for the behaviour it pins.
"""

from __future__ import annotations

import collections
import dataclasses
import decimal
import fractions
import json
import math
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lrschedule
from lrschedule import ConfigError, LearningRateSchedule
from lrschedule.schedules.wsd import DECAY_TYPES, WARMUP_TYPES

# Independent of the backend fixture: run once, in the sessions that select NumPy (or all).
_BACKENDS = os.environ.get("LRSCHEDULE_TEST_BACKENDS", "")
pytestmark = pytest.mark.skipif(
    bool(_BACKENDS) and "numpy" not in _BACKENDS.split(","),
    reason="backend-independent: runs where the numpy backend is selected",
)

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BUILTIN: dict[str, type[LearningRateSchedule]] = {
    name: cls
    for name, cls in lrschedule.registered().items()
    if cls.__module__.startswith("lrschedule.schedules.")
}

CHOICES: dict[str, tuple[str, ...]] = {
    "anneal_strategy": ("cos", "linear"),
    "mode": ("triangular", "triangular2", "exp_range"),
    "interpolation": ("linear", "cosine"),
    "warmup_type": WARMUP_TYPES,
    "decay_type": DECAY_TYPES,
}
DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64")

SCALAR_STEPS: list[int | float] = [
    0,
    1,
    7,
    100,
    1000,
    10**6,
    2**31 - 1,
    2**53,
    2**63 - 1,
    -3,
    0.5,
    1e18,
]
INT_STEPS = np.asarray([0, 1, 7, 100, 1000, 10**6, 2**31 - 1, 2**53, 2**63 - 1, -3], dtype=np.int64)
FLOAT_STEPS = np.asarray([0.0, 0.5, 1.0, 1e3, 1e12, 1e18, -1.0], dtype=np.float64)


def test_every_public_schedule_class_is_fuzzed() -> None:
    public = {
        name
        for name in lrschedule.__all__
        if isinstance(getattr(lrschedule, name), type)
        and issubclass(getattr(lrschedule, name), LearningRateSchedule)
        and name != "LearningRateSchedule"
    }
    assert public == set(BUILTIN)


# -- strategies ---------------------------------------------------------------------------------

HUGE_INTS = [
    2**31 - 1,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**308,
    2**1024,
    10**5000,
]
SPECIAL_FLOATS = [
    0.0,
    -0.0,
    5e-324,
    2.2250738585072014e-308,
    1e-300,
    1e300,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    math.nan,
    math.inf,
    -math.inf,
    2.0**-53,
    1.0 - 2.0**-53,
    1.0 + 2.0**-52,
]
NUMPY_DTYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "longdouble",
    "bool",
    "complex64",
]


# by index: hypothesis prints the elements of sampled_from, and repr(10**5000) raises
def _huge_int(i: int) -> int:
    return HUGE_INTS[i]


huge_ints = st.integers(0, len(HUGE_INTS) - 1).map(_huge_int)


def numpy_values(shape: Any = ()) -> st.SearchStrategy[Any]:
    """NumPy scalars and arrays of every dtype, with every value of it (NaN, inf, extremes)."""
    arrays = st.sampled_from(NUMPY_DTYPES).flatmap(
        lambda dtype: hnp.arrays(np.dtype(dtype), shape, elements=hnp.from_dtype(np.dtype(dtype)))
    )
    if shape == ():
        return st.one_of(arrays, arrays.map(lambda a: a[()]))  # 0-d arrays and NumPy scalars
    return arrays


# Generated ints stay below 10**400 (and fractions and decimals near it): hypothesis's shrinker
# prints the ints it shrinks, and printing an int of more than 4300 digits raises. Larger ones
# come from HUGE_INTS, drawn by index.
bounded_ints = st.integers(-(10**400), 10**400)

numbers: st.SearchStrategy[Any] = st.one_of(
    bounded_ints,
    huge_ints,
    st.floats(),
    st.sampled_from(SPECIAL_FLOATS),
    st.booleans(),
    numpy_values(),
    st.fractions(-(10**30), 10**30),
    st.decimals(-(10**30), 10**30),
    st.sampled_from(
        [decimal.Decimal("NaN"), decimal.Decimal("-Infinity"), decimal.Decimal("1e400")]
    ),
    st.complex_numbers(),
    st.sampled_from([fractions.Fraction(10**400, 3), fractions.Fraction(1, 10**400)]),
)


def wild(nested: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Anything: numbers of every kind and size, strings, None, containers, arrays, schedules."""
    return st.one_of(
        numbers,
        st.text(),
        st.binary(),
        st.none(),
        st.lists(numbers, max_size=6),
        st.lists(numbers, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=4), numbers, max_size=3),
        numpy_values(st.integers(0, 4)),
        numpy_values((2, 2)),
        nested,
        st.lists(nested, max_size=3),
        st.sampled_from([object(), float, lrschedule.Constant, lrschedule, Ellipsis, print]),
        st.text().map(lambda t: t * 1000),
    )


def plain_numbers() -> st.SearchStrategy[Any]:
    """Ordinary hyperparameter values: what a user writes (most builds succeed)."""
    return st.one_of(
        st.integers(0, 10**6),
        st.floats(0.0, 1e6),
        st.floats(-2.0, 2.0),
        st.floats(1e-6, 10.0),
        st.sampled_from([0, 1, 2, 0.1, 0.5, 0.9, 0.99, 1.0, 1.5, 2.0, 10, 100, 1000]),
    )


# Fields whose length is tied to another's: (class, field) -> (the other field, length difference).
LINKED_LENGTHS: dict[tuple[str, str], tuple[str, int]] = {
    ("PiecewiseConstantDecay", "values"): ("boundaries", 1),
    ("PiecewiseInterpolate", "values"): ("boundaries", 0),
    ("Sequential", "boundaries"): ("schedules", -1),
}
FRACTIONS = {"pct_start", "min_lr_ratio", "alpha"}  # documented between 0 and 1 (alpha: mostly)


def plausible(
    field: dataclasses.Field[Any], nested: st.SearchStrategy[Any], length: int | None = None
) -> Any:
    """A strategy for values of the right type for ``field`` (not necessarily in range); a
    sequence of numbers of ``length`` items where given."""
    kind = str(field.type)
    if length is not None and kind == "tuple[float, ...]" and length >= 0:
        values = st.lists(plain_numbers(), min_size=length, max_size=length)
        return st.one_of(values, values.map(sorted), values.map(lambda v: np.asarray(sorted(v))))
    if field.name == "dtype":
        return st.sampled_from([None, *DTYPE_NAMES, np.float32, np.dtype("float16")])
    if field.name == "name":
        return st.one_of(st.none(), st.text())
    if field.name in CHOICES:
        return st.sampled_from(CHOICES[field.name])
    if kind == "bool":
        return st.booleans()
    if kind.startswith("LearningRateSchedule"):
        return st.one_of(nested, st.none()) if "None" in kind else nested
    if kind.startswith("tuple[LearningRateSchedule |"):
        return st.lists(st.one_of(nested, plain_numbers()), min_size=1, max_size=4)
    if kind.startswith("tuple[LearningRateSchedule"):
        return st.lists(nested, min_size=1, max_size=4)
    if kind.startswith("tuple["):
        values = st.lists(plain_numbers(), max_size=6)
        return st.one_of(values, values.map(sorted), values.map(lambda v: np.asarray(sorted(v))))
    if kind.startswith("int"):  # a count: mostly an integer (None: the default, left out)
        return st.one_of(st.integers(-1, 10**6), st.sampled_from([10, 100, 1000.0, 2.5]))
    if field.name in FRACTIONS:
        return st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.1, 0.25, 0.5]), st.floats(-1, 2))
    if "None" in kind:
        return st.one_of(st.none(), plain_numbers())
    return plain_numbers()


@st.composite
def arguments(
    draw: st.DrawFn, cls: type[LearningRateSchedule], nested: st.SearchStrategy[Any], wildness: int
) -> dict[str, Any]:
    """Keyword arguments for ``cls``: each one plausible, or (1 in ``wildness``) anything at all;
    optional ones sometimes left out. A sequence whose length is tied to another's
    (``LINKED_LENGTHS``) mostly gets the length that fits."""
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not field.init:
            continue
        optional = field.default is not dataclasses.MISSING
        if optional and draw(st.booleans()):
            continue
        if wildness and draw(st.integers(0, wildness - 1)) == 0:
            kwargs[field.name] = draw(wild(nested))
            continue
        length = None
        linked = LINKED_LENGTHS.get((cls.__name__, field.name))
        if (
            linked is not None
            and isinstance(kwargs.get(linked[0]), (list, tuple, np.ndarray))
            and getattr(kwargs[linked[0]], "ndim", 1) == 1  # a 0-d array has no length
            and draw(st.integers(0, 7))  # now and then (1 in 8) a length that does not fit
        ):
            length = len(kwargs[linked[0]]) + linked[1]
        kwargs[field.name] = draw(plausible(field, nested, length))
    return kwargs


def _names_an_argument(message: str, cls: type) -> bool:
    """Whether ``message`` names one of ``cls``'s arguments, as lrschedule's refusals do:
    ``Argument `name` must be ...``, ``Received: name=...`` (or ``name[i]=...``)."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    return any(re.search(rf"`{name}`|\b{name}(\[\d+\])?=", message) for name in names)


def _build(cls: type[LearningRateSchedule], kwargs: dict[str, Any]) -> LearningRateSchedule | None:
    """``cls(**kwargs)``, or None where the constructor refuses them as documented: a ValueError
    or TypeError whose message names an argument. Anything else propagates (another exception, a
    refusal that names no argument, a warning): a failure of the test that built it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        if _names_an_argument(str(exc), cls):
            return None
        raise


@st.composite
def valid_schedules(draw: st.DrawFn, depth: int = 2) -> LearningRateSchedule:
    """A schedule of any built-in class with plausible arguments, composites nested ``depth``
    deep. A draw the constructor refuses (as documented) is rejected (``assume``), never
    replaced by another class; the outcome per class is an event (its build rate)."""
    nested = (
        valid_schedules(depth - 1) if depth > 0 else st.builds(lrschedule.Constant, st.floats(0, 1))
    )
    name = draw(st.sampled_from(sorted(BUILTIN)))
    built = _build(BUILTIN[name], draw(arguments(BUILTIN[name], nested, wildness=0)))
    event(f"valid_schedules: {name} {'refused' if built is None else 'built'}")
    assume(built is not None)
    assert built is not None  # for the type checker: assume rejected the draw otherwise
    return built


# -- probing a schedule ------------------------------------------------------------------------


@dataclasses.dataclass
class Probe:
    """What calling a schedule at the probe steps gave: the problems found, and the values."""

    problems: list[str] = dataclasses.field(default_factory=list)
    values: list[Any] = dataclasses.field(default_factory=list)
    infinite: bool = False


def probe(schedule: LearningRateSchedule) -> Probe:
    """Call ``schedule`` at a few steps (Python and NumPy scalars, int64 and float64 arrays)."""
    result = Probe()
    calls: list[tuple[str, Callable[[], Any]]] = [
        (f"step {t!r}", lambda t=t: schedule(t)) for t in SCALAR_STEPS
    ]
    calls += [
        ("step np.int64(1000)", lambda: schedule(np.int64(1000))),
        ("step np.float32(7.0)", lambda: schedule(np.float32(7.0))),
        ("int64 array", lambda: schedule(INT_STEPS)),
        ("float64 array", lambda: schedule(FLOAT_STEPS)),
    ]
    for where, call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = call()
            except ValueError as exc:
                if "bfloat16" in str(exc) and "not available for" in str(exc):
                    continue  # documented: NumPy has no bfloat16 (torch and JAX have)
                result.problems.append(f"{where}: ValueError: {str(exc)[:120]}")
                continue
            except Exception as exc:  # anything escaping a call is a problem
                result.problems.append(f"{where}: {type(exc).__name__}: {str(exc)[:120]}")
                continue
        for warning in caught:
            category = warning.category.__name__
            result.problems.append(f"{where}: {category}: {str(warning.message)[:120]}")
        array = np.asarray(value, dtype=np.float64)
        result.values.append(array)
        if np.isnan(array).any():
            result.problems.append(f"{where}: NaN at a finite step: {value!r:.200}")
        elif np.isinf(array).any():
            result.infinite = True
    return result


def _numbers_in(schedule: Any) -> Iterator[float]:
    """Every number in a schedule's hyperparameters, nested schedules included."""
    if isinstance(schedule, LearningRateSchedule) and dataclasses.is_dataclass(schedule):
        for field in dataclasses.fields(schedule):
            yield from _numbers_in(getattr(schedule, field.name))
    elif isinstance(schedule, (tuple, list)):
        for item in schedule:
            yield from _numbers_in(item)
    elif isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
        yield float(schedule)


def _schedules_in(schedule: Any) -> Iterator[LearningRateSchedule]:
    if isinstance(schedule, LearningRateSchedule):
        yield schedule
        for field in dataclasses.fields(schedule):  # type: ignore[arg-type]
            yield from _schedules_in(getattr(schedule, field.name))
    elif isinstance(schedule, (tuple, list)):
        for item in schedule:
            yield from _schedules_in(item)


def may_overflow(schedule: LearningRateSchedule) -> bool:
    """Whether the exact value may itself be beyond the float range at some finite step: a
    schedule that grows without bound, a product, or a result dtype too narrow for its numbers.
    There an infinite value (and NumPy's overflow warning) is IEEE overflow, not a bug."""
    if schedule.may_overflow:  # the class says so: it grows without bound
        return True
    for part in _schedules_in(schedule):
        if part.dtype in ("float16", "bfloat16", "float32"):
            top = 65504.0 if part.dtype == "float16" else 3.4e38
            # a bound on what the formulas' products of hyperparameters may reach
            if math.prod(max(1.0, abs(v)) for v in _numbers_in(part)) > top / 2:
                return True
            if _wide_values_beyond(part, top / 2):  # e.g. a rate divided by a tiny factor
                return True
    return False


def _wide_values_beyond(schedule: LearningRateSchedule, top: float) -> bool:
    """Whether the schedule's float64 values at the probe steps reach ``top`` in magnitude."""
    try:
        wide = type(schedule).from_config({**schedule.get_config(), "dtype": "float64"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.concatenate([wide(INT_STEPS), wide(FLOAT_STEPS)])
    except Exception:  # a problem of its own: the probe reports it
        return False
    return bool(np.any(np.abs(values) >= top))


def _overflow_only(problems: list[str]) -> bool:
    return all("overflow encountered" in p for p in problems)


# -- (a) constructors ---------------------------------------------------------------------------


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)[:2000]
    except ValueError:  # an int with more than 4300 digits
        return f"<{type(value).__name__} too large to print>"


def check_constructor(cls: type[LearningRateSchedule], kwargs: dict[str, Any]) -> None:
    """A schedule, or the documented refusal (:func:`_build`); a built one must keep the values
    contract and round-trip."""
    note(f"{cls.__name__}(**{_safe_repr(kwargs)})")
    schedule = _build(cls, kwargs)
    if schedule is None:
        event(f"{cls.__name__}: refused")
        return
    check_built(schedule)


def check_built(schedule: LearningRateSchedule) -> None:
    """The values contract and the round trip, for a schedule that was built."""
    found = probe(schedule)
    problems = found.problems
    if may_overflow(schedule) and _overflow_only(problems):
        problems = []  # the exact value overflows: inf and NumPy's warning are right
    elif found.infinite and not may_overflow(schedule):
        problems.append("an infinite value at a finite step, where the exact value is finite")
    assert not problems, f"{schedule!r:.500}: {problems}"
    event(f"{type(schedule).__name__}: built")
    check_round_trip(schedule, found.values)


def check_round_trip(schedule: LearningRateSchedule, values: list[Any]) -> None:
    """(c): the config loads back to an equal schedule with identical values."""
    data = lrschedule.serialize(schedule)
    json.dumps(data, allow_nan=False)  # JSON-native
    try:
        loaded = lrschedule.deserialize(data)
        again = lrschedule.from_json(lrschedule.to_json(schedule))
    except ConfigError as exc:
        raise AssertionError(f"{schedule!r:.500} does not load back: {exc}") from exc
    assert loaded == schedule
    assert again == schedule
    assert hash(loaded) == hash(schedule)
    assert loaded.get_config() == schedule.get_config()
    reloaded = probe(loaded).values
    for before, after in zip(values, reloaded, strict=True):
        np.testing.assert_array_equal(before, after)


NESTED = valid_schedules(depth=1)


@pytest.mark.parametrize("name", sorted(BUILTIN))
@FUZZ
@given(data=st.data())
def test_constructor_with_arbitrary_arguments(name: str, data: st.DataObject) -> None:
    """Mostly plausible values with now and then anything at all: reaches both the checks and
    the formulas."""
    cls = BUILTIN[name]
    check_constructor(cls, data.draw(arguments(cls, NESTED, wildness=4), label="kwargs"))


@pytest.mark.parametrize("name", sorted(BUILTIN))
@FUZZ
@given(data=st.data())
def test_constructor_with_wild_arguments(name: str, data: st.DataObject) -> None:
    """Every argument anything at all."""
    cls = BUILTIN[name]
    check_constructor(cls, data.draw(arguments(cls, NESTED, wildness=1), label="kwargs"))


@FUZZ
@given(valid_schedules(depth=3))
def test_generated_schedules_are_finite_and_round_trip(schedule: LearningRateSchedule) -> None:
    """(a) and (c) on schedules built from plausible arguments, composites nested three deep."""
    check_built(schedule)


MIN_BUILD_RATE = 0.1  # each class built about 0.15-1.0 of the time; a broken constructor: 0


def test_plausible_arguments_build_every_class() -> None:
    """Over a fixed sample (hypothesis derandomized: the same draws every run, no timing), every
    built-in class builds from plausible arguments at least ``MIN_BUILD_RATE`` of the time. So
    ``valid_schedules``, which rejects a refused draw, does fuzz every class; a constructor that
    refused (nearly) everything would fail here instead of going unfuzzed."""
    tried: collections.Counter[str] = collections.Counter()
    built: collections.Counter[str] = collections.Counter()
    nested = st.builds(lrschedule.Constant, st.floats(0, 1))

    @settings(
        derandomize=True,
        database=None,
        max_examples=100,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def sample(data: st.DataObject) -> None:
        for name, cls in sorted(BUILTIN.items()):
            tried[name] += 1
            built[name] += _build(cls, data.draw(arguments(cls, nested, wildness=0))) is not None

    sample()
    rates = {name: built[name] / tried[name] for name in sorted(BUILTIN)}
    assert min(tried.values()) >= 50
    assert min(rates.values()) >= MIN_BUILD_RATE, sorted(rates.items(), key=lambda kv: kv[1])[:3]


# -- (b) deserialize and from_json ---------------------------------------------------------------


class Hang(BaseException):
    """Raised by the watchdog; a BaseException, so that no ``except Exception`` can swallow it."""


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Fail instead of hanging (SIGALRM on the main thread where there is one), and time it."""
    armed = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if armed:

        def alarm(signum: int, frame: Any) -> None:
            raise Hang(f"no answer within {seconds} s")

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s"


# A bytes input makes json detect its encoding, which imports a codec on first use: warm them up.
for _encoding in (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
):
    "{}".encode(_encoding).decode(_encoding)


def load_safely(load: Callable[[Any], Any], value: Any) -> LearningRateSchedule | None:
    """``load(value)``: a schedule or ConfigError, within the time bound, importing nothing."""
    before = set(sys.modules)
    try:
        with watchdog(1.0), warnings.catch_warnings():
            warnings.simplefilter("error")
            result = load(value)
    except ConfigError:
        event("ConfigError")
        result = None
    assert set(sys.modules) == before, f"imported {set(sys.modules) - before}"
    if result is not None:
        assert isinstance(result, LearningRateSchedule)
        event("loaded a schedule")
    return result


SPECIAL_STRINGS = ["", "\x00", "\ud800", "🔥" * 50, "a" * 100_000, "__import__('os')"]


def _special_string(i: int) -> str:  # by index, so that hypothesis never prints 100 kB
    return SPECIAL_STRINGS[i]


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    bounded_ints,
    huge_ints,
    st.floats(),
    st.sampled_from(SPECIAL_FLOATS),
    st.text(),
    st.integers(0, len(SPECIAL_STRINGS) - 1).map(_special_string),
)
json_like = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=8), children, max_size=5),
    ),
    max_leaves=40,
)

KEY_NAMES = sorted(
    {"module", "class_name", "config", "registered_name", "__class__", "__reduce__", "value"}
    | {f.name for cls in BUILTIN.values() for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
)
CLASS_NAMES = [
    *BUILTIN,
    "__tensor__",
    "os.system",
    "eval",
    "builtins.eval",
    "exponentialdecay",
    " ExponentialDecay",
    "Custom>ExponentialDecay",
    "keras.optimizers.schedules.ExponentialDecay",
]
MODULES = ["lrschedule", "keras.optimizers.schedules", "os", "builtins", "", "lrschedule.registry"]


@st.composite
def configs(draw: st.DrawFn, depth: int = 3) -> Any:
    """Configs that look like schedules: right keys and names mostly, arbitrary values, nested
    configs and lists at any depth, and now and then anything at all."""
    if depth <= 0 or draw(st.integers(0, 9)) == 0:
        return draw(json_like)
    value = st.one_of(json_like, configs(depth - 1), st.lists(configs(depth - 1), max_size=3))
    inner_keys = st.one_of(st.sampled_from(KEY_NAMES), st.text(max_size=6))
    config = draw(st.dictionaries(inner_keys, value, max_size=8))
    top: dict[Any, Any] = {}
    if draw(st.integers(0, 9)):
        top["class_name"] = draw(st.one_of(st.sampled_from(CLASS_NAMES), json_scalars))
    if draw(st.integers(0, 9)):
        top["config"] = config if draw(st.integers(0, 9)) else draw(json_like)
    if draw(st.booleans()):
        top["module"] = draw(st.one_of(st.sampled_from(MODULES), json_scalars))
    if draw(st.booleans()):
        top["registered_name"] = draw(st.one_of(st.none(), st.sampled_from(CLASS_NAMES)))
    if not draw(st.integers(0, 9)):
        top[draw(st.one_of(st.text(max_size=6), st.integers()))] = draw(json_like)
    return top


@st.composite
def mutated_configs(draw: st.DrawFn) -> Any:
    """A valid schedule's config with one value somewhere replaced, removed or added."""
    data: Any = lrschedule.serialize(draw(valid_schedules(depth=2)))
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                paths.append((node, key))
                walk(item)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                paths.append((node, i))
                walk(item)

    walk(data)
    for _ in range(draw(st.integers(1, 3))):
        if not paths:
            break
        container, key = paths[draw(st.integers(0, len(paths) - 1))]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" and key in (
            container if isinstance(container, dict) else range(len(container))
        ):
            container[key] = draw(st.one_of(json_like, configs(1)))
        elif action == "delete" and isinstance(container, dict):
            container.pop(key, None)
        elif isinstance(container, dict):
            container[draw(st.sampled_from(KEY_NAMES))] = draw(json_like)
    return data


@FUZZ
@given(st.one_of(json_like, configs()))
def test_deserialize_arbitrary_data(data: Any) -> None:
    schedule = load_safely(lrschedule.deserialize, data)
    if schedule is not None:
        check_built(schedule)


@FUZZ
@given(mutated_configs())
def test_deserialize_mutated_valid_configs(data: Any) -> None:
    schedule = load_safely(lrschedule.deserialize, data)
    if schedule is not None:
        check_built(schedule)


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, allow_nan=True, default=repr)
    except ValueError:  # an int with more than 4300 digits: write one by hand
        return '{"class_name": "Constant", "config": {"value": 1' + "0" * 5000 + "}}"


SPECIAL_TEXTS = [
    "",
    " ",
    "null",
    "NaN",
    "-Infinity",
    "1e5000",
    "1" * 5000,
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 20_000 + "1" + "}" * 20_000,
    '{"class_name": "Constant", "config": {"value": 1e5000}}',
    '{"class_name": "Constant", "config": {"value": ' + "9" * 4400 + "}}",
    '{"class_name": "Constant", "config": {"value": NaN}}',
    '{"class_name": "Constant", "config": {"value": 0.1}, "class_name": "Constant"}',
    "\ufeff{}",
    '"' + "x" * 999_990 + '"',
    " " * 1_000_001,
]


def _special_text(i: int) -> str:  # by index, so that hypothesis never prints a megabyte
    return SPECIAL_TEXTS[i]


@st.composite
def json_texts(draw: st.DrawFn) -> str | bytes:
    """JSON text: dumped configs (NaN/Infinity tokens included), edited, re-encoded, or junk."""
    text = draw(
        st.one_of(
            st.one_of(json_like, configs(), mutated_configs()).map(_dumps),
            st.text(),
            st.integers(0, len(SPECIAL_TEXTS) - 1).map(_special_text),
        )
    )
    if draw(st.integers(0, 3)) == 0 and text:  # an edit: cut, or a character in or out
        i = draw(st.integers(0, len(text) - 1))
        edit = draw(st.sampled_from(["cut", "insert", "delete"]))
        if edit == "cut":
            text = text[:i]
        elif edit == "insert":
            text = text[:i] + draw(st.sampled_from(list('{}[]",:0-eE.\\ \x00'))) + text[i:]
        else:
            text = text[:i] + text[i + 1 :]
    if draw(st.integers(0, 4)) == 0:
        encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1"]))
        try:
            return text.encode(encoding)
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")
    return text


@FUZZ
@given(json_texts())
def test_from_json_arbitrary_text(text: str | bytes) -> None:
    schedule = load_safely(lrschedule.from_json, text)
    if schedule is not None:
        check_built(schedule)


@FUZZ
@given(valid_schedules(depth=3))
def test_from_json_round_trip_text(schedule: LearningRateSchedule) -> None:
    """(c) through the text form too, and every prefix of it is refused cleanly."""
    text = lrschedule.to_json(schedule)
    assert load_safely(lrschedule.from_json, text) == schedule
    for cut in (1, len(text) // 2, len(text) - 1):
        assert load_safely(lrschedule.from_json, text[:cut]) is None


# -- regression tests for what the fuzzer found, each named for the behaviour it pins -----------

BIG = 1.7976931348623157e308
TINY = 5e-324


L = lrschedule
TOP = 2.0**400  # the largest magnitude of a number (_validate.LARGEST)
LOW = 2.0**-400  # the smallest positive length, period or factor (_validate.SMALLEST)
EXTREME_CASES: list[Any] = [
    # (schedule, step, exact value, or (low, high) where it lies, or None: must be refused)
    pytest.param(lambda: L.Linear(BIG, -BIG, 10), 10, None, id="Linear-difference"),
    pytest.param(lambda: L.Linear(TOP, -TOP, 10), 10, -TOP, id="Linear-difference-top"),
    pytest.param(lambda: L.PolynomialDecay(BIG, 10, -BIG), 0, None, id="Polynomial-difference"),
    pytest.param(lambda: L.PolynomialDecay(TOP, 10, -TOP), 0, TOP, id="Polynomial-top"),
    pytest.param(lambda: L.Cyclic(-BIG, BIG, 10), 10, None, id="Cyclic-difference"),
    pytest.param(lambda: L.Cyclic(-TOP, TOP, 10), 10, TOP, id="Cyclic-difference-top"),
    pytest.param(lambda: L.CosineDecay(1.0, 10, alpha=1e17), 0, 1.0, id="Cosine-alpha"),
    pytest.param(lambda: L.PiecewiseInterpolate([-BIG, BIG], [1.0, 2.0]), 0, None, id="Interp"),
    pytest.param(lambda: L.PiecewiseInterpolate([-TOP, TOP], [1.0, 2.0]), 0, 1.5, id="Interp-top"),
    pytest.param(lambda: L.Warmup(L.Constant(BIG), 10, -BIG), 5, None, id="Warmup-difference"),
    pytest.param(lambda: L.Warmup(L.Constant(TOP), 10, -TOP), 5, 0.0, id="Warmup-top"),
    pytest.param(lambda: L.OneCycle(1.0, 10, div_factor=TINY), 0, None, id="OneCycle-div"),
    pytest.param(lambda: L.ExponentialDecay(0.1, TINY, 0.5), 0, None, id="Exponential-T"),
    pytest.param(lambda: L.ExponentialDecay(0.1, LOW, 0.5), 0, 0.1, id="Exponential-T-low"),
    pytest.param(lambda: L.InverseTimeDecay(0.1, TINY, 0.5), 1, None, id="InverseTime-T"),
    pytest.param(
        lambda: L.InverseTimeDecay(TOP, LOW, TOP),
        2**63 - 1,
        TOP / (1 + TOP * 2.0**63 / LOW),
        id="InverseTime-low-top",
    ),
    pytest.param(lambda: L.CosineDecayRestarts(0.1, TINY), 1, None, id="SGDR-T"),
    pytest.param(lambda: L.StepDecay(0.1, TINY, 0.5), 1, None, id="Step-size"),
    pytest.param(lambda: L.StepDecay(0.1, LOW, 0.5), 1, 0.0, id="Step-size-low"),
    pytest.param(lambda: L.Cyclic(0.1, 1.0, TINY), 1, None, id="Cyclic-size"),
    pytest.param(lambda: L.Cyclic(0.1, 1.0, LOW), 1, (0.1, 1.0), id="Cyclic-size-low"),
    pytest.param(lambda: L.InverseSqrt(0.1, 0, TINY), 1, None, id="InverseSqrt-T"),
    pytest.param(lambda: L.InverseSqrt(0.1, 0, LOW), 1, 0.1 * LOW**0.5, id="InverseSqrt-T-low"),
    pytest.param(lambda: L.Warmup(L.Constant(1.0), TINY), 1, None, id="Warmup-T"),
    pytest.param(lambda: L.Warmup(L.Constant(1.0), LOW), 1, 1.0, id="Warmup-T-low"),
    pytest.param(lambda: L.PolynomialDecay(0.1, TINY, cycle=True), 1, None, id="Poly-T"),
    pytest.param(lambda: L.PolynomialDecay(0.1, LOW, cycle=True), 1, (1e-4, 0.1), id="Poly-T-low"),
    pytest.param(lambda: L.Product([L.Constant(1.0), BIG]), 0, None, id="Product-number"),
]


@pytest.mark.parametrize(("make", "step", "exact"), EXTREME_CASES)
def test_extreme_magnitudes(
    make: Callable[[], LearningRateSchedule], step: int, exact: Any
) -> None:
    """Hyperparameters at the ends of the float range are refused at construction (a ValueError
    naming the argument): magnitudes beyond 2**400, positive lengths, periods and factors below
    2**-400. At those bounds nothing overflows on the way (regression: a difference of two huge
    rates, a step divided by a subnormal period gave NaN, inf or wrong values where the exact
    value is an ordinary number, and NumPy RuntimeWarnings)."""
    if exact is None:
        with pytest.raises(ValueError, match="Argument `"):
            make()
        return
    schedule = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in (schedule(step), schedule(np.asarray([step]))[0]):
            if isinstance(exact, tuple):
                assert exact[0] <= value <= exact[1]
            else:
                assert value == pytest.approx(exact, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    ("schedule", "exact"),
    [
        (L.StepDecay(0.0, 1, 2.0), 0.0),
        (L.ExponentialDecay(0.0, 1, 2.0), 0.0),
        (L.Cyclic(0.5, 0.5, 10, mode="exp_range", gamma=2.0), 0.5),
        (L.Cyclic(1.0, 2.0, 1, mode="exp_range", gamma=2.0), 1.0),  # 10**6: a cycle's start
        (L.CosineDecay(1.0, 1) * L.StepDecay(1.0, 1, 2.0), 0.0),  # the cosine is 0 past step 1
        (L.StepDecay(1.0, 1, 2.0) * L.CosineDecay(1.0, 1), 0.0),
        (L.Product([0.0, L.StepDecay(1.0, 1, 2.0)]), 0.0),
    ],
    ids=[
        "StepDecay",
        "ExponentialDecay",
        "Cyclic-flat",
        "Cyclic-cycle-start",
        "Product",
        "Product-reversed",
        "Product-zero-number",
    ],
)
def test_zero_times_overflowing_growth(schedule: LearningRateSchedule, exact: float) -> None:
    """A schedule that grows without bound from a zero rate (or with a zero amplitude, or at the
    start of a Cyclic cycle, where the triangle is 0, or a Product with a factor that has reached
    0) has a finite value there (regression: it was 0 * exp(overflow) = 0 * inf = NaN once the
    growth overflowed, step 10**6 here), and no warning: a growth that overflows gives inf
    without NumPy's overflow warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert schedule(10**6) == exact
        assert schedule(np.asarray([10**6]))[0] == exact


def test_growth_overflows_to_inf_at_the_right_step() -> None:
    """A growth is exact (a few ulp) up to the float maximum, inf past it, without a warning,
    also where exp of the exponent alone would overflow but the rate brings it back in range."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rate in (3.0, 1.0, 0.1, -0.1, 2.0**-400, 2.0**400):
            schedule = L.StepDecay(rate, 1, 2.0)
            for t in (0, 100, 1023, 1030, 1500, 2000, 10**6):
                exact = mpmath.ldexp(mpmath.mpf(rate), t)
                expected = float(exact) if abs(exact) <= sys.float_info.max else math.inf
                expected = math.copysign(expected, rate)
                for value in (schedule(t), schedule(np.asarray([t]))[0]):
                    assert value == pytest.approx(expected, rel=1e-12), (rate, t)


@pytest.mark.parametrize(
    ("make", "step", "bounds"),
    [
        pytest.param(
            lambda: L.CosineDecayRestarts(0.1, 10, t_mul=1e300),
            2**31 - 1,
            None,
            id="SGDR-t_mul",
        ),
        pytest.param(
            lambda: L.CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=1e-300),
            2**63 - 1,
            None,
            id="Cosine-warmup_steps",
        ),
        pytest.param(
            lambda: L.CosineDecay(TOP, 10, alpha=1e300),
            5,
            None,
            id="Cosine-alpha-overflow",
        ),
    ],
)
def test_cosine_extreme_hyperparameters_are_refused(
    make: Callable[[], LearningRateSchedule], step: int, bounds: tuple[float, float] | None
) -> None:
    """CosineDecay's and CosineDecayRestarts' ``alpha``, ``t_mul`` and ``warmup_steps`` are
    bounded like the other numbers (``_validate``; refused where ``bounds`` is None). Regression:
    a huge ``t_mul`` gave NaN, a subnormal ``warmup_steps`` overflowed ``step / W`` (a NumPy
    warning), ``alpha`` times a huge rate overflowed where the fuzz contract expects a finite
    value."""
    if bounds is None:
        with pytest.raises(ValueError, match="Argument `"):
            make()
        return
    schedule = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in (schedule(step), schedule(np.asarray([step]))[0]):
            assert bounds[0] <= value <= bounds[1]


def test_sgdr_zero_rate_with_growing_peaks_stays_zero() -> None:
    """CosineDecayRestarts with ``m_mul > 1`` grows without bound; with a zero rate its value is
    0 everywhere (regression: ``m_mul ** i`` overflowed at large steps, and 0 * inf = NaN with a
    NumPy warning)."""
    schedule = L.CosineDecayRestarts(0.0, 1, m_mul=78151.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert schedule(2**63 - 1) == 0.0
        assert schedule(np.asarray([2**63 - 1]))[0] == 0.0


def test_polynomial_cycle_horizon_never_falls_below_the_step() -> None:
    """With ``cycle=True`` the horizon ``decay_steps * ceil(t / decay_steps)`` is never below
    ``t``, so the value stays in range (regression: where ``t / decay_steps`` is not exact,
    decay_steps=6.375 and t=1e18, the horizon rounded 128 below ``t``, and the power of a negative
    remainder was NaN with a NumPy warning)."""
    schedule = L.PolynomialDecay(1.0, 6.375, 0.0, power=1.5, cycle=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 0.0 <= schedule(1e18) <= 1.0
        assert 0.0 <= schedule(np.asarray([1e18]))[0] <= 1.0


def test_multistep_gamma_power_of_repeated_milestones_does_not_raise() -> None:
    """A milestone repeated 1100 times with gamma > 1: before it the value is the initial rate,
    no exception, no warning (regression: the Python float power ``gamma ** count`` raised
    OverflowError at call time)."""
    schedule = lrschedule.MultiStepDecay(1.0, [10] * 1100, gamma=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert schedule(5) == 1.0
        assert schedule(np.asarray([5]))[0] == 1.0


def test_inverse_sqrt_is_the_peak_at_the_end_of_a_long_warmup() -> None:
    """With a timescale far below warmup_steps, the value at the end of the warmup is the peak
    rate, exactly (regression: ``(after + (tau - W)) / tau`` rounded to 0 there:
    ZeroDivisionError on the scalar path, inf with a warning on arrays)."""
    schedule = lrschedule.InverseSqrt(0.1, 1e20, 1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert schedule(1e20) == 0.1
        assert schedule(np.asarray([1e20]))[0] == 0.1


def test_exponential_growth_reaches_a_far_ceiling() -> None:
    """Growth to a ceiling far above the rate (regression: with ``end / lr0`` beyond the float
    range, ``math.ceil(inf)`` raised OverflowError at call time; the count of periods now comes
    from the logs of both)."""
    for staircase in (True, False):
        schedule = lrschedule.ExponentialDecay(
            TINY, 1, 2.0, staircase=staircase, end_learning_rate=TOP
        )
        assert schedule(5) == pytest.approx(TINY * 2**5, rel=1e-14)
        # 2**2000 * TINY is beyond TOP: the ceiling (end / lr0 is beyond the float range)
        assert schedule(2000) == pytest.approx(TOP, rel=1e-12)
        assert schedule(np.asarray([2000]))[0] == pytest.approx(TOP, rel=1e-12)


def test_exponential_decay_rate_one_is_constant() -> None:
    """``decay_rate=1`` is constant, ``end_learning_rate`` a ceiling as in the smooth form
    (regression: the staircase ceiling divided by ``log(1)``, ZeroDivisionError, and +inf gave
    ``inf * log(1)`` = NaN)."""
    for staircase in (True, False):
        for end, expected in ((None, 0.1), (0.05, 0.05), (0.5, 0.1)):
            schedule = L.ExponentialDecay(0.1, 1, 1.0, staircase=staircase, end_learning_rate=end)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                for step in (0, 7, 10**6, math.inf):
                    assert schedule(step) == expected, (staircase, end, step)
                    assert schedule(np.asarray([step]))[0] == expected, (staircase, end, step)


def test_int_beyond_2_63_loads_back() -> None:
    """An int beyond 2**63 that a constructor accepts (``decay_steps=2**64``) loads back from its
    config (regression: deserialize refused it, "integer out of range")."""
    schedule = lrschedule.ExponentialDecay(0.1, 2**64, 0.5)
    assert lrschedule.deserialize(lrschedule.serialize(schedule)) == schedule


def test_nesting_beyond_max_depth_is_refused() -> None:
    """Composites refuse (ValueError) nesting deeper than MAX_DEPTH (16), the depth a config may
    have (regression: they accepted any nesting; a deeper config did not load back, and a few
    thousand levels raised RecursionError in a call, serialize, repr and hash)."""
    from lrschedule.registry import MAX_DEPTH

    schedule: LearningRateSchedule = lrschedule.Constant(0.1)
    with pytest.raises(ValueError, match="nest"):  # noqa: PT012
        for _ in range(MAX_DEPTH + 1):
            schedule = lrschedule.Warmup(schedule, 1)


def test_fraction_beyond_the_float_range_is_refused_by_name() -> None:
    """A Fraction beyond the float range is refused with the ValueError naming the argument
    (regression: ``float(Fraction(10**400, 3))`` raised OverflowError in ``_validate.number``)."""
    with pytest.raises(ValueError, match="initial_learning_rate"):
        lrschedule.ExponentialDecay(fractions.Fraction(10**400, 3), 10, 0.5)


def test_huge_int_is_refused_by_name() -> None:
    """An int of 5000 digits is refused with a message naming the argument (regression: the
    message's ``repr`` of the value raised "Exceeds the limit (4300 digits) for integer string
    conversion", an error naming no argument)."""
    with pytest.raises(ValueError, match="decay_steps"):
        lrschedule.ExponentialDecay(0.1, 10**5000, 0.5)


def test_product_of_a_0d_array_is_refused_by_name() -> None:
    """``Product(np.array(2.0))`` is refused with a TypeError naming ``factors`` (regression:
    NumPy's "iteration over a 0-d array", which names no argument)."""
    with pytest.raises(TypeError, match="factors"):
        lrschedule.Product(np.array(2.0))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [10**400, 1e30], ids=["int-beyond-float", "beyond-float16"])
def test_keras_tensor_beyond_its_range_is_a_config_error(value: float) -> None:
    """A Keras ``__tensor__`` value beyond the float range, or beyond its dtype's, is a
    ConfigError, without a warning (regression: OverflowError from ``math.isfinite`` of a huge
    int, and "overflow encountered in cast" before the ConfigError)."""
    config = {
        "class_name": "Constant",
        "config": {
            "value": {"class_name": "__tensor__", "config": {"value": value, "dtype": "float16"}}
        },
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConfigError):
            lrschedule.deserialize(config)


def test_huge_int_dtype_is_refused_by_name() -> None:
    """``dtype=10**5000`` is refused with an error naming ``dtype`` (found by the fuzzer once it
    stopped excusing "integer string conversion" errors: ``_validate._array_dtype_name`` formats
    ``str(dtype)`` of the int, which raises a ValueError naming no argument)."""
    with pytest.raises((ValueError, TypeError), match="dtype"):
        lrschedule.InverseTimeDecay(0.1, 1, 1, dtype=10**5000)  # type: ignore[arg-type]
