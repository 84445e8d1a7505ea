"""Configs: round trips through every form, and the safe rules of deserialization."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import sys
from typing import Any

import numpy as np
import pytest

import lrschedule
from lrschedule import ConfigError, ExponentialDecay
from references import CASES, Case

KERAS_MODULE = "keras.optimizers.schedules"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_round_trips(case: Case) -> None:
    s = case.schedule
    ours = lrschedule.serialize(s)
    assert ours["module"] == "lrschedule"
    assert ours["class_name"] == type(s).__name__
    json.dumps(ours, allow_nan=False)  # JSON-native
    keras_form = {
        "module": KERAS_MODULE,
        "class_name": type(s).__name__,
        "config": s.get_config(),
        "registered_name": None,
    }
    tf2_form = {"class_name": type(s).__name__, "config": s.get_config()}
    for form in (ours, keras_form, tf2_form):
        loaded = lrschedule.deserialize(copy.deepcopy(form))
        assert loaded == s
        assert hash(loaded) == hash(s)
        assert loaded.get_config() == s.get_config()
        assert loaded(1234) == s(1234)
    assert lrschedule.from_json(lrschedule.to_json(s)) == s
    assert type(s).from_config(s.get_config()) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert copy.copy(s) == s
    assert copy.deepcopy(s) == s
    assert eval(repr(s), vars(lrschedule)) == s  # the repr is the constructor call


def test_keras_config_keys_and_default_names() -> None:
    assert ExponentialDecay(0.1, 1000, 0.96).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 1000,
        "decay_rate": 0.96,
        "staircase": False,
        "name": "ExponentialDecay",
    }
    assert lrschedule.PiecewiseConstantDecay([1], [1.0, 2.0]).get_config() == {
        "boundaries": [1],
        "values": [1.0, 2.0],
        "name": "PiecewiseConstant",
    }
    assert lrschedule.PolynomialDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "end_learning_rate": 0.0001,
        "power": 1.0,
        "cycle": False,
        "name": "PolynomialDecay",
    }
    assert lrschedule.InverseTimeDecay(0.1, 10, 0.5).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": False,
        "name": "InverseTimeDecay",
    }
    assert lrschedule.CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    }
    assert lrschedule.CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 10,
        "t_mul": 2.0,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }
    assert ExponentialDecay(0.1, 10, 0.5, dtype="float32").get_config()["dtype"] == "float32"


def test_keras_example_config_with_name_none() -> None:
    loaded = lrschedule.deserialize(
        {
            "class_name": "PolynomialDecay",
            "config": {
                "cycle": False,
                "decay_steps": 10000,
                "end_learning_rate": 0.01,
                "initial_learning_rate": 0.1,
                "name": None,
                "power": 0.5,
            },
        }
    )
    assert loaded == lrschedule.PolynomialDecay(0.1, 10000, 0.01, 0.5, name=None)


def test_schedules_equal_by_config_and_numpy_values_normalised() -> None:
    assert ExponentialDecay(0.1, 10, 0.5) == ExponentialDecay(0.1, np.int64(10), np.float64(0.5))
    assert ExponentialDecay(0.1, 10, 0.5) != ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert ExponentialDecay(0.1, 10, 0.5) != lrschedule.InverseTimeDecay(0.1, 10, 0.5)
    config = ExponentialDecay(0.1, np.int64(10), 0.5).get_config()
    assert type(config["decay_steps"]) is int


def test_readable_repr() -> None:
    assert repr(ExponentialDecay(0.1, 1000, 0.96)) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96)"
    )
    assert repr(lrschedule.CosineDecay(0.1, 10, dtype="float32")) == (
        "CosineDecay(initial_learning_rate=0.1, decay_steps=10, dtype='float32')"
    )


def test_schedules_are_immutable() -> None:
    s = ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.decay_steps = 5  # type: ignore[misc]


GOOD = {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"class_name": "NoSuchDecay", "config": GOOD},
            "unknown schedule class_name='NoSuchDecay'",
        ),
        ({"class_name": "ExponentalDecay", "config": GOOD}, "did you mean 'ExponentialDecay'"),
        ({"class_name": "os.system", "config": {"command": "echo hi"}}, "unknown schedule"),
        ({"class_name": "eval", "config": {}}, "unknown schedule"),
        ({"class_name": "__import__", "config": {"name": "os"}}, "unknown schedule"),
        ({"module": "os", "class_name": "ExponentialDecay", "config": GOOD}, "unknown module 'os'"),
        ({"module": "builtins", "class_name": "ExponentialDecay", "config": GOOD}, "module"),
        (
            {"class_name": "ExponentialDecay", "config": GOOD, "registered_name": "os>system"},
            "unknown schedule registered_name='os>system'",
        ),
        ({"class_name": "ExponentialDecay", "config": {**GOOD, "evil": 1}}, "unknown key 'evil'"),
        ({"class_name": "ExponentialDecay", "config": {**GOOD, "__class__": 1}}, "'__class__'"),
        (
            {"class_name": "ExponentialDecay", "config": {"decay_steps": 10, "decay_rate": 0.5}},
            "missing key 'initial_learning_rate'",
        ),
        (
            {"class_name": "ExponentialDecay", "config": {**GOOD, "decay_steps": "10"}},
            "decay_steps",
        ),
        (
            {"class_name": "ExponentialDecay", "config": {**GOOD, "decay_steps": float("nan")}},
            "finite",
        ),
        (
            {"class_name": "ExponentialDecay", "config": {**GOOD, "decay_rate": float("inf")}},
            "finite",
        ),
        (
            {"class_name": "ExponentialDecay", "config": {**GOOD, "decay_steps": 10**5000}},
            "out of range",
        ),
        ({"class_name": "ExponentialDecay", "config": {**GOOD, "decay_steps": -1}}, "> 0"),
        ({"class_name": "ExponentialDecay", "config": {**GOOD, "staircase": 1}}, "bool"),
        (
            {"class_name": "ExponentialDecay", "config": {**GOOD, "name": {"class_name": "x"}}},
            "unknown schedule",
        ),
        ({"class_name": "ExponentialDecay", "config": [1, 2]}, "must be a dict"),
        ({"class_name": 5, "config": GOOD}, "must be a string"),
        ({"config": GOOD}, "missing key 'class_name'"),
        ({"class_name": "ExponentialDecay", "config": GOOD, "extra": 1}, "unknown key 'extra'"),
        (
            {"class_name": "ExponentialDecay", "config": {**GOOD, "decay_rate": object()}},
            "not a JSON value",
        ),
        ("ExponentialDecay", "a schedule config is a dict"),
        (None, "a schedule config is a dict"),
    ],
)
def test_bad_configs(config: Any, message: str) -> None:
    before = set(sys.modules)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(">", ">")):
        lrschedule.deserialize(config)
    assert set(sys.modules) == before  # nothing was imported


def test_deep_nesting_is_refused() -> None:
    nested: Any = GOOD
    for _ in range(100):
        nested = {"class_name": "ExponentialDecay", "config": {**GOOD, "name": nested}}
    with pytest.raises(ConfigError, match="nested deeper"):
        lrschedule.deserialize(nested)
    deep_list: Any = [0.1]
    for _ in range(100):
        deep_list = [deep_list]
    with pytest.raises(ConfigError, match="nested deeper"):
        lrschedule.deserialize(
            {
                "class_name": "PiecewiseConstantDecay",
                "config": {"boundaries": deep_list, "values": [1.0]},
            }
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": NaN}}', "NaN"),
        (
            '{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": Infinity}}',
            "Infinity",
        ),
        (
            '{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 1e5000, '
            '"decay_steps": 10, "decay_rate": 0.5}}',
            "finite",
        ),
        (
            '{"class_name": "ExponentialDecay", "config": {"decay_steps": ' + "9" * 5000 + "}}",
            "not valid JSON",
        ),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON|nested"),
        ("", "not valid JSON"),
        ("{'class_name': 'ExponentialDecay'}", "not valid JSON"),
        ('"just a string"', "a schedule config is a dict"),
        (" " * 16_000_001, "longer than"),
    ],
)
def test_bad_json(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrschedule.from_json(text)


def test_from_json_refuses_non_text() -> None:
    with pytest.raises(ConfigError, match="takes JSON text"):
        lrschedule.from_json({"class_name": "ExponentialDecay"})  # type: ignore[arg-type]


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


@dataclasses.dataclass(frozen=True, repr=False)
class Doubling(lrschedule.LearningRateSchedule):
    initial_learning_rate: float
    period: float = 10.0
    dtype: str | None = dataclasses.field(default=None, kw_only=True)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return self.initial_learning_rate * xp.pow(2.0, step / self.period)


def test_custom_schedule_registration() -> None:
    name = "Tests>Doubling"
    lrschedule.register(name)(Doubling)
    s = Doubling(0.1, period=5.0)
    assert float(s(10)) == pytest.approx(0.4)
    data = lrschedule.serialize(s)
    assert data["registered_name"] == name
    assert lrschedule.deserialize(data) == s
    assert lrschedule.from_json(lrschedule.to_json(s)) == s
    # Keras 3's form of a custom object: class_name is the bare name, registered_name the key
    keras_form = {
        "module": "tests.test_config",
        "class_name": "Doubling",
        "config": s.get_config(),
        "registered_name": name,
    }
    assert lrschedule.deserialize(keras_form) == s
    # a registered_name resolves only to exactly that name
    with pytest.raises(ConfigError, match="does not match"):
        lrschedule.deserialize({**data, "class_name": "ExponentialDecay"})
    with pytest.raises(ConfigError, match="unknown schedule registered_name"):
        lrschedule.deserialize({**data, "registered_name": "tests>doubling"})
    # the bare class name is not a registered name
    with pytest.raises(ConfigError, match="unknown schedule class_name='Doubling'"):
        lrschedule.deserialize({"class_name": "Doubling", "config": s.get_config()})


def test_builtin_names_cannot_be_shadowed() -> None:
    @dataclasses.dataclass(frozen=True, repr=False)
    class Fake(lrschedule.LearningRateSchedule):
        def _evaluate(self, xp: Any, step: Any) -> Any:
            return step

    with pytest.raises(ValueError, match="already registered"):
        lrschedule.register("ExponentialDecay")(Fake)
    lrschedule.register("Tests>Doubling2")(Fake)
    with pytest.raises(ValueError, match="already registered"):
        lrschedule.register("Tests>Doubling2")(Doubling)
    assert lrschedule.registered()["ExponentialDecay"] is ExponentialDecay
    with pytest.raises(TypeError, match="subclass of LearningRateSchedule"):
        lrschedule.register("Tests>NotASchedule")(dict)  # type: ignore[arg-type]


def test_override_is_explicit() -> None:
    @dataclasses.dataclass(frozen=True, repr=False)
    class First(lrschedule.LearningRateSchedule):
        def _evaluate(self, xp: Any, step: Any) -> Any:
            return step

    @dataclasses.dataclass(frozen=True, repr=False)
    class Second(First):
        pass

    lrschedule.register("Tests>Override")(First)
    lrschedule.register("Tests>Override", override=True)(Second)
    assert lrschedule.registered()["Tests>Override"] is Second


def test_unregistered_class_cannot_serialize() -> None:
    @dataclasses.dataclass(frozen=True, repr=False)
    class Loose(lrschedule.LearningRateSchedule):
        def _evaluate(self, xp: Any, step: Any) -> Any:
            return step

    with pytest.raises(ValueError, match="not registered"):
        lrschedule.serialize(Loose())
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        lrschedule.serialize({"class_name": "x"})  # type: ignore[arg-type]


def test_deserialize_passes_schedules_through() -> None:
    s = ExponentialDecay(0.1, 10, 0.5)
    assert lrschedule.deserialize(s) is s


def test_keras_tensor_values_and_tuples_load() -> None:
    """Keras 3 writes array-valued hyperparameters as ``__tensor__`` dicts and keeps tuples."""
    loaded = lrschedule.deserialize(
        {
            "module": KERAS_MODULE,
            "class_name": "ExponentialDecay",
            "config": {
                "initial_learning_rate": {
                    "class_name": "__tensor__",
                    "config": {"value": 0.10000000149011612, "dtype": "float32"},
                },
                "decay_steps": 10,
                "decay_rate": 0.5,
                "staircase": False,
                "name": "ExponentialDecay",
            },
            "registered_name": None,
        }
    )
    assert loaded.dtype == "float32"
    assert type(loaded(0)) is np.float32
    assert lrschedule.deserialize(
        {
            "class_name": "PiecewiseConstantDecay",
            "config": {"boundaries": (5, 10), "values": (1.0, 0.5, 0.1)},
        }
    ) == lrschedule.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    for bad in (
        {"class_name": "__tensor__", "config": {"value": "0.1", "dtype": "float32"}},
        {"class_name": "__tensor__", "config": {"value": 0.1, "dtype": "object"}},
        {"class_name": "__tensor__", "config": {"value": 0.1}},
        {"class_name": "__tensor__", "config": {"value": 0.1, "dtype": "float32"}, "x": 1},
    ):
        with pytest.raises(ConfigError, match="__tensor__"):
            lrschedule.deserialize({"class_name": "Constant", "config": {"value": bad}})


def test_nested_composites_round_trip() -> None:
    inner = lrschedule.Sequential(
        [lrschedule.Linear(0.0, 1.0, 10), lrschedule.CosineDecay(1.0, 90, exponent=2.0)], [10]
    )
    schedule = lrschedule.Warmup(inner * lrschedule.Constant(0.5) * 0.1, 5, 0.01, dtype="float32")
    data = lrschedule.serialize(schedule)
    json.dumps(data, allow_nan=False)
    assert data["config"]["schedule"]["class_name"] == "Product"
    assert lrschedule.deserialize(data) == schedule
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule
    assert type(schedule).from_config(schedule.get_config()) == schedule
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    assert eval(repr(schedule), vars(lrschedule)) == schedule
    probe = np.arange(0, 200, 7)
    np.testing.assert_array_equal(lrschedule.deserialize(data)(probe), schedule(probe))


def test_optional_arguments_appear_only_when_set() -> None:
    assert "transition_begin" not in ExponentialDecay(0.1, 10, 0.5).get_config()
    assert "end_learning_rate" not in ExponentialDecay(0.1, 10, 0.5).get_config()
    assert "exponent" not in lrschedule.CosineDecay(0.1, 10).get_config()
    config = ExponentialDecay(0.1, 10, 0.5, transition_begin=5, end_learning_rate=0.01).get_config()
    assert config["transition_begin"] == 5
    assert config["end_learning_rate"] == 0.01
    assert lrschedule.CosineDecay(0.1, 10, exponent=2.0).get_config()["exponent"] == 2.0


def test_hostile_nested_configs_are_refused() -> None:
    good = lrschedule.serialize(lrschedule.Warmup(lrschedule.Constant(0.1), 10))
    for evil in (
        {"class_name": "os.system", "config": {"command": "id"}},
        {"module": "subprocess", "class_name": "Constant", "config": {"value": 0.1}},
        {"class_name": "Constant", "config": {"value": 0.1, "__reduce__": "os.system"}},
        {"class_name": "Constant", "registered_name": "builtins>eval", "config": {}},
    ):
        hostile = copy.deepcopy(good)
        hostile["config"]["schedule"] = evil
        before = set(sys.modules)
        with pytest.raises(ConfigError):
            lrschedule.deserialize(hostile)
        assert set(sys.modules) == before
    nested: Any = {"class_name": "Constant", "config": {"value": 0.1}}
    for _ in range(40):
        nested = {"class_name": "Warmup", "config": {"schedule": nested, "warmup_steps": 1}}
    with pytest.raises(ConfigError, match="nested deeper"):
        lrschedule.deserialize(nested)


def test_registering_the_same_class_again_is_allowed() -> None:
    """A module reloaded (importlib.reload, a notebook cell run twice) registers its class again."""

    def define() -> type:
        @dataclasses.dataclass(frozen=True, repr=False)
        class Reloaded(lrschedule.LearningRateSchedule):
            def _evaluate(self, xp: Any, step: Any) -> Any:
                return step

        return Reloaded

    first, second = define(), define()
    lrschedule.register("Tests>Reloaded")(first)
    lrschedule.register("Tests>Reloaded")(second)
    assert lrschedule.registered()["Tests>Reloaded"] is second
