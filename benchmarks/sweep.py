"""Vectorized: lrschedule on 1e3 to 1e8 steps against the fastest checked hand-written expression
in the same library, per backend in its own process (benchmarks/README.md); gpu.py reuses them."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import common  # benchmarks/ is on sys.path: the script's own directory
from common import BOUNDARIES, C_EXP, VALUES, VECTOR

TITLE = "Vectorized: 1e3 to 1e8 steps"
GOAL = 1.25
SIZES = [10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
QUICK_MAX = 10**6
# Step dtypes per backend and the largest size of each: 1e8 in the dtype its users most often have
PLAN: dict[str, dict[str, int]] = {
    "numpy": {"int64": 10**8, "int32": 10**6},
    "torch": {"int32": 10**8, "int64": 10**7},
    "jax": {"int32": 10**8},
    "jax-x64": {"int64": 10**8, "int32": 10**6},
    "dask": {"int64": 10**8, "int32": 10**6},
}
TITLES = {
    "numpy": "NumPy",
    "torch": "torch CPU",
    "jax": "JAX jit (x64 off: float32)",
    "jax-x64": "JAX jit (x64 on: float64)",
    "dask": "dask",
}
DASK_CHUNK = 5_000_000
# Float32-compute candidates are checked below 2**21 steps: past that, float32 rounding moves whole
# periods of the usual closed form ``floor(log2(step / 1000 + 1))`` (lrschedule's are exact).
F32_CHECK_LIMIT = 2**21
Fn = Callable[[Any], Any]  # a schedule or a candidate: steps in, rates out


# Hand-written: int steps in, new rates out; NumPy's for any NumPy-like ``xp`` (CuPy), in float64.
@functools.cache
def tables(xp: Any) -> tuple[Any, Any]:
    return xp.asarray(BOUNDARIES, dtype=xp.int64), xp.asarray(VALUES, dtype=xp.float64)


def vexp_exp(s, xp=np):
    return 0.1 * xp.exp(s * C_EXP)


def vexp_out(s, xp=np):
    out = xp.multiply(s, C_EXP)  # int * float -> a new float64 array, then in place
    xp.exp(out, out=out)
    out *= 0.1
    return out


def vcos_where(s, xp=np):
    decay = 0.05 * (1.0 + xp.cos(xp.minimum(s - 1000, 10_000) * (math.pi / 10_000)))
    return xp.where(s < 1000, s * (0.1 / 1000), decay)


def vcos_out(s, xp=np):
    out = xp.subtract(s, 1000, dtype=xp.float64)
    xp.minimum(out, 10_000, out=out)
    out *= math.pi / 10_000
    xp.cos(out, out=out)
    out += 1.0
    out *= 0.05
    warm = s < 1000
    out[warm] = s[warm] * (0.1 / 1000)
    return out


def vpw_index(s, xp=np):
    b, v = tables(xp)
    return v[xp.searchsorted(b, s)]  # side="left": values[i] for b[i-1] < t <= b[i]


def vpw_take(s, xp=np):
    b, v = tables(xp)
    return xp.take(v, xp.searchsorted(b, s))


def vsgdr_log2(s, xp=np):
    x = s / 1000 + 1.0
    length = 2.0 ** xp.floor(xp.log2(x))  # in units of first_decay_steps
    return 0.05 * (1.0 + xp.cos(math.pi * (x / length - 1.0)))


def vsgdr_out(s, xp=np):
    x = xp.divide(s, 1000.0)
    x += 1.0
    length = xp.log2(x)
    xp.floor(length, out=length)
    xp.exp2(length, out=length)
    x /= length
    x -= 1.0
    x *= math.pi
    xp.cos(x, out=x)
    x += 1.0
    x *= 0.05
    return x


NUMPY_HAND = {
    "ExponentialDecay": [vexp_exp, vexp_out],
    "CosineDecay+warmup": [vcos_where, vcos_out],
    "PiecewiseConstant": [vpw_index, vpw_take],
    "CosineDecayRestarts": [vsgdr_log2, vsgdr_out],
}

# torch, any device: int tensor -> dtype ``out``; *_f32 compute in float32, *_f64 in float64.
torch: Any = None  # bound when a torch worker starts


@functools.cache
def ttables(dtype: Any, device: Any, out: Any) -> tuple[Any, Any]:
    b = torch.tensor(BOUNDARIES, dtype=dtype, device=device)
    return b, torch.tensor(VALUES, dtype=out, device=device)


def t_exp_f32(t, out):
    return (0.1 * torch.exp(t * C_EXP)).to(out)


def t_exp_f64(t, out):
    return t.to(torch.float64).mul_(C_EXP).exp_().mul_(0.1).to(out)


def t_cos_f32(t, out):
    decay = 0.05 * (1.0 + torch.cos(torch.clamp(t - 1000, max=10_000) * (math.pi / 10_000)))
    return torch.where(t < 1000, t * (0.1 / 1000), decay).to(out)


def t_cos_f64(t, out):
    x = t.to(torch.float64)
    decay = (x - 1000).clamp_(max=10_000).mul_(math.pi / 10_000).cos_().add_(1.0).mul_(0.05)
    return torch.where(t < 1000, x.mul_(0.1 / 1000), decay).to(out)


def t_pw_bucketize(t, out):
    b, v = ttables(t.dtype, t.device, out)
    return v[torch.bucketize(t, b)]  # right=False: b[i-1] < t <= b[i] -> i


def t_pw_searchsorted(t, out):
    b, v = ttables(t.dtype, t.device, out)
    return torch.take(v, torch.searchsorted(b, t))


def t_sgdr_f32(t, out):
    x = t / 1000 + 1.0
    length = torch.exp2(torch.floor(torch.log2(x)))
    return (0.05 * (1.0 + torch.cos(math.pi * (x / length - 1.0)))).to(out)


def t_sgdr_f64(t, out):
    x = t.to(torch.float64).div_(1000.0).add_(1.0)
    length = torch.log2(x).floor_().exp2_()
    return x.div_(length).sub_(1.0).mul_(math.pi).cos_().add_(1.0).mul_(0.05).to(out)


TORCH_F32 = frozenset({"t_exp_f32", "t_cos_f32", "t_sgdr_f32"})  # computing in float32
TORCH_HAND = {
    "ExponentialDecay": [t_exp_f32, t_exp_f64],
    "CosineDecay+warmup": [t_cos_f32, t_cos_f64],
    "PiecewiseConstant": [t_pw_bucketize, t_pw_searchsorted],
    "CosineDecayRestarts": [t_sgdr_f32, t_sgdr_f64],
}

# JAX, each under jax.jit: int array -> JAX's default float (float32, or float64 with x64).
jnp: Any = None  # bound when a JAX worker starts


def j_exp(t):
    return 0.1 * jnp.exp(t * C_EXP)


def j_cos(t):
    decay = 0.05 * (1.0 + jnp.cos(jnp.minimum(t - 1000, 10_000) * (math.pi / 10_000)))
    return jnp.where(t < 1000, t * (0.1 / 1000), decay)


def j_pw_where(t):
    out = jnp.full(t.shape, VALUES[0])
    for boundary, value in zip(BOUNDARIES, VALUES[1:], strict=True):
        out = jnp.where(t > boundary, value, out)
    return out


def j_sgdr(t):
    x = t / 1000 + 1.0
    length = jnp.exp2(jnp.floor(jnp.log2(x)))
    return 0.05 * (1.0 + jnp.cos(math.pi * (x / length - 1.0)))


def j_sgdr_int(t):
    # The period from integer steps: XLA turns t / 1000 into t * 0.001, which puts step 7000 (a
    # restart) at the end of the previous period in the closed form above; XLA's log2 is
    # log(x) / log(2), a hair below 3 at 8: one correction each way.
    k = (t // 1000 + 1).astype(jnp.result_type(float))
    length = jnp.exp2(jnp.floor(jnp.log2(k)))  # in units of first_decay_steps
    length = jnp.where(2.0 * length <= k, 2.0 * length, length)
    length = jnp.where(length > k, 0.5 * length, length)
    return 0.05 * (1.0 + jnp.cos(math.pi * (t - 1000 * (length - 1.0)) / (1000 * length)))


JAX_HAND = {
    "ExponentialDecay": [j_exp],
    "CosineDecay+warmup": [j_cos],
    "PiecewiseConstant": [j_pw_where],
    "CosineDecayRestarts": [j_sgdr, j_sgdr_int],
}


# Checks
def check_steps(limit: int) -> np.ndarray:
    """Below ``limit``: dense to 30k, log-spaced to 1e8, both sides of restarts and boundaries."""
    starts = [1000 * (2**i - 1) for i in range(18)] + BOUNDARIES + [11_000]
    near = np.asarray([s + d for s in starts for d in (-1, 0, 1)], dtype=np.int64)
    logs = np.geomspace(1, 10**8 - 1, 20_000).astype(np.int64)
    steps = np.unique(np.concatenate([np.arange(30_000), logs, near]))
    return steps[(steps >= 0) & (steps < limit)]


def check(label: str, hand: np.ndarray, ours: np.ndarray, steps: np.ndarray, f32: bool) -> str:
    """'' when ``hand`` matches ``ours``, else the reason (with the worst step)."""
    if hand.shape != ours.shape or hand.dtype != ours.dtype:
        return f"{label}: {hand.dtype}{hand.shape} != {ours.dtype}{ours.shape}"
    f64 = (1e-6, 1e-12) if ours.dtype == np.float32 else (1e-9, 1e-15)  # result float32/64
    rtol, atol = (1e-4, 1e-7) if f32 else f64
    a, b = hand.astype(np.float64), ours.astype(np.float64)
    if np.allclose(a, b, rtol=rtol, atol=atol):
        return ""
    i = int(np.argmax(np.abs(a - b) - rtol * np.abs(b)))
    return f"{label} differs at step {int(steps[i])}: {a[i]!r} vs lrschedule {b[i]!r}"


def checked(b: Any, cands: dict[str, Fn], ours: Fn, dtype: str) -> tuple[dict[str, Fn], list[str]]:
    """The candidates matching ``ours`` on :func:`check_steps`, and why the others were dropped."""
    kept, notes = {}, []
    for label, fn in cands.items():
        low = b.ours_f32 or label in b.f32
        raw = check_steps(F32_CHECK_LIMIT if low else 2**31 - 1 if dtype == "int32" else 10**8)
        steps = b.convert(raw.astype(dtype))
        try:
            why = check(label, b.to_numpy(fn(steps)), b.to_numpy(ours(steps)), raw, low)
        except Exception as exc:  # a peer that refuses arrays is a finding, not a failure
            why = f"{label} fails: {type(exc).__name__}: {str(exc).strip()[:100]}"
        if why:
            notes.append(f"dropped ({dtype}): {why}")
        else:
            kept[label] = fn
    return kept, notes


# Workers: one per backend, each in its own process
@dataclasses.dataclass
class Backend:
    """A library: steps, conversions, a waiting call, candidates per schedule, notes."""

    hand: dict[str, dict[str, Fn]]
    note: str
    versions: dict[str, str]
    arange: Callable[[str, int], Any] = lambda d, n: np.arange(n, dtype=d)
    convert: Callable[[np.ndarray], Any] = np.asarray
    to_numpy: Callable[[Any], np.ndarray] = np.asarray
    call: Callable[[Any, Any], Any] = lambda f, s: f(s)
    wrap: Fn = lambda s: s  # lrschedule's schedule as a candidate
    f32: frozenset[str] = frozenset()  # labels of float32-compute variants
    peers: frozenset[str] = frozenset()  # labels that are peers, not hand-written
    ours_f32: bool = False  # lrschedule's result is float32: check in float32
    warm: bool = False  # warm up at every size (JAX compiles per shape)


def numpy_backend() -> Backend:
    hand = {n: {f.__name__: f for f in fs} for n, fs in NUMPY_HAND.items()}
    return Backend(hand, "result float64", {"numpy": np.__version__})


def torch_backend() -> Backend:
    global torch
    import torch as torch_module

    torch = torch_module
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    out = torch.float32
    hand = {
        n: {f.__name__: functools.partial(f, out=out) for f in fs} for n, fs in TORCH_HAND.items()
    }
    note = "result float32 (torch's default; lrschedule computes in float64); *_f32 variants compute in float32; one thread"
    return Backend(
        hand, note, common.versions("torch"), lambda d, n: torch.arange(n, dtype=getattr(torch, d)),
        torch.from_numpy, lambda t: t.numpy(), f32=TORCH_F32,
    )  # fmt: skip


def jax_backend(x64: bool) -> Backend:
    global jnp
    import jax

    jax.config.update("jax_enable_x64", x64)
    jnp = jax.numpy
    # like for like with the float32 candidates: lrschedule's plain float32 formula (its default
    # there, float-float pairs, is measured against it in float_float.py)
    import lrschedule

    lrschedule.set_raw_float32(True)
    hand = {n: {f.__name__: jax.jit(f) for f in fs} for n, fs in JAX_HAND.items()}
    if not x64:  # optax has no closed-form SGDR
        import percall

        for name, fn in percall.optax_schedules().items():
            if name in VECTOR[:3]:
                hand[name]["optax"] = jax.jit(fn)
    note = f"every candidate under `jax.jit`, compiled per shape before timing ({jax.default_backend()})"
    if not x64:
        note += "; lrschedule's plain float32 formula (`set_raw_float32(True)`; pairs: float_float)"
    return Backend(
        hand, note, common.versions("jax", "optax"), lambda d, n: jnp.arange(n, dtype=d), jnp.asarray,
        call=lambda f, s: f(s).block_until_ready(), wrap=lambda s: jax.jit(s.__call__),
        peers=frozenset({"optax"}), ours_f32=not x64, warm=True,
    )  # fmt: skip


def _blocks(f: Fn, s: Any) -> Any:
    return s.map_blocks(f, dtype=np.float64)


def dask_backend() -> Backend:
    import dask.array as da

    hand = {
        n: {f"map_blocks({f.__name__})": functools.partial(_blocks, f) for f in fs}
        for n, fs in NUMPY_HAND.items()
    }
    hand["ExponentialDecay"]["d_exp"] = functools.partial(vexp_exp, xp=da)
    hand["CosineDecay+warmup"]["d_cos"] = functools.partial(vcos_where, xp=da)
    hand["CosineDecayRestarts"]["d_sgdr"] = functools.partial(vsgdr_log2, xp=da)
    note = f"`dask.array.arange(n, chunks={DASK_CHUNK:_})`, `.compute()` on the threaded scheduler"
    return Backend(
        hand, note, common.versions("dask"), lambda d, n: da.arange(n, dtype=d, chunks=min(n, DASK_CHUNK)),
        lambda s: da.from_array(s, chunks=len(s) // 3 + 1), lambda x: np.asarray(x.compute()),
        call=lambda f, s: f(s).compute(),
    )  # fmt: skip


BACKENDS: dict[str, Callable[[], Backend]] = {
    "numpy": numpy_backend,
    "torch": torch_backend,
    "jax": lambda: jax_backend(False),
    "jax-x64": lambda: jax_backend(True),
    "dask": dask_backend,
}


def settings(n: int, quick: bool) -> tuple[int, float]:
    """Rounds and loop target: one call per sample from 1e7 steps."""
    return (3, 0.003) if quick else {10**8: (3, 0.0), 10**7: (5, 0.0)}.get(n, (7, 0.01))


def prune(b: Backend, fns: dict[str, Any], before: dict[str, float] | None) -> dict[str, Any]:
    """From 1e7: ours, the peers, the fastest hand-written per precision at the size before."""
    if before is None:
        return fns
    hands = [k for k in before if k != "lrschedule" and k not in b.peers]
    fast = {
        min((k for k in hands if (k in b.f32) == f32), key=before.__getitem__, default="")
        for f32 in (True, False)
    }
    return {k: f for k, f in fns.items() if k == "lrschedule" or k in b.peers or k in fast}


def point(b: Backend, key: list[Any], samples: dict[str, list[float]]) -> list[Any]:
    """[dtype, n, schedule, ours, best label, its time, ratio range, peer] (medians, s)."""
    med = {k: common.median(v) for k, v in samples.items()}
    hands = [k for k in med if k != "lrschedule" and k not in b.peers]
    best = min(hands, key=med.__getitem__, default=None)
    peer = next((common.sig(med[k]) for k in med if k in b.peers), None)
    if best is None:
        return [*key, common.sig(med["lrschedule"]), None, None, None, None, peer]
    ratios = common.spread(samples["lrschedule"], samples[best])
    return [*key, common.sig(med["lrschedule"]), best, common.sig(med[best]), *ratios, peer]


def worker(backend: str, quick: bool) -> dict[str, Any]:
    """Check every candidate, then time every (step dtype, size, schedule) of the backend's plan."""
    b = BACKENDS[backend]()
    ours = {n: b.wrap(s) for n, s in common.make_schedules(VECTOR).items()}
    notes, cands = [b.note], {}
    for dtype in PLAN[backend]:
        for name in VECTOR:
            kept, why = checked(b, b.hand[name], ours[name], dtype)
            cands[dtype, name], notes = {"lrschedule": ours[name], **kept}, notes + why
    points: list[list[Any]] = []
    last: dict[tuple[str, str], dict[str, float]] = {}
    for dtype, top in PLAN[backend].items():
        for n in [n for n in SIZES if n <= (min(top, QUICK_MAX) if quick else top)]:
            steps = b.arange(dtype, n)
            for i, name in enumerate(VECTOR):
                fns = prune(b, cands[dtype, name], last.get((dtype, name)) if n >= 10**7 else None)
                thunks = {k: functools.partial(b.call, f, steps) for k, f in fns.items()}
                # at 1e8 only the first schedule warms up: the first call at a new size pays a
                # one-off cost (the kernel finding ~1 GB of pages), seen up to 4x
                samples = common.interleave(
                    thunks, *settings(n, quick), warm=b.warm or n < 10**8 or i == 0
                )
                last[dtype, name] = {k: common.median(v) for k, v in samples.items()}
                points.append(point(b, [dtype, n, name], samples))
                print(f"  {backend:8} {points[-1]}", file=sys.stderr, flush=True)
            del steps
    return {"status": "ok", "versions": b.versions, "notes": notes, "points": points}


