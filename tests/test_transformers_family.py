"""The Hugging Face transformers family: InverseSqrt, WarmupStableDecay and lrschedule.get().

Expected values come from the references in ``tests/references.py``, written from transformers'
published definitions (``transformers/optimization.py``: each ``lr_lambda`` times the optimizer's
learning rate) and evaluated with mpmath, never by calling lrschedule. ``tests/golden/transformers.json`` checks the same
schedules against transformers itself.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrschedule
from lrschedule import InverseSqrt, WarmupStableDecay
from references import (
    Reference,
    constant,
    hf_constant_with_warmup,
    hf_cosine,
    hf_cosine_with_restarts,
    hf_linear,
    hf_polynomial,
    inverse_sqrt,
    wsd,
)

if TYPE_CHECKING:
    from conftest import Backend


# -- helpers ---------------------------------------------------------------------------------------


def grid(top: float, *boundaries: float, dense: int = 2000) -> list[int]:
    """Every step in [0, top] when there are few, else a spread plus each boundary and its
    neighbours."""
    top = math.ceil(top)
    if top <= dense:
        return list(range(top + 1))
    steps = {round(top * i / 400) for i in range(401)}
    for b in (*boundaries, top / 2):
        base = math.floor(b)
        steps.update(range(base - 2, base + 3))
    return sorted(s for s in steps if 0 <= s <= top)


def tolerances(backend: Backend, scale: float) -> tuple[float, float]:
    if backend.float64 and backend.default_float == "float64":
        return 1e-9, 1e-12 * scale
    if backend.float64:  # computed in float64, rounded to float32
        return 1.2e-7, 1e-9 * scale
    return 2e-5, 2e-6 * scale  # computed in float32


def check(backend: Backend, schedule: Any, reference: Reference, steps: list[int]) -> None:
    if not backend.float64:  # float32 steps are exact below 2**24; the cases stay below 2**20
        steps = [t for t in steps if t < 2**20]
    expected = np.asarray([reference(t) for t in steps], dtype=np.float64)
    scale = float(np.max(np.abs(expected))) or 1.0
    rtol, atol = tolerances(backend, scale)
    result = backend.call(schedule, backend.asarray(steps))
    assert backend.dtype_name(result) == (schedule.dtype or backend.default_float)
    assert backend.same_device(result)
    values = backend.to_numpy(result).astype(np.float64)
    np.testing.assert_allclose(values, expected, rtol=rtol, atol=atol)


@dataclass
class Case:
    id: str
    schedule: Any
    reference: Reference
    steps: list[int]

    def __repr__(self) -> str:
        return self.id


# -- the classes -----------------------------------------------------------------------------------

CLASS_CASES = [
    Case("isqrt", InverseSqrt(0.01, 4000), inverse_sqrt(0.01, 4000), grid(80_000, 4000)),
    Case("isqrt-W0", InverseSqrt(0.01, 0), inverse_sqrt(0.01, 0), grid(200_000)),
    Case(
        "isqrt-timescale",
        InverseSqrt(0.1, 100, timescale=7),
        inverse_sqrt(0.1, 100, 7),
        grid(1000),
    ),
    Case(
        "isqrt-timescale-W0",
        InverseSqrt(0.1, 0, timescale=50),
        inverse_sqrt(0.1, 0, 50),
        grid(1000),
    ),
    Case("isqrt-W-fraction", InverseSqrt(0.1, 0.5), inverse_sqrt(0.1, 0.5), grid(100)),
    Case("isqrt-W1", InverseSqrt(0.1, 1), inverse_sqrt(0.1, 1), grid(100)),
    Case("wsd", WarmupStableDecay(1e-3, 10, 70, 20), wsd(1e-3, 10, 70, 20), grid(200)),
    Case(
        "wsd-big",
        WarmupStableDecay(6e-4, 2000, 70_000, 20_000),
        wsd(6e-4, 2000, 70_000, 20_000),
        grid(184_000, 2000, 72_000, 92_000),
    ),
    Case(
        "wsd-no-phases",
        WarmupStableDecay(0.1, 0, 0, 0, min_lr_ratio=0.25),
        wsd(0.1, 0, 0, 0, 0.25),
        grid(10),
    ),
    Case(
        "wsd-decay1",
        WarmupStableDecay(0.1, 3, 0, 1, decay_type="linear"),
        wsd(0.1, 3, 0, 1, decay_type="linear"),
        grid(10),
    ),
    Case(
        "wsd-fractional",
        WarmupStableDecay(0.1, 0.5, 2.5, 0.5, min_lr_ratio=0.5, warmup_type="1-sqrt"),
        wsd(0.1, 0.5, 2.5, 0.5, 0.5, "1-sqrt"),
        grid(10),
    ),
    Case(
        "wsd-cycles2",
        WarmupStableDecay(0.3, 30, 0, 400, num_cycles=2.0, min_lr_ratio=0.1),
        wsd(0.3, 30, 0, 400, 0.1, c=2.0),
        grid(860),
    ),
    Case(
        "wsd-restarts",
        WarmupStableDecay(0.3, 30, 10, 900, decay_type="cosine_with_restarts", num_cycles=3),
        wsd(0.3, 30, 10, 900, decay_type="cosine_with_restarts", c=3),
        grid(1880),
    ),
    Case(
        "wsd-restarts-uneven",
        WarmupStableDecay(
            0.3, 0, 0, 1000, min_lr_ratio=0.05, decay_type="cosine_with_restarts", num_cycles=7
        ),
        wsd(0.3, 0, 0, 1000, 0.05, decay_type="cosine_with_restarts", c=7),
        grid(2000),
    ),
    Case(
        "wsd-continue-cosine",
        WarmupStableDecay(0.3, 30, 0, 300, continue_decay=True),
        wsd(0.3, 30, 0, 300, continue_decay=True),
        grid(1000),
    ),
    Case(
        "wsd-continue-linear-min",
        WarmupStableDecay(0.3, 30, 0, 300, 0.2, decay_type="linear", continue_decay=True),
        wsd(0.3, 30, 0, 300, 0.2, decay_type="linear", continue_decay=True),
        grid(1000),
    ),
    Case(
        "wsd-continue-1-sqrt-min",
        WarmupStableDecay(0.3, 30, 0, 100, 0.2, decay_type="1-sqrt", continue_decay=True),
        wsd(0.3, 30, 0, 100, 0.2, decay_type="1-sqrt", continue_decay=True),
        grid(1000),
    ),
    Case(
        "wsd-continue-restarts",
        WarmupStableDecay(
            0.3, 10, 0, 100, decay_type="cosine_with_restarts", num_cycles=2, continue_decay=True
        ),
        wsd(0.3, 10, 0, 100, decay_type="cosine_with_restarts", c=2, continue_decay=True),
        grid(500),
    ),
]
for _wt in ("linear", "cosine", "1-sqrt"):
    for _dt in ("linear", "cosine", "1-sqrt"):
        CLASS_CASES.append(
            Case(
                f"wsd-{_wt}-{_dt}",
                WarmupStableDecay(0.5, 100, 250, 400, 0.1, _wt, _dt),
                wsd(0.5, 100, 250, 400, 0.1, _wt, _dt),
                grid(1500),
            )
        )


@pytest.mark.parametrize("case", CLASS_CASES, ids=repr)
def test_class_matches_closed_form(backend: Backend, case: Case) -> None:
    check(backend, case.schedule, case.reference, case.steps)


# -- get(): every name -----------------------------------------------------------------------------

GET_CASES = [
    Case(
        "constant",
        lrschedule.get("constant", learning_rate=0.1),
        constant(0.1),
        grid(100),
    ),
    Case(
        "constant_with_warmup",
        lrschedule.get("constant_with_warmup", learning_rate=0.1, num_warmup_steps=30),
        hf_constant_with_warmup(0.1, 30),
        grid(100),
    ),
    Case(
        "constant_with_warmup-W0",
        lrschedule.get("constant_with_warmup", learning_rate=0.1, num_warmup_steps=0),
        hf_constant_with_warmup(0.1, 0),
        grid(100),
    ),
]
_GET_ARGS: list[tuple[str, str, float, float, dict[str, Any], Callable[..., Reference]]] = []
for _W, _T in (
    (100, 1000),
    (0, 1000),
    (1, 1000),
    (37, 938),
    (100, 100),
    (150, 100),
    (0, 0),
    (0, 1),
):
    _tag = f"W{_W}-T{_T}"
    _GET_ARGS += [
        ("linear", _tag, _W, _T, {}, hf_linear),
        ("cosine", _tag, _W, _T, {}, hf_cosine),
        (
            "cosine",
            f"{_tag}-cycles1.5",
            _W,
            _T,
            {"num_cycles": 1.5},
            lambda lr, W, T: hf_cosine(lr, W, T, c=1.5),
        ),
        ("cosine_with_restarts", _tag, _W, _T, {}, hf_cosine_with_restarts),
        (
            "cosine_with_restarts",
            f"{_tag}-cycles3",
            _W,
            _T,
            {"num_cycles": 3},
            lambda lr, W, T: hf_cosine_with_restarts(lr, W, T, c=3),
        ),
        (
            "cosine_with_min_lr",
            f"{_tag}-rate",
            _W,
            _T,
            {"min_lr_rate": 0.1},
            lambda lr, W, T: hf_cosine(lr, W, T, m=0.1),
        ),
        (
            "cosine_with_min_lr",
            f"{_tag}-min_lr-cycles1",
            _W,
            _T,
            {"min_lr": 0.02, "num_cycles": 1.0},
            lambda lr, W, T: hf_cosine(lr, W, T, c=1.0, m=0.02 / 0.5),
        ),
        ("inverse_sqrt", _tag, _W, _T, {}, lambda lr, W, T: inverse_sqrt(lr, W)),
        (
            "inverse_sqrt",
            f"{_tag}-timescale",
            _W,
            _T,
            {"timescale": 20},
            lambda lr, W, T: inverse_sqrt(lr, W, 20),
        ),
    ]
    if _T != _W:  # transformers divides by zero at step W when T == W
        _GET_ARGS += [
            ("polynomial", _tag, _W, _T, {}, hf_polynomial),
            (
                "polynomial",
                f"{_tag}-power2-end",
                _W,
                _T,
                {"power": 2.0, "lr_end": 0.01},
                lambda lr, W, T: hf_polynomial(lr, W, T, 0.01, 2.0),
            ),
        ]
for _name, _tag, _W, _T, _kwargs, _ref in _GET_ARGS:
    GET_CASES.append(
        Case(
            f"{_name}-{_tag}",
            lrschedule.get(
                _name, learning_rate=0.5, num_warmup_steps=_W, num_training_steps=_T, **_kwargs
            ),
            _ref(0.5, _W, _T),
            grid(2 * max(_T, _W, 50)),
        )
    )
for _wt in ("linear", "cosine", "1-sqrt"):
    for _dt in ("linear", "cosine", "1-sqrt"):
        GET_CASES.append(
            Case(
                f"warmup_stable_decay-{_wt}-{_dt}",
                lrschedule.get(
                    "warmup_stable_decay",
                    learning_rate=0.5,
                    num_warmup_steps=100,
                    num_training_steps=1000,
                    num_decay_steps=300,
                    warmup_type=_wt,
                    decay_type=_dt,
                    min_lr_ratio=0.1,
                    num_cycles=0.75,
                ),
                wsd(0.5, 100, 600, 300, 0.1, _wt, _dt, 0.75),
                grid(2000),
            )
        )
GET_CASES += [
    Case(
        "warmup_stable_decay-defaults",
        lrschedule.get(
            "warmup_stable_decay",
            learning_rate=0.5,
            num_warmup_steps=0,
            num_training_steps=100,
            num_decay_steps=100,
        ),
        wsd(0.5, 0, 0, 100),
        grid(200),
    ),
    Case(
        "warmup_stable_decay-stable-given",
        lrschedule.get(
            "warmup_stable_decay",
            learning_rate=0.5,
            num_warmup_steps=10,
            num_decay_steps=40,
            num_stable_steps=50,
        ),
        wsd(0.5, 10, 50, 40),
        grid(200),
    ),
]


@pytest.mark.parametrize("case", GET_CASES, ids=repr)
def test_get_matches_closed_form(backend: Backend, case: Case) -> None:
    check(backend, case.schedule, case.reference, case.steps)


def test_get_covers_every_name() -> None:
    names = {case.id.split("-")[0] for case in GET_CASES}
    assert names == set(lrschedule.schedules.transformers.NAMES)


@pytest.mark.parametrize("case", GET_CASES + CLASS_CASES, ids=repr)
def test_scalar_path_equals_array_path(case: Case) -> None:
    steps = case.steps[:: max(1, len(case.steps) // 50)]
    vector = case.schedule(np.asarray(steps, dtype=np.int64))
    scalars = np.asarray([case.schedule(t) for t in steps])
    np.testing.assert_array_max_ulp(scalars, vector, maxulp=8)


@pytest.mark.parametrize("case", GET_CASES + CLASS_CASES, ids=repr)
def test_nan_and_negative_steps(case: Case) -> None:
    assert np.isnan(case.schedule(float("nan")))
    assert np.isnan(case.schedule(np.asarray([np.nan]))).all()
    assert case.schedule(-5) == case.schedule(0)


def test_infinite_steps() -> None:
    assert InverseSqrt(0.1, 10)(float("inf")) == 0.0
    assert WarmupStableDecay(0.1, 10, 10, 10, 0.5)(float("inf")) == 0.05
    continued = WarmupStableDecay(0.1, 10, 0, 10, 0.5, decay_type="1-sqrt", continue_decay=True)
    assert continued(float("inf")) == 0.0
    assert continued(np.asarray([np.inf]))[0] == 0.0


def test_cosine_is_not_clamped_at_num_training_steps() -> None:
    """transformers' "cosine" goes on past T and comes back up to the peak at 2T - W."""
    schedule = lrschedule.get(
        "cosine", learning_rate=1.0, num_warmup_steps=100, num_training_steps=1100
    )
    values = [float(schedule(t)) for t in (1100, 1600, 2100)]
    np.testing.assert_allclose(values, [0.0, 0.5, 1.0], atol=1e-15)
    restarts = lrschedule.get(
        "cosine_with_restarts", learning_rate=1.0, num_warmup_steps=100, num_training_steps=1100
    )
    assert [float(restarts(t)) for t in (1099, 1100, 2100)] == [
        pytest.approx(math.sin(math.pi / 2000) ** 2),
        0.0,
        0.0,
    ]


