"""Threads and processes: a shared registry under concurrent use, and schedules that travel.

* Eight threads mix ``register`` (unique names), ``deserialize``/``from_json`` and calls for
  about two seconds: no error, and a consistent registry afterwards.
* Every schedule (composites included) pickles at every protocol, copies and deep-copies to an
  equal schedule with identical values.
* A schedule sent to ``multiprocessing`` workers started with ``spawn`` gives the same values.
"""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import operator
import os
import pickle
import threading
import time
from typing import Any

import numpy as np
import pytest

import lrschedule
from lrschedule import LearningRateSchedule
from test_edges import EDGES

# Independent of the backend fixture: run once, in the sessions that select NumPy (or all).
_BACKENDS = os.environ.get("LRSCHEDULE_TEST_BACKENDS", "")
pytestmark = pytest.mark.skipif(
    bool(_BACKENDS) and "numpy" not in _BACKENDS.split(","),
    reason="backend-independent: runs where the numpy backend is selected",
)

STEPS = np.asarray([0, 1, 7, 10, 99, 100, 101, 999, 1000, 12345, 10**6], dtype=np.int64)
SECONDS = 2.5
THREADS = 8


def _custom_class(index: int) -> type[LearningRateSchedule]:
    @dataclasses.dataclass(frozen=True, repr=False)
    class Scaled(LearningRateSchedule):
        value: float
        dtype: str | None = dataclasses.field(default=None, kw_only=True)

        def _evaluate(self, xp: Any, step: Any) -> Any:
            return self.value * index / (1.0 + step)

    Scaled.__name__ = Scaled.__qualname__ = f"Scaled{index}"
    return Scaled


@pytest.mark.usefixtures("isolated_registry")
def test_threads_register_load_and_call_at_once() -> None:
    schedules = [edge.schedule for edge in EDGES]
    configs = [lrschedule.serialize(s) for s in schedules]
    texts = [lrschedule.to_json(s) for s in schedules]
    expected = [s(STEPS) for s in schedules]
    errors: list[BaseException] = []
    registered: dict[str, type[LearningRateSchedule]] = {}
    registered_lock = threading.Lock()
    counts = [0] * THREADS
    start = threading.Barrier(THREADS)
    deadline = time.monotonic() + SECONDS

    def work(worker: int) -> None:
        try:
            start.wait()
            i = 0
            while time.monotonic() < deadline:
                k = (worker + i) % len(schedules)
                kind = i % 4
                if kind == 0:
                    name = f"Threads>W{worker}N{i}"
                    cls = lrschedule.register(name)(_custom_class(worker * 100_000 + i))
                    with registered_lock:
                        registered[name] = cls
                    instance = cls(0.5)
                    data = lrschedule.serialize(instance)
                    assert data["registered_name"] == name
                    assert lrschedule.deserialize(data) == instance
                elif kind == 1:
                    assert lrschedule.deserialize(configs[k]) == schedules[k]
                elif kind == 2:
                    assert lrschedule.from_json(texts[k]) == schedules[k]
                else:
                    np.testing.assert_array_equal(schedules[k](STEPS), expected[k])
                    assert schedules[k](int(STEPS[k % len(STEPS)])) == expected[k][k % len(STEPS)]
                i += 1
            counts[worker] = i
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 30)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    if errors:
        raise errors[0]
    assert all(count > 10 for count in counts), counts

    # the registry is consistent: every registration there, each name to its class and back
    table = lrschedule.registered()
    for name, cls in registered.items():
        assert table[name] is cls
        instance = cls(0.25)
        data = lrschedule.serialize(instance)
        assert data["registered_name"] == name
        assert lrschedule.from_json(lrschedule.to_json(instance)) == instance
    for edge in EDGES:
        builtin = type(edge.schedule)
        assert table[builtin.__name__] is builtin
        assert "registered_name" not in lrschedule.serialize(edge.schedule)


def _all_schedules() -> list[Any]:
    nested = lrschedule.Warmup(
        lrschedule.Sequential(
            [
                lrschedule.Linear(0.0, 1.0, 10),
                lrschedule.CosineDecayRestarts(1.0, 7, m_mul=0.5) * lrschedule.Constant(0.5) * 2.0,
            ],
            [10],
        ),
        5,
        0.01,
        dtype="float32",
    )
    return [pytest.param(edge.schedule, id=edge.id) for edge in EDGES] + [
        pytest.param(nested, id="nested-composite")
    ]


@pytest.mark.parametrize("schedule", _all_schedules())
def test_pickle_copy_and_deepcopy(schedule: LearningRateSchedule) -> None:
    values = schedule(STEPS)
    copies = [copy.copy(schedule), copy.deepcopy(schedule)]
    copies += [
        pickle.loads(pickle.dumps(schedule, protocol=protocol))
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
    ]
    for other in copies:
        assert other == schedule
        assert hash(other) == hash(schedule)
        assert type(other) is type(schedule)
        np.testing.assert_array_equal(other(STEPS), values)
        assert other.get_config() == schedule.get_config()


def test_spawned_workers_give_the_same_values() -> None:
    """One small pool started with ``spawn`` (a fresh interpreter: nothing inherited): each task
    is a pickled schedule, called there on the same steps."""
    schedules = [edge.schedule for edge in EDGES]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.map(operator.methodcaller("__call__", STEPS), schedules, chunksize=4)
        scalars = pool.map(operator.methodcaller("__call__", 12345), schedules, chunksize=4)
    for edge, result, scalar in zip(EDGES, results, scalars, strict=True):
        np.testing.assert_array_equal(result, edge.schedule(STEPS), err_msg=edge.id)
        assert scalar == edge.schedule(12345), edge.id
        assert type(scalar) is type(edge.schedule(12345))
