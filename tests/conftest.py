"""The ``backend`` fixture: every installed array library, each on its interesting devices.

``LRSCHEDULE_TEST_BACKENDS`` (comma-separated: numpy, strict, torch, torch-cuda, jax, dask, cupy)
limits the run to some libraries, as the nox sessions do; unset, every installed library runs. A
missing library (or a GPU one without a CUDA device) is a skip with a reason, never a silent pass.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

collect_ignore = ["golden"]  # scripts that make the golden data, run by the parity session

# Hypothesis profiles: the normal run is repeatable (the same draws every run, so a test run's
# verdict depends on the code only, never on luck); `nox -s fuzz` sets
# LRSCHEDULE_HYPOTHESIS_PROFILE=fuzz for new random draws and many more examples of
# tests/test_fuzz.py (tests that set max_examples themselves keep theirs).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile(
    "fuzz",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
settings.load_profile(os.environ.get("LRSCHEDULE_HYPOTHESIS_PROFILE", "repeatable"))


@dataclass
class Backend:
    """How a test makes steps, calls a schedule and reads the result for one library and device."""

    id: str
    xp: Any
    device: Any = None
    float64: bool = True  # does this device compute in float64?
    default_float: str = "float64"  # the namespace's default real floating dtype here
    dtypes: tuple[str, ...] = ("float32", "float64")  # result dtypes the device can give
    int_dtype: str = "int64"  # the widest integer step dtype here
    wrap: Callable[[Callable[[Any], Any]], Callable[[Any], Any]] = lambda f: f
    context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    extra: dict[str, Any] = field(default_factory=dict)

    def asarray(self, values: Any, dtype: str | None = None) -> Any:
        dtype = dtype or self.int_dtype
        with self.context():
            dt = getattr(self.xp, dtype)
            if self.id == "torch":
                import torch

                return torch.as_tensor(np.asarray(values, dtype=dtype), dtype=dt)
            if self.device is None:
                return self.xp.asarray(values, dtype=dt)
            if self.id == "cupy":  # CuPy's asarray takes no device: the current one
                with self.device:
                    return self.xp.asarray(values, dtype=dt)
            return self.xp.asarray(values, dtype=dt, device=self.device)

    def call(self, schedule: Any, step: Any) -> Any:
        """Call ``schedule(step)`` the way this backend runs it (jitted, lazily, ...)."""
        with self.context():
            return self.extra.get("call", lambda s, x: self.wrap(s)(x))(schedule, step)

    def to_numpy(self, result: Any) -> np.ndarray:
        with self.context():
            return np.asarray(self.extra.get("to_numpy", _to_numpy)(result))

    def dtype_name(self, result: Any) -> str:
        return str(result.dtype).rsplit(".", 1)[-1]

    def same_device(self, result: Any) -> bool:
        import array_api_compat

        if self.device is None:
            return True
        return bool(array_api_compat.device(result) == self.device)


def _to_numpy(result: Any) -> Any:
    return result


def _selected() -> set[str]:
    chosen = os.environ.get("LRSCHEDULE_TEST_BACKENDS", "")
    return {name.strip() for name in chosen.split(",") if name.strip()}


def _missing(module: str) -> str | None:
    return None if importlib.util.find_spec(module) else f"{module} is not installed"


def _numpy() -> list[Backend]:
    return [Backend("numpy", np, dtypes=("float16", "float32", "float64"))]


def _strict() -> list[Backend]:
    import array_api_strict as xps

    def to_numpy(x: Any) -> Any:
        return np.asarray(x.to_device(xps.Device("CPU_DEVICE")))

    def backend(name: str, device: str, float64: bool, default: str) -> Backend:
        return Backend(
            name,
            xps,
            xps.Device(device),
            float64=float64,
            default_float=default,
            dtypes=("float32", "float64") if float64 else ("float32",),
            extra={"to_numpy": to_numpy},
        )

    return [
        backend("strict", "CPU_DEVICE", True, "float64"),
        backend("strict-device1", "device1", True, "float64"),
        # like Apple MPS: no float64, so compute falls back to float32
        backend("strict-no_float64", "no_float64", False, "float32"),
        # like JAX without x64
        dataclasses.replace(
            backend("strict-no_x64", "no_x64", False, "float32"), int_dtype="int32"
        ),
    ]


def _torch() -> list[Backend]:
    import torch

    def to_numpy(x: Any) -> Any:
        return x.detach().to("cpu", torch.float64 if x.dtype == torch.bfloat16 else x.dtype).numpy()

    return [
        Backend(
            "torch",
            torch,
            torch.device("cpu"),
            default_float="float32",
            dtypes=("float16", "bfloat16", "float32", "float64"),
            extra={"to_numpy": to_numpy},
        )
    ]


def _torch_cuda() -> list[Backend]:
    import torch

    (made,) = _torch()
    device = torch.device("cuda", torch.cuda.current_device())  # "cuda:0", as results report it
    return [dataclasses.replace(made, id="torch-cuda", device=device)]


def _torch_cuda_skip() -> str | None:
    missing = _missing("torch")
    if missing:
        return missing
    import torch

    return None if torch.cuda.is_available() else "no CUDA device (torch.cuda.is_available())"


def _jax() -> list[Backend]:
    import jax
    import jax.numpy as jnp

    def to_numpy(x: Any) -> Any:
        return np.asarray(x.astype(jnp.float32) if x.dtype == jnp.bfloat16 else x)

    def jit(schedule: Any) -> Any:
        return jax.jit(lambda s: schedule(s))

    small = ("float16", "bfloat16", "float32")
    # The plain backends follow JAX's own setting (JAX_ENABLE_X64=1: the tests-jax-x64 session):
    # with x64, float64 compute, float64 defaults and int64 steps; without, float32 and int32.
    x64 = bool(jax.config.read("jax_enable_x64"))
    common: dict[str, Any] = {
        "extra": {"to_numpy": to_numpy},
        "float64": x64,
        "default_float": "float64" if x64 else "float32",
        "dtypes": (*small, "float64") if x64 else small,
        "int_dtype": "int64" if x64 else "int32",
    }
    return [
        Backend("jax", jnp, **common),
        Backend("jax-jit", jnp, wrap=jit, **common),
        Backend(
            "jax-x64-jit",
            jnp,
            default_float="float64",
            dtypes=(*small, "float64"),
            wrap=jit,
            context=lambda: jax.enable_x64(True),
            extra=common["extra"],
        ),
    ]


def _dask() -> list[Backend]:
    import dask
    import dask.array as da

    def forbid(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a schedule call computed a dask graph: it must stay lazy")

    def call(schedule: Any, step: Any) -> Any:
        with dask.config.set(scheduler=forbid):
            result = schedule(step)
        assert isinstance(result, da.Array), type(result)
        return result

    def to_numpy(x: Any) -> Any:
        return x.compute(scheduler="sync")

    return [
        Backend(
            "dask",
            da,
            dtypes=("float16", "float32", "float64"),  # its blocks are NumPy arrays
            extra={"call": call, "to_numpy": to_numpy},
        )
    ]


def _cupy() -> list[Backend]:
    import cupy

    def to_numpy(x: Any) -> Any:
        return cupy.asnumpy(x)

    return [
        Backend(
            "cupy",
            cupy,
            cupy.cuda.Device(0),
            dtypes=("float16", "float32", "float64"),
            extra={"to_numpy": to_numpy},
        )
    ]


def _cupy_skip() -> str | None:
    missing = _missing("cupy")
    if missing:
        return missing
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no CUDA device"
    except Exception as exc:  # no driver, no runtime
        return f"no CUDA device ({type(exc).__name__})"
    return None


_LIBRARIES: dict[str, tuple[Callable[[], str | None], Callable[[], list[Backend]], list[str]]] = {
    "numpy": (lambda: None, _numpy, ["numpy"]),
    "strict": (
        lambda: _missing("array_api_strict"),
        _strict,
        ["strict", "strict-device1", "strict-no_float64", "strict-no_x64"],
    ),
    "torch": (lambda: _missing("torch"), _torch, ["torch"]),
    "torch-cuda": (_torch_cuda_skip, _torch_cuda, ["torch-cuda"]),
    "jax": (lambda: _missing("jax"), _jax, ["jax", "jax-jit", "jax-x64-jit"]),
    "dask": (lambda: _missing("dask"), _dask, ["dask"]),
    "cupy": (_cupy_skip, _cupy, ["cupy"]),
}


def _params() -> list[Any]:
    chosen = _selected()
    params = []
    for library, (skip, _, ids) in _LIBRARIES.items():
        if chosen and library not in chosen:
            continue
        reason = skip()
        for backend_id in ids:
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param((library, backend_id), id=backend_id, marks=marks))
    return params


_built: dict[str, Backend] = {}


@pytest.fixture
def isolated_registry() -> Iterator[None]:
    """Restore lrschedule's registry after a test that registers names (and may break it)."""
    from lrschedule import registry

    with registry._lock:
        saved = (dict(registry._by_name), dict(registry._by_class), set(registry._builtin))
    yield
    with registry._lock:
        for table, copy in zip(
            (registry._by_name, registry._by_class, registry._builtin), saved, strict=True
        ):
            table.clear()
            table.update(copy)  # type: ignore[attr-defined]


@pytest.fixture(params=_params())
def backend(request: pytest.FixtureRequest) -> Backend:
    library, backend_id = request.param
    if backend_id not in _built:
        for made in _LIBRARIES[library][1]():
            _built[made.id] = made
    return _built[backend_id]
