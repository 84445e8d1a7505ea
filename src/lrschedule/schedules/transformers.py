r"""Hugging Face transformers' schedules by name: :func:`get`, the counterpart of
``transformers.get_scheduler``.

transformers builds a ``torch.optim.lr_scheduler.LambdaLR`` whose ``lr_lambda(step)`` multiplies
the optimizer's learning rate. :func:`get` returns the lrschedule schedule that gives
``learning_rate * lr_lambda(step)`` at every step, built from lrschedule's classes, so that it
runs on any array library, under ``jax.jit``, and saves to a config like any other schedule.
"""

from __future__ import annotations

import warnings
from typing import Any

from lrschedule import _validate as check
from lrschedule.schedule import LearningRateSchedule
from lrschedule.schedules.composite import Sequential, Warmup
from lrschedule.schedules.inverse_sqrt import InverseSqrt
from lrschedule.schedules.linear import Constant, Linear
from lrschedule.schedules.polynomial import PolynomialDecay
from lrschedule.schedules.wsd import WarmupStableDecay

__all__ = ["NAMES", "get"]

NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "warmup_stable_decay",
)
"""The transformers ``SchedulerType`` names that :func:`get` accepts, in transformers' order."""

_NOT_FUNCTIONS_OF_THE_STEP = {
    "reduce_lr_on_plateau": "it follows a metric, not the step",
    "greedy": "it follows a metric, not the step",
    "cosine_warmup_with_min_lr": (
        "its warmup and decay are shifted one step ahead of the other cosine schedules, which no "
        "lrschedule class expresses yet"
    ),
}

# scheduler_specific_kwargs each name takes, with transformers' defaults
_KWARGS: dict[str, dict[str, Any]] = {
    "linear": {},
    "cosine": {"num_cycles": 0.5},
    "cosine_with_restarts": {"num_cycles": 1},
    "polynomial": {"lr_end": 1e-7, "power": 1.0},
    "constant": {},
    "constant_with_warmup": {},
    "inverse_sqrt": {"timescale": None},
    "cosine_with_min_lr": {"num_cycles": 0.5, "min_lr": None, "min_lr_rate": None},
    "warmup_stable_decay": {
        "num_decay_steps": None,
        "num_stable_steps": None,
        "warmup_type": "linear",
        "decay_type": "cosine",
        "min_lr_ratio": 0.0,
        "num_cycles": 0.5,
    },
}


