"""Time per ``scheduler.step()``: torch's own schedulers against ``lrschedule.torch.LRScheduler``.

One parameter group, after 100 steps; interleaved rounds of ``NUMBER`` calls, the minimum of the
rounds reported (the method and the figures: benchmarks/torch-step.md). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import timeit
import warnings
from collections.abc import Callable
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory

NUMBER = 2_000


def pairs() -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]:
    import torch

    import lrschedule as L  # noqa: N812
    from lrschedule.torch import LRScheduler

    sched = torch.optim.lr_scheduler
    one_cycle = L.OneCycle(0.1, 10**7)
    return {
        "ExponentialLR / ExponentialDecay": (
            lambda o: sched.ExponentialLR(o, 0.999),
            lambda o: LRScheduler(o, L.ExponentialDecay(0.1, 1, 0.999)),
        ),
        "CosineAnnealingWarmRestarts / CosineDecayRestarts": (
            lambda o: sched.CosineAnnealingWarmRestarts(o, 1000, 2),
            lambda o: LRScheduler(o, L.CosineDecayRestarts(0.1, 1000, t_mul=2.0)),
        ),
        "OneCycleLR / OneCycle (no momentum)": (
            lambda o: sched.OneCycleLR(o, 0.1, 10**7, cycle_momentum=False),
            lambda o: LRScheduler(o, one_cycle),
        ),
        "OneCycleLR / OneCycle + OneCycleMomentum": (
            lambda o: sched.OneCycleLR(o, 0.1, 10**7),
            lambda o: LRScheduler(o, one_cycle, momentum=one_cycle.momentum()),
        ),
    }


def run(rounds: int) -> list[tuple[str, float, float]]:
    import torch

    rows = []
    for name, makers in pairs().items():
        steppers = []
        for make in makers:
            optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
            optimizer.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scheduler = make(optimizer)
                for _ in range(100):
                    scheduler.step()
            steppers.append(scheduler.step)
        best = [float("inf"), float("inf")]
        for _ in range(rounds):
            for i, step in enumerate(steppers):
                best[i] = min(best[i], timeit.timeit(step, number=NUMBER) / NUMBER)
        rows.append((name, best[0] * 1e6, best[1] * 1e6))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"torch {torch.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load {load:.1f}; minimum of {args.rounds} rounds of {NUMBER} calls\n"
    )
    rows = [f"{n} | {a:.2f} | {b:.2f} | {b / a:.2f}" for n, a, b in run(args.rounds)]  # torch, ours
    print(common.table("torch / lrschedule | torch us | lrschedule us | ratio", rows), end="")


if __name__ == "__main__":
    main()
