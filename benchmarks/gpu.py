"""GPU: lrschedule on CuPy, torch CUDA and JAX against a copy of as many bytes and hand-written
code (benchmarks/README.md); without a CUDA device it says so and exits 0 (run: device.sh)."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

import common  # benchmarks/ is on sys.path: the script's own directory
import percall
import sweep
from common import STEP, VECTOR

# JAX runs after CuPy and torch, whose memory pools still hold their buffers: no preallocation
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
TITLE = "GPU"
GOAL = 1.1  # 1e8 steps: at most 1.1x the fastest hand-written expression

# One fused kernel per schedule, C with double arithmetic: ``s`` the step as a double, ``ti`` as an
# integer; the result in ``r``. The restart period from the integer step's highest set bit.
PI = repr(np.pi)
KERNELS = {
    "ExponentialDecay": f"r = 0.1 * exp(s * {sweep.C_EXP!r});",
    "CosineDecay+warmup": f"r = s < 1000.0 ? s * 1e-4 : 0.05 * (1.0 + cos(fmin(s - 1000.0, 10000.0) * ({PI} / 10000.0)));",
    "PiecewiseConstant": "long long k = (ti + 999) / 1000 - 1; r = ldexp(0.1, -(int)(k < 0 ? 0 : k > 10 ? 10 : k));",
    "CosineDecayRestarts": (
        "long long k = ti / 1000 + 1; double len = 1000.0 * (double)(1LL << (63 - __clzll(k)));"
        f" r = 0.05 * (1.0 + cos({PI} * (s - (len - 1000.0)) / len));"
    ),
}
PRELUDE = "double s = (double)t; long long ti = (long long)t; double r;"


def cupy_kernel(name: str, dtype: str) -> Callable[[Any], Any]:
    import cupy as cp

    code = f"{PRELUDE} {KERNELS[name]} y = r;"
    return cp.ElementwiseKernel("int64 t", f"{dtype} y", code, f"hand_{VECTOR.index(name)}_{dtype}")


def torch_kernel(name: str) -> Callable[[Any], Any]:
    """A jiterator kernel ``f(step, z)``: it computes in the inputs' common dtype, so a 0-d float
    ``z`` of the result dtype sets the output (the step is cast on load; exact below 2**24)."""
    import torch

    fname = f"hand_{VECTOR.index(name)}"
    code = f"template <typename T> T {fname}(T t, T z) {{ {PRELUDE} {KERNELS[name]} return T(r); }}"
    kernel = torch.cuda.jiterator._create_jit_fn(code)
    z = torch.zeros((), dtype=torch.get_default_dtype(), device="cuda")
    return lambda t: kernel(t, z)


# The libraries
@dataclasses.dataclass
class Lib:
    """What the parts need of one library on the GPU."""

    device: str
    arange: Callable[[int], Any]  # n int64 steps (JAX: int32)
    scalar: Callable[[int], Any]  # a 0-d step
    convert: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]
    sync: Callable[[Any], Any]  # waits for the device to finish (given the last result)
    hand: Callable[[str, str], dict[str, Callable[[Any], Any]]]  # (schedule, result dtype)
    kernel: Callable[[str], Callable[[Any], Any]]  # the per-call comparator
    copy: Callable[[int], Callable[[], Any]] | None = None  # nbytes -> a device-to-device copy
    f32: frozenset[str] = frozenset()  # labels of float32-compute variants
    ours_f32: bool = False  # for sweep.checked: lrschedule computes in float64 on the GPU
    wrap: Callable[[Any], Any] = lambda s: s
    dtypes: tuple[str, ...] = ("float32", "float64")


def cupy_lib() -> Lib:
    import cupy as cp

    def hand(name: str, dtype: str) -> dict[str, Callable[[Any], Any]]:
        fns = {
            f.__name__: lambda s, f=f: f(s, cp).astype(dtype, copy=False)
            for f in sweep.NUMPY_HAND[name]
        }
        return fns | {"fused kernel": cupy_kernel(name, dtype)}

    def copy(nbytes: int) -> Callable[[], Any]:
        return functools.partial(cp.copyto, cp.empty(nbytes, cp.uint8), cp.ones(nbytes, cp.uint8))

    if cp.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("no CUDA device")
    return Lib(
        cp.cuda.runtime.getDeviceProperties(0)["name"].decode(), lambda n: cp.arange(n, dtype=cp.int64),
        cp.asarray, cp.asarray, cp.asnumpy, lambda _: cp.cuda.Device().synchronize(), hand,
        lambda name: cupy_kernel(name, "float64"), copy,
    )  # fmt: skip


def torch_lib() -> Lib:
    import torch

    def copy(nbytes: int) -> Callable[[], Any]:
        src, dst = (torch.ones(nbytes, dtype=torch.uint8, device="cuda") for _ in "ab")
        return functools.partial(dst.copy_, src)

    def hand(name: str, dtype: str) -> dict[str, Callable[[Any], Any]]:
        # the float32-compute variants only for a float32 result: float64 needs float64 arithmetic
        fns = [f for f in sweep.TORCH_HAND[name] if dtype == "float32" or f.__name__ not in f32]
        return {f.__name__: functools.partial(f, out=getattr(torch, dtype)) for f in fns}

    f32 = sweep.TORCH_F32
    if torch.cuda.device_count() < 1:
        raise RuntimeError("no CUDA device")
    sweep.torch = torch
    return Lib(
        torch.cuda.get_device_name(), lambda n: torch.arange(n, device="cuda"),
        lambda x: torch.tensor(x, device="cuda"), lambda a: torch.from_numpy(a).cuda(), lambda x: x.cpu().numpy(),
        lambda _: torch.cuda.synchronize(), hand, torch_kernel, copy, f32,
    )  # fmt: skip


def jax_lib() -> Lib:
    import jax

    if jax.default_backend() != "gpu":
        raise RuntimeError(f"JAX's backend is {jax.default_backend()}")
    sweep.jnp = jnp = jax.numpy
    # JAX runs a device's computations in order: waiting for the last result waits for all
    return Lib(
        str(jax.devices()[0]), lambda n: jnp.arange(n, dtype=jnp.int32), jnp.asarray, jnp.asarray, np.asarray,
        lambda result: result.block_until_ready(),
        lambda name, d: {f.__name__: jax.jit(f) for f in sweep.JAX_HAND[name]},
        lambda name: jax.jit(sweep.JAX_HAND[name][0]), wrap=lambda s: jax.jit(s.__call__), dtypes=("float32",), ours_f32=True,
    )  # fmt: skip


def timed(
    lib: Lib, fns: dict[str, Callable[..., Any]], arg: Any, rounds: int, loops: int
) -> dict[str, list[float]]:
    """Seconds per call: ``loops`` calls then a synchronization, in interleaved rounds."""

    def thunk(f: Callable[..., Any]) -> Callable[[], Any]:
        def calls() -> None:
            for _ in range(loops):
                result = f(arg)
            lib.sync(result)

        return calls

    got = common.interleave({k: thunk(f) for k, f in fns.items()}, rounds, 0.0)
    return {k: [x / loops for x in v] for k, v in got.items()}


# The parts
def vector_part(lib_name: str, lib: Lib, n: int, rounds: int) -> list[list[Any]]:
    """Per (result dtype, schedule): [lib, dtype, schedule, ours, copy, best label, best, fused
    kernel, compile s, ratio range] (seconds, medians)."""
    steps, out = lib.arange(n), []
    for dtype in lib.dtypes:
        nbytes = n * (8 + np.dtype(dtype).itemsize) // 2  # read and written: as many as the call
        copy = lib.copy(nbytes) if lib.copy else None
        for name, s in common.make_schedules(VECTOR, dtype).items():
            ours = lib.wrap(s)
            t0 = time.perf_counter()
            lib.sync(ours(steps))
            first = time.perf_counter() - t0
            kept, notes = sweep.checked(lib, lib.hand(name, dtype), ours, "int64")
            if notes:
                print(*notes, sep="\n", flush=True)
            fns = {"lrschedule": ours, **kept} | ({"copy": lambda _, c=copy: c()} if copy else {})
            # the copy returns None: its sync ignores the result, as CuPy's and torch's do
            got = timed(lib, fns, steps, rounds, 3)
            med = {k: common.median(v) for k, v in got.items()}
            best = min((k for k in kept), key=med.__getitem__, default=None)
            ours_s, copy_s = common.sig(med["lrschedule"]), copy and common.sig(med["copy"])
            hand = [best, best and common.sig(med[best]), common.sig(med.get("fused kernel", 0))]
            ranges = common.spread(got["lrschedule"], got[best]) if best else [None, None]
            compile_s = round(first - med["lrschedule"], 3)
            out.append([lib_name, dtype, name, ours_s, copy_s, *hand, compile_s, *ranges])
            print(f"  {out[-1]}", flush=True)
    return out


def percall_part(lib_name: str, lib: Lib, rounds: int) -> list[list[Any]]:
    """Per schedule: [lib, schedule, ours, hand-written fused kernel], a 0-d device step."""
    step, out = lib.scalar(STEP), []
    for name, s in common.make_schedules(VECTOR).items():
        ours, kernel = lib.wrap(s), lib.kernel(name)
        percall.check_close(f"{lib_name} {name} kernel", kernel(step), s(STEP), 1e-5)
        percall.check_close(f"{lib_name} {name}", ours(step), s(STEP), 1e-6)
        got = timed(lib, {"ours": ours, "kernel": kernel}, step, rounds, 200)
        out.append([lib_name, name, *(common.sig(common.median(x)) for x in got.values())])
        print(f"  {out[-1]}", flush=True)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    n, rounds = (10**7, 3) if quick else (10**8, 10)
    versions = common.versions("lrschedule", "cupy", "torch", "jax")
    data: dict[str, Any] = {"n": n, "rounds": rounds, "versions": versions, "devices": {}}
    data |= {"vector": [], "percall": [], "errors": []}
    for lib_name, make in (("cupy", cupy_lib), ("torch", torch_lib), ("jax", jax_lib)):
        try:
            lib = make()
        except (ImportError, RuntimeError) as exc:
            data["errors"].append(f"{lib_name}: skipped ({exc})")
            continue
        data["devices"][lib_name] = lib.device
        for key, part, args in (("percall", percall_part, ()), ("vector", vector_part, (n,))):
            try:
                data[key] += part(lib_name, lib, *args, rounds)
            except Exception as exc:  # one failing part must not take the others down
                traceback.print_exc()
                data["errors"].append(f"{lib_name} {key}: {type(exc).__name__}: {str(exc)[:300]}")
    if not data["devices"]:
        data["skipped"] = "no CUDA device (" + "; ".join(data["errors"]) + ")"
        print(f"gpu: skipped: {data['skipped']}", flush=True)
    return data


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    if data.get("skipped"):
        return [("GPU: 1e8 steps <= 1.1x the hand-written", data["skipped"], None)]
    vector, per, n = data["vector"], data["percall"], f"1e{len(str(data['n'])) - 1}"
    return [
        common.goal(f"GPU, {n} steps: <= 1.25x a copy of as many bytes (issue 12)",
                    ((r[3] / r[4], f"{r[0]} {r[2]} {r[1]}") for r in vector if r[4]), 1.25),
        common.goal(f"GPU, {n} steps: against the fastest hand-written (no goal)",
                    ((r[3] / r[6], f"{r[0]} {r[2]} {r[1]}") for r in vector if r[6]), None),
        common.goal("GPU per call, 0-d step: <= 1.5x a hand-written fused kernel (issue 12)",
                    ((r[2] / r[3], f"{r[0]} {r[1]}") for r in per), 1.5),
    ]  # fmt: skip


def render(data: dict[str, Any]) -> str:
    if data.get("skipped"):
        return f"## {TITLE}\n\nSkipped: {data['skipped']}.\n"
    t = common.ms
    vector = [
        [f"{lib}, {d}", name, t(ours), t(copy) if copy else "", common.ratio(ours / copy) if copy else "",
         f"{t(best)} `{label}`" if best else "", f"**{common.ratio(ours / best)}** ({lo:.2f}-{hi:.2f})" if best else "",
         t(fused) if fused else "", f"{comp:.2f}"]
        for lib, d, name, ours, copy, label, best, fused, comp, lo, hi in data["vector"]
    ]  # fmt: skip
    per = [
        [lib, name, common.us(ours), common.us(kernel), common.ratio(ours / kernel)]
        for lib, name, ours, kernel in data["percall"]
    ]
    return "\n".join([
        f"## {TITLE}\n",
        f"{common.listing(data['devices'], ': ')}; {common.listing(data['versions'])}. Medians "
        f"of {data['rounds']} interleaved rounds after a warm-up, each a loop of calls "
        "ending in a device synchronization (JAX: `block_until_ready`). `benchmarks/gpu.py` has the "
        "comparators, each checked against lrschedule before it is timed.\n",
        f"**1e{len(str(data['n'])) - 1} int64 steps** (JAX: int32, x64 off, float32 only). Copy: a device-to-device "
        "copy moving as many bytes as the call must (the bandwidth bound). Hand-written: the fastest "
        "expression of benchmarks/sweep.py in that library, or CuPy's fused `ElementwiseKernel` (its "
        "time also in its own column). Compile: first call of a fresh schedule minus a warm call.\n",
        common.table(["library, result", "schedule", "lrschedule ms", "copy ms", "over copy", "hand-written ms",
                      "ratio (range)", "fused kernel ms", "compile s"], vector),
        "**Per call**, a 0-d step on the device, against one hand-written fused kernel (CuPy "
        "`ElementwiseKernel`, torch jiterator; JAX: the jitted `jnp` expression), us per call.\n",
        common.table(["library", "schedule", "lrschedule us", "fused kernel us", "ratio"], per),
        *(f"- {e}" for e in data["errors"]),
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
