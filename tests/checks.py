"""Checks shared by several test modules."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def assert_torch_compiles_once(schedule: Any, exact: Callable[[int], Any]) -> None:
    """``torch.compile(fullgraph=True)`` of a call traces one graph from a cold start (lrschedule's
    dtype cache empty, as in a fresh process) and gives ``exact(t)`` at every step: no graph
    break (fullgraph raises on one) and no recompilation across steps."""
    import torch
    from torch._dynamo.utils import counters

    from lrschedule import _array

    _array._cache.clear()
    _array._torch_cache.clear()
    torch._dynamo.reset()
    counters.clear()
    compiled = torch.compile(lambda step: schedule(step), fullgraph=True, backend="eager")
    for t in (0, 1, 7, 10, 11, 100, 1000, 12345):
        got = compiled(torch.tensor(t))
        assert math.isclose(float(got), float(exact(t)), rel_tol=1e-6, abs_tol=1e-9), t
    assert counters["stats"]["unique_graphs"] == 1  # one graph: no recompilation across steps
