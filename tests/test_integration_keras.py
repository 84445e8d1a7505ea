"""``lrschedule.keras`` with real Keras 3 training, saving and loading, on each backend here.

Keras chooses its backend once, at import, so each backend runs tests/integration/keras_check.py in
a subprocess of its own (all backends in parallel, once per test session); the tests below compare
what it observed with the schedule. Backends: JAX (float32, Keras's default jit: XLA), JAX with x64,
torch (eager and ``jit_compile=True``: ``torch.compile``), and NumPy (which cannot train: calls and
serialization only). TensorFlow is not installable here, and is not supported: its tensors are not
array API arrays.

The rate a compiled train step used is read exactly, from a weight (see keras_check.py). On torch,
and on JAX with x64, it is exactly the float32 rounding of the schedule's float64 value. On JAX
without x64, lrschedule computes in float32 (its documented fallback), and XLA's float32 kernels
differ by an ulp or two between a jitted step, an eager scalar and an eager vector, so there the
rates agree within ``JAX_FLOAT32_RTOL``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrschedule

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None, reason="keras is not installed"
)

# Keras in this process (argument checks, from_keras, and the doctests of lrschedule/keras.py, which
# pytest imports while collecting, after this file): the NumPy backend, unless one was chosen.
os.environ.setdefault("KERAS_BACKEND", "numpy")

SCRIPT = Path(__file__).parent / "integration" / "keras_check.py"
TIMEOUT = 300

SCHEDULE = lrschedule.Warmup(
    lrschedule.CosineDecayRestarts(0.1, first_decay_steps=8, t_mul=2.0, m_mul=0.8, alpha=0.01),
    warmup_steps=5,
    initial_learning_rate=0.001,
)
"""A composite with restarts: Keras compiles the whole formula into its train step."""

JAX_FLOAT32_RTOL = 8 * 2.0**-24
"""A few float32 ulps: the spread of XLA's float32 transcendental kernels (see the module doc)."""


@dataclass(frozen=True)
class KerasBackend:
    name: str
    env: dict[str, str]
    requires: str | None
    used: str = "float32"  # how the rate a train step used compares with the float64 value
    reported: str = "float32"  # and the rate optimizer.learning_rate (the schedule) returns
    trains: bool = True


BACKENDS = {
    b.name: b
    for b in (
        KerasBackend(
            "jax",
            {"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "0"},
            "jax",
            used="float32~",
            reported="float32~",
        ),
        KerasBackend(
            "jax-x64", {"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1"}, "jax", reported="float64~"
        ),
        KerasBackend("torch", {"KERAS_BACKEND": "torch"}, "torch"),
        KerasBackend("numpy", {"KERAS_BACKEND": "numpy"}, None, reported="float64~", trains=False),
    )
}


def _available(backend: KerasBackend) -> bool:
    return backend.requires is None or importlib.util.find_spec(backend.requires) is not None


def _params(trains: bool = False) -> list[Any]:
    return [
        pytest.param(
            name,
            marks=[] if _available(b) else [pytest.mark.skip(reason=f"{b.requires} is missing")],
        )
        for name, b in BACKENDS.items()
        if b.trains or not trains
    ]


def _run(backend: KerasBackend, mode: str, work: Path) -> dict[str, Any] | str:
    """Run keras_check.py; its JSON report, or the reason it failed."""
    env = {**os.environ, **backend.env, "KERAS_HOME": str(work / "keras_home")}
    command = [sys.executable, str(SCRIPT), mode, lrschedule.to_json(SCHEDULE), str(work)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"{mode} timed out after {TIMEOUT} s"
    if done.returncode != 0:
        return f"{mode} failed ({done.returncode}):\n{done.stderr[-4000:]}"
    report: dict[str, Any] = json.loads((work / f"{mode}.json").read_text())
    return report


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """backend -> {"train": report, "load": report}, each a dict or the reason it failed."""
    backends = [b for b in BACKENDS.values() if _available(b)]
    works = {b.name: tmp_path_factory.mktemp(b.name) for b in backends}
    results: dict[str, dict[str, Any]] = {b.name: {} for b in backends}

    def both(backend: KerasBackend) -> None:
        train = results[backend.name]["train"] = _run(backend, "train", works[backend.name])
        if backend.trains and isinstance(train, dict):  # load the model train saved
            results[backend.name]["load"] = _run(backend, "load", works[backend.name])

    with ThreadPoolExecutor(max_workers=len(backends)) as pool:
        list(pool.map(both, backends))
    return results


def _report(reports: dict[str, dict[str, Any]], backend: str, mode: str) -> dict[str, Any]:
    report = reports[backend].get(mode, f"{mode} did not run: train failed")
    if isinstance(report, str):
        pytest.fail(f"KERAS_BACKEND={backend}: {report}")
    assert report["backend"] == BACKENDS[backend].env["KERAS_BACKEND"]
    return report


def _check_rates(kind: str, rates: list[float], steps: list[int]) -> None:
    """``rates`` against the schedule's float64 values at ``steps``: ``"float32"``, exactly their
    float32 rounding; ``"float32~"``, within ``JAX_FLOAT32_RTOL``; ``"float64~"``, within a few
    float64 ulps (XLA's float64 kernels against the C library's)."""
    expected = [float(SCHEDULE(t)) for t in steps]
    if kind == "float32":
        assert rates == [float(np.float32(v)) for v in expected]
        return
    rtol = {"float32~": JAX_FLOAT32_RTOL, "float64~": 1e-14}[kind]
    for t, rate, value in zip(steps, rates, expected, strict=True):
        assert math.isclose(rate, value, rel_tol=rtol), (t, rate, value)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "eager"])
