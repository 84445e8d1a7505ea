"""Hostile configs (tests/hostile/*.json, one test per file) and hostile registrations.

Each config in the corpus must be refused with ``ConfigError``, and loading it must import no
module. Registrations must not take over built-in names without ``override=True``, and a
``registered_name`` resolves to exactly that registered name, nothing else: the registry attacks
that Keras issues #22466 and #22779 raise about ``registered_name`` lookups and registrations,
transposed to lrschedule (see tests/hostile/README.md).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import lrschedule
from lrschedule import ConfigError, ExponentialDecay, LearningRateSchedule

HOSTILE = Path(__file__).parent / "hostile"
FILES = sorted(HOSTILE.glob("*.json"))


@dataclasses.dataclass(frozen=True, repr=False)
class Flat(LearningRateSchedule):
    """The user schedule that registered-name attacks aim at (registered as ``Hostile>Flat``)."""

    value: float
    dtype: str | None = dataclasses.field(default=None, kw_only=True)

    def _evaluate(self, xp: Any, step: Any) -> Any:
        return xp.where(step == step, self.value, step)


@pytest.fixture(autouse=True)
def _flat_registered(isolated_registry: None) -> None:
    """``Hostile>Flat`` is registered for each test, and the registry restored after it (other
    test files compare the registry with a fresh process's)."""
    lrschedule.register("Hostile>Flat")(Flat)


def test_the_corpus_is_there() -> None:
    assert len(FILES) >= 100
    prefixes = {path.name.split("-")[0] for path in FILES}
    assert {"module", "class", "registered", "nested", "dunder", "text"} <= prefixes


def test_the_user_class_loads_when_named_correctly() -> None:
    """The attacks aim at a class that does load from an honest config (so refusals are not
    just an unregistered name)."""
    honest = {"class_name": "Flat", "config": {"value": 0.5}, "registered_name": "Hostile>Flat"}
    assert lrschedule.deserialize(honest) == Flat(0.5)
    assert lrschedule.deserialize({**honest, "module": Flat.__module__}) == Flat(0.5)
    assert lrschedule.deserialize({**honest, "module": "lrschedule"}) == Flat(0.5)


def _load(path: Path) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert set(entry) in ({"why", "config"}, {"why", "text"}), path.name
    assert entry["why"].strip(), path.name
    return entry


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_hostile_config_is_refused(path: Path) -> None:
    entry = _load(path)
    attempts: list[tuple[Any, Any]] = []
    if "config" in entry:
        attempts.append((lrschedule.deserialize, entry["config"]))
        attempts.append((lrschedule.from_json, json.dumps(entry["config"])))
    else:
        attempts.append((lrschedule.from_json, entry["text"]))
        attempts.append((lrschedule.from_json, entry["text"].encode("utf-8")))
    for load, value in attempts:
        before = set(sys.modules)
        with pytest.raises(ConfigError) as info:
            load(value)
        assert set(sys.modules) == before, f"imported {set(sys.modules) - before}"
        assert str(info.value), "a refusal says why"
        assert len(str(info.value)) < 2000, "a message stays short"


# -- registrations -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class Impostor(LearningRateSchedule):
    def _evaluate(self, xp: Any, step: Any) -> Any:
        return step * 1e6


BUILTINS = sorted(
    name
    for name, cls in lrschedule.registered().items()
    if cls.__module__.startswith("lrschedule.schedules.")
)


@pytest.mark.parametrize("name", BUILTINS)
def test_a_registration_cannot_shadow_a_builtin(name: str) -> None:
    before = lrschedule.registered()
    with pytest.raises(ValueError, match="already registered"):
        lrschedule.register(name)(Impostor)
    for variant in (f" {name}", f"{name} ", f"{name}\n", f"\t{name}", ""):
        with pytest.raises(ValueError, match="non-empty string"):
            lrschedule.register(variant)(Impostor)
    assert lrschedule.registered() == before


def test_a_case_variant_registration_leaves_the_builtin_alone() -> None:
    """A name that differs from a built-in's by case or an invisible character is another name:
    registering it is allowed, and configs naming the built-in still get the built-in."""
    schedule = ExponentialDecay(0.1, 10, 0.5)
    for variant in ("exponentialdecay", "Exponential\u200bDecay", "Custom>ExponentialDecay"):
        lrschedule.register(variant)(Impostor)
        assert lrschedule.deserialize(lrschedule.serialize(schedule)) == schedule
        loaded = lrschedule.deserialize(
            {"class_name": "ExponentialDecay", "config": schedule.get_config()}
        )
        assert type(loaded) is ExponentialDecay
        assert "registered_name" not in lrschedule.serialize(schedule)
        lrschedule.register(variant, override=True)(Flat)  # the next variant reuses Impostor


def test_register_refuses_what_is_not_a_schedule_class() -> None:
    for thing in (ExponentialDecay(0.1, 10, 0.5), dict, "ExponentialDecay", None):
        with pytest.raises(TypeError, match="subclass of LearningRateSchedule"):
            lrschedule.register("Hostile>Thing")(thing)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        lrschedule.register(123)(Impostor)  # type: ignore[arg-type]


def test_a_builtin_class_cannot_be_registered_under_another_name() -> None:
    """``register("Evil>Exp")(ExponentialDecay)`` succeeds without ``override=True`` and re-points
    the built-in's serialization: every ExponentialDecay is then serialized with
    ``registered_name: "Evil>Exp"`` (no longer Keras's form), and once "Evil>Exp" is overridden by
    another class, ExponentialDecay cannot be serialized at all ("not registered"). Fix, in
    ``register``: refuse a class that is already registered under another name unless
    ``override=True`` (never for a built-in), and when overriding a name, drop the old class's
    reverse entry only if it pointed at that name."""
    schedule = ExponentialDecay(0.1, 10, 0.5)
    expected = lrschedule.serialize(schedule)
    with pytest.raises(ValueError, match="already registered"):
        lrschedule.register("Evil>Exp")(ExponentialDecay)
    assert lrschedule.serialize(schedule) == expected
    lrschedule.register("Evil>Exp", override=True)(Impostor)
    assert lrschedule.serialize(schedule) == expected


def test_registered_name_resolves_to_exactly_that_name() -> None:
    """Positive control for the corpus: the honest name works, every near miss fails."""
    lrschedule.register("Hostile>Exact")(Impostor)
    honest = {"class_name": "Impostor", "config": {}, "registered_name": "Hostile>Exact"}
    assert isinstance(lrschedule.deserialize(honest), Impostor)
    near_misses = ["hostile>exact", "Hostile>Exact ", "Hostile>", ">Exact", "Exact", "Hostile"]
    for near in near_misses:
        with pytest.raises(ConfigError):
            lrschedule.deserialize({**honest, "registered_name": near})
    for wrong_class in ("ExponentialDecay", "Flat", "Hostile>Exact>Impostor", ""):
        with pytest.raises(ConfigError):
            lrschedule.deserialize({**honest, "class_name": wrong_class})