def test_restarts_are_exact_at_every_restart(backend: Backend) -> None:
    """Each cycle restarts at exactly its step (where c s / L is an integer), on every backend:
    under XLA a division by L may become a multiplication by 1 / L, a rounding away from ending
    the cycle one step early."""
    for D in (49, 97, 900, 999, 1000, 4096):
        for c in (2, 3, 5, 7, 13):
            restarts = [s for s in range(1, D) if (c * s) % D == 0]
            if not restarts:
                continue
            schedule = WarmupStableDecay(
                1.0, 0, 0, D, decay_type="cosine_with_restarts", num_cycles=c
            )
            result = backend.call(schedule, backend.asarray(restarts))
            np.testing.assert_allclose(backend.to_numpy(result), 1.0, rtol=1e-6)


# -- configs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", GET_CASES + CLASS_CASES, ids=repr)
def test_config_round_trip(case: Case) -> None:
    schedule = case.schedule
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule
    assert type(schedule).from_config(schedule.get_config()) == schedule


def test_configs_are_flat_and_extensions_appear_only_when_set() -> None:
    assert InverseSqrt(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "warmup_steps": 10,
        "timescale": None,
    }
    config = WarmupStableDecay(0.1, 1, 2, 3).get_config()
    assert config == {
        "initial_learning_rate": 0.1,
        "warmup_steps": 1,
        "stable_steps": 2,
        "decay_steps": 3,
        "min_lr_ratio": 0.0,
        "warmup_type": "linear",
        "decay_type": "cosine",
        "num_cycles": 0.5,
    }
    continued = WarmupStableDecay(0.1, 1, 2, 3, continue_decay=True, dtype="float32")
    assert continued.get_config() == {**config, "continue_decay": True, "dtype": "float32"}
    assert lrschedule.from_json(lrschedule.to_json(continued)) == continued


