"""Golden cases for torch.optim.lr_scheduler, stepped as in training.

Each peer value is the learning rate that torch itself sets: an SGD optimizer on one float64
parameter, wrapped by the scheduler, is stepped ``t`` times (``optimizer.step()`` then
``scheduler.step()``) and ``param_groups[0]["lr"]`` (a Python float) is read. So the values
include torch's own recursive ("chainable") updates and their rounding, not its closed forms.

Where torch's domain or behaviour ends before ``2 * length`` the steps stop there, as noted per
case: ``OneCycleLR`` is compared on steps ``0 .. total_steps - 1`` (torch raises past
``total_steps`` and at ``total_steps`` itself extrapolates its last phase one step past its end,
where ``lrschedule.OneCycle`` holds the final rate), and ``CosineAnnealingLR`` mapped onto
``CosineDecay`` on ``0 .. T_max`` (past ``T_max`` torch's cosine rises again, which the
``cosine-annealing-periodic`` case follows with ``PiecewiseInterpolate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from make import Case, edge_steps

import lrschedule as L  # noqa: N812


def version() -> str:
    import torch

    return str(torch.__version__)


def _stepped(lr: float, make: Callable[[Any], Any]) -> Callable[[int], float]:
    """The lr that ``make(optimizer)`` sets after ``t`` scheduler steps, for an SGD with ``lr``.

    The trajectory is computed once, up to the largest step asked for so far, and extended on
    demand (make.py asks for the steps in increasing order).
    """
    import torch

    param = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make(optimizer)
    lrs: list[float] = [float(optimizer.param_groups[0]["lr"])]

    def peer(t: int) -> float:
        while len(lrs) <= t:
            optimizer.step()
            scheduler.step()
            lrs.append(float(optimizer.param_groups[0]["lr"]))
        return lrs[t]

    return peer


def _until(steps: Iterable[int], last: int) -> list[int]:
    return [s for s in steps if s <= last]


def _step_cases() -> list[Case]:
    from torch.optim.lr_scheduler import MultiStepLR, StepLR

    return [
        Case(
            "step",
            L.StepDecay(0.1, 30),
            _stepped(0.1, lambda o: StepLR(o, step_size=30)),
            edge_steps([30, 60, 90, 120, 150, 180], 100),
        ),
        Case(
            "step-gamma",
            L.StepDecay(0.3, 7, gamma=0.6),
            _stepped(0.3, lambda o: StepLR(o, step_size=7, gamma=0.6)),
            edge_steps(range(7, 150, 7), 70, extra=70),
        ),
        Case(
            "multistep",
            L.MultiStepDecay(0.05, [30, 80]),
            _stepped(0.05, lambda o: MultiStepLR(o, milestones=[30, 80])),
            edge_steps([30, 80], 100),
        ),
        Case(
            "multistep-duplicate",
            L.MultiStepDecay(1.0, [10, 25, 25, 60], gamma=0.3),
            _stepped(1.0, lambda o: MultiStepLR(o, milestones=[10, 25, 25, 60], gamma=0.3)),
            edge_steps([10, 25, 60], 80),
        ),
        Case(
            "multistep-zero",
            L.MultiStepDecay(0.2, [0, 3, 3, 3], gamma=0.5),
            _stepped(0.2, lambda o: MultiStepLR(o, milestones=[0, 3, 3, 3], gamma=0.5)),
            edge_steps([0, 3], 10),
        ),
    ]


def _one_cycle(
    id: str, max_lr: float, total_steps: int, extra_steps: Iterable[float] = (), **kwargs: Any
) -> Case:
    from torch.optim.lr_scheduler import OneCycleLR

    pct = kwargs.get("pct_start", 0.3)
    bounds = [pct * total_steps - 1, total_steps - 1, *extra_steps]
    if kwargs.get("three_phase"):
        bounds.append(2 * pct * total_steps - 2)
    return Case(
        id,
        L.OneCycle(max_lr, total_steps, **kwargs),
        _stepped(
            max_lr,
            lambda o: OneCycleLR(
                o, max_lr=max_lr, total_steps=total_steps, cycle_momentum=False, **kwargs
            ),
        ),
        # torch's domain: it raises past total_steps, and extrapolates at total_steps.
        _until(edge_steps(bounds, total_steps, extra=48), total_steps - 1),
    )


def _cycle_cases() -> list[Case]:
    from torch.optim.lr_scheduler import CyclicLR

    def cyclic(id: str, base: float, peak: float, up: int, down: int | None, **kw: Any) -> Case:
        total = up + (up if down is None else down)
        bounds = [k * total + d for k in range(8) for d in (0, up)]
        return Case(
            id,
            L.Cyclic(base, peak, up, down, **kw),
            _stepped(
                base,
                lambda o: CyclicLR(
                    o,
                    base_lr=base,
                    max_lr=peak,
                    step_size_up=up,
                    step_size_down=down,
                    cycle_momentum=False,
                    **kw,
                ),
            ),
            edge_steps(bounds, 2 * total, extra=4 * total),
        )

    return [
        _one_cycle("onecycle-cos", 0.1, 1000),
        _one_cycle("onecycle-linear", 0.5, 400, pct_start=0.25, anneal_strategy="linear"),
        _one_cycle("onecycle-cos-three-phase", 0.1, 500, three_phase=True),
        _one_cycle(
            "onecycle-linear-three-phase-divs",
            2.0,
            333,
            pct_start=0.4,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
            three_phase=True,
        ),
        _one_cycle(
            "onecycle-cos-divs", 0.01, 97, pct_start=0.37, div_factor=5.0, final_div_factor=50.0
        ),
        _one_cycle("onecycle-cos-short", 1.0, 7, pct_start=0.5),
        cyclic("cyclic-triangular", 0.001, 0.006, 20, None),
        cyclic("cyclic-triangular-down", 0.01, 0.1, 10, 25),
        cyclic("cyclic-triangular2", 0.001, 0.1, 15, None, mode="triangular2"),
        cyclic("cyclic-triangular2-down", 0.5, 0.05, 5, 12, mode="triangular2"),
        cyclic("cyclic-exp-range", 0.001, 0.01, 10, None, mode="exp_range", gamma=0.99),
        cyclic("cyclic-exp-range-down", 0.02, 0.2, 8, 20, mode="exp_range", gamma=0.995),
    ]


def _mapped_cases() -> list[Case]:
    """torch's other schedulers, mapped onto lrschedule's existing classes."""
    from torch.optim.lr_scheduler import (
        ChainedScheduler,
        ConstantLR,
        CosineAnnealingLR,
        CosineAnnealingWarmRestarts,
        ExponentialLR,
        LinearLR,
        MultiStepLR,
        PolynomialLR,
        SequentialLR,
        StepLR,
    )

    def periodic_cosine(lr: float, T: int, eta_min: float, periods: int) -> Any:
        """torch's CosineAnnealingLR past T_max: the cosine goes on, rising back every T."""
        bounds = [k * T for k in range(periods + 1)]
        return L.PiecewiseInterpolate(
            bounds, [lr if k % 2 == 0 else eta_min for k in range(periods + 1)], "cosine"
        )

    return [
        Case(
            "exponential",
            L.ExponentialDecay(0.1, 1, 0.95),
            _stepped(0.1, lambda o: ExponentialLR(o, gamma=0.95)),
            edge_steps([], 200, extra=100),
        ),
        Case(
            "cosine-warm-restarts",
            L.CosineDecayRestarts(0.1, 10, t_mul=2.0, alpha=0.001 / 0.1),
            _stepped(
                0.1, lambda o: CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001)
            ),
            edge_steps([10, 30, 70, 150], 150, extra=100),
        ),
        Case(
            "cosine-warm-restarts-tmult1",
            L.CosineDecayRestarts(0.5, 15, t_mul=1.0),
            _stepped(0.5, lambda o: CosineAnnealingWarmRestarts(o, T_0=15)),
            edge_steps(range(15, 120, 15), 60, extra=60),
        ),
        Case(
            "linear-warmup",
            L.Linear(0.1 * 0.25, 0.1 * 1.0, 40),
            _stepped(0.1, lambda o: LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=40)),
            edge_steps([40], 40, extra=80),
        ),
        Case(
            "linear-decay",
            L.Linear(1.0 * 1.0, 1.0 * 0.1, 25),
            _stepped(1.0, lambda o: LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=25)),
            edge_steps([25], 25, extra=50),
        ),
        Case(
            "constant-sequential",
            L.Sequential([L.Constant(0.1 * 0.3), L.Constant(0.1)], [12]),
            _stepped(0.1, lambda o: ConstantLR(o, factor=0.3, total_iters=12)),
            edge_steps([12], 12),
        ),
        Case(
            "constant-piecewise",
            L.PiecewiseConstantDecay([4], [0.7 / 3, 0.7]),  # 4 = total_iters - 1
            _stepped(0.7, lambda o: ConstantLR(o, total_iters=5)),
            edge_steps([5], 10),
        ),
        Case(
            "polynomial",
            L.PolynomialDecay(0.1, 50, 0.0, power=2.0),
            _stepped(0.1, lambda o: PolynomialLR(o, total_iters=50, power=2.0)),
            edge_steps([50], 50, extra=100),
        ),
        Case(
            "polynomial-fractional",
            L.PolynomialDecay(0.3, 20, 0.0, power=0.9),
            _stepped(0.3, lambda o: PolynomialLR(o, total_iters=20, power=0.9)),
            edge_steps([20], 20, extra=40),
        ),
        Case(
            # CosineDecay holds its floor past decay_steps; torch's cosine rises again: 0..T_max only.
            "cosine-annealing",
            L.CosineDecay(0.1, 100, alpha=0.001 / 0.1),
            _stepped(0.1, lambda o: CosineAnnealingLR(o, T_max=100, eta_min=0.001)),
            _until(edge_steps([100], 100, extra=50), 100),
        ),
        Case(
            "cosine-annealing-periodic",
            periodic_cosine(0.1, 40, 0.001, 6),
            _stepped(0.1, lambda o: CosineAnnealingLR(o, T_max=40, eta_min=0.001)),
            edge_steps(range(40, 240, 40), 120, extra=120),
        ),
        Case(
            "sequential-linear-exponential",
            L.Sequential([L.Linear(0.1 * 0.1, 0.1, 10), L.ExponentialDecay(0.1, 1, 0.9)], [10]),
            _stepped(
                0.1,
                lambda o: SequentialLR(
                    o,
                    [LinearLR(o, start_factor=0.1, total_iters=10), ExponentialLR(o, gamma=0.9)],
                    milestones=[10],
                ),
            ),
            edge_steps([10], 60),
        ),
        Case(
            # the cosine part is compared up to its T_max (see "cosine-annealing")
            "sequential-warmup-cosine",
            L.Sequential(
                [
                    L.Linear(0.2 * 0.01, 0.2, 20),
                    L.CosineDecay(0.2, 80, alpha=0.002 / 0.2),
                ],
                [20],
            ),
            _stepped(
                0.2,
                lambda o: SequentialLR(
                    o,
                    [
                        LinearLR(o, start_factor=0.01, total_iters=20),
                        CosineAnnealingLR(o, T_max=80, eta_min=0.002),
                    ],
                    milestones=[20],
                ),
            ),
            _until(edge_steps([20], 100, extra=50), 100),
        ),
        Case(
            "sequential-three",
            L.Sequential(
                [L.Constant(0.5 * 0.5), L.StepDecay(0.5, 5, 0.5), L.MultiStepDecay(0.5, [3, 9])],
                [6, 20],
            ),
            _stepped(
                0.5,
                lambda o: SequentialLR(
                    o,
                    [
                        ConstantLR(o, factor=0.5, total_iters=100),
                        StepLR(o, step_size=5, gamma=0.5),
                        MultiStepLR(o, milestones=[3, 9]),
                    ],
                    milestones=[6, 20],
                ),
            ),
            edge_steps([6, 20, 23, 29], 30),
        ),
        Case(
            # torch's documented example: ConstantLR(factor=0.1, total_iters=20) and ExponentialLR
            "chained-constant-exponential",
            L.ExponentialDecay(0.05, 1, 0.9)
            * L.Sequential([L.Constant(0.1), L.Constant(1.0)], [20]),
            _stepped(
                0.05,
                lambda o: ChainedScheduler(
                    [ConstantLR(o, factor=0.1, total_iters=20), ExponentialLR(o, gamma=0.9)]
                ),
            ),
            edge_steps([20], 50),
        ),
        Case(
            "chained-linear-step",
            L.Linear(0.2, 1.0, 5) * L.StepDecay(0.1, 10, 0.5),
            _stepped(
                0.1,
                lambda o: ChainedScheduler(
                    [
                        LinearLR(o, start_factor=0.2, total_iters=5),
                        StepLR(o, step_size=10, gamma=0.5),
                    ]
                ),
            ),
            edge_steps([5, 10, 20, 30], 40),
        ),
        Case(
            "chained-multistep-exponential",
            L.MultiStepDecay(1.0, [15, 30]) * L.ExponentialDecay(1.0, 1, 0.98),
            _stepped(
                1.0,
                lambda o: ChainedScheduler(
                    [MultiStepLR(o, milestones=[15, 30]), ExponentialLR(o, gamma=0.98)]
                ),
            ),
            edge_steps([15, 30], 40),
        ),
    ]


def cases() -> list[Case]:
    return [*_step_cases(), *_cycle_cases(), *_mapped_cases()]