def get(
    name: str,
    *,
    learning_rate: float,
    num_warmup_steps: float | None = None,
    num_training_steps: float | None = None,
    **kwargs: Any,
) -> LearningRateSchedule:
    r"""The schedule of ``transformers.get_scheduler(name, optimizer, num_warmup_steps,
    num_training_steps, scheduler_specific_kwargs=kwargs)`` for an optimizer whose learning rate
    is ``learning_rate``: ``learning_rate * lr_lambda(step)``, at every step.

    With ``lr`` = ``learning_rate``, :math:`W` = ``num_warmup_steps``, :math:`T` =
    ``num_training_steps`` and :math:`D = \max(1, T - W)`:

    ==========================  ==============================================================================
    ``name``                    schedule
    ==========================  ==============================================================================
    ``"constant"``              ``Constant(lr)``
    ``"constant_with_warmup"``  ``Warmup(Constant(lr), W)``
    ``"linear"``                ``Warmup(Linear(lr, 0.0, T - W), W)``;
                                if :math:`T \le W`: ``Sequential([Linear(0.0, lr, W), Constant(0.0)], [W])``
    ``"cosine"``                ``WarmupStableDecay(lr, W, 0, D, num_cycles=num_cycles, continue_decay=True)``
    ``"cosine_with_min_lr"``    ``Warmup(WarmupStableDecay(lr, 0, 0, D, min_lr_ratio=m, num_cycles=num_cycles,
                                continue_decay=True), W)`` with :math:`m` = ``min_lr_rate`` or ``min_lr / lr``
    ``"cosine_with_restarts"``  ``WarmupStableDecay(lr, W, 0, D, decay_type="cosine_with_restarts",
                                num_cycles=num_cycles)``
    ``"polynomial"``            ``Warmup(PolynomialDecay(lr, T - W, lr_end, power), W)``;
                                if :math:`T < W`: ``Sequential([Linear(0.0, lr, W), Constant(lr_end)], [W])``
    ``"inverse_sqrt"``          ``InverseSqrt(lr, W, timescale)``
    ``"warmup_stable_decay"``   ``WarmupStableDecay(lr, W, S, num_decay_steps, min_lr_ratio, warmup_type,
                                decay_type, num_cycles)`` with :math:`S` = ``num_stable_steps``, or
                                ``T - W - num_decay_steps`` when it is not given
    ==========================  ==============================================================================

    The details follow transformers exactly: ``"cosine"`` and ``"cosine_with_min_lr"`` are not
    clamped at :math:`T` (with ``num_cycles=0.5`` the cosine rises again after :math:`T`, back to
    ``lr`` at :math:`2T - W`); ``"cosine_with_restarts"`` is 0 from :math:`W + D` on;
    ``"polynomial"`` is ``lr_end`` after :math:`T`; each warmup divides by :math:`\max(1, W)`.

    Args:
        name: a transformers ``SchedulerType`` name (or the enum member itself), one of
            :data:`NAMES`. ``"reduce_lr_on_plateau"`` and ``"greedy"`` follow a metric, not the
            step, and ``"cosine_warmup_with_min_lr"`` is not supported yet: each is a
            ``ValueError``.
        learning_rate: the optimizer's learning rate, which transformers' ``lr_lambda``
            multiplies (an array's dtype becomes the result dtype).
        num_warmup_steps: :math:`W \ge 0`; required by every name but ``"constant"``.
        num_training_steps: :math:`T \ge 0`; required by ``"linear"``, ``"cosine"``,
            ``"cosine_with_restarts"``, ``"polynomial"`` and ``"cosine_with_min_lr"``, and by
            ``"warmup_stable_decay"`` unless ``num_stable_steps`` is given.
        **kwargs: transformers' ``scheduler_specific_kwargs``: ``num_cycles`` (``"cosine"``,
            ``"cosine_with_restarts"``, ``"cosine_with_min_lr"``, ``"warmup_stable_decay"``),
            ``lr_end`` and ``power`` (``"polynomial"``), ``timescale`` (``"inverse_sqrt"``),
            ``min_lr`` or ``min_lr_rate`` (``"cosine_with_min_lr"``, one of them), and
            ``num_decay_steps``, ``num_stable_steps``, ``warmup_type``, ``decay_type``,
            ``min_lr_ratio`` (``"warmup_stable_decay"``). Any other keyword is a ``TypeError``,
            for ``"constant"`` too (transformers ignores them there).

    Raises:
        ValueError: an unknown or unsupported name, a missing ``num_warmup_steps`` or
            ``num_training_steps`` (as transformers), and the checks transformers makes (both or
            neither of ``min_lr`` and ``min_lr_rate``; ``lr_end`` not below ``learning_rate``;
            an unknown ``warmup_type`` or ``decay_type``), plus a few where transformers would fail
            later: ``"polynomial"`` with :math:`T = W` or ``power <= 0`` (transformers divides
            by zero at step :math:`T`), a minimum ratio outside :math:`[0, 1]`, and a
            ``"warmup_stable_decay"`` whose phases are longer than ``num_training_steps``.
        TypeError: a keyword that ``name`` does not take.

    >>> import lrschedule
    >>> schedule = lrschedule.get("linear", learning_rate=0.1, num_warmup_steps=10,
    ...                           num_training_steps=110)
    >>> schedule
    Warmup(schedule=Linear(initial_learning_rate=0.1, end_learning_rate=0.0, transition_steps=100), warmup_steps=10)
    >>> [round(float(schedule(t)), 6) for t in (0, 5, 10, 60, 110, 200)]
    [0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
    >>> cosine = lrschedule.get("cosine", learning_rate=1.0, num_warmup_steps=0,
    ...                         num_training_steps=100)
    >>> [round(float(cosine(t)), 6) for t in (0, 50, 100, 150, 200)]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    key = _name(name)
    lr, dtype = check.rate("learning_rate", learning_rate), check.array_dtype(learning_rate)
    options = _options(key, kwargs)
    if key == "constant":
        return Constant(lr, dtype=dtype)
    if num_warmup_steps is None:
        raise ValueError(f"{key} requires `num_warmup_steps`, please provide that argument.")
    W = check.non_negative("num_warmup_steps", num_warmup_steps)
    if key == "constant_with_warmup":
        return Warmup(Constant(lr), W, dtype=dtype)
    if key == "inverse_sqrt":
        return InverseSqrt(lr, W, options["timescale"], dtype=dtype)
    if key == "warmup_stable_decay":
        return _wsd(lr, W, num_training_steps, options, dtype)
    if num_training_steps is None:
        raise ValueError(f"{key} requires `num_training_steps`, please provide that argument.")
    T = check.non_negative("num_training_steps", num_training_steps)
    D = max(1, T - W)
    if key == "linear":
        if T <= W:  # transformers: 0 from step W on
            return Sequential((Linear(0.0, lr, W), Constant(0.0)), (W,), dtype=dtype)
        return Warmup(Linear(lr, 0.0, T - W), W, dtype=dtype)
    if key == "cosine":
        return WarmupStableDecay(
            lr, W, 0, D, num_cycles=_cycles(options), continue_decay=True, dtype=dtype
        )
    if key == "cosine_with_restarts":
        return WarmupStableDecay(
            lr, W, 0, D, decay_type="cosine_with_restarts", num_cycles=_cycles(options), dtype=dtype
        )
    if key == "cosine_with_min_lr":
        ratio = _min_lr_ratio(lr, options)
        decay = WarmupStableDecay(
            lr, 0, 0, D, min_lr_ratio=ratio, num_cycles=_cycles(options), continue_decay=True
        )
        return Warmup(decay, W, dtype=dtype)
    return _polynomial(lr, W, T, options, dtype)  # "polynomial"


def _name(name: object) -> str:
    key = getattr(name, "value", name)  # transformers.SchedulerType members carry the name
    if not isinstance(key, str):
        raise TypeError(f"Argument `name` must be a string. Received: name={name!r}")
    if key in NAMES:
        return key
    accepted = ", ".join(map(repr, NAMES))
    reason = _NOT_FUNCTIONS_OF_THE_STEP.get(key)
    if reason is not None:
        raise ValueError(
            f"transformers' {key!r} schedule is not available: {reason}. Accepted names: {accepted}"
        )
    raise ValueError(f"Unknown schedule name={key!r}. Accepted names: {accepted}")


def _options(key: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """transformers' defaults, updated with ``kwargs``; a keyword ``key`` does not take is an error."""
    defaults = _KWARGS[key]
    unknown = [k for k in kwargs if k not in defaults]
    if unknown:
        takes = ", ".join(map(repr, defaults)) or "no keyword arguments"
        raise TypeError(
            f"{key} got an unexpected keyword argument {unknown[0]!r}; it takes {takes}"
        )
    return {**defaults, **kwargs}


