"""Float-float pairs where the device has no float64 (``lrschedule._float_float``).

Every schedule of ``test_edges.EDGES`` (one or more per registered class) runs on
array-api-strict's ``no_float64`` and ``no_x64`` devices (always) and on JAX without x64, eagerly,
under ``jax.jit`` and ``jax.vmap`` (when JAX is installed), at a seeded sample of int32 steps up to
2**31 - 1 and at every SGDR restart in range. Float32 results must be within 1 ulp of the mpmath
reference (``tests/references.py``) and of the float64 scalar path, and identical to that path in
at least 99% of the steps.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

import mpmath
import numpy as np
import pytest

import lrschedule
from test_edges import EDGES, Edge

TOP = 2**31 - 1
TINY = float(np.finfo(np.float32).tiny)

KNOWN = {
    # The cosine's phase (length - 2 c s) / length is not reduced to one period in exact steps:
    # past 2**20 steps its pair rounding (2**-48 of a phase of millions) shows. A formula change
    # (the cycle count in whole steps, as cosine_with_restarts does) would remove the limit.
    "wsd-cosine-continue": 2**20,
}
"""Edge id -> the largest step at which it is checked (a limitation of the formula, not of pairs)."""

COMPILED = {"exp", "cos-warmup", "sgdr", "sgdr-t1-m", "piecewise", "onecycle", "cyclic"}
COMPILED |= {"warmup-sgdr", "wsd-restarts", "product", "isqrt", "step"}
"""The edges also checked under jax.jit and jax.grad (each a compilation of several seconds); every
edge is checked eagerly, and on array-api-strict's devices."""


@pytest.fixture(autouse=True)
def _pairs() -> Iterator[None]:
    """Pairs (the default) for every test here, whatever another test switched."""
    with lrschedule.set_raw_float32(False):
        yield


def _steps(edge: Edge) -> np.ndarray:
    """A seeded sample of int32 steps: the first ones, log-uniform, uniform, the last ones, and
    every SGDR restart (and the step before it) in range."""
    rng = np.random.default_rng(20260412)
    parts = [
        np.arange(0, 40),
        np.exp(rng.uniform(0.0, math.log(TOP), 60)).astype(np.int64),
        rng.integers(0, TOP, 20),
        TOP - np.arange(8),
    ]
    schedules = [edge.schedule, *getattr(edge.schedule, "factors", ()), *_children(edge.schedule)]
    for schedule in schedules:
        if isinstance(schedule, lrschedule.CosineDecayRestarts):
            starts = np.asarray(_restarts(schedule), dtype=np.int64)
            offset = 1000 if isinstance(edge.schedule, lrschedule.Warmup) else 0
            parts += [starts + offset, starts + offset - 1]
    steps = np.unique(np.concatenate(parts))
    steps = steps[(steps >= 0) & (steps <= KNOWN.get(edge.id, TOP))]
    return steps.astype(np.int32)


def _children(schedule: Any) -> list[Any]:
    inner = getattr(schedule, "schedule", None)
    return [inner] if inner is not None else []


