"""Golden cases for Hugging Face transformers' schedules (``get_scheduler`` and friends).

transformers builds a ``LambdaLR`` on a torch optimizer; the peer's rate at step ``t`` is
``learning_rate * scheduler.lr_lambdas[0](t)``, computed by transformers in Python floats. The
optimizer is a ``torch.optim.SGD`` over one float64 parameter.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from make import Case, edge_steps

import lrschedule as L  # noqa: N812


def version() -> str:
    import transformers

    return str(transformers.__version__)


def _optimizer(learning_rate: float) -> Any:
    import torch

    parameter = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    return torch.optim.SGD([parameter], lr=learning_rate)


def _lambda(learning_rate: float, scheduler: Any) -> Callable[[int], float]:
    (lr_lambda,) = scheduler.lr_lambdas
    return lambda t: float(learning_rate * lr_lambda(t))


def _named(
    learning_rate: float, name: str, W: int | None, T: int | None, **kwargs: Any
) -> Callable[[int], float]:
    from transformers import get_scheduler

    with warnings.catch_warnings():  # transformers warns when num_stable_steps overrides T
        warnings.simplefilter("ignore")
        scheduler = get_scheduler(
            name,
            _optimizer(learning_rate),
            num_warmup_steps=W,
            num_training_steps=T,
            scheduler_specific_kwargs=kwargs,
        )
    return _lambda(learning_rate, scheduler)


def _get_case(
    case_id: str,
    name: str,
    learning_rate: float,
    W: int | None,
    T: int | None,
    boundaries: list[float] | None = None,
    length: float | None = None,
    **kwargs: Any,
) -> Case:
    """A case for ``lrschedule.get(name, ...)`` against ``transformers.get_scheduler(name, ...)``."""
    schedule = L.get(
        name, learning_rate=learning_rate, num_warmup_steps=W, num_training_steps=T, **kwargs
    )
    peer = _named(learning_rate, name, W, T, **kwargs)
    if boundaries is None:
        boundaries = [W or 0]
    horizon = length if length is not None else (T if T is not None else 2 * (W or 0) + 100)
    return Case(case_id, schedule, peer, edge_steps(boundaries, horizon))


def _restarts(W: int, T: int, cycles: int) -> list[float]:
    D = max(1, T - W)
    return [W + k * D / cycles for k in range(cycles + 1)]


def cases() -> list[Case]:
    from transformers import get_inverse_sqrt_schedule, get_wsd_schedule

    out = [
        # every name at transformers' defaults
        _get_case("linear", "linear", 5e-5, 100, 1000),
        _get_case("cosine", "cosine", 5e-5, 100, 1000),
        _get_case("cosine_with_restarts", "cosine_with_restarts", 5e-5, 100, 1000),
        _get_case("polynomial", "polynomial", 5e-5, 100, 1000),
        _get_case("constant", "constant", 5e-5, None, None, boundaries=[], length=1000),
        _get_case("constant_with_warmup", "constant_with_warmup", 5e-5, 100, None, length=1000),
        _get_case("inverse_sqrt", "inverse_sqrt", 5e-5, 100, None, length=1000),
        _get_case("cosine_with_min_lr", "cosine_with_min_lr", 5e-5, 100, 1000, min_lr_rate=0.1),
        _get_case(
            "warmup_stable_decay",
            "warmup_stable_decay",
            5e-5,
            100,
            1000,
            [100, 800],
            num_decay_steps=200,
        ),
        # no warmup: transformers' max(1, W) guards
        _get_case("linear-W0", "linear", 0.1, 0, 1000),
        _get_case("cosine-W0", "cosine", 0.1, 0, 1000),
        _get_case(
            "cosine_with_restarts-W0-cycles4",
            "cosine_with_restarts",
            0.1,
            0,
            1000,
            _restarts(0, 1000, 4),
            num_cycles=4,
        ),
        _get_case("polynomial-W0", "polynomial", 0.1, 0, 1000, power=2.0, lr_end=1e-3),
        _get_case("constant_with_warmup-W0", "constant_with_warmup", 0.1, 0, None, length=1000),
        _get_case("inverse_sqrt-W0", "inverse_sqrt", 0.1, 0, None, length=20_000),
        _get_case("cosine_with_min_lr-W0", "cosine_with_min_lr", 0.1, 0, 1000, min_lr=0.01),
        _get_case(
            "warmup_stable_decay-W0",
            "warmup_stable_decay",
            0.1,
            0,
            1000,
            [0, 700],
            num_decay_steps=300,
            decay_type="linear",
        ),
        # non-default arguments
        _get_case("cosine-cycles1.5", "cosine", 3e-4, 500, 10_000, num_cycles=1.5),
        _get_case("cosine-cycles2", "cosine", 3e-4, 50, 850, [50, 250, 450, 650], num_cycles=2),
        _get_case(
            "cosine_with_restarts-cycles3",
            "cosine_with_restarts",
            1e-3,
            100,
            1000,
            _restarts(100, 1000, 3),
            num_cycles=3,
        ),
        _get_case(
            "cosine_with_restarts-cycles7-uneven",
            "cosine_with_restarts",
            1e-3,
            37,
            1000,
            _restarts(37, 1000, 7),
            num_cycles=7,
        ),
        _get_case(
            "polynomial-power3-end",
            "polynomial",
            1e-3,
            200,
            2000,
            power=3.0,
            lr_end=1e-5,
        ),
        _get_case("polynomial-power0.5", "polynomial", 1e-3, 10, 100, power=0.5, lr_end=0.0),
        _get_case(
            "inverse_sqrt-timescale", "inverse_sqrt", 1e-3, 400, None, length=5000, timescale=1000
        ),
        _get_case(
            "inverse_sqrt-timescale-short",
            "inverse_sqrt",
            1e-3,
            400,
            None,
            length=5000,
            timescale=7,
        ),
        _get_case(
            "cosine_with_min_lr-min_lr-cycles1",
            "cosine_with_min_lr",
            2e-4,
            100,
            1100,
            [100, 600],
            min_lr=2e-5,
            num_cycles=1.0,
        ),
        _get_case(
            "cosine_with_min_lr-rate0.5-cycles0.75",
            "cosine_with_min_lr",
            2e-4,
            30,
            530,
            min_lr_rate=0.5,
            num_cycles=0.75,
        ),
        # degenerate lengths: no decay steps left after the warmup
        _get_case("linear-T=W", "linear", 0.1, 100, 100, length=200),
        _get_case("linear-T<W", "linear", 0.1, 150, 100, [150], length=200),
        _get_case("cosine-T=W", "cosine", 0.1, 100, 100, length=200),
        _get_case(
            "cosine_with_restarts-T<W",
            "cosine_with_restarts",
            0.1,
            150,
            100,
            [150, 151],
            length=200,
        ),
        _get_case("polynomial-T<W", "polynomial", 0.1, 150, 100, [150], length=200),
        _get_case("linear-T=W=0", "linear", 0.1, 0, 0, length=50),
    ]
    for warmup_type in ("linear", "cosine", "1-sqrt"):
        for decay_type in ("linear", "cosine", "1-sqrt"):
            out.append(
                _get_case(
                    f"warmup_stable_decay-{warmup_type}-{decay_type}-min0.1",
                    "warmup_stable_decay",
                    1e-3,
                    300,
                    3000,
                    [300, 2000],
                    num_decay_steps=1000,
                    warmup_type=warmup_type,
                    decay_type=decay_type,
                    min_lr_ratio=0.1,
                )
            )
    out += [
        _get_case(
            "warmup_stable_decay-stable-given",
            "warmup_stable_decay",
            1e-3,
            10,
            None,
            [10, 60],
            length=100,
            num_decay_steps=40,
            num_stable_steps=50,
            num_cycles=1.0,
        ),
        _get_case(
            "warmup_stable_decay-both-given",
            "warmup_stable_decay",
            1e-3,
            10,
            80,
            [10, 40],
            length=100,
            num_decay_steps=60,
            num_stable_steps=30,
        ),
        # the classes directly, against transformers' own functions
        Case(
            "InverseSqrt",
            L.InverseSqrt(0.01, 4000),
            _lambda(0.01, get_inverse_sqrt_schedule(_optimizer(0.01), 4000)),
            edge_steps([4000], 40_000),
        ),
        Case(
            "InverseSqrt-timescale",
            L.InverseSqrt(0.01, 10, timescale=3),
            _lambda(0.01, get_inverse_sqrt_schedule(_optimizer(0.01), 10, timescale=3)),
            edge_steps([10], 1000),
        ),
        Case(
            "InverseSqrt-W0",
            L.InverseSqrt(0.01, 0),
            _lambda(0.01, get_inverse_sqrt_schedule(_optimizer(0.01), 0)),
            edge_steps([], 100_000),
        ),
        Case(
            "WarmupStableDecay",
            L.WarmupStableDecay(6e-4, 2000, 70_000, 20_000),
            _lambda(
                6e-4, get_wsd_schedule(_optimizer(6e-4), 2000, 20_000, num_stable_steps=70_000)
            ),
            edge_steps([2000, 72_000], 92_000),
        ),
        Case(
            "WarmupStableDecay-1-sqrt-min",
            L.WarmupStableDecay(
                1.0, 50, 0, 450, min_lr_ratio=0.01, warmup_type="1-sqrt", decay_type="1-sqrt"
            ),
            _lambda(
                1.0,
                get_wsd_schedule(
                    _optimizer(1.0),
                    50,
                    450,
                    num_stable_steps=0,
                    warmup_type="1-sqrt",
                    decay_type="1-sqrt",
                    min_lr_ratio=0.01,
                ),
            ),
            edge_steps([50], 500),
        ),
        Case(
            "WarmupStableDecay-cosine-cycles1.5-min",
            L.WarmupStableDecay(
                0.5, 10, 20, 120, min_lr_ratio=0.2, warmup_type="cosine", num_cycles=1.5
            ),
            _lambda(
                0.5,
                get_wsd_schedule(
                    _optimizer(0.5),
                    10,
                    120,
                    num_stable_steps=20,
                    warmup_type="cosine",
                    min_lr_ratio=0.2,
                    num_cycles=1.5,
                ),
            ),
            edge_steps([10, 30, 70, 110], 150),
        ),
        Case(
            "WarmupStableDecay-no-decay",
            L.WarmupStableDecay(0.5, 10, 20, 0, min_lr_ratio=0.3),
            _lambda(
                0.5,
                get_wsd_schedule(_optimizer(0.5), 10, 0, num_stable_steps=20, min_lr_ratio=0.3),
            ),
            edge_steps([10, 30], 30),
        ),
    ]
    return out