def _cycles(options: dict[str, Any]) -> float:
    return float(check.non_negative("num_cycles", options["num_cycles"]))


def _min_lr_ratio(lr: float, options: dict[str, Any]) -> float:
    min_lr, rate = options["min_lr"], options["min_lr_rate"]
    if min_lr is not None and rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        min_lr = float(check.finite("min_lr", min_lr))
        if lr == 0.0:
            raise ValueError(
                f"Argument `min_lr` needs a learning_rate other than 0 (min_lr_rate = min_lr / "
                f"learning_rate). Received: min_lr={min_lr!r}, learning_rate={lr!r}"
            )
        ratio, arg = min_lr / lr, "min_lr"
    elif rate is None:
        raise ValueError(
            "One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`"
        )
    else:
        ratio, arg = float(check.finite("min_lr_rate", rate)), "min_lr_rate"
    if not 0.0 <= ratio <= 1.0:
        value = options[arg]
        raise ValueError(
            f"Argument `{arg}` must give a minimum between 0 and learning_rate "
            f"(min_lr_rate in [0, 1]). Received: {arg}={check.shown(value)} (min_lr_rate={ratio!r})"
        )
    return ratio


def _polynomial(
    lr: float, W: float, T: float, options: dict[str, Any], dtype: str | None
) -> LearningRateSchedule:
    lr_end = float(check.finite("lr_end", options["lr_end"]))
    power = float(check.finite("power", options["power"]))
    if not lr > lr_end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr})")
    if not power > 0:
        raise ValueError(
            "Argument `power` must be > 0 (transformers raises ZeroDivisionError at step "
            f"num_training_steps for power < 0, and 0 ** 0 = 1 there for power = 0). "
            f"Received: power={options['power']!r}"
        )
    if T == W:
        raise ValueError(
            "polynomial needs num_training_steps != num_warmup_steps: transformers divides by "
            f"num_training_steps - num_warmup_steps = 0 at step {W}. "
            f"Received: num_warmup_steps={W!r}, num_training_steps={T!r}"
        )
    if T < W:  # transformers: lr_end from step W on
        return Sequential((Linear(0.0, lr, W), Constant(lr_end)), (W,), dtype=dtype)
    decay = PolynomialDecay(lr, T - W, end_learning_rate=lr_end, power=power)
    return Warmup(decay, W, dtype=dtype)


def _wsd(
    lr: float,
    W: float,
    num_training_steps: float | None,
    options: dict[str, Any],
    dtype: str | None,
) -> LearningRateSchedule:
    decay_steps, stable_steps = options["num_decay_steps"], options["num_stable_steps"]
    if decay_steps is None:
        raise TypeError("warmup_stable_decay requires the keyword argument 'num_decay_steps'")
    if num_training_steps is None and stable_steps is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if num_training_steps is not None and stable_steps is not None:
        warnings.warn(
            "Both num_training_steps and num_stable_steps are specified. "
            "num_stable_steps will be used.",
            UserWarning,
            stacklevel=3,
        )
    for arg in ("warmup_type", "decay_type"):
        if options[arg] not in ("linear", "cosine", "1-sqrt"):
            kind = arg.split("_")[0]
            raise ValueError(
                f"Unknown {kind} type: {options[arg]}, expected 'linear', 'cosine' or '1-sqrt'"
            )
    D = check.non_negative("num_decay_steps", decay_steps)
    if stable_steps is None:
        T = check.non_negative("num_training_steps", num_training_steps)
        stable_steps = T - W - D
        if stable_steps < 0:
            raise ValueError(
                "warmup_stable_decay needs num_training_steps >= num_warmup_steps + "
                f"num_decay_steps. Received: num_training_steps={num_training_steps!r}, "
                f"num_warmup_steps={W!r}, num_decay_steps={decay_steps!r}"
            )
    return WarmupStableDecay(
        lr,
        W,
        check.non_negative("num_stable_steps", stable_steps),
        D,
        min_lr_ratio=options["min_lr_ratio"],
        warmup_type=options["warmup_type"],
        decay_type=options["decay_type"],
        num_cycles=options["num_cycles"],
        dtype=dtype,
    )