def test_get_returns_the_documented_expressions() -> None:
    L = lrschedule
    assert L.get("linear", learning_rate=0.1, num_warmup_steps=10, num_training_steps=110) == (
        L.Warmup(L.Linear(0.1, 0.0, 100), 10)
    )
    assert L.get("linear", learning_rate=0.1, num_warmup_steps=10, num_training_steps=10) == (
        L.Sequential([L.Linear(0.0, 0.1, 10), L.Constant(0.0)], [10])
    )
    assert L.get("constant", learning_rate=0.1) == L.Constant(0.1)
    assert L.get("constant_with_warmup", learning_rate=0.1, num_warmup_steps=5) == (
        L.Warmup(L.Constant(0.1), 5)
    )
    assert L.get("cosine", learning_rate=0.1, num_warmup_steps=10, num_training_steps=110) == (
        WarmupStableDecay(0.1, 10, 0, 100, continue_decay=True)
    )
    assert L.get("cosine", learning_rate=0.1, num_warmup_steps=10, num_training_steps=5) == (
        WarmupStableDecay(0.1, 10, 0, 1, continue_decay=True)
    )
    assert L.get(
        "cosine_with_restarts",
        learning_rate=0.1,
        num_warmup_steps=10,
        num_training_steps=110,
        num_cycles=2,
    ) == WarmupStableDecay(0.1, 10, 0, 100, decay_type="cosine_with_restarts", num_cycles=2)
    assert L.get(
        "cosine_with_min_lr",
        learning_rate=0.1,
        num_warmup_steps=10,
        num_training_steps=110,
        min_lr_rate=0.1,
    ) == L.Warmup(WarmupStableDecay(0.1, 0, 0, 100, 0.1, continue_decay=True), 10)
    assert L.get(
        "polynomial", learning_rate=0.1, num_warmup_steps=10, num_training_steps=110, power=2
    ) == L.Warmup(L.PolynomialDecay(0.1, 100, 1e-7, 2.0), 10)
    assert L.get(
        "polynomial", learning_rate=0.1, num_warmup_steps=10, num_training_steps=5
    ) == L.Sequential([L.Linear(0.0, 0.1, 10), L.Constant(1e-7)], [10])
    assert L.get("inverse_sqrt", learning_rate=0.1, num_warmup_steps=10, timescale=3) == (
        InverseSqrt(0.1, 10, 3)
    )
    assert L.get(
        "warmup_stable_decay",
        learning_rate=0.1,
        num_warmup_steps=10,
        num_training_steps=110,
        num_decay_steps=20,
        decay_type="1-sqrt",
    ) == WarmupStableDecay(0.1, 10, 80, 20, decay_type="1-sqrt")


