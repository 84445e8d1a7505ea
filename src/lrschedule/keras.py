"""Keras 3 integration: :func:`to_keras` and :func:`from_keras`.

``to_keras(schedule)`` wraps a schedule as a ``keras.optimizers.schedules.LearningRateSchedule``
(:class:`KerasSchedule`) that any Keras optimizer takes as its ``learning_rate``, on the JAX, torch
and NumPy backends (also inside the backend's jit), and that Keras saves and loads with the model
(``model.save``/``keras.saving.load_model``, ``keras.optimizers.schedules.serialize``/
``deserialize``): its config holds ``lrschedule.serialize(schedule)``. ``from_keras`` goes the other
way, for Keras's six built-in schedules and for the wrapper.

The TensorFlow backend is not supported: TensorFlow tensors are not array API arrays, so a schedule
cannot be called on the step Keras passes there (a ``TypeError`` says so at the first step).

``import lrschedule`` never imports Keras; ``import lrschedule.keras`` does, with the backend that
``KERAS_BACKEND`` (or ``~/.keras/keras.json``) selects, and registers :class:`KerasSchedule` with
Keras (as ``"lrschedule>KerasSchedule"``): import it before loading a saved model that uses one.
Where Keras cannot be imported, this module still imports, and ``from lrschedule.keras import
to_keras`` raises an ``ImportError`` that gives the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrschedule.registry import ConfigError, deserialize, serialize
from lrschedule.schedule import LearningRateSchedule

__all__ = ["KerasSchedule", "from_keras", "to_keras"]

_REGISTERED_NAME = "lrschedule>KerasSchedule"

_IMPORT_ERROR: ImportError | None
try:
    import keras  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError as error:  # Keras is optional; so is its backend (TensorFlow by default)
    _IMPORT_ERROR = error
else:
    _IMPORT_ERROR = None


def __getattr__(name: str) -> Any:
    if name in __all__ and _IMPORT_ERROR is not None:
        raise ImportError(
            f"lrschedule.keras.{name} needs Keras 3 with a working backend, which could not be "
            f"imported ({_IMPORT_ERROR}); install it with `pip install keras` and choose a "
            "backend with KERAS_BACKEND=jax, torch or numpy"
        ) from _IMPORT_ERROR
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if _IMPORT_ERROR is None:

    @keras.saving.register_keras_serializable(package="lrschedule")
    class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]  # Keras is untyped
        """An lrschedule schedule as a Keras ``LearningRateSchedule``; made by :func:`to_keras`.

        Called by the optimizer with its ``iterations`` (a backend variable or, under jit, a
        traced array), it converts the step with ``keras.ops.convert_to_tensor`` and returns
        ``schedule(step)``: a backend array, in the schedule's ``dtype`` or the backend's default
        float dtype (float32 for JAX without x64 and for torch). Its config is
        ``{"schedule": lrschedule.serialize(schedule)}``; loading one goes through
        ``lrschedule.deserialize``, which only looks names up in lrschedule's registry.

        Args:
            schedule: the :class:`~lrschedule.LearningRateSchedule`, or its serialized config.

        >>> import lrschedule
        >>> from lrschedule.keras import KerasSchedule
        >>> wrapped = KerasSchedule(lrschedule.ExponentialDecay(0.1, 1000, 0.96))
        >>> wrapped.get_config()["schedule"]["class_name"]
        'ExponentialDecay'
        >>> KerasSchedule.from_config(wrapped.get_config()).schedule == wrapped.schedule
        True
        """

        schedule: LearningRateSchedule
        """The wrapped schedule."""

        def __init__(self, schedule: LearningRateSchedule | Mapping[str, Any]) -> None:
            if not isinstance(schedule, (LearningRateSchedule, Mapping)):
                raise TypeError(
                    "Argument `schedule` must be an lrschedule.LearningRateSchedule or its "
                    f"config. Received: schedule={schedule!r:.80}"
                )
            self.schedule = deserialize(
                schedule if isinstance(schedule, LearningRateSchedule) else dict(schedule)
            )

        def __call__(self, step: Any) -> Any:
            return self.schedule(keras.ops.convert_to_tensor(step))

        def get_config(self) -> dict[str, Any]:
            return {"schedule": serialize(self.schedule)}

        @classmethod
        def from_config(cls, config: dict[str, Any]) -> KerasSchedule:
            if not isinstance(config, dict) or set(config) != {"schedule"}:
                keys = sorted(config) if isinstance(config, dict) else config
                raise ConfigError(
                    "a KerasSchedule config is {'schedule': <lrschedule config>}. "
                    f"Received: {keys!r:.200}"
                )
            return cls(deserialize(config["schedule"]))

        def __repr__(self) -> str:
            return f"KerasSchedule({self.schedule!r})"

    def to_keras(schedule: LearningRateSchedule) -> KerasSchedule:
        """``schedule`` as a Keras ``LearningRateSchedule``, for any Keras optimizer.

        Args:
            schedule: an lrschedule :class:`~lrschedule.LearningRateSchedule`.

        Returns:
            A :class:`KerasSchedule` (a ``keras.optimizers.schedules.LearningRateSchedule``).

        >>> import keras, lrschedule
        >>> from lrschedule.keras import from_keras, to_keras
        >>> schedule = lrschedule.CosineDecay(0.0, 900, warmup_target=0.1, warmup_steps=100)
        >>> optimizer = keras.optimizers.SGD(learning_rate=to_keras(schedule))
        >>> config = optimizer.get_config()["learning_rate"]  # what model.save writes
        >>> config["registered_name"]
        'lrschedule>KerasSchedule'
        >>> from_keras(config) == schedule
        True
        >>> from_keras(keras.optimizers.schedules.deserialize(config)) == schedule
        True
        """
        if not isinstance(schedule, LearningRateSchedule):
            raise TypeError(
                "to_keras() takes an lrschedule.LearningRateSchedule. "
                f"Received: schedule={schedule!r:.80}"
            )
        return KerasSchedule(schedule)

    def from_keras(schedule: Any) -> LearningRateSchedule:
        """A Keras schedule as the equal lrschedule schedule.

        Takes one of Keras 3's six built-in schedules (``ExponentialDecay``, ``InverseTimeDecay``,
        ``PolynomialDecay``, ``PiecewiseConstantDecay``, ``CosineDecay``, ``CosineDecayRestarts``)
        or its Keras config (``keras.optimizers.schedules.serialize`` output, also as TF 2's
        ``{"class_name", "config"}``), and unwraps a :class:`KerasSchedule` or its config. Another
        Keras schedule (a user's own class) has no lrschedule equivalent:
        ``lrschedule.ConfigError``.

        >>> import keras
        >>> from lrschedule.keras import from_keras
        >>> from_keras(keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.96))
        ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96)
        """
        if isinstance(schedule, KerasSchedule):
            return schedule.schedule
        if isinstance(schedule, LearningRateSchedule):
            return schedule
        if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            config = keras.optimizers.schedules.serialize(schedule)
        elif isinstance(schedule, Mapping):
            config = dict(schedule)
        else:
            raise TypeError(
                "from_keras() takes a keras.optimizers.schedules.LearningRateSchedule or its "
                f"config. Received: {schedule!r:.80}"
            )
        # Keras 3 names the wrapper in "registered_name"; TF 2's form puts it in "class_name"
        if _REGISTERED_NAME in (config.get("registered_name"), config.get("class_name")):
            # checked as deserialize checks a config's keys and module
            unknown = set(config) - {"module", "class_name", "config", "registered_name"}
            module = config.get("module")
            if unknown:
                raise ConfigError(
                    f"unknown key {sorted(map(repr, unknown))[0]:.80} in a {_REGISTERED_NAME!r} "
                    "config; it has the keys 'class_name', 'config' and optionally "
                    "'registered_name' and 'module'"
                )
            if module not in (None, __name__):
                raise ConfigError(
                    f"unknown module {module!r:.80} for {_REGISTERED_NAME!r}; "
                    f"expected {__name__!r} or None"
                )
            return KerasSchedule.from_config(config.get("config")).schedule
        return deserialize(config)
