"""Golden cases for optax's schedules (optax computes in JAX; run here with x64 enabled)."""

from __future__ import annotations

from typing import Any

from make import Case, edge_steps

import lrschedule as L  # noqa: N812


def version() -> str:
    import optax

    return str(optax.__version__)


def cases() -> list[Case]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    def peer(fn: Any) -> Any:
        return lambda t: float(fn(jnp.asarray(t, dtype=jnp.int64)))

    out = [
        Case("constant", L.Constant(0.3), peer(optax.constant_schedule(0.3)), edge_steps([], 100)),
        Case(
            "linear",
            L.Linear(0.1, 0.001, 1000),
            peer(optax.linear_schedule(0.1, 0.001, 1000)),
            edge_steps([], 1000),
        ),
        Case(
            "linear-begin",
            L.Linear(0.0, 1.0, 300, transition_begin=50),
            peer(optax.linear_schedule(0.0, 1.0, 300, transition_begin=50)),
            edge_steps([50], 350),
        ),
        Case(
            "exponential",
            L.ExponentialDecay(0.1, 100, 0.9),
            peer(optax.exponential_decay(0.1, 100, 0.9)),
            edge_steps([], 1000),
        ),
        Case(
            "exponential-begin-stair-end",
            L.ExponentialDecay(
                0.1, 100, 0.5, staircase=True, transition_begin=250, end_learning_rate=0.01
            ),
            peer(
                optax.exponential_decay(
                    0.1, 100, 0.5, transition_begin=250, staircase=True, end_value=0.01
                )
            ),
            edge_steps([250, 350, 450, 550], 800),
        ),
        Case(
            "exponential-growth-ceiling",
            L.ExponentialDecay(0.01, 10, 1.5, end_learning_rate=0.5),
            peer(optax.exponential_decay(0.01, 10, 1.5, end_value=0.5)),
            edge_steps([], 200),
        ),
        Case(
            "polynomial",
            L.PolynomialDecay(0.1, 500, 0.001, power=2.0, transition_begin=100),
            peer(optax.polynomial_schedule(0.1, 0.001, 2.0, 500, transition_begin=100)),
            edge_steps([100], 600),
        ),
        Case(
            "cosine",
            L.CosineDecay(0.1, 1000, alpha=0.1),
            peer(optax.cosine_decay_schedule(0.1, 1000, alpha=0.1)),
            edge_steps([], 1000),
        ),
        Case(
            "cosine-exponent",
            L.CosineDecay(0.1, 1000, exponent=2.0),
            peer(optax.cosine_decay_schedule(0.1, 1000, exponent=2.0)),
            edge_steps([], 1000),
        ),
        Case(
            "warmup-cosine",
            L.Warmup(L.CosineDecay(1.0, 900, alpha=0.05), 100, 0.1),
            peer(optax.warmup_cosine_decay_schedule(0.1, 1.0, 100, 1000, end_value=0.05)),
            edge_steps([100], 1000),
        ),
        Case(
            "warmup-cosine-exponent",
            L.Warmup(L.CosineDecay(0.5, 800, exponent=1.5), 200),
            peer(optax.warmup_cosine_decay_schedule(0.0, 0.5, 200, 1000, exponent=1.5)),
            edge_steps([200], 1000),
        ),
        Case(
            "warmup-exponential",
            L.Warmup(
                L.ExponentialDecay(1.0, 50, 0.8, transition_begin=20, end_learning_rate=0.1),
                100,
                0.01,
            ),
            peer(
                optax.warmup_exponential_decay_schedule(
                    0.01, 1.0, 100, 50, 0.8, transition_begin=20, end_value=0.1
                )
            ),
            edge_steps([100, 120], 600),
        ),
        Case(
            "warmup-constant",
            L.Warmup(L.Constant(0.5), 64),
            peer(optax.warmup_constant_schedule(0.0, 0.5, 64)),
            edge_steps([64], 128),
        ),
        Case(
            "join",
            L.Sequential(
                [L.Linear(0.0, 1.0, 100), L.CosineDecay(1.0, 400), L.Constant(0.01)], [100, 500]
            ),
            peer(
                optax.join_schedules(
                    [
                        optax.linear_schedule(0.0, 1.0, 100),
                        optax.cosine_decay_schedule(1.0, 400),
                        optax.constant_schedule(0.01),
                    ],
                    [100, 500],
                )
            ),
            edge_steps([100, 500], 600),
        ),
        Case(
            "piecewise-linear",
            L.PiecewiseInterpolate([0, 100, 300, 600], [1.0, 0.5, 0.05, 0.005]),
            peer(
                optax.piecewise_interpolate_schedule("linear", 1.0, {100: 0.5, 300: 0.1, 600: 0.1})
            ),
            edge_steps([100, 300, 600], 600),
        ),
        Case(
            "piecewise-cosine",
            L.PiecewiseInterpolate([0, 250, 500], [0.1, 0.2, 0.02], "cosine"),
            peer(optax.piecewise_interpolate_schedule("cosine", 0.1, {250: 2.0, 500: 0.1})),
            edge_steps([250, 500], 500),
        ),
    ]
    return out
