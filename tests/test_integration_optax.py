"""A schedule is an optax learning rate as it is: no adapter.

optax calls ``learning_rate(count)`` with its int32 step count, inside the jitted update; a schedule
answers with a JAX array. These tests run whole training loops under ``jax.jit`` (``lax.scan``)
and recover the rate each update used:

* ``optax.sgd`` on ``loss = sum(w)``: the gradient is exactly 1, so the update is ``-lr``;
* ``optax.adam``: its update divided by ``optax.adam(1.0)``'s update on the same gradients;
* ``optax.inject_hyperparams``: the rate it reports in ``state.hyperparams``.

Without x64, lrschedule computes in float32 on JAX (its documented fallback), and XLA compiles
the formula with its own rewrites (division by a constant as a multiplication, fused multiply-add),
which in float32 can move a rate by several ulps from the eager value. So the float32 rates are
compared, within ``FLOAT32_RTOL``, with the schedule jitted on its own, outside optax, and with the
float64 values within ``LOOSE_RTOL`` (far tighter than the change of any of these schedules from
one count to the next). With x64 (``jax.enable_x64``) everything is float64, and the rates agree
with the float64 values within ``FLOAT64_RTOL``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jnp = jax.numpy

import lrschedule  # noqa: E402

STEPS = 48

SCHEDULES: dict[str, lrschedule.LearningRateSchedule] = {
    "exponential-staircase": lrschedule.ExponentialDecay(0.1, 7, 0.5, staircase=True),
    "cosine-warmup": lrschedule.CosineDecay(
        0.0, decay_steps=40, alpha=0.05, warmup_target=0.1, warmup_steps=8
    ),
    "cosine-restarts": lrschedule.CosineDecayRestarts(0.1, 6, t_mul=2.0, m_mul=0.7),
    "warmup-sequential": lrschedule.Warmup(
        lrschedule.Sequential(
            [lrschedule.Constant(0.05), lrschedule.Linear(0.05, 0.001, 20)], boundaries=[10]
        ),
        warmup_steps=5,
        initial_learning_rate=0.001,
    ),
}

FLOAT32_RTOL = 8 * 2.0**-24
FLOAT64_RTOL = 1e-14
LOOSE_RTOL = 1e-5


@contextmanager
def _precision(name: str) -> Iterator[float]:
    """JAX's default float32, or x64; yields the tolerance of :func:`_check`."""
    if name == "x64":
        with jax.enable_x64(True):
            yield FLOAT64_RTOL
    else:
        yield FLOAT32_RTOL


def _check(rates: Any, schedule: lrschedule.LearningRateSchedule, rtol: float) -> None:
    """``rates[t]`` is ``schedule(t)`` for every count ``t``: the float64 value under x64, else
    the float32 value lrschedule computes for a JAX array."""
    rates = np.asarray(rates, dtype=np.float64)
    assert rates.shape == (STEPS,)
    exact = [float(schedule(count)) for count in range(STEPS)]
    if jax.config.jax_enable_x64:
        expected = exact
    else:
        jitted = jax.jit(schedule)
        expected = [float(jitted(jnp.int32(count))) for count in range(STEPS)]
        for count, (rate, value) in enumerate(zip(rates, exact, strict=True)):
            assert math.isclose(rate, value, rel_tol=LOOSE_RTOL, abs_tol=0.0), (count, rate)
    for count, (rate, value) in enumerate(zip(rates, expected, strict=True)):
        assert math.isclose(rate, value, rel_tol=rtol, abs_tol=0.0), (count, rate, value)


def _problem(dtype: Any) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((64, 8)), dtype=dtype)
    y = x @ jnp.asarray(rng.standard_normal(8), dtype=dtype)
    return x, y, jnp.zeros(8, dtype=dtype)


precisions = pytest.mark.parametrize("precision", ["float32", "x64"])
schedules = pytest.mark.parametrize("name", list(SCHEDULES))


