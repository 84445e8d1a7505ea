"""Float-float pairs on JAX without x64 (``lrschedule._float_float``): their cost and accuracy.

Per schedule: ``adam``, compiled.py's jitted loop of optax Adam updates, with lrschedule in pairs,
in plain float32 (``set_raw_float32(True)``) and optax's own; ``bulk``, ``jax.jit(lambda t: lr(t))``
on 10**7 int32 steps, pairs against plain float32. ``GOALS``: the goals. Then the max ulp of the
float32 results against mpmath for issue 15's three cases, under ``jax.jit``: optax, plain
float32, pairs. JAX's x64 stays off.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory
import compiled
import lrschedule
import percall

TITLE = "Float-float pairs on JAX, x64 off"
GOALS = {"adam": (1.15, "optax"), "bulk": (3.0, "plain float32")}
ULPS = ("optax", "plain float32", "pairs")


def timers(lr: Callable[[Any], Any], raw: bool, steps: Any) -> list[Any]:
    """The timed Adam loop and bulk call of ``lr``, traced in pairs or (``raw``) plain float32."""
    import jax

    with lrschedule.set_raw_float32(raw):  # read while tracing
        adam = compiled.jax_one(lr)["thunks"]["adam"]
        bulk = jax.jit(lambda t: lr(t)).lower(steps).compile()
    return [adam, lambda: bulk(steps).block_until_ready()]


def run(quick: bool = False) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    if jax.config.read("jax_enable_x64"):
        raise SystemExit("run with JAX's x64 off: pairs are for devices without float64")
    rounds, n = (3, 10**5) if quick else (15, 10**7)  # adam: a difference of tens of us
    steps = jnp.arange(n, dtype=jnp.int32) * (2**31 // n)  # up to ~2**31
    ox, rows = percall.optax_schedules(), {}
    for name, s in list(common.make_schedules().items())[: 2 if quick else None]:
        (ap, bp), (ar, br) = (timers(s, raw, steps) for raw in (False, True))
        thunks = {"adam_pairs": ap, "adam_raw": ar, "bulk_pairs": bp, "bulk_raw": br}
        thunks["adam_optax"] = timers(ox[name], True, steps[:1])[0]
        r = rows[name] = common.medians(thunks, rounds, 0.01)
        r |= {"adam": r["adam_pairs"] / r["adam_optax"], "bulk": r["bulk_pairs"] / r["bulk_raw"]}
        print(f"  {name:20} {rows[name]}", flush=True)
    versions = common.versions("jax", "optax", "mpmath")
    return {"rounds": rounds, "n": n, "versions": versions, "rows": rows, "ulps": accuracy()}


def accuracy() -> dict[str, dict[str, float]]:
    """Max ulp of float32 results against mpmath (200 bits), int32 steps, under ``jax.jit``."""
    import jax
    import jax.numpy as jnp
    import mpmath
    import numpy as np
    import optax

    mpmath.mp.prec = 200
    mp, cos, pi = mpmath.mpf, mpmath.cos, mpmath.pi
    lr = lrschedule
    logspaced = np.exp(np.linspace(0.0, math.log(2**31 - 1), 500)).astype(np.int64)
    cases = {
        "`ExponentialDecay(0.1, 10**7, 0.8)`, 500 steps log-spaced to 2**31 - 1": (
            lr.ExponentialDecay(0.1, 10**7, 0.8),
            optax.exponential_decay(0.1, 10**7, 0.8),
            np.unique(logspaced),
            lambda t: mp(0.1) * mpmath.power(mp(0.8), mp(t) / 10**7),
        ),
        "`CosineDecay(0.1, 2 * 10**9)`, the last 500 steps": (
            lr.CosineDecay(0.1, 2 * 10**9),
            optax.cosine_decay_schedule(0.1, 2 * 10**9),
            np.arange(2 * 10**9 - 500, 2 * 10**9),
            lambda t: mp(0.1) * (1 + cos(pi * mp(t) / (2 * 10**9))) / 2,
        ),
        "`CosineDecay(0.0, 150, warmup_target=1e-2, warmup_steps=50)`, steps 0-499": (
            lr.CosineDecay(0.0, 150, warmup_target=1e-2, warmup_steps=50),
            optax.warmup_cosine_decay_schedule(0.0, 1e-2, 50, 200, 0.0),
            np.arange(500),
            lambda t: (
                mp(1e-2) * t / 50
                if t < 50
                else mp(1e-2) * (1 + cos(pi * min(t - 50, 150) / 150)) / 2
            ),
        ),
    }
    out = {}
    for name, (schedule, theirs, steps, exact) in cases.items():
        reference = np.asarray([float(exact(int(t))) for t in steps])
        x = jnp.asarray(steps.astype(np.int32))
        got = {"optax": jax.jit(theirs)(x)}
        for label, raw in (("plain float32", True), ("pairs", False)):
            with lrschedule.set_raw_float32(raw):
                got[label] = jax.jit(lambda t, s=schedule: s(t))(x)
        out[name] = {k: _max_ulps(np.asarray(v), reference) for k, v in got.items()}
    return out


def _max_ulps(result: Any, exact: Any) -> float:
    import numpy as np

    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    spacing = np.maximum(spacing, float(np.finfo(np.float32).smallest_subnormal))
    error = np.abs(result.astype(np.float64) - exact)
    return float(np.max(np.where(result == exact, 0.0, error / spacing)))


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    rows = data["rows"].items()
    out = [
        common.goal(f"Pairs, {k}: <= {g:g}x {vs}", ((r[k], n) for n, r in rows), g)
        for k, (g, vs) in GOALS.items()
    ]
    ulps = [(u["pairs"], name.split("`")[1]) for name, u in data.get("ulps", {}).items()]
    worst, where = max(ulps, default=(math.nan, ""))
    met = None if math.isnan(worst) else worst <= 1.0
    out.append(("Pairs, float32 within 1 ulp of mpmath", f"worst {worst:.2f} ulp ({where})", met))
    return out


def render(data: dict[str, Any]) -> str:
    adam, bulk = ("adam_pairs", "adam_raw", "adam_optax"), ("bulk_pairs", "bulk_raw")
    cols = [(common.us, *adam), (common.ms, *bulk), (common.ratio, "adam", "bulk")]
    rows = [[n, *(f(r[k]) for f, *ks in cols for k in ks)] for n, r in data["rows"].items()]
    head = "schedule | adam pairs us | raw us | optax us | bulk pairs ms | raw ms"
    ulps = [[name, *(f"{u[k]:,.2f}" for k in ULPS)] for name, u in data.get("ulps", {}).items()]
    return (
        f"## {TITLE}\n\nMedians of {data['rounds']} interleaved rounds; bulk: {data['n']:,} int32 "
        f"steps; {common.listing(data['versions'])}.\n\n"
        + common.table(head + " | adam: pairs/optax | bulk: pairs/raw", rows)
        + "\n\nMax ulp of float32 results against mpmath (200 bits), int32 steps, under `jax.jit`:"
        + "\n\n"
        + common.table("schedule, steps | " + " | ".join(ULPS), ulps)
    )


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
