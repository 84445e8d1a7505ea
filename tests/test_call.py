"""The rules of a call: namespace, result dtype, device, errors, and no host round-trips."""

from __future__ import annotations

import importlib.util
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import lrschedule
from checks import assert_torch_compiles_once
from lrschedule import CosineDecay, ExponentialDecay, PiecewiseConstantDecay
from references import CASES, Case

if TYPE_CHECKING:
    from conftest import Backend

SCHEDULE = ExponentialDecay(0.1, 1000, 0.96)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtype_argument(backend: Backend, dtype: str) -> None:
    schedule = ExponentialDecay(0.1, 1000, 0.96, dtype=dtype)
    steps = backend.asarray([0, 1000, 2000])
    if dtype not in backend.dtypes:
        with pytest.raises(ValueError, match=f"dtype='{dtype}' is not available"):
            backend.call(schedule, steps)
        return
    result = backend.call(schedule, steps)
    assert backend.dtype_name(result) == dtype
    assert backend.same_device(result)
    # correctly rounded: the float64 value rounded once to the result dtype
    expected = np.asarray([0.1, 0.096, 0.09216], dtype=np.float64)
    values = backend.to_numpy(result).astype(np.float64)
    np.testing.assert_allclose(values, expected, rtol={"float64": 1e-12}.get(dtype, 1e-2))


def test_dtype_follows_array_initial_learning_rate(backend: Backend) -> None:
    schedule = ExponentialDecay(np.float32(0.1), 1000, 0.96)
    assert schedule.dtype == "float32"
    assert schedule.get_config()["dtype"] == "float32"
    result = backend.call(schedule, backend.asarray([0, 1]))
    assert backend.dtype_name(result) == "float32"
    assert type(schedule(3)) is np.float32


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
def test_dtype_follows_torch_learning_rate_and_default_dtype() -> None:
    import torch

    assert ExponentialDecay(torch.tensor(0.1, dtype=torch.float64), 10, 0.5).dtype == "float64"
    assert ExponentialDecay(torch.tensor(0.1, dtype=torch.bfloat16), 10, 0.5).dtype == "bfloat16"
    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert SCHEDULE(torch.arange(3)).dtype == torch.float64
    finally:
        torch.set_default_dtype(old)
    assert SCHEDULE(torch.arange(3)).dtype == old


def test_default_dtype_and_device(backend: Backend) -> None:
    result = backend.call(SCHEDULE, backend.asarray([5]))
    assert backend.dtype_name(result) == backend.default_float
    assert backend.same_device(result)


def test_python_and_numpy_scalars_give_numpy_scalars() -> None:
    assert type(SCHEDULE(3)) is np.float64
    assert type(ExponentialDecay(0.1, 10, 0.5, dtype="float32")(3)) is np.float32
    assert type(ExponentialDecay(0.1, 10, 0.5, dtype="float16")(np.int8(3))) is np.float16
    with pytest.raises(ValueError, match="bfloat16"):
        ExponentialDecay(0.1, 10, 0.5, dtype="bfloat16")(3)
    assert SCHEDULE(10**400) == 0.0  # a Python int beyond float range is an infinite step
    assert SCHEDULE(True if False else 0) == np.float64(0.1)


@pytest.mark.parametrize(
    ("step", "named"),
    [
        (None, "NoneType"),
        (True, "bool"),
        (np.bool_(True), "bool"),
        ("10", "str"),
        (1 + 2j, "complex"),
        (np.complex64(1), "complex64"),
        ([1, 2], "list"),
        (object(), "object"),
        (np.array([True, False]), "bool"),
        (np.array([1 + 1j]), "complex128"),
    ],
)
def test_bad_steps_are_type_errors(step: Any, named: str) -> None:
    with pytest.raises(TypeError, match=rf"step must be a Python int or float.*{named}"):
        SCHEDULE(step)