@precisions
@schedules
def test_sgd_update_is_minus_the_schedule(name: str, precision: str) -> None:
    schedule = SCHEDULES[name]
    with _precision(precision) as rtol:
        dtype = jnp.float64 if precision == "x64" else jnp.float32
        optimizer = optax.sgd(learning_rate=schedule)
        params = jnp.zeros(3, dtype=dtype)

        @jax.jit
        def run(params: Any) -> Any:
            def step(carry: Any, _: Any) -> Any:
                params, state = carry
                grads = jax.grad(lambda w: jnp.sum(w))(params)  # exactly 1
                updates, state = optimizer.update(grads, state, params)
                return (optax.apply_updates(params, updates), state), updates

            return jax.lax.scan(step, (params, optimizer.init(params)), length=STEPS)[1]

        updates = run(params)
        assert updates.dtype == dtype
        assert bool(jnp.all(updates == updates[:, :1]))  # the same rate for every element
        _check(-updates[:, 0], schedule, rtol)


@precisions
@schedules
def test_adam_uses_the_schedule(name: str, precision: str) -> None:
    """``optax.adam(learning_rate=schedule)`` trains, and its update at count ``t`` is
    ``schedule(t)`` times ``optax.adam(1.0)``'s update for the same gradients."""
    schedule = SCHEDULES[name]
    with _precision(precision) as rtol:
        dtype = jnp.float64 if precision == "x64" else jnp.float32
        x, y, params = _problem(dtype)
        scheduled, unit = optax.adam(learning_rate=schedule), optax.adam(1.0)

        def loss(w: Any) -> Any:
            return jnp.mean((x @ w - y) ** 2)

        @jax.jit
        def run(params: Any) -> Any:
            def step(carry: Any, _: Any) -> Any:
                params, state, unit_state = carry
                value, grads = jax.value_and_grad(loss)(params)
                updates, state = scheduled.update(grads, state, params)
                unit_updates, unit_state = unit.update(grads, unit_state, params)
                carry = (optax.apply_updates(params, updates), state, unit_state)
                return carry, (value, updates / unit_updates)

            start = (params, scheduled.init(params), unit.init(params))
            return jax.lax.scan(step, start, length=STEPS)[1]

        losses, ratios = run(params)
        # the ratio is the rate up to the rounding of two float products
        for element in np.asarray(ratios).T:
            _check(element, schedule, rtol + 2 * float(jnp.finfo(dtype).eps))
        assert float(losses[-1]) < float(losses[0])


@precisions
@schedules
def test_inject_hyperparams_reports_the_schedule(name: str, precision: str) -> None:
    schedule = SCHEDULES[name]
    with _precision(precision) as rtol:
        dtype = jnp.float64 if precision == "x64" else jnp.float32
        optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule)
        params = jnp.zeros(2, dtype=dtype)

        @jax.jit
        def step(params: Any, state: Any) -> Any:
            grads = jax.grad(lambda w: jnp.sum(w))(params)
            updates, state = optimizer.update(grads, state, params)
            return optax.apply_updates(params, updates), state, updates

        state = optimizer.init(params)
        reported, used = [], []
        for _ in range(STEPS):
            params, state, updates = step(params, state)
            reported.append(state.hyperparams["learning_rate"])
            used.append(-updates[0])
        assert step._cache_size() == 1  # compiled once: the count is traced, not a constant
        assert int(state.count) == STEPS
        # what inject_hyperparams reports is what the update used, exactly
        assert [float(r) for r in reported] == [float(u) for u in used]
        _check(reported, schedule, rtol)


def test_inject_hyperparams_adam_reports_the_schedule() -> None:
    schedule = SCHEDULES["warmup-sequential"]
    x, y, params = _problem(jnp.float32)
    optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=schedule, b1=0.8)

    @jax.jit
    def run(params: Any) -> Any:
        def step(carry: Any, _: Any) -> Any:
            params, state = carry
            grads = jax.grad(lambda w: jnp.mean((x @ w - y) ** 2))(params)
            updates, state = optimizer.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), state.hyperparams

        return jax.lax.scan(step, (params, optimizer.init(params)), length=STEPS)[1]

    hyperparams = run(params)
    assert np.all(np.asarray(hyperparams["b1"]) == np.float32(0.8))
    _check(hyperparams["learning_rate"], schedule, FLOAT32_RTOL)