def test_get_ignores_num_training_steps_where_transformers_does() -> None:
    for name in ("constant", "constant_with_warmup", "inverse_sqrt"):
        a = lrschedule.get(name, learning_rate=0.1, num_warmup_steps=10, num_training_steps=100)
        b = lrschedule.get(name, learning_rate=0.1, num_warmup_steps=10)
        assert a == b


def test_get_accepts_scheduler_type_members() -> None:
    if importlib.util.find_spec("transformers") is None:
        pytest.skip("transformers is not installed")
    from transformers.trainer_utils import SchedulerType

    for name in lrschedule.schedules.transformers.NAMES:
        kwargs: dict[str, Any] = {
            "cosine_with_min_lr": {"min_lr_rate": 0.1},
            "warmup_stable_decay": {"num_decay_steps": 10},
        }.get(name, {})
        by_member = lrschedule.get(
            SchedulerType(name),
            learning_rate=0.1,
            num_warmup_steps=10,
            num_training_steps=100,
            **kwargs,
        )
        by_name = lrschedule.get(
            name, learning_rate=0.1, num_warmup_steps=10, num_training_steps=100, **kwargs
        )
        assert by_member == by_name


def test_get_dtype_follows_an_array_learning_rate() -> None:
    lr = np.float32(0.1)
    for name in lrschedule.schedules.transformers.NAMES:
        kwargs: dict[str, Any] = {
            "cosine_with_min_lr": {"min_lr_rate": 0.1},
            "warmup_stable_decay": {"num_decay_steps": 10},
        }.get(name, {})
        schedule = lrschedule.get(
            name, learning_rate=lr, num_warmup_steps=10, num_training_steps=100, **kwargs
        )
        assert schedule.dtype == "float32", name
        assert schedule(np.arange(3)).dtype == np.float32
        assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule
    assert InverseSqrt(np.float32(0.1), 10).dtype == "float32"
    assert WarmupStableDecay(np.float32(0.1), 1, 1, 1).dtype == "float32"