def run_worker(backend: str, quick: bool) -> dict[str, Any]:
    """One backend's worker in a fresh process; a failure becomes a skip with the reason."""
    cmd = [sys.executable, __file__, "--worker", backend] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=common.ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "skipped: timed out after 900 s"}
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0 or not proc.stdout.strip():
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return {"status": f"skipped: {why}"}
    seconds = round(time.perf_counter() - started)
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"seconds": seconds}


def run(quick: bool = False) -> dict[str, Any]:
    backends = {name: run_worker(name, quick) for name in PLAN}
    versions = common.versions("numpy", "lrschedule")
    for data in backends.values():
        versions |= data.get("versions", {})
    return {"versions": versions, "backends": backends}


# Report
def _size(n: int) -> str:
    return f"1e{round(math.log10(n))}"


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """The worst ratio per backend at 1e7 steps and more."""
    out, what = [], f"1e7 and 1e8 steps: <= {GOAL:g}x the best hand-written"
    for backend, d in data["backends"].items():
        text = f"Vectorized {TITLES[backend]}, {what}"
        if d["status"] != "ok":
            out.append((text, d["status"], None))
        else:
            big = [p for p in d["points"] if p[1] >= 10**7 and p[5]]
            pairs = ((p[3] / p[5], f"{p[2]}, {p[0]}, {_size(p[1])} steps") for p in big)
            out.append(common.goal(text, pairs, GOAL))
    return out


