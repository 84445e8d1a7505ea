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

import math
import numbers
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from lrschedule import _array
from lrschedule._python import scalar_formula
from lrschedule.registry import ConfigError, deserialize, serialize
from lrschedule.schedule import LearningRateSchedule

__all__ = ["LRScheduler"]

_SCHEDULES = "schedules"
"""The ``state_dict`` key holding one ``lrschedule.serialize`` config per parameter group."""
_HYPERPARAMETERS = "hyperparameter_schedules"
"""The ``state_dict`` key holding, per scheduled hyperparameter (``"momentum"``,
``"weight_decay"``), one ``lrschedule.serialize`` config per parameter group."""
_DRIVEN = ("momentum", "weight_decay")
"""The hyperparameters besides the learning rate that :class:`LRScheduler` can drive."""

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


def _schedules(schedule: object, groups: int, arg: str = "schedule") -> list[LearningRateSchedule]:
    """One schedule per parameter group: the same one for all, or a list/tuple of ``groups``."""
    many = isinstance(schedule, (list, tuple))
    schedules: list[LearningRateSchedule] = []
    for i, item in enumerate(schedule if isinstance(schedule, (list, tuple)) else [schedule]):
        if not isinstance(item, LearningRateSchedule):
            where = f"{arg}[{i}]" if many else arg
            raise TypeError(
                f"Argument `{where}` must be an lrschedule.LearningRateSchedule. "
                f"Received: {where}={item!r:.80}"
            )
        schedules.append(item)
    if not many:
        schedules *= groups
    if len(schedules) != groups:
        raise ValueError(
            f"Argument `{arg}` must be one schedule, or a list of one per parameter group: "
            f"the optimizer has {groups} parameter groups. Received: {len(schedules)} schedules"
        )
    return schedules


def _scalar(schedule: LearningRateSchedule, step: float) -> float:
    """``float(schedule(step))`` for a step >= 0, without the NumPy scalar on the common path
    (an int step and no ``dtype``): the same value, made once per group per step."""
    if type(step) is int and schedule.dtype is None:
        try:
            formula = schedule._scalar  # kept on the schedule: no lookup by its (hashed) fields
        except AttributeError:  # the first call
            formula = scalar_formula(schedule)
            object.__setattr__(schedule, "_scalar", formula)
        try:
            return float(formula(step + 0.0))
        except (ArithmeticError, ValueError, KeyError):
            pass  # overflow or a domain error: the general path decides
    return float(schedule(step))


def _check_driven(key: str, groups: list[dict[str, Any]]) -> None:
    """Every parameter group has the hyperparameter ``key`` (``momentum``: ``"momentum"`` or
    ``"betas"``, as torch's ``cycle_momentum`` asks)."""
    names = ("betas", "momentum") if key == "momentum" else (key,)
    for i, group in enumerate(groups):
        if not any(name in group for name in names):
            raise ValueError(
                f"Argument `{key}` needs an optimizer whose parameter groups have "
                f"{' or '.join(repr(name) for name in names)}: parameter group {i} has "
                f"{sorted(name for name in group if name != 'params')}"
            )


def _refuse(key: str, expected: str, value: object) -> ConfigError:
    return ConfigError(
        f"Argument `state_dict[{key!r}]` must be {expected}. Received: {key}={value!r:.80}"
    )


def _epoch(key: str, value: object) -> int | float:
    """``last_epoch``: a whole step (an int >= -1), or a fractional one (a finite float >= -1),
    which ``scheduler.step(epoch)`` with a fractional epoch leaves in a state."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= -1:
        return int(value)
    fractional = isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
    if fractional and math.isfinite(value) and value >= -1:  # type: ignore[arg-type, operator]
        return float(value)  # type: ignore[arg-type]
    raise _refuse(key, "an int or a finite float, at least -1", value)


def _count(key: str, value: object) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 0:
        return int(value)
    raise _refuse(key, "an int >= 0", value)


def _flag(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _refuse(key, "a bool", value)


def _rates(groups: int) -> Any:
    """A list of one learning rate per parameter group: a finite number or a tensor."""

    def rate(item: object) -> bool:
        tensor: Any = sys.modules.get("torch")
        if tensor is not None and isinstance(item, tensor.Tensor):
            return True
        return isinstance(item, numbers.Real) and not isinstance(item, bool) and math.isfinite(item)

    def check(key: str, value: object) -> list[Any]:
        if not (
            isinstance(value, (list, tuple))
            and len(value) == groups
            and all(rate(item) for item in value)
        ):
            raise _refuse(key, f"a list of {groups} finite numbers or tensors", value)
        return list(value)

    return check


def _checked_driven(driven: object, groups: int) -> dict[str, list[Any]]:
    """The state_dict's hyperparameter schedules: for each driven name, one config per group."""
    if not isinstance(driven, dict) or not set(driven) <= set(_DRIVEN):
        raise _refuse(_HYPERPARAMETERS, f"a dict with keys among {list(_DRIVEN)}", driven)
    for key, value in driven.items():
        if not isinstance(value, (list, tuple)) or len(value) != groups:
            raise _refuse(
                f"{_HYPERPARAMETERS}'][{key!r}", f"a list of {groups} schedule configs", value
            )
    return {key: list(value) for key, value in driven.items()}


