"""Time per ``scheduler.step()``: torch's own schedulers against ``lrschedule.torch.LRScheduler``.

Issue 13, item 8: one parameter group (``SGD([torch.zeros(1)], lr=0.1, momentum=0.9)``), after
100 steps; the pairs of the issue, and OneCycle with torch's momentum cycling against
``LRScheduler(..., momentum=OneCycle(...).momentum())``. Each pair is timed in interleaved rounds
(torch, lrschedule, torch, ...) of ``NUMBER`` calls; the minimum of the rounds is reported, the
figure least disturbed by other processes. A measurement, never a test.

    python benchmarks/torch_step.py [--rounds N]   # prints a markdown table
"""

from __future__ import annotations

import argparse
import os
import platform
import timeit
import warnings
from collections.abc import Callable
from typing import Any

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
    print("| torch / lrschedule | torch us | lrschedule us | ratio |")
    print("|---|---:|---:|---:|")
    for name, theirs, ours in run(args.rounds):
        print(f"| {name} | {theirs:.2f} | {ours:.2f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