@pytest.mark.parametrize("backend", _params(trains=True))
def test_fit_uses_schedule(reports: dict[str, Any], backend: str, jit: bool) -> None:
    """model.fit with SGD(learning_rate=to_keras(schedule)): step t used schedule(t)."""
    fit = _report(reports, backend, "train")[f"fit_jit_{jit}"]
    assert fit["steps"] == list(range(30))
    assert fit["iterations"] == 30
    _check_rates(BACKENDS[backend].used, fit["used"], fit["steps"])
    _check_rates(BACKENDS[backend].reported, fit["reported"], fit["steps"])
    assert fit["lr_dtype"] == ("float32" if backend != "jax-x64" else "float64")


@pytest.mark.parametrize("backend", _params(trains=True))
def test_model_save_and_load_model(reports: dict[str, Any], backend: str) -> None:
    """model.save(.keras) and keras.saving.load_model in a fresh process: the same schedule, at
    the same step, and training goes on with it."""
    report = _report(reports, backend, "load")
    load = report["load"]
    assert load["type"] == "KerasSchedule"
    assert lrschedule.from_json(load["schedule"]) == SCHEDULE
    assert load["optimizer_config_learning_rate"]["registered_name"] == "lrschedule>KerasSchedule"
    assert load["optimizer_config_learning_rate"]["config"] == {
        "schedule": lrschedule.serialize(SCHEDULE)
    }
    assert load["iterations"] == 30
    _check_rates(BACKENDS[backend].reported, [load["learning_rate"]], [30])
    resumed = report["resumed"]
    assert resumed["steps"] == list(range(30, 40))
    _check_rates(BACKENDS[backend].used, resumed["used"], resumed["steps"])


@pytest.mark.parametrize("backend", _params())
def test_keras_serialize_round_trip(reports: dict[str, Any], backend: str) -> None:
    serialized = _report(reports, backend, "train")["serialize"]
    config = serialized["config"]
    assert config["registered_name"] == "lrschedule>KerasSchedule"
    assert config["config"] == {"schedule": lrschedule.serialize(SCHEDULE)}
    assert serialized["type"] == "KerasSchedule"
    assert serialized["is_keras_schedule"]
    for key in ("loaded", "unwrapped_config", "object"):
        assert lrschedule.from_json(serialized[key]) == SCHEDULE, key


@pytest.mark.parametrize("backend", _params())
def test_call_on_a_keras_variable(reports: dict[str, Any], backend: str) -> None:
    report = _report(reports, backend, "train")
    assert report["call"]["variable"] == report["call"]["direct_7"]
    _check_rates(BACKENDS[backend].reported, [report["call"]["variable"]], [7])


# -- in this process: argument checks and the missing-Keras message ---------------------------


@pytest.fixture(scope="module")
def keras_module() -> Any:
    """lrschedule.keras in this process (NumPy backend unless one was chosen): no training."""
    import lrschedule.keras

    if lrschedule.keras._IMPORT_ERROR is not None:
        pytest.skip(f"keras cannot be imported here: {lrschedule.keras._IMPORT_ERROR}")
    return lrschedule.keras


