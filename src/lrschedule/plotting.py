"""Plots of learning rate against step: :func:`plot` (matplotlib) and :func:`default_steps`.

matplotlib is an optional extra (``pip install 'lrschedule[plot]'``); it is imported inside
:func:`plot`, never by ``import lrschedule``.

Without ``steps``, the steps shown are derived from the hyperparameters (:func:`default_steps`):
0 to the step where the schedule ends, when one of its hyperparameters says where that is, else 0
to :data:`DEFAULT_END`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lrschedule.registry import deserialize
from lrschedule.schedule import LearningRateSchedule

if TYPE_CHECKING:  # matplotlib is optional: without it, mypy sees Axes as Any
    from matplotlib.axes import Axes  # type: ignore[import-not-found, unused-ignore]

__all__ = ["DEFAULT_END", "INSTALL_HINT", "MAX_POINTS", "default_steps", "end_step", "plot"]

DEFAULT_END = 10_000
"""The last step shown for a schedule that never ends (exponential, step, cyclic, constant...)."""

MAX_POINTS = 10_001
"""At most this many steps by default: every integer step up to 10000, evenly spaced beyond."""

INSTALL_HINT = "pip install 'lrschedule[plot]'"
"""How to get matplotlib, the optional dependency of :func:`plot`."""


def plot(
    schedule_or_list: Any,
    steps: Any = None,
    ax: Axes | None = None,
    log: bool = False,
    label: str | Sequence[str | None] | None = None,
) -> Axes:
    """Draw learning rate against step for one or several schedules on one matplotlib Axes.

    Args:
        schedule_or_list: a schedule, a config dict (anything :func:`lrschedule.deserialize`
            takes), or a list of them.
        steps: the steps (a 1-D array-like of numbers). ``None``: :func:`default_steps` of all the
            schedules, i.e. 0 to the latest step where one of them ends (``decay_steps`` of a
            cosine or polynomial decay, ``total_steps`` of a one-cycle, warmup + stable + decay of
            WSD, ...), or 0 to 10000 when none says where it ends; every integer step up to 10000,
            10001 evenly spaced integer steps beyond.
        ax: the Axes to draw on; ``None``: a new figure from ``matplotlib.pyplot`` (so that
            ``plt.show()`` or a notebook displays it).
        log: a logarithmic learning-rate axis.
        label: the legend's label, or one label (or ``None``) per schedule. ``None``: the class
            name, numbered (``"ExponentialDecay 1"``, ``"ExponentialDecay 2"``) when several
            schedules of one class are drawn.

    Returns:
        The Axes, with one line per schedule, a legend and axis labels.

    Raises:
        ImportError: matplotlib is not installed.

    The figure needs no display: here it is made without ``pyplot``, then saved.

    >>> import io, pytest
    >>> _ = pytest.importorskip("matplotlib")  # this example needs the optional matplotlib
    >>> from matplotlib.figure import Figure
    >>> import lrschedule
    >>> from lrschedule import plot
    >>> cosine = lrschedule.CosineDecay(0.1, decay_steps=1000)
    >>> ax = plot(
    ...     [cosine, lrschedule.ExponentialDecay(0.1, 1000, 0.5)], ax=Figure().add_subplot(), log=True
    ... )
    >>> [line.get_label() for line in ax.get_lines()]
    ['CosineDecay', 'ExponentialDecay']
    >>> ax.get_lines()[0].get_xdata()[[0, -1]]  # 0 to the end of the longest schedule: 10000
    array([    0, 10000])
    >>> ax.figure.savefig(io.BytesIO(), format="png")
    """
    schedules = _schedules(schedule_or_list)
    labels = _labels(schedules, label)
    x = default_steps(schedules) if steps is None else _steps_array(steps)
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"lrschedule.plot needs matplotlib: {INSTALL_HINT}") from exc
    if ax is None:
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]

        _, ax = plt.subplots()
    positive = False
    for schedule, text in zip(schedules, labels, strict=True):
        y = np.asarray(schedule(x), dtype=np.float64)
        positive = positive or bool(np.any(y > 0))
        ax.plot(x, y, label=text)
    if log:
        if not positive:
            raise ValueError("a log scale needs a positive learning rate; all are <= 0 here")
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.legend()
    return ax


def default_steps(schedule_or_list: Any, num: int | None = None) -> np.ndarray[Any, Any]:
    """The steps to show by default: integers from 0 to the latest :func:`end_step` of the schedules.

    ``num=None``: every integer step when there are at most :data:`MAX_POINTS`, else
    :data:`MAX_POINTS` evenly spaced integer steps. ``num``: ``num`` evenly spaced integer steps
    (``numpy.linspace`` rounded, repeats dropped).

    >>> import lrschedule
    >>> default_steps(lrschedule.CosineDecay(0.1, decay_steps=1000), num=5)
    array([   0,  250,  500,  750, 1000])
    >>> default_steps(lrschedule.ExponentialDecay(0.1, 1000, 0.96), num=3)  # no end: 0 to 10000
    array([    0,  5000, 10000])
    >>> len(default_steps(lrschedule.Linear(1.0, 0.0, transition_steps=50)))
    51
    """
    end = max(end_step(s) for s in _schedules(schedule_or_list))
    if num is None:
        if end < MAX_POINTS:
            return np.arange(end + 1, dtype=np.int64)
        num = MAX_POINTS
    return linspace_steps(0, end, num)


def linspace_steps(start: int, stop: int, num: int) -> np.ndarray[Any, Any]:
    """``num`` evenly spaced integer steps from ``start`` to ``stop`` inclusive: ``numpy.linspace``
    rounded to the nearest integer, with repeated steps dropped.

    >>> linspace_steps(0, 1000, 5)
    array([   0,  250,  500,  750, 1000])
    >>> linspace_steps(0, 10, 4)
    array([ 0,  3,  7, 10])
    >>> linspace_steps(0, 3, 7)
    array([0, 1, 2, 3])
    """
    if num < 1:
        raise ValueError(f"the number of steps must be at least 1. Received: {num}")
    values = np.rint(np.linspace(start, stop, num)).astype(np.int64)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def end_step(schedule: LearningRateSchedule) -> int:
    """The last step that :func:`default_steps` shows for one schedule.

    Where the hyperparameters say where the schedule ends, that step: ``decay_steps`` (plus the
    warmup) for ``CosineDecay``, ``transition_begin + decay_steps`` for ``PolynomialDecay``,
    ``transition_begin + transition_steps`` for ``Linear``, ``total_steps`` for ``OneCycle``,
    ``warmup_steps + stable_steps + decay_steps`` for ``WarmupStableDecay``, the last boundary for
    ``PiecewiseInterpolate``, a quarter past the last boundary or milestone for
    ``PiecewiseConstantDecay`` and ``MultiStepDecay`` (so that the last level shows), and for a
    ``Warmup`` or ``Sequential`` the start of its last schedule plus that schedule's end. Anything
    else (exponential, inverse-time, step, cyclic, restarts, inverse square root, constant, your own
    schedules): :data:`DEFAULT_END`, or later when a warmup or boundary lies beyond it.

    >>> import lrschedule
    >>> end_step(lrschedule.CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000))
    10000
    >>> end_step(lrschedule.PiecewiseConstantDecay([1000, 2000], [0.1, 0.01, 0.001]))
    2500
    >>> end_step(lrschedule.Constant(0.1))
    10000
    """
    found = _end(schedule)
    return max(1, math.ceil(found)) if found is not None else DEFAULT_END


def _end(s: LearningRateSchedule) -> float | None:
    """Where ``s`` ends, or ``None`` when its hyperparameters do not say."""
    rule = _ENDS.get(type(s).__name__) if type(s).__module__.startswith("lrschedule.") else None
    return None if rule is None else rule(s)


def _past(step: float) -> float:
    """A quarter past ``step``: where a schedule that changes at ``step`` has shown its last level."""
    return 1.25 * step if step > 0 else float(DEFAULT_END)


def _after(start: float, s: LearningRateSchedule) -> float:
    """The end of schedule ``s`` that starts at ``start``."""
    end = _end(s)
    return start + end if end is not None else max(float(DEFAULT_END), _past(start))


def _product_end(s: Any) -> float | None:
    ends = [_end(f) for f in s.factors if isinstance(f, LearningRateSchedule)]
    known = [end for end in ends if end is not None]
    return max(known) if known and len(known) == len(ends) else None


_ENDS: dict[str, Callable[[Any], float | None]] = {
    "CosineDecay": lambda s: s.decay_steps + (s.warmup_steps if s.warmup_target is not None else 0),
    "PolynomialDecay": lambda s: s.transition_begin + s.decay_steps,
    "Linear": lambda s: s.transition_begin + s.transition_steps,
    "OneCycle": lambda s: s.total_steps,
    "WarmupStableDecay": lambda s: s.warmup_steps + s.stable_steps + s.decay_steps,
    "PiecewiseInterpolate": lambda s: s.boundaries[-1] if s.boundaries[-1] > 0 else None,
    "PiecewiseConstantDecay": lambda s: _past(s.boundaries[-1]) if s.boundaries else None,
    "MultiStepDecay": lambda s: _past(max(s.milestones)) if s.milestones else None,
    "Warmup": lambda s: _after(s.warmup_steps, s.schedule),
    "Sequential": lambda s: (
        _after(s.boundaries[-1], s.schedules[-1]) if s.boundaries else _end(s.schedules[0])
    ),
    "Product": _product_end,
}


def _schedules(schedule_or_list: Any) -> list[LearningRateSchedule]:
    if isinstance(schedule_or_list, (LearningRateSchedule, dict)):
        return [deserialize(schedule_or_list)]
    if isinstance(schedule_or_list, (str, bytes)) or not isinstance(schedule_or_list, Sequence):
        raise TypeError(
            "expected a schedule, a config dict or a list of them. "
            f"Received: {type(schedule_or_list).__name__}"
        )
    if not schedule_or_list:
        raise ValueError("expected at least one schedule. Received: an empty list")
    return [deserialize(item) for item in schedule_or_list]


def _labels(
    schedules: list[LearningRateSchedule], label: str | Sequence[str | None] | None
) -> list[str]:
    given: list[str | None]
    if label is None:
        given = [None] * len(schedules)
    elif isinstance(label, str):
        given = [label] * len(schedules)
    else:
        given = list(label)
    if len(given) != len(schedules) or (isinstance(label, str) and len(schedules) > 1):
        raise ValueError(
            f"label: give one label per schedule ({len(schedules)} schedules). Received: {label!r}"
        )
    names = [type(s).__name__ for s in schedules]
    unnamed = [name for text, name in zip(given, names, strict=True) if text is None]
    counts = {name: unnamed.count(name) for name in unnamed}
    seen: dict[str, int] = {}
    labels = []
    for text, name in zip(given, names, strict=True):
        if text is None:
            seen[name] = seen.get(name, 0) + 1
            text = f"{name} {seen[name]}" if counts[name] > 1 else name
        labels.append(text)
    return labels


def _steps_array(steps: Any) -> np.ndarray[Any, Any]:
    x = np.asarray(steps)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"steps: expected a non-empty 1-D sequence. Received shape {x.shape}")
    if x.dtype.kind not in "iuf":
        raise TypeError(f"steps: expected numbers. Received dtype {x.dtype}")
    return x