def _restarts(schedule: lrschedule.CosineDecayRestarts, most: int = 60) -> list[int]:
    """The whole steps where a period starts (from the definition: S_i = sum of T_0 m^j), at
    most ``most`` of them: the first and last halves (t_mul = 1 has millions)."""
    t0, m = float(schedule.first_decay_steps), schedule.t_mul
    if m == 1.0:
        count = int(TOP // t0) + 1
        chosen = [*range(min(count, most // 2)), *range(max(count - most // 2, 0), count)]
        return sorted({int(i * t0) for i in chosen if (i * t0).is_integer()})
    starts, start, length = [], 0.0, t0
    while start <= TOP:
        if start == int(start):
            starts.append(int(start))
        start, length = start + length, length * m
    return starts


@functools.cache
def _reference(edge_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, the mpmath reference, the float64 scalar path rounded to float32)."""
    edge = next(e for e in EDGES if e.id == edge_id)
    steps = _steps(edge)
    exact = np.asarray([float(edge.reference(int(t))) for t in steps])
    scalar = np.asarray([np.float32(edge.schedule(int(t))) for t in steps])
    return steps, exact, scalar


def _ulps(result: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|result - exact| in float32 ulps of ``exact``; 0 where both lie below the smallest normal
    float32 (XLA flushes subnormals to 0)."""
    result = result.astype(np.float64)
    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    spacing = np.maximum(spacing, float(np.finfo(np.float32).smallest_subnormal))
    ulps = np.abs(result - exact) / spacing
    flushed = (np.abs(exact) < TINY) & (np.abs(result) < TINY)
    return np.where(flushed | (result == exact), 0.0, ulps)


def _check(
    edge: Edge, steps: np.ndarray, result: np.ndarray, exact: np.ndarray, scalar: Any
) -> None:
    assert result.dtype == np.float32
    # where the float64 formula itself cancels to a few float64 ulps of its scale around an exact
    # 0 (WSD's decay crossing 0), pairs give a few pair ulps: compare absolutely there
    scale = max(float(np.max(np.abs(exact))), TINY)
    zero = (exact == 0.0) & (np.abs(scalar.astype(np.float64)) > 0.0)
    near = np.abs(result.astype(np.float64)) <= 2.0**-46 * scale
    ulps = np.where(zero & near, 0.0, _ulps(result, exact))
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= 1.0, (edge.id, int(steps[worst]), result[worst], exact[worst])
    apart = np.where(zero & near, 0.0, _ulps(result, scalar.astype(np.float64)))
    worst = int(np.argmax(apart))
    assert apart[worst] <= 1.0, (edge.id, int(steps[worst]), result[worst], scalar[worst])
    same = (apart == 0.0) | (zero & near)
    assert np.mean(same) >= 0.99, (edge.id, float(np.mean(same)))


# -- backends -------------------------------------------------------------------------------------


def _strict(device: str, dtype: str) -> tuple[Callable[[np.ndarray], Any], Callable[[Any], Any]]:
    xps = pytest.importorskip("array_api_strict")

    def make(steps: np.ndarray) -> Any:
        return xps.asarray(steps.astype(dtype), device=xps.Device(device))

    def back(result: Any) -> np.ndarray:
        return np.asarray(result.to_device(xps.Device("CPU_DEVICE")))

    return make, back


@contextlib.contextmanager
def _no_x64() -> Iterator[Any]:
    jax = pytest.importorskip("jax")
    with jax.enable_x64(False):
        yield jax


STRICT = [("no_float64", "int32"), ("no_float64", "int64"), ("no_x64", "int32")]


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: e.id)
@pytest.mark.parametrize(("device", "dtype"), STRICT, ids=["-".join(d) for d in STRICT])
def test_strict_within_one_ulp(edge: Edge, device: str, dtype: str) -> None:
    make, back = _strict(device, dtype)
    steps, exact, scalar = _reference(edge.id)
    _check(edge, steps, back(edge.schedule(make(steps))), exact, scalar)


VMAPPED = {"cos-warmup", "sgdr-m", "exp-stair-end", "wsd-restarts"}
"""vmap gives what jit gives (elementwise formulas): a few edges, each a compilation."""


@pytest.mark.parametrize(
    ("edge", "mode"),
    [
        (e, m)
        for e in EDGES
        for m in ("eager", "jit", "vmap")
        if m == "eager" or (m == "jit" and e.id in COMPILED) or e.id in VMAPPED
    ],
    ids=lambda v: getattr(v, "id", v),
)
def test_jax_without_x64_within_one_ulp(edge: Edge, mode: str) -> None:
    with _no_x64() as jax:
        import jax.numpy as jnp

        steps, exact, scalar = _reference(edge.id)
        schedule = edge.schedule
        run = {
            "eager": schedule,
            "jit": jax.jit(lambda t: schedule(t)),
            "vmap": jax.jit(jax.vmap(lambda t: schedule(t))),
        }[mode]
        result = run(jnp.asarray(steps))
        assert result.dtype == jnp.float32
        _check(edge, steps, np.asarray(result), exact, scalar)


@pytest.mark.parametrize("edge", [e for e in EDGES if e.id in COMPILED], ids=lambda e: e.id)
def test_jax_grad_is_not_nan(edge: Edge) -> None:
    """The derivative with respect to a float32 step need not be exact, but is a number."""
    with _no_x64() as jax:
        import jax.numpy as jnp

        grad = jax.jit(jax.vmap(jax.grad(lambda t: edge.schedule(t))))
        steps = jnp.asarray([0.0, 1.0, 7.0, 100.0, 999.0, 12345.0, 2.0**24, 2.0**31 - 128.0])
        assert not bool(jnp.any(jnp.isnan(grad(steps))))


def test_sgdr_exact_at_every_restart() -> None:
    """A restart gives the period's peak exactly (the float32 rounding of lr m^i), as float64."""
    with _no_x64() as jax:
        import jax.numpy as jnp

        for schedule in (
            lrschedule.CosineDecayRestarts(1.0, 10),
            lrschedule.CosineDecayRestarts(0.1, 64, t_mul=1.5, m_mul=0.5),
            lrschedule.CosineDecayRestarts(0.1, 100, t_mul=1.0, m_mul=0.9),
        ):
            starts = np.asarray(_restarts(schedule), dtype=np.int64)
            starts = starts[starts <= TOP].astype(np.int32)
            if schedule.t_mul == 1.0:  # a sample of the restarts: the period is start / T_0
                periods = [int(start) // int(schedule.first_decay_steps) for start in starts]
            else:
                periods = list(range(len(starts)))
            lr, m = schedule.initial_learning_rate, schedule.m_mul
            peaks = np.asarray([np.float32(lr * m**i) for i in periods])
            result = np.asarray(jax.jit(lambda t, s=schedule: s(t))(jnp.asarray(starts)))
            np.testing.assert_array_equal(result, peaks)


def test_paths_agree_on_the_issue_example() -> None:
    """The issue's warmup cosine at step 9: a Python int, an eager and a jitted JAX array all
    give the correctly rounded 0.0018000000855 (float32 computation gave three values)."""
    schedule = lrschedule.CosineDecay(0.0, 150, warmup_target=1e-2, warmup_steps=50)
    with _no_x64() as jax:
        import jax.numpy as jnp

        steps = jnp.arange(200, dtype=jnp.int32)
        eager = np.asarray(schedule(steps))
        jitted = np.asarray(jax.jit(lambda t: schedule(t))(steps))
        scalar = np.asarray([np.float32(schedule(t)) for t in range(200)])
        np.testing.assert_array_equal(eager, scalar)
        np.testing.assert_array_equal(jitted, scalar)
        assert float(eager[9]) == float(np.float32(0.0018))


def test_half_results_correctly_rounded() -> None:
    """float16 and bfloat16 results: the pair rounded once, within 1 ulp of the float64 value
    (and float16 equal to NumPy's direct rounding of it in at least 99% of the steps)."""
    with _no_x64():
        import jax.numpy as jnp

        steps = np.arange(0, 20_000, 7, dtype=np.int32)
        exact = np.asarray([0.1 * 0.96 ** (int(t) / 1000) for t in steps])
        for dtype, bits in (("float16", 10), ("bfloat16", 7)):
            schedule = lrschedule.ExponentialDecay(0.1, 1000, 0.96, dtype=dtype)
            result = schedule(jnp.asarray(steps))
            assert str(result.dtype) == dtype
            value = np.asarray(result.astype(jnp.float32)).astype(np.float64)
            ulp = 2.0 ** (np.floor(np.log2(exact)) - bits)
            assert np.all(np.abs(value - exact) <= ulp)
            if dtype == "float16":
                assert np.mean(value == exact.astype(np.float16).astype(np.float64)) >= 0.99


def test_special_steps_follow_the_scalar_path() -> None:
    """Negative steps count as 0; NaN stays NaN; +inf gives the limit, as on float64 devices."""
    make, back = _strict("no_float64", "float32")
    steps = np.asarray([-5.0, 0.0, np.nan, np.inf, 3.0], dtype=np.float32)
    for edge in EDGES:
        result = back(edge.schedule(make(steps)))
        expected = np.asarray([np.float32(edge.schedule(float(t))) for t in steps])
        # rtol: 1 float32 ulp; atol: WSD's decay cancels to a few float64 (pair) ulps around 0
        np.testing.assert_allclose(result, expected, rtol=2.0**-23, atol=2.0**-46)


def test_raw_float32_switch() -> None:
    """set_raw_float32(True) runs the plain float32 formula (less accurate), and restores."""
    make, back = _strict("no_float64", "int32")
    schedule = lrschedule.CosineDecay(0.1, 2 * 10**9)
    steps = np.asarray([2 * 10**9 - 1000 + k for k in range(0, 1000, 10)], dtype=np.int32)
    scalar = np.asarray([np.float32(schedule(int(t))) for t in steps])
    assert not lrschedule.raw_float32()  # this module's tests run with pairs on (the fixture)
    with lrschedule.set_raw_float32(True):
        assert lrschedule.raw_float32()
        raw = back(schedule(make(steps)))
    assert not lrschedule.raw_float32()
    pairs = back(schedule(make(steps)))
    np.testing.assert_array_equal(pairs, scalar)
    assert np.max(_ulps(raw, scalar.astype(np.float64))) > 100  # what the pairs are for
    with pytest.raises(TypeError):
        lrschedule.set_raw_float32(1)  # type: ignore[arg-type]


def test_jax_sharded_steps() -> None:
    """Steps sharded over two (forced) CPU devices: the result keeps the sharding and equals the
    unsharded call. In a subprocess: the device count is fixed when JAX starts."""
    pytest.importorskip("jax")
    import os
    import subprocess
    import sys

    code = (
        "import jax, jax.numpy as jnp, lrschedule as L\n"
        "L.set_raw_float32(False)\n"
        "from jax.sharding import NamedSharding, PartitionSpec as P\n"
        "mesh = jax.make_mesh((2,), ('x',))\n"
        "steps = jnp.arange(0, 2**31 - 2**20, 2**20 + 7, dtype=jnp.int32)[:2040]\n"
        "sharded = jax.device_put(steps, NamedSharding(mesh, P('x')))\n"
        "s = L.CosineDecayRestarts(0.1, 64, t_mul=1.5, m_mul=0.5)\n"
        "a = jax.jit(lambda t: s(t))(sharded)\n"
        "assert a.sharding == sharded.sharding, a.sharding\n"
        "assert bool(jnp.all(a == s(steps))) and a.dtype == jnp.float32\n"
    )
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_ENABLE_X64": "0",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("edge", [e for e in EDGES if e.id in COMPILED], ids=lambda e: e.id)
def test_torch_namespace(edge: Edge) -> None:
    """Pairs on torch's namespace, as on a device without float64 (Apple MPS): run here on the
    CPU by the function the array layer calls there."""
    torch = pytest.importorskip("torch")
    import array_api_compat.torch as xp

    from lrschedule import _float_float

    steps, exact, scalar = _reference(edge.id)
    formula = edge.schedule._evaluate
    result = _float_float.evaluate(formula, xp, torch.asarray(steps), torch.float32)
    assert result.dtype == torch.float32
    _check(edge, steps, result.numpy(), exact, scalar)


@pytest.mark.parametrize("t_mul", [1.001, 1.5, 3.0])
def test_sgdr_period_estimate(t_mul: float) -> None:
    """CosineDecayRestarts finds its period from a rough float32 closed form in pairs, corrected
    in exact steps: on both sides of every restart up to 2**31 (thousands of periods), the same
    rates as from the closed form in pairs. Where float32 could be a period off
    (``1 / log(t_mul) > 2**12``) the formula takes the closed form."""
    schedule = lrschedule.CosineDecayRestarts(0.1, 1000, t_mul=t_mul, m_mul=0.9999)
    precise = lrschedule.CosineDecayRestarts(0.1, 1000, t_mul=t_mul, m_mul=0.9999)
    rough = 5  # the index of the flag in _periods
    periods = schedule._periods
    object.__setattr__(precise, "_periods", (*periods[:rough], False, *periods[rough + 1 :]))
    assert periods[rough]
    assert not lrschedule.CosineDecayRestarts(1, 1, 1.0001)._periods[rough]
    starts, start, length = [], mpmath.mpf(0), mpmath.mpf(1000)
    while start < TOP:
        starts.append(int(mpmath.ceil(start)))
        start, length = start + length, length * mpmath.mpf(t_mul)
    near = np.unique(np.asarray(starts)[:, None] + np.arange(-1, 2))
    steps = near[(near >= 0) & (near <= TOP)]
    for dtype in ("int32", "int64"):
        make, back = _strict("no_float64", dtype)
        rough, closed = back(schedule(make(steps))), back(precise(make(steps)))
        # the same period: the same rate, but for the last bits of the pairs' pow (2**-38) in a
        # period's start, which move the rate of its last steps (a wrong period: about the peak)
        np.testing.assert_allclose(rough, closed, rtol=2.0**-22, atol=2.0**-30 * 0.1)


def test_estimate_on_every_namespace() -> None:
    """``xp.estimate(f, x)`` is ``f(xp, x)`` on every namespace but pairs', which compute ``f``
    in plain float32 on the high part, clamped to the range of its exact values."""
    from lrschedule import _array, _float_float

    def f(xp: Any, t: Any) -> Any:
        return xp.log(t * 0.001 + 1.0) * 1.4426950408889634

    assert _array.python_math.estimate(f, 1000.0) == f(_array.python_math, 1000.0)
    assert _array.raw_math.estimate(f, 1000.0) == f(_array.raw_math, 1000.0)
    x = np.arange(0, 2**31, 2**20, dtype=np.int64).astype(np.float64)
    xp = _array._formula_namespace(np, x)
    np.testing.assert_array_equal(xp.estimate(f, x), f(xp, x))
    xps = pytest.importorskip("array_api_strict")
    ff = _float_float.FloatFloat(xps)
    step = ff.from_step(xps.asarray(x.astype(np.int32), device=xps.Device("no_float64")))
    rough = ff.estimate(f, step)
    assert rough.lo is None
    # clamped to f on the step's bounds, rounded to float32: the range is exactly that
    high = float(np.float32(f(np, step.range.high)))
    assert (rough.range.low, rough.range.high) == (0.0, high)
    single = np.clip(np.asarray(f(np, x.astype(np.float32))), 0.0, high)
    assert single.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(rough.hi.to_device(xps.Device("CPU_DEVICE"))), single)
