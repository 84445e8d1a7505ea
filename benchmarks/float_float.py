"""The cost of float-float pairs on JAX without x64 (``lrschedule._float_float``).

Per schedule: ``adam``, compiled.py's jitted loop of optax Adam updates, with lrschedule in pairs,
in plain float32 (``set_raw_float32(True)``) and optax's own; ``bulk``, ``jax.jit(lambda t: lr(t))``
on 10**7 int32 steps, pairs against plain float32. ``GOALS``: the goals. JAX's x64 stays off.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory
import compiled
import lrschedule
import percall

TITLE = "Float-float pairs on JAX, x64 off"
GOALS = {"adam": (1.15, "optax"), "bulk": (3.0, "plain float32")}


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
    rounds, n = (3, 10**5) if quick else (7, 10**7)
    steps = jnp.arange(n, dtype=jnp.int32) * (2**31 // n)  # up to ~2**31
    ox, rows = percall.optax_schedules(), {}
    for name, s in list(common.make_schedules().items())[: 2 if quick else None]:
        (ap, bp), (ar, br) = (timers(s, raw, steps) for raw in (False, True))
        thunks = {"adam_pairs": ap, "adam_raw": ar, "bulk_pairs": bp, "bulk_raw": br}
        thunks["adam_optax"] = timers(ox[name], True, steps[:1])[0]
        r = rows[name] = common.medians(thunks, rounds, 0.01)
        r |= {"adam": r["adam_pairs"] / r["adam_optax"], "bulk": r["bulk_pairs"] / r["bulk_raw"]}
        print(f"  {name:20} {rows[name]}", flush=True)
    return {"rounds": rounds, "n": n, "versions": common.versions("jax", "optax"), "rows": rows}


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    rows = data["rows"].items()
    return [
        common.goal(f"Pairs, {k}: <= {g:g}x {vs}", ((r[k], n) for n, r in rows), g)
        for k, (g, vs) in GOALS.items()
    ]


def render(data: dict[str, Any]) -> str:
    adam, bulk = ("adam_pairs", "adam_raw", "adam_optax"), ("bulk_pairs", "bulk_raw")
    cols = [(common.us, *adam), (common.ms, *bulk), (common.ratio, "adam", "bulk")]
    rows = [[n, *(f(r[k]) for f, *ks in cols for k in ks)] for n, r in data["rows"].items()]
    head = "schedule | adam pairs us | raw us | optax us | bulk pairs ms | raw ms"
    return (
        f"## {TITLE}\n\nMedians of {data['rounds']} interleaved rounds; bulk: {data['n']:,} int32 "
        f"steps; {common.listing(data['versions'])}.\n\n"
        + common.table(head + " | adam: pairs/optax | bulk: pairs/raw", rows)
    )


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