KERAS_CASES: dict[str, tuple[dict[str, Any], lrschedule.LearningRateSchedule]] = {
    "ExponentialDecay": (
        {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5, "staircase": True},
        lrschedule.ExponentialDecay(0.1, 7, 0.5, staircase=True),
    ),
    "InverseTimeDecay": (
        {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5},
        lrschedule.InverseTimeDecay(0.1, 5, 0.5),
    ),
    "PolynomialDecay": (
        {
            "initial_learning_rate": 0.1,
            "decay_steps": 20,
            "end_learning_rate": 0.01,
            "power": 2.0,
            "cycle": True,
        },
        lrschedule.PolynomialDecay(0.1, 20, 0.01, power=2.0, cycle=True),
    ),
    "PiecewiseConstantDecay": (
        {"boundaries": [5, 15], "values": [0.1, 0.05, 0.01]},
        lrschedule.PiecewiseConstantDecay([5, 15], [0.1, 0.05, 0.01]),
    ),
    "CosineDecay": (
        {
            "initial_learning_rate": 0.0,
            "decay_steps": 20,
            "alpha": 0.1,
            "warmup_target": 0.1,
            "warmup_steps": 5,
        },
        lrschedule.CosineDecay(0.0, 20, alpha=0.1, warmup_target=0.1, warmup_steps=5),
    ),
    "CosineDecayRestarts": (
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 8,
            "t_mul": 2.0,
            "m_mul": 0.5,
            "alpha": 0.01,
        },
        lrschedule.CosineDecayRestarts(0.1, 8, t_mul=2.0, m_mul=0.5, alpha=0.01),
    ),
}
"""Keras's six schedules, with arguments away from their defaults, and ours from the same."""

STEPS = [0, 1, 3, 4, 5, 6, 7, 8, 14, 15, 16, 19, 20, 21, 24, 25, 31, 40, 57, 100]


@pytest.mark.parametrize("name", list(KERAS_CASES))
def test_from_keras_six_schedules(keras_module: Any, name: str) -> None:
    import keras

    kwargs, expected = KERAS_CASES[name]
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    config = keras.optimizers.schedules.serialize(theirs)
    assert keras_module.from_keras(theirs) == expected
    assert keras_module.from_keras(config) == expected
    assert keras_module.from_keras(json.loads(json.dumps(config))) == expected
    assert keras_module.from_keras({"class_name": name, "config": config["config"]}) == expected
    ours = [float(expected(step)) for step in STEPS]
    peak = max(ours)
    for step, value in zip(STEPS, ours, strict=True):
        keras_value = float(keras.ops.convert_to_numpy(theirs(step)))
        # Keras computes in float32
        assert math.isclose(keras_value, value, rel_tol=2e-6, abs_tol=1e-7 * peak), step


def test_to_keras_and_from_keras_check_their_arguments(keras_module: Any) -> None:
    with pytest.raises(TypeError, match=r"to_keras\(\) takes an lrschedule\.LearningRateSchedule"):
        keras_module.to_keras(0.1)
    with pytest.raises(TypeError, match=r"from_keras\(\) takes a keras"):
        keras_module.from_keras(0.1)
    with pytest.raises(TypeError, match="Argument `schedule`"):
        keras_module.KerasSchedule("ExponentialDecay")


def test_from_keras_refuses_unknown_schedules(keras_module: Any) -> None:
    import keras

    @keras.saving.register_keras_serializable(package="lrschedule_tests")
    class Halving(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
        def __call__(self, step: Any) -> Any:
            return 0.5**step

        def get_config(self) -> dict[str, Any]:
            return {}

    with pytest.raises(lrschedule.ConfigError, match="unknown schedule"):
        keras_module.from_keras(Halving())
    with pytest.raises(lrschedule.ConfigError, match="unknown schedule"):
        keras_module.from_keras({"class_name": "os.system", "config": {"command": "echo hi"}})
    with pytest.raises(lrschedule.ConfigError, match="a KerasSchedule config is"):
        keras_module.from_keras(
            {"class_name": "KerasSchedule", "registered_name": "lrschedule>KerasSchedule"}
        )


def test_from_keras_unwraps_and_passes_through(keras_module: Any) -> None:
    wrapped = keras_module.to_keras(SCHEDULE)
    assert keras_module.from_keras(wrapped) is SCHEDULE
    assert keras_module.from_keras(SCHEDULE) is SCHEDULE
    tf2_form = {"class_name": "lrschedule>KerasSchedule", "config": wrapped.get_config()}
    assert keras_module.from_keras(tf2_form) == SCHEDULE
    assert repr(wrapped) == f"KerasSchedule({SCHEDULE!r})"


def test_without_keras_the_import_error_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['keras'] = None\n"
        "import lrschedule.keras\n"
        "try:\n"
        "    from lrschedule.keras import to_keras\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs Keras 3" in out.stdout
    assert "pip install keras" in out.stdout