def _checked_state(state_dict: object, groups: int) -> dict[str, Any]:
    """The entries of a :meth:`LRScheduler.state_dict` to set, each checked as a config is: a
    key this class does not write, or a value of the wrong kind, is a
    :class:`~lrschedule.ConfigError` naming the key and the value (never an attribute that
    would shadow a method, nor a step that fails later, far from its cause)."""
    if not isinstance(state_dict, dict) or _SCHEDULES not in state_dict:
        raise ValueError(
            "not a state_dict of lrschedule.torch.LRScheduler: it has no "
            f"{_SCHEDULES!r} entry. Received keys: "
            f"{sorted(state_dict) if isinstance(state_dict, dict) else state_dict!r:.200}"
        )
    configs = state_dict[_SCHEDULES]
    if not isinstance(configs, (list, tuple)) or len(configs) != groups:
        count = len(configs) if isinstance(configs, (list, tuple)) else configs
        raise ValueError(
            f"the state_dict holds schedules for {count!r:.80} parameter groups; "
            f"this optimizer has {groups}"
        )
    if "last_epoch" not in state_dict:
        raise ConfigError("Argument `state_dict` has no 'last_epoch' entry (the step)")
    checks: dict[str, Any] = {
        "last_epoch": _epoch,
        "_step_count": _count,
        "base_lrs": _rates(groups),
        "_last_lr": _rates(groups),
        "_is_initial": _flag,
        "_get_lr_called_within_step": _flag,
        "verbose": _flag,  # written by older torch versions; not used, not set
    }
    state: dict[str, Any] = {_SCHEDULES: list(configs)}
    if _HYPERPARAMETERS in state_dict:
        state[_HYPERPARAMETERS] = _checked_driven(state_dict[_HYPERPARAMETERS], groups)
    for key, value in state_dict.items():
        if key in (_SCHEDULES, _HYPERPARAMETERS):
            continue
        check = checks.get(key) if isinstance(key, str) else None
        if check is None:
            raise ConfigError(
                "Argument `state_dict` has an entry that lrschedule.torch.LRScheduler does not "
                f"write: {key!r:.80}. Accepted: {sorted([*checks, _SCHEDULES, _HYPERPARAMETERS])}. "
                f"Received: {key!r:.80}={value!r:.80}"
            )
        if key != "verbose":
            state[key] = check(key, value)
    return state


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
            momentum: keyword-only: a schedule (or one per parameter group) for the momentum,
                set at every step as torch's ``cycle_momentum`` sets it: ``betas[0]`` where a
                group has ``betas`` (Adam and its kin), else ``momentum`` (SGD, RMSprop).
                :meth:`lrschedule.OneCycle.momentum` and :meth:`lrschedule.Cyclic.momentum`
                give torch's ``OneCycleLR``/``CyclicLR`` momentum; any schedule will do.
            weight_decay: keyword-only: a schedule (or one per parameter group) for the
                groups' ``weight_decay``.

        The driven hyperparameters are kept in :attr:`hyperparameter_schedules` and in the
        ``state_dict``, and restored by :meth:`load_state_dict` with the learning rate's.

        ``scheduler.step(epoch)`` (deprecated by torch, but documented for
        ``CosineAnnealingWarmRestarts`` as ``scheduler.step(epoch + i / iters)``) sets the step
        to ``epoch``, fractional or not, and every group, a float ``lr`` or a tensor one, gets
        ``schedule(epoch)``.

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

        The momentum of torch's ``OneCycleLR(..., cycle_momentum=True)``, as a schedule:

        >>> sgd = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
        >>> one_cycle = lrschedule.OneCycle(0.1, total_steps=100)
        >>> scheduler = LRScheduler(sgd, one_cycle, momentum=one_cycle.momentum(0.85, 0.95))
        >>> for step in range(29):
        ...     sgd.step()
        ...     scheduler.step()
        >>> round(sgd.param_groups[0]["lr"], 6), round(sgd.param_groups[0]["momentum"], 6)
        (0.1, 0.85)
        """

        schedules: list[LearningRateSchedule]
        """One schedule per parameter group."""
        hyperparameter_schedules: dict[str, list[LearningRateSchedule]]
        """Per driven hyperparameter (``"momentum"``, ``"weight_decay"``), one schedule per
        parameter group; empty when only the learning rate is scheduled."""

        def __init__(
            self,
            optimizer: torch.optim.Optimizer,
            schedule: LearningRateSchedule | Sequence[LearningRateSchedule],
            last_epoch: int = -1,
            *,
            momentum: LearningRateSchedule | Sequence[LearningRateSchedule] | None = None,
            weight_decay: LearningRateSchedule | Sequence[LearningRateSchedule] | None = None,
        ) -> None:
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise TypeError(
                    "Argument `optimizer` must be a torch.optim.Optimizer. "
                    f"Received: optimizer={optimizer!r:.80}"
                )
            groups = len(optimizer.param_groups)
            self.schedules = _schedules(schedule, groups)
            self.hyperparameter_schedules = {}
            for key, given in (("momentum", momentum), ("weight_decay", weight_decay)):
                if given is not None:
                    self.hyperparameter_schedules[key] = _schedules(given, groups, key)
                    _check_driven(key, optimizer.param_groups)
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

        def step(self, epoch: float | None = None) -> None:
            """One step on (or, deprecated as in torch, to ``epoch``): every group's learning
            rate, and the driven hyperparameters, set to their schedules' values there."""
            if epoch is not None or self._step_count == 1:
                # torch's own: its checks of the call order (once), the epoch's deprecation
                super().step(epoch)  # type: ignore[arg-type]  # torch takes a float epoch too
                if self.hyperparameter_schedules:
                    self._drive()
                return
            # torch's step, without what only the first call needs: closed form at the step
            self._step_count += 1
            self.last_epoch = step = self.last_epoch + 1
            last = []
            for schedule, group in zip(self.schedules, self.optimizer.param_groups, strict=True):
                lr = group["lr"]
                if type(lr) is float or not isinstance(lr, torch.Tensor):
                    group["lr"] = lr = _scalar(schedule, step)
                else:
                    lr.copy_(self._tensor(schedule, lr))
                    lr = lr.clone()
                last.append(lr)
            self._last_lr = last
            if self.hyperparameter_schedules:
                self._drive()

        def _value(self, schedule: LearningRateSchedule, lr: object) -> float | torch.Tensor:
            if not isinstance(lr, torch.Tensor):
                return _scalar(schedule, max(self.last_epoch, 0))
            return self._tensor(schedule, lr)

        def _tensor(self, schedule: LearningRateSchedule, lr: torch.Tensor) -> torch.Tensor:
            """The schedule at ``last_epoch`` as a tensor like ``lr`` (device, shape, dtype)."""
            step = max(self.last_epoch, 0)
            # A whole step as int64 (exact at any count); a fractional one (`step(epoch + i /
            # iters)`, as torch documents for CosineAnnealingWarmRestarts) in the compute dtype,
            # so that a tensor lr gets the same fraction as a float one. torch.full, not
            # torch.tensor: a host-to-device copy would synchronize a CUDA stream.
            if isinstance(step, numbers.Integral):
                step_dtype = torch.int64
            else:
                step_dtype = _array._torch_dtypes(lr.device, torch.float32, None)[0]
            device_step = torch.full(lr.shape, step, dtype=step_dtype, device=lr.device)
            dtype = schedule.dtype or _dtype_name(lr.dtype)
            value: torch.Tensor = _array.evaluate(schedule._evaluate, device_step, dtype)
            return value

        def _drive(self) -> None:
            """Set every driven hyperparameter of every group to its schedule's value at
            ``last_epoch``: ``momentum`` is ``betas[0]`` where a group has ``betas`` (Adam and
            its kin, as torch's ``cycle_momentum`` does), else ``momentum``. A tensor value is
            updated in place, as a tensor ``lr`` is."""
            groups = self.optimizer.param_groups
            step = max(self.last_epoch, 0)
            for key, schedules in self.hyperparameter_schedules.items():
                betas = key == "momentum"
                for schedule, group in zip(schedules, groups, strict=True):
                    if betas and "betas" in group:
                        beta, *rest = group["betas"]
                        if type(beta) is float or not isinstance(beta, torch.Tensor):
                            group["betas"] = (_scalar(schedule, step), *rest)
                        else:
                            beta.copy_(self._tensor(schedule, beta))
                        continue
                    value = group[key]
                    if type(value) is float or not isinstance(value, torch.Tensor):
                        group[key] = _scalar(schedule, step)
                    else:
                        value.copy_(self._tensor(schedule, value))

        def _apply(self) -> None:
            """Set every group's ``lr`` and driven hyperparameters to their schedules' values
            at ``last_epoch`` (tensors in place)."""
            for group, value in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
                if isinstance(group["lr"], torch.Tensor) and isinstance(value, torch.Tensor):
                    group["lr"].copy_(value)
                else:
                    group["lr"] = value
            self._last_lr = [
                lr.clone() if isinstance(lr, torch.Tensor) else lr
                for lr in (group["lr"] for group in self.optimizer.param_groups)
            ]
            self._drive()

        def state_dict(self) -> dict[str, Any]:
            """The scheduler's state: torch's entries (``last_epoch`` is the step), under
            ``"schedules"`` one ``lrschedule.serialize`` config per parameter group, and under
            ``"hyperparameter_schedules"`` the same for each driven hyperparameter. All plain
            data and tensors, so ``torch.load`` reads it with ``weights_only=True``."""
            state = {
                key: value
                for key, value in self.__dict__.items()
                if key not in ("optimizer", _SCHEDULES, _HYPERPARAMETERS)
            }
            state[_SCHEDULES] = [serialize(schedule) for schedule in self.schedules]
            state[_HYPERPARAMETERS] = {
                key: [serialize(schedule) for schedule in schedules]
                for key, schedules in self.hyperparameter_schedules.items()
            }
            return state

        def load_state_dict(self, state_dict: dict[str, Any]) -> None:
            """Load a state from :meth:`state_dict`: adopt its step and schedules, and set each
            group's learning rate (and driven hyperparameters) to their values at
            ``last_epoch``.

            The schedules are rebuilt from their configs by ``lrschedule.deserialize``, which
            refuses (``lrschedule.ConfigError``) anything that is not a registered schedule's
            config. A schedule that differs from the one this scheduler was made with is adopted
            with a ``UserWarning``, and so are the driven hyperparameters' schedules (a state
            without a ``"hyperparameter_schedules"`` entry keeps this scheduler's).
            ``ValueError``: not this class's state, or another number of parameter groups.

            Every entry is checked before anything is set, as configs are: an entry this class
            does not write (``"get_lr"`` would shadow the method), or a value of the wrong kind
            (``last_epoch="abc"``, ``_step_count=-1``, a ``base_lrs`` of another length), is a
            :class:`~lrschedule.ConfigError` naming the key and the value, and the scheduler is
            left as it was. ``last_epoch`` is an int, or a finite float for a fractional step:
            ``scheduler.step(2.5)`` (torch's documented ``step(epoch + i / iters)``) leaves
            ``last_epoch == 2.5`` in the state, and loading it gives every group ``schedule(2.5)``;
            a later ``step()`` adds 1 (3.5), as in torch.
            """
            groups = self.optimizer.param_groups
            state = _checked_state(state_dict, len(groups))
            schedules = [deserialize(config) for config in state.pop(_SCHEDULES)]
            self._warn_if_changed("", self.schedules, schedules)
            driven = self.hyperparameter_schedules
            if _HYPERPARAMETERS in state:
                driven = {
                    key: [deserialize(config) for config in configs]
                    for key, configs in state.pop(_HYPERPARAMETERS).items()
                }
                for key in driven:
                    _check_driven(key, groups)
                for key in sorted({*driven, *self.hyperparameter_schedules}):
                    self._warn_if_changed(
                        f"{key} ", self.hyperparameter_schedules.get(key), driven.get(key)
                    )
            for key, value in state.items():
                setattr(self, key, value)
            self.schedules = schedules
            self.hyperparameter_schedules = driven
            self._apply()

        def _warn_if_changed(
            self,
            what: str,
            old: list[LearningRateSchedule] | None,
            new: list[LearningRateSchedule] | None,
        ) -> None:
            if old is None or new is None:
                if old != new:
                    warnings.warn(
                        f"lrschedule.torch.LRScheduler.load_state_dict: the checkpoint "
                        f"{'drives no' if new is None else 'drives the'} {what.strip()}, which "
                        f"this scheduler {'drove' if new is None else 'did not'}; continuing "
                        "with the checkpoint's",
                        UserWarning,
                        stacklevel=3,
                    )
                return
            changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            if changed:
                warnings.warn(
                    f"lrschedule.torch.LRScheduler.load_state_dict: the checkpoint's {what}"
                    f"schedule for parameter group(s) {changed} differs from the one this "
                    f"scheduler was made with; continuing with the checkpoint's: "
                    f"{new[changed[0]]!r:.200}",
                    UserWarning,
                    stacklevel=3,
                )