def test_get_warns_as_transformers_when_both_lengths_are_given() -> None:
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        schedule = lrschedule.get(
            "warmup_stable_decay",
            learning_rate=0.1,
            num_warmup_steps=10,
            num_training_steps=1000,
            num_decay_steps=20,
            num_stable_steps=30,
        )
    assert schedule == WarmupStableDecay(0.1, 10, 30, 20)


# -- bad arguments ---------------------------------------------------------------------------------

nan, inf = float("nan"), float("inf")

BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("isqrt-lr-nan", lambda: InverseSqrt(nan, 10), ValueError, "initial_learning_rate=nan"),
    ("isqrt-lr-str", lambda: InverseSqrt("0.1", 10), TypeError, "initial_learning_rate='0.1'"),
    ("isqrt-W-neg", lambda: InverseSqrt(0.1, -1), ValueError, "warmup_steps=-1"),
    ("isqrt-W-inf", lambda: InverseSqrt(0.1, inf), ValueError, "warmup_steps=inf"),
    ("isqrt-W-none", lambda: InverseSqrt(0.1, None), TypeError, "warmup_steps=None"),
    ("isqrt-timescale-0", lambda: InverseSqrt(0.1, 10, 0), ValueError, "timescale=0"),
    ("isqrt-timescale-neg", lambda: InverseSqrt(0.1, 10, -5), ValueError, "timescale=-5"),
    ("isqrt-timescale-bool", lambda: InverseSqrt(0.1, 10, True), TypeError, "timescale=True"),
    ("isqrt-dtype", lambda: InverseSqrt(0.1, 10, dtype="int8"), ValueError, "dtype='int8'"),
    ("wsd-lr-inf", lambda: WarmupStableDecay(inf, 1, 1, 1), ValueError, "initial_learning_rate"),
    ("wsd-W-neg", lambda: WarmupStableDecay(0.1, -1, 1, 1), ValueError, "warmup_steps=-1"),
    ("wsd-S-neg", lambda: WarmupStableDecay(0.1, 1, -2, 1), ValueError, "stable_steps=-2"),
    ("wsd-D-neg", lambda: WarmupStableDecay(0.1, 1, 1, -3), ValueError, "decay_steps=-3"),
    ("wsd-D-nan", lambda: WarmupStableDecay(0.1, 1, 1, nan), ValueError, "decay_steps=nan"),
    ("wsd-D-str", lambda: WarmupStableDecay(0.1, 1, 1, "3"), TypeError, "decay_steps='3'"),
    (
        "wsd-ratio-neg",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, min_lr_ratio=-0.1),
        ValueError,
        "min_lr_ratio=-0.1",
    ),
    (
        "wsd-ratio-big",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, min_lr_ratio=1.5),
        ValueError,
        "min_lr_ratio=1.5",
    ),
    (
        "wsd-ratio-nan",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, min_lr_ratio=nan),
        ValueError,
        "min_lr_ratio=nan",
    ),
    (
        "wsd-warmup-type",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, warmup_type="exponential"),
        ValueError,
        "warmup_type='exponential'",
    ),
    (
        "wsd-warmup-type-restarts",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, warmup_type="cosine_with_restarts"),
        ValueError,
        "warmup_type='cosine_with_restarts'",
    ),
    (
        "wsd-decay-type",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, decay_type="sqrt"),
        ValueError,
        "decay_type='sqrt'",
    ),
    (
        "wsd-decay-type-none",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, decay_type=None),
        ValueError,
        "decay_type=None",
    ),
    (
        "wsd-cycles-neg",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, num_cycles=-1),
        ValueError,
        "num_cycles=-1",
    ),
    (
        "wsd-cycles-str",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, num_cycles="2"),
        TypeError,
        "num_cycles='2'",
    ),
    (
        "wsd-continue-int",
        lambda: WarmupStableDecay(0.1, 1, 1, 1, continue_decay=1),
        TypeError,
        "continue_decay=1",
    ),
]