def test_bad_array_dtypes_every_backend(backend: Backend) -> None:
    with backend.context():
        flags = (
            backend.xp.asarray([True, False], device=backend.device)
            if backend.device
            else (backend.xp.asarray([True, False]))
        )
    with pytest.raises(TypeError, match="bool"):
        backend.call(SCHEDULE, flags)


@pytest.mark.skipif(not _has("array_api_strict"), reason="array-api-strict is not installed")
def test_devices_never_mix() -> None:
    """array-api-strict raises if an array is created on the default device and meets device1."""
    import array_api_strict as xps

    for device in ("device1", "device2"):
        steps = xps.asarray([0, 10, 100], device=xps.Device(device))
        for schedule in (SCHEDULE, PiecewiseConstantDecay([5, 50], [1.0, 0.5, 0.1])):
            result = schedule(steps)
            assert result.device == xps.Device(device)


@pytest.mark.skipif(not _has("jax"), reason="jax is not installed")
def test_jax_jit_traces_once_and_float64_needs_x64() -> None:
    import jax
    import jax.numpy as jnp

    traces = []

    @jax.jit
    def lr(step: Any) -> Any:
        traces.append(1)
        return CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=10)(step)

    values = [float(lr(jnp.asarray(t))) for t in (0, 5, 10, 60, 110)]
    assert len(traces) == 1
    np.testing.assert_allclose(values, [0.0, 0.05, 0.1, 0.05, 0.0], atol=1e-7)
    with pytest.raises(ValueError, match="jax_enable_x64"):
        ExponentialDecay(0.1, 10, 0.5, dtype="float64")(jnp.asarray(1))
    with jax.enable_x64(True):
        assert ExponentialDecay(0.1, 10, 0.5, dtype="float64")(jnp.asarray(1)).dtype == jnp.float64


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_torch_compile_fullgraph_no_recompile(case: Case) -> None:
    assert_torch_compiles_once(case.schedule, case.schedule)


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_torch_compile_half_precision(dtype: str) -> None:
    """Half-precision results (correctly rounded through float64) compile in one graph too, and
    equal the eager call bit for bit."""
    import torch

    schedule = CosineDecay(0.1, 1000, warmup_target=0.3, warmup_steps=50, dtype=dtype)
    assert_torch_compiles_once(schedule, lambda t: schedule(torch.tensor(t)))  # eager, as exact
    compiled = torch.compile(lambda step: schedule(step), fullgraph=True, backend="eager")
    steps = torch.arange(0, 1200, 7)
    got, want = compiled(steps), schedule(steps)
    assert got.dtype == want.dtype == getattr(torch, dtype)
    assert torch.equal(got, want)


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
def test_torch_sync_debug_mode_has_nothing_to_say() -> None:
    """No host synchronisation in a call (meaningful on CUDA; on CPU it must at least not fail)."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    steps = torch.arange(10, device=device)
    torch.cuda.set_sync_debug_mode("error") if device == "cuda" else None
    try:
        for schedule in (SCHEDULE, lrschedule.CosineDecayRestarts(0.1, 3)):
            assert schedule(steps).device == steps.device
    finally:
        torch.cuda.set_sync_debug_mode("default") if device == "cuda" else None


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_no_host_round_trip_in_formula(case: Case) -> None:
    """A formula never reads a step's value on the host (no float(), bool() or item() on an
    array): it runs on a step array that refuses to be read. (jax.jit and torch.compile with
    fullgraph, tested elsewhere, refuse such reads too.)"""
    import array_api_compat.numpy as xp

    class Opaque(np.ndarray):
        def __float__(self) -> float:
            raise AssertionError("read on the host")

        def __bool__(self) -> bool:
            raise AssertionError("read on the host")

        def item(self, *args: Any) -> Any:
            raise AssertionError("read on the host")

    from lrschedule import _array

    steps = np.asarray([0.0, 1.0, 7.0, 1e3, 1e6, math.nan]).view(Opaque)
    formulas = _array._formula_namespace(xp, steps)  # the namespace a NumPy call gives formulas
    assert case.schedule._evaluate(formulas, steps).shape == (6,)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_large_numpy_steps_are_chunked_identically(case: Case) -> None:
    """Large NumPy steps run in cache-sized chunks: same values, shape and dtype as small calls."""
    from lrschedule import _array

    steps = np.arange(-7, 3 * _array.CHUNK + 11, dtype=np.int32)[::-1].reshape(-1, 3)
    whole = case.schedule(steps)
    assert whole.shape == steps.shape
    assert whole.dtype == np.float64
    pieces = np.concatenate([case.schedule(row) for row in steps])
    np.testing.assert_array_equal(whole.reshape(-1), pieces)
    as_float32 = type(case.schedule).from_config({**case.schedule.get_config(), "dtype": "float32"})
    assert as_float32(steps).dtype == np.float32


def test_numpy_float64_learning_rate_sets_the_result_dtype() -> None:
    assert ExponentialDecay(np.float64(0.1), 1000, 0.96).dtype == "float64"
    assert PiecewiseConstantDecay([1], [np.float64(1.0), np.float64(0.5)]).dtype == "float64"
    assert ExponentialDecay(0.1, 1000, 0.96).dtype is None


def test_staircase_powers_are_exact() -> None:
    halving = ExponentialDecay(1.0, 1, 0.5, staircase=True)
    assert halving(100) == 2.0**-100
    assert halving(np.asarray([100]))[0] == 2.0**-100
    growth = ExponentialDecay(1.0, 1, 2.0, staircase=True, end_learning_rate=1000.0)
    np.testing.assert_array_equal(
        growth(np.asarray([0, 3, 9, 10, 10**12])), [1, 8, 512, 1000, 1000]
    )


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
@pytest.mark.parametrize("dtype", [None, "float64", "bfloat16"])
def test_torch_cpu_chunks_equal_one_pass(
    dtype: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large torch CPU tensors are evaluated in chunks: the same values, dtype and shape as one
    pass over the whole tensor."""
    import torch

    from lrschedule import _array

    steps = torch.arange(5 * (3 * _array.TORCH_CHUNK // 5 + 11), dtype=torch.int32)
    steps = steps.reshape(-1, 5) * 7 - 50
    for case in CASES:
        schedule = type(case.schedule).from_config({**case.schedule.get_config(), "dtype": dtype})
        chunked = schedule(steps)
        with monkeypatch.context() as patch:
            patch.setattr(_array, "TORCH_CHUNK", 10**9)
            whole = schedule(steps)
        assert chunked.dtype == whole.dtype
        assert chunked.shape == steps.shape
        torch.testing.assert_close(chunked, whole, rtol=0, atol=0, equal_nan=True, msg=case.id)


@pytest.mark.skipif(not _has("torch"), reason="torch is not installed")
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "bfloat16", "float16"])
def test_torch_cpu_scalar_equals_python_scalar(dtype: str | None) -> None:
    """A 0-d torch CPU step takes the Python float path: the value of ``schedule(int)``,
    rounded once to the tensor's dtype, in a 0-d tensor."""
    import torch

    for case in CASES:
        schedule = type(case.schedule).from_config({**case.schedule.get_config(), "dtype": dtype})
        for t in (0, 1, 999, 1000, 12345, 2**31 - 1):
            got = schedule(torch.tensor(t))
            assert got.shape == ()
            assert got.dtype == (getattr(torch, dtype) if dtype else torch.get_default_dtype())
            exact = float(
                schedule.__class__.from_config({**schedule.get_config(), "dtype": "float64"})(t)
            )
            expected = torch.tensor(exact, dtype=torch.float64)
            if dtype in ("bfloat16", "float16"):  # correctly rounded from float64 (NumPy's cast)
                want = float(np.asarray(exact).astype(np.float16)) if dtype == "float16" else None
                if want is not None:
                    assert float(got) == want or (math.isnan(want) and math.isnan(float(got)))
                continue
            assert torch.equal(got, expected.to(got.dtype)) or (
                math.isnan(exact) and math.isnan(float(got))
            ), (case.id, t)
