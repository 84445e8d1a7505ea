"""On a GPU, a call keeps its promises with the compiled kernel: no host synchronization, and a
CUDA graph that captured a call replays it exactly (skipped where there is no CUDA device)."""

from __future__ import annotations

from typing import Any

import pytest

import lrschedule

SCHEDULES = [
    lrschedule.ExponentialDecay(0.1, 1000, 0.96),
    lrschedule.CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000),
    lrschedule.CosineDecayRestarts(0.1, 10),
    lrschedule.PiecewiseConstantDecay([10, 20, 30, 40, 50], [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03]),
    lrschedule.Warmup(
        lrschedule.Sequential([lrschedule.Constant(0.1), lrschedule.Linear(0.1, 0.0, 99)], [50]), 10
    ),
    lrschedule.OneCycle(0.1, 1000),
    lrschedule.ExponentialDecay(0.1, 1000, 0.96, dtype="bfloat16"),
]
STEPS = [0, 1, 5, 9, 10, 11, 49, 50, 51, 999, 1000, 12_345, 327_670, 2**31 - 1]


def _torch_cuda() -> Any:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch


def _cupy() -> Any:
    cupy = pytest.importorskip("cupy")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:
        count = 0
    if count < 1:
        pytest.skip("no CUDA device")
    return cupy


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_torch_cuda_call_never_synchronizes(schedule: lrschedule.LearningRateSchedule) -> None:
    torch = _torch_cuda()
    steps = torch.arange(100_000, device="cuda")
    schedule(steps)  # the first call builds the kernel (a host-side compile)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for step in (steps, steps[7]):
            assert schedule(step).device == steps.device
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_torch_cuda_graph_replays_the_call_exactly(
    schedule: lrschedule.LearningRateSchedule,
) -> None:
    torch = _torch_cuda()
    step = torch.zeros((), dtype=torch.int64, device="cuda")
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        schedule(step)  # build the kernel before the capture
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        result = schedule(step)
    for value in STEPS:
        step.fill_(value)
        graph.replay()
        expected = schedule(torch.tensor(value, device="cuda"))
        torch.cuda.synchronize()
        assert result.dtype == expected.dtype
        assert torch.equal(result, expected), (value, result, expected)


@pytest.mark.parametrize("schedule", SCHEDULES[:-1], ids=repr)
def test_cupy_call_never_synchronizes(schedule: lrschedule.LearningRateSchedule) -> None:
    cupy = _cupy()
    import cupyx

    steps = cupy.arange(100_000)
    schedule(steps)  # the first call builds the kernel
    cupy.cuda.Device().synchronize()
    with cupyx.allow_synchronize(False):
        for step in (steps, steps[7]):
            schedule(step)
