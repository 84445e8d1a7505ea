"""Plots of learning rate against step: :func:`plot` (matplotlib) and :func:`default_steps`.

matplotlib is an optional extra (``pip install 'lrschedule[plot]'``); it is imported inside
:func:`plot`, never by ``import lrschedule``.

Without ``steps``, the steps shown are derived from the hyperparameters (:func:`default_steps`):
0 to the step where the schedule ends, when one of its hyperparameters says where that is, else 0
to :data:`DEFAULT_END`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
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
        y = learning_rates(schedule, x).astype(np.float64)
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


INT64_STEPS = 2**62
"""The last step that default steps give as int64: beyond it, float64 (``np.rint`` of a float
near ``2**63`` would wrap around in int64)."""


def linspace_steps(start: int, stop: int, num: int) -> np.ndarray[Any, Any]:
    """``num`` evenly spaced integer steps from ``start`` to ``stop`` inclusive: ``numpy.linspace``
    rounded to the nearest integer, with repeated steps dropped.

    >>> linspace_steps(0, 1000, 5)
    array([   0,  250,  500,  750, 1000])
    >>> linspace_steps(0, 10, 4)
    array([ 0,  3,  7, 10])
    >>> linspace_steps(0, 3, 7)
    array([0, 1, 2, 3])

    Past :data:`INT64_STEPS` the steps are float64 (every float64 that large is a whole number),
    since int64 would wrap around:

    >>> linspace_steps(0, 10**120, 3)
    array([0.e+000, 5.e+119, 1.e+120])
    """
    if num < 1:
        raise ValueError(f"the number of steps must be at least 1. Received: {num}")
    if stop > INT64_STEPS:
        floats = np.linspace(float(start), float(stop), num)
        keep = np.ones(len(floats), dtype=bool)
        keep[1:] = floats[1:] != floats[:-1]
        return floats[keep]
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
    found = schedule.end_step
    return max(1, math.ceil(found)) if found is not None else DEFAULT_END


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


def learning_rates(schedule: LearningRateSchedule, steps: Any) -> np.ndarray[Any, Any]:
    """``schedule`` at the NumPy array ``steps``, as a NumPy array to show: in the schedule's
    dtype, except ``bfloat16``, which NumPy lacks: those values are computed in float64 and
    correctly rounded to bfloat16 (:func:`round_to_bfloat16`), then shown as float32 (exact).

    >>> import lrschedule
    >>> learning_rates(lrschedule.Constant(0.1, dtype="bfloat16"), np.arange(2))
    array([0.10009766, 0.10009766], dtype=float32)
    """
    if schedule.dtype != "bfloat16":
        return np.asarray(schedule(steps))
    if dataclasses.is_dataclass(schedule):
        wide = dataclasses.replace(schedule, dtype="float64")
        return round_to_bfloat16(np.asarray(wide(steps), dtype=np.float64))
    raise ValueError(
        f"{type(schedule).__name__} has dtype='bfloat16', which NumPy lacks; pass steps as a "
        "torch or JAX array to compute it"
    )


def round_to_bfloat16(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """float64 ``values`` correctly rounded (to nearest, ties to even) to bfloat16, as float32
    (every bfloat16 is a float32): 8 significant bits, float32's exponent range, subnormals
    included; beyond the largest bfloat16 (plus half an ulp), inf.

    >>> rounded = round_to_bfloat16(np.array([0.1, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 3.4e38, -0.0]))
    >>> rounded.dtype, rounded.tolist()
    (dtype('float32'), [0.10009765625, 1.0, 1.015625, inf, -0.0])
    """
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mantissa, exponent = np.frexp(x)  # x = mantissa * 2**exponent, 0.5 <= |mantissa| < 1
        normal = np.ldexp(np.rint(np.ldexp(mantissa, 8)), exponent - 8)  # 8 significant bits
        tiny = np.ldexp(np.rint(np.ldexp(x, 133)), -133)  # multiples of 2**-133: subnormals
        rounded = np.where(np.abs(x) < 2.0**-126, tiny, normal)
        largest = (2.0 - 2.0**-7) * 2.0**127
        rounded = np.where(np.abs(rounded) > largest, np.copysign(np.inf, x), rounded)
        rounded = np.where(np.isfinite(x), rounded, x)
        return rounded.astype(np.float32)


def _steps_array(steps: Any) -> np.ndarray[Any, Any]:
    x = np.asarray(steps)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"steps: expected a non-empty 1-D sequence. Received shape {x.shape}")
    if x.dtype.kind not in "iuf":
        raise TypeError(f"steps: expected numbers. Received dtype {x.dtype}")
    return x


SVG_POINTS = 500
"""The steps a notebook preview (:func:`svg`) draws: enough for a smooth curve, a small file."""


def svg(schedule: LearningRateSchedule, width: float = 4.8, height: float = 2.4) -> str | None:
    """The schedule's curve as a small SVG document (``_repr_svg_``, what Jupyter shows for a
    schedule), or ``None`` without matplotlib (Jupyter then shows the text ``repr``).

    :data:`SVG_POINTS` steps from 0 to :func:`end_step`, text kept as text. Made without
    ``pyplot``: no global figure, nothing shown twice in a notebook.

    >>> import pytest, lrschedule
    >>> _ = pytest.importorskip("matplotlib")  # this example needs the optional matplotlib
    >>> text = svg(lrschedule.CosineDecay(0.1, decay_steps=1000))
    >>> text.startswith("<?xml") and "</svg>" in text and len(text) < 100_000
    True
    """
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]
        from matplotlib.figure import Figure  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    import io

    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 8}):
        figure = Figure(figsize=(width, height), layout="constrained")
        ax = plot(schedule, default_steps(schedule, num=SVG_POINTS), ax=figure.add_subplot())
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        title = repr(schedule)
        ax.set_title(title if len(title) <= 80 else title[:77] + "...", fontsize=7)
        out = io.StringIO()
        figure.savefig(out, format="svg")
    return out.getvalue()