def _cell(p: list[Any]) -> str:
    """ratio (range; ours / hand ms `variant`; the peer's ms), the ratio bold from 1e7 steps."""
    _dtype, n, _name, ours, best, hand, lo, hi, peer = p
    peer_text = f"; {common.ms(peer)} ms the peer" if peer else ""
    r = common.ratio(ours / hand)
    times = f"{common.ms(ours)} / {common.ms(hand)} ms `{best}`"
    return f"{f'**{r}**' if n >= 10**7 else r} ({lo:.2f}-{hi:.2f}; {times}{peer_text})"


def render(data: dict[str, Any]) -> str:
    out = [
        f"## {TITLE}\n",
        "One call on `arange(n)` steps against the fastest of several hand-written expressions of "
        "the same formula in the same library (`benchmarks/sweep.py`; each checked against "
        f"lrschedule before timing). Goal: at most {GOAL:g}x on every backend at 1e7 and 1e8 steps. "
        "Each cell: ratio lrschedule / best hand-written (range over the rounds; medians in ms, the "
        "fastest variant, and the peer's time where there is one). Medians of 7 rounds up to 1e6 "
        "steps, 5 single calls at 1e7, 3 at 1e8; from 1e7 on only lrschedule, the peers and the "
        "fastest variant of each compute precision at the size before run. "
        f"{common.listing(data['versions'])}.\n",
    ]
    for backend, d in data["backends"].items():
        out.append(f"### {TITLES[backend]}\n")
        if d["status"] != "ok":
            out.append(f"{d['status']}\n")
            continue
        rows: dict[tuple[str, int], list[str]] = {}
        for p in d["points"]:
            rows.setdefault((p[0], p[1]), [f"{p[0]}, {_size(p[1])}"]).append(_cell(p))
        out.append(common.table(["steps", *VECTOR], rows.values()))
        out += [
            f"- {note}" for note in [*dict.fromkeys(d["notes"]), f"run time {d['seconds']} s\n"]
        ]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
