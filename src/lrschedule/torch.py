"""PyTorch integration: :class:`LRScheduler`, a ``torch.optim`` scheduler driven by a schedule.

``lrschedule.torch.LRScheduler(optimizer, schedule)`` is a real subclass of
``torch.optim.lr_scheduler.LRScheduler``, so it goes wherever a torch scheduler goes: a plain training
loop (``optimizer.step(); scheduler.step()``), Lightning's ``configure_optimizers``, and checkpoints
through ``state_dict()``/``load_state_dict()``.

``import lrschedule`` never imports torch; ``import lrschedule.torch`` does. Without torch installed,
this module still imports, and ``from lrschedule.torch import LRScheduler`` raises an
``ImportError`` that says what to install.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from lrschedule import _array
from lrschedule.registry import deserialize, serialize
from lrschedule.schedule import LearningRateSchedule

__all__ = ["LRScheduler"]

_SCHEDULES = "schedules"
"""The ``state_dict`` key holding one ``lrschedule.serialize`` config per parameter group."""

_IMPORT_ERROR: ImportError | None
try:
    import torch  # type: ignore[import-not-found, unused-ignore]  # also checked without torch
    from torch.optim.lr_scheduler import (  # type: ignore[import-not-found, unused-ignore]
        LRScheduler as _TorchLRScheduler,
    )
except ImportError as error:  # torch is optional: the module imports, the class does not exist
    _IMPORT_ERROR = error
else:
    _IMPORT_ERROR = None


def __getattr__(name: str) -> Any:
    if name in __all__ and _IMPORT_ERROR is not None:
        raise ImportError(
            f"lrschedule.torch.{name} needs PyTorch, which could not be imported "
            f"({_IMPORT_ERROR}); install it with `pip install torch`"
        ) from _IMPORT_ERROR
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _schedules(schedule: object, groups: int) -> list[LearningRateSchedule]:
    """One schedule per parameter group: the same one for all, or a list/tuple of ``groups``."""
    many = isinstance(schedule, (list, tuple))
    schedules: list[LearningRateSchedule] = []
    for i, item in enumerate(schedule if isinstance(schedule, (list, tuple)) else [schedule]):
        if not isinstance(item, LearningRateSchedule):
            where = f"schedule[{i}]" if many else "schedule"
            raise TypeError(
                f"Argument `{where}` must be an lrschedule.LearningRateSchedule. "
                f"Received: {where}={item!r:.80}"
            )
        schedules.append(item)
    if not many:
        schedules *= groups
    if len(schedules) != groups:
        raise ValueError(
            f"Argument `schedule` must be one schedule, or a list of one per parameter group: "
            f"the optimizer has {groups} parameter groups. Received: {len(schedules)} schedules"
        )
    return schedules


if _IMPORT_ERROR is None:

    def _dtype_name(dtype: torch.dtype) -> str | None:
        """``torch.float32`` -> ``"float32"``; ``None`` for a dtype lrschedule does not give."""
        name = str(dtype).removeprefix("torch.")
        return name if name in ("float16", "bfloat16", "float32", "float64") else None

    class LRScheduler(_TorchLRScheduler):  # type: ignore[misc, unused-ignore]  # Any without torch
        r"""A ``torch.optim.lr_scheduler.LRScheduler`` that sets each parameter group's learning
        rate to ``schedule(step)``.

        The learning rate is the schedule's value itself, not a factor of the optimizer's ``lr``
        (which the schedule replaces, as soon as the scheduler is made, with ``schedule(0)``). It
        is computed in closed form at every step, so there is no multiplicative drift, and
        ``last_epoch`` is the step: the number of ``scheduler.step()`` calls so far. Call
        ``scheduler.step()`` after ``optimizer.step()``, once per optimizer step.

        A group whose ``lr`` is a ``torch.Tensor`` (``torch.optim.Adam(params,
        lr=torch.tensor(0.01))``, as ``torch.compile`` wants) keeps its tensor: it is updated in
        place with the schedule evaluated on that tensor's device, in its dtype (unless the
        schedule has a ``dtype`` of its own), so a compiled optimizer step sees the same tensor
        every step and never recompiles, and no step reads a value back from a GPU.

        Args:
            optimizer: the wrapped optimizer.
            schedule: a :class:`~lrschedule.LearningRateSchedule` for every parameter group, or a
                list or tuple of them, one per parameter group.
            last_epoch: the index of the last step, as in every torch scheduler: ``-1`` (the
                default) to start; resuming is better done with :meth:`load_state_dict`.

        ``state_dict()`` holds the step and each schedule's config (``lrschedule.serialize``,
        plain JSON data, which ``torch.load(weights_only=True)`` reads back). ``load_state_dict()``
        rebuilds the schedules from those configs with ``lrschedule.deserialize`` (a registry
        lookup: nothing is imported or unpickled), **adopts them** (as torch's own schedulers
        adopt their checkpointed hyperparameters), and sets each group's learning rate to
        ``schedule(last_epoch)``; a run resumed from a checkpoint thus continues with the same
        learning rates. When a checkpointed schedule differs from the one given to the
        constructor, a ``UserWarning`` says so; a checkpoint with another number of parameter
        groups, or not written by this class, is refused with a ``ValueError``.

        >>> import torch, lrschedule
        >>> from lrschedule.torch import LRScheduler
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        >>> schedule = lrschedule.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> scheduler = LRScheduler(optimizer, schedule)
        >>> optimizer.param_groups[0]["lr"]
        0.1
        >>> for step in range(20):
        ...     optimizer.step()
        ...     scheduler.step()
        >>> scheduler.last_epoch, optimizer.param_groups[0]["lr"]
        (20, 0.025)
        >>> resumed = LRScheduler(torch.optim.SGD(model.parameters(), lr=0.0), schedule)
        >>> resumed.load_state_dict(scheduler.state_dict())
        >>> resumed.get_last_lr()
        [0.025]
        """

        schedules: list[LearningRateSchedule]
        """One schedule per parameter group."""

        def __init__(
            self,
            optimizer: torch.optim.Optimizer,
            schedule: LearningRateSchedule | Sequence[LearningRateSchedule],
            last_epoch: int = -1,
        ) -> None:
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise TypeError(
                    "Argument `optimizer` must be a torch.optim.Optimizer. "
                    f"Received: optimizer={optimizer!r:.80}"
                )
            self.schedules = _schedules(schedule, len(optimizer.param_groups))
            super().__init__(optimizer, last_epoch)

        def get_lr(self) -> list[float | torch.Tensor]:
            """The learning rates at step ``last_epoch``, one per parameter group, of the same
            kind as the group's ``lr``: a Python float, or a new tensor on the ``lr`` tensor's
            device and in its dtype. Closed form: safe to call at any time."""
            return [
                self._value(schedule, group["lr"])
                for schedule, group in zip(self.schedules, self.optimizer.param_groups, strict=True)
            ]

        def _get_closed_form_lr(self) -> list[float | torch.Tensor]:
            return self.get_lr()

        def _value(self, schedule: LearningRateSchedule, lr: object) -> float | torch.Tensor:
            step = max(self.last_epoch, 0)
            if not isinstance(lr, torch.Tensor):
                return float(schedule(step))
            # torch.full, not torch.tensor: a host-to-device copy would synchronize a CUDA stream
            device_step = torch.full(lr.shape, step, dtype=torch.int64, device=lr.device)
            dtype = schedule.dtype or _dtype_name(lr.dtype)
            value: torch.Tensor = _array.evaluate(schedule._evaluate, device_step, dtype)
            return value

        def _apply(self) -> None:
            """Set every group's ``lr`` to the schedule at ``last_epoch`` (tensors in place)."""
            for group, value in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
                if isinstance(group["lr"], torch.Tensor) and isinstance(value, torch.Tensor):
                    group["lr"].copy_(value)
                else:
                    group["lr"] = value
            self._last_lr = [
                lr.clone() if isinstance(lr, torch.Tensor) else lr
                for lr in (group["lr"] for group in self.optimizer.param_groups)
            ]

        def state_dict(self) -> dict[str, Any]:
            """The scheduler's state: torch's entries (``last_epoch`` is the step) and, under
            ``"schedules"``, one ``lrschedule.serialize`` config per parameter group. All plain
            data and tensors, so ``torch.load`` reads it with ``weights_only=True``."""
            state = {
                key: value
                for key, value in self.__dict__.items()
                if key not in ("optimizer", _SCHEDULES)
            }
            state[_SCHEDULES] = [serialize(schedule) for schedule in self.schedules]
            return state

        def load_state_dict(self, state_dict: dict[str, Any]) -> None:
            """Load a state from :meth:`state_dict`: adopt its step and schedules, and set each
            group's learning rate to ``schedule(last_epoch)``.

            The schedules are rebuilt from their configs by ``lrschedule.deserialize``, which
            refuses (``lrschedule.ConfigError``) anything that is not a registered schedule's
            config. A schedule that differs from the one this scheduler was made with is adopted
            with a ``UserWarning``. ``ValueError``: not this class's state, or another number of
            parameter groups.
            """
            if not isinstance(state_dict, dict) or _SCHEDULES not in state_dict:
                raise ValueError(
                    "not a state_dict of lrschedule.torch.LRScheduler: it has no "
                    f"{_SCHEDULES!r} entry. Received keys: "
                    f"{sorted(state_dict) if isinstance(state_dict, dict) else state_dict!r:.200}"
                )
            configs = state_dict[_SCHEDULES]
            groups = len(self.optimizer.param_groups)
            if not isinstance(configs, (list, tuple)) or len(configs) != groups:
                count = len(configs) if isinstance(configs, (list, tuple)) else configs
                raise ValueError(
                    f"the state_dict holds schedules for {count!r:.80} parameter groups; "
                    f"this optimizer has {groups}"
                )
            schedules = [deserialize(config) for config in configs]
            changed = [
                i
                for i, (old, new) in enumerate(zip(self.schedules, schedules, strict=True))
                if old != new
            ]
            if changed:
                warnings.warn(
                    f"lrschedule.torch.LRScheduler.load_state_dict: the checkpoint's schedule "
                    f"for parameter group(s) {changed} differs from the one this scheduler was "
                    f"made with; continuing with the checkpoint's: {schedules[changed[0]]!r:.200}",
                    UserWarning,
                    stacklevel=2,
                )
            for key, value in state_dict.items():
                if key not in ("optimizer", _SCHEDULES):
                    setattr(self, key, value)
            self.schedules = schedules
            self._apply()