def _get(name: str, **kwargs: Any) -> Callable[[], Any]:
    args: dict[str, Any] = {"learning_rate": 0.1, "num_warmup_steps": 10, "num_training_steps": 100}
    args.update(kwargs)
    args = {k: v for k, v in args.items() if v is not _MISSING}
    return lambda: lrschedule.get(name, **args)


_MISSING = object()

BAD_GET: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("unknown", _get("cosine_annealing"), ValueError, r"name='cosine_annealing'.*'linear'"),
    (
        "plateau",
        _get("reduce_lr_on_plateau"),
        ValueError,
        r"reduce_lr_on_plateau.*metric.*'linear'",
    ),
    ("greedy", _get("greedy"), ValueError, r"'greedy'.*metric"),
    (
        "cosine_warmup_with_min_lr",
        _get("cosine_warmup_with_min_lr"),
        ValueError,
        r"'cosine_warmup_with_min_lr'.*not available.*'warmup_stable_decay'",
    ),
    ("name-int", _get(3), TypeError, "name=3"),  # type: ignore[arg-type]
    ("lr-nan", _get("linear", learning_rate=nan), ValueError, "learning_rate=nan"),
    ("lr-none", _get("constant", learning_rate=None), TypeError, "learning_rate=None"),
    ("W-missing", _get("linear", num_warmup_steps=None), ValueError, "requires `num_warmup_steps`"),
    (
        "W-missing-isqrt",
        _get("inverse_sqrt", num_warmup_steps=None),
        ValueError,
        "inverse_sqrt requires `num_warmup_steps`",
    ),
    (
        "W-missing-wsd",
        _get("warmup_stable_decay", num_warmup_steps=None, num_decay_steps=10),
        ValueError,
        "requires `num_warmup_steps`",
    ),
    ("W-neg", _get("cosine", num_warmup_steps=-1), ValueError, "num_warmup_steps=-1"),
    (
        "T-missing",
        _get("cosine", num_training_steps=None),
        ValueError,
        "requires `num_training_steps`",
    ),
    (
        "T-missing-polynomial",
        _get("polynomial", num_training_steps=None),
        ValueError,
        "polynomial requires `num_training_steps`",
    ),
    ("T-neg", _get("linear", num_training_steps=-5), ValueError, "num_training_steps=-5"),
    ("T-str", _get("linear", num_training_steps="100"), TypeError, "num_training_steps='100'"),
    (
        "kwarg-unknown",
        _get("linear", num_cycles=2),
        TypeError,
        "unexpected keyword argument 'num_cycles'",
    ),
    (
        "kwarg-constant",
        _get("constant", power=2.0),
        TypeError,
        "unexpected keyword argument 'power'",
    ),
    ("kwarg-last_epoch", _get("cosine", last_epoch=5), TypeError, "'last_epoch'"),
    ("cycles-neg", _get("cosine", num_cycles=-0.5), ValueError, "num_cycles=-0.5"),
    (
        "restarts-cycles-str",
        _get("cosine_with_restarts", num_cycles="3"),
        TypeError,
        "num_cycles='3'",
    ),
    ("min-lr-neither", _get("cosine_with_min_lr"), ValueError, "One of min_lr or min_lr_rate"),
    (
        "min-lr-both",
        _get("cosine_with_min_lr", min_lr=0.01, min_lr_rate=0.1),
        ValueError,
        "Only one of min_lr or min_lr_rate",
    ),
    ("min-lr-rate-big", _get("cosine_with_min_lr", min_lr_rate=2.0), ValueError, "min_lr_rate=2.0"),
    ("min-lr-neg", _get("cosine_with_min_lr", min_lr=-0.01), ValueError, "min_lr=-0.01"),
    ("min-lr-nan", _get("cosine_with_min_lr", min_lr=nan), ValueError, "min_lr=nan"),
    (
        "min-lr-lr0",
        _get("cosine_with_min_lr", learning_rate=0.0, min_lr=0.0),
        ValueError,
        "min_lr=0.0, learning_rate=0.0",
    ),
    (
        "lr_end-not-below",
        _get("polynomial", lr_end=0.1),
        ValueError,
        r"lr_end \(0.1\) must be smaller",
    ),
    ("lr_end-default-lr-small", _get("polynomial", learning_rate=1e-8), ValueError, "lr_end"),
    ("lr_end-inf", _get("polynomial", lr_end=-inf), ValueError, "lr_end=-inf"),
    ("power-0", _get("polynomial", power=0.0), ValueError, "power=0.0"),
    ("power-neg", _get("polynomial", power=-1), ValueError, "power=-1"),
    (
        "polynomial-T=W",
        _get("polynomial", num_training_steps=10),
        ValueError,
        "num_warmup_steps=10, num_training_steps=10",
    ),
    ("timescale-0", _get("inverse_sqrt", timescale=0), ValueError, "timescale=0"),
    (
        "wsd-no-decay-steps",
        _get("warmup_stable_decay"),
        TypeError,
        "'num_decay_steps'",
    ),
    (
        "wsd-no-lengths",
        _get("warmup_stable_decay", num_training_steps=None, num_decay_steps=10),
        ValueError,
        "Either num_training_steps or num_stable_steps",
    ),
    (
        "wsd-warmup-type",
        _get("warmup_stable_decay", num_decay_steps=10, warmup_type="exp"),
        ValueError,
        "Unknown warmup type: exp",
    ),
    (
        "wsd-decay-type",
        _get("warmup_stable_decay", num_decay_steps=10, decay_type="cosine_with_restarts"),
        ValueError,
        "Unknown decay type: cosine_with_restarts",
    ),
    (
        "wsd-too-long",
        _get("warmup_stable_decay", num_decay_steps=95),
        ValueError,
        "num_training_steps=100, num_warmup_steps=10, num_decay_steps=95",
    ),
    (
        "wsd-decay-neg",
        _get("warmup_stable_decay", num_decay_steps=-1),
        ValueError,
        "num_decay_steps=-1",
    ),
    (
        "wsd-stable-neg",
        _get(
            "warmup_stable_decay", num_training_steps=None, num_decay_steps=1, num_stable_steps=-1
        ),
        ValueError,
        "num_stable_steps=-1",
    ),
    (
        "wsd-ratio",
        _get("warmup_stable_decay", num_decay_steps=10, min_lr_ratio=-1.0),
        ValueError,
        "min_lr_ratio=-1.0",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [pytest.param(make, error, message, id=case_id) for case_id, make, error, message in BAD],
)
def test_invalid_hyperparameters(make: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [pytest.param(make, error, message, id=case_id) for case_id, make, error, message in BAD_GET],
)
def test_get_invalid_arguments(make: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


# -- under jax.jit and torch.compile ---------------------------------------------------------------

COMPILED = [
    lrschedule.get("cosine", learning_rate=0.1, num_warmup_steps=10, num_training_steps=110),
    lrschedule.get(
        "cosine_with_restarts",
        learning_rate=0.1,
        num_warmup_steps=10,
        num_training_steps=110,
        num_cycles=3,
    ),
    lrschedule.get(
        "cosine_with_min_lr",
        learning_rate=0.1,
        num_warmup_steps=10,
        num_training_steps=110,
        min_lr_rate=0.1,
    ),
    lrschedule.get("inverse_sqrt", learning_rate=0.1, num_warmup_steps=10),
    WarmupStableDecay(0.1, 10, 50, 40, 0.1, "1-sqrt", "1-sqrt"),
    WarmupStableDecay(0.1, 10, 50, 40, 0.1, "cosine", "linear", continue_decay=True),
]
COMPILED_IDS = [
    "cosine",
    "cosine_with_restarts",
    "cosine_with_min_lr",
    "inverse_sqrt",
    "wsd-1-sqrt",
    "wsd-continue-linear",
]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.parametrize("schedule", COMPILED, ids=COMPILED_IDS)
def test_jax_jit_smoke(schedule: Any) -> None:
    import jax
    import jax.numpy as jnp

    traces = []

    @jax.jit
    def lr(step: Any) -> Any:
        traces.append(1)
        return schedule(step)

    steps = (0, 5, 10, 11, 40, 60, 99, 110, 111, 150, 220)
    values = [float(lr(jnp.asarray(t))) for t in steps]
    assert len(traces) == 1
    expected = [float(schedule(t)) for t in steps]
    np.testing.assert_allclose(values, expected, rtol=2e-6, atol=1e-8)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@pytest.mark.parametrize("schedule", COMPILED, ids=COMPILED_IDS)
def test_torch_compile_fullgraph(schedule: Any) -> None:
    import torch

    torch._dynamo.reset()
    compiled = torch.compile(lambda step: schedule(step), fullgraph=True, backend="eager")
    for t in (0, 5, 10, 11, 40, 60, 99, 110, 111, 150, 220):
        got = compiled(torch.tensor(t))
        assert math.isclose(float(got), float(schedule(t)), rel_tol=1e-6, abs_tol=1e-9)


# -- properties ------------------------------------------------------------------------------------


@st.composite
def get_arguments(draw: st.DrawFn) -> tuple[str, int, int, dict[str, Any], Reference]:
    name = draw(st.sampled_from(["linear", "cosine", "cosine_with_restarts", "cosine_with_min_lr"]))
    W = draw(st.integers(0, 300))
    T = draw(st.integers(0, 1500))
    lr = 0.5
    if name == "linear":
        return name, W, T, {}, hf_linear(lr, W, T)
    if name == "cosine":
        c = draw(st.sampled_from([0.5, 0.25, 1.0, 1.5, 2.0, 3.7]))
        return name, W, T, {"num_cycles": c}, hf_cosine(lr, W, T, c)
    if name == "cosine_with_restarts":
        c = draw(st.integers(1, 12))
        return name, W, T, {"num_cycles": c}, hf_cosine_with_restarts(lr, W, T, c)
    m = draw(st.floats(0.0, 1.0))
    c = draw(st.sampled_from([0.5, 1.0, 1.5]))
    return name, W, T, {"min_lr_rate": m, "num_cycles": c}, hf_cosine(lr, W, T, c, m)


@given(get_arguments())
@settings(max_examples=60, deadline=None)
def test_get_equals_closed_form_on_every_step(
    args: tuple[str, int, int, dict[str, Any], Any],
) -> None:
    """Every step in [0, 2T] (at least [0, 2W + 10]), for generated W, T and kwargs."""
    name, W, T, kwargs, reference = args
    schedule = lrschedule.get(
        name, learning_rate=0.5, num_warmup_steps=W, num_training_steps=T, **kwargs
    )
    steps = np.arange(0, 2 * max(T, W + 5) + 1)
    expected = np.asarray([reference(int(t)) for t in steps], dtype=np.float64)
    np.testing.assert_allclose(schedule(steps), expected, rtol=1e-9, atol=1e-12)


@given(
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 200),
    st.floats(0.0, 1.0),
    st.sampled_from(["linear", "cosine", "1-sqrt"]),
    st.sampled_from(["linear", "cosine", "1-sqrt", "cosine_with_restarts"]),
    st.sampled_from([0.5, 1.0, 2.0, 3.0]),
)
@settings(max_examples=60, deadline=None)
def test_wsd_equals_closed_form_on_every_step(
    W: int, S: int, D: int, m: float, warmup_type: str, decay_type: str, c: float
) -> None:
    schedule = WarmupStableDecay(0.5, W, S, D, m, warmup_type, decay_type, c)
    reference = wsd(0.5, W, S, D, m, warmup_type, decay_type, c)
    steps = np.arange(0, 2 * (W + S + D) + 2)
    expected = np.asarray([reference(int(t)) for t in steps], dtype=np.float64)
    np.testing.assert_allclose(schedule(steps), expected, rtol=1e-9, atol=1e-12)
