"""Run lrschedule.keras through Keras on one backend, in a process of its own; report as JSON.

Keras picks its backend once, at import, from ``KERAS_BACKEND``, so tests/test_integration_keras.py
runs this script in a subprocess per backend::

    KERAS_BACKEND=jax python tests/integration/keras_check.py train SCHEDULE_JSON WORKDIR
    KERAS_BACKEND=jax python tests/integration/keras_check.py load SCHEDULE_JSON WORKDIR

``train`` fits a one-weight model with ``SGD(learning_rate=to_keras(schedule))``, records the
learning rate each step used, saves the model to ``WORKDIR/model.keras`` and exercises Keras's
serialization; ``load`` loads that model in a fresh process (which imports
``lrschedule.keras`` and nothing else of ours) and trains on. Each writes ``WORKDIR/<mode>.json``
with what it observed; the test compares that with the schedule. Nothing here asserts.

The model is ``y = w * x`` with ``x = 1`` and the loss ``y``: its gradient is exactly 1, so after a
step from ``w = 0``, ``-w`` is exactly the (float32) learning rate the compiled step used.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any


def main(mode: str, schedule_json: str, workdir: str) -> None:
    warnings.simplefilter("error")
    # Keras's own NumPy 2 conversions warn; that is Keras's business, not under test here
    warnings.filterwarnings(
        "ignore", "__array__ implementation doesn.t accept a copy keyword", DeprecationWarning
    )
    # and torch.compile's inductor imports a deprecated torch.jit API of torch's own
    warnings.filterwarnings("ignore", "`torch.jit.script_method` is deprecated", DeprecationWarning)
    import keras
    import numpy as np

    import lrschedule
    from lrschedule.keras import KerasSchedule, from_keras, to_keras

    schedule = lrschedule.from_json(schedule_json)
    work = Path(workdir)
    backend = keras.backend.backend()
    report: dict[str, Any] = {"backend": backend}

    @keras.saving.register_keras_serializable(package="lrschedule_tests")
    def sum_loss(y_true: Any, y_pred: Any) -> Any:
        return keras.ops.sum(y_pred)

    def scalar(x: Any) -> float:
        return float(keras.ops.stop_gradient(keras.ops.reshape(x, (-1,)))[0])

    class RecordRates(keras.callbacks.Callback):
        """Before each step: zero the weight and note the step; after it: the rate used."""

        def __init__(self) -> None:
            super().__init__()
            self.steps: list[int] = []
            self.used: list[float] = []
            self.reported: list[float] = []

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            model = self.model  # syncs the JAX trainer's state, so the assignment is seen
            optimizer = model.optimizer
            self.steps.append(int(scalar(optimizer.iterations)))
            self.reported.append(scalar(optimizer.learning_rate))
            model.layers[0].kernel.assign(np.zeros((1, 1), "float32"))

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.used.append(-scalar(self.model.layers[0].kernel))

    def fit(model: Any, steps: int) -> dict[str, Any]:
        x = np.ones((steps, 1), "float32")
        record = RecordRates()
        model.fit(x, x, batch_size=1, epochs=1, verbose=0, shuffle=False, callbacks=[record])
        return {
            "steps": record.steps,
            "used": record.used,
            "reported": record.reported,
            "iterations": int(scalar(model.optimizer.iterations)),
            "lr_dtype": str(model.optimizer.learning_rate.dtype).rsplit(".", 1)[-1],
        }

    def direct(steps: list[int]) -> list[float]:
        """The schedule called directly on the backend's arrays, outside Keras."""
        values = schedule(keras.ops.convert_to_tensor(np.asarray(steps, "int32")))
        return [float(v) for v in keras.ops.convert_to_numpy(values)]

    if mode == "train":
        wrapped = to_keras(schedule)
        report["call"] = {
            "variable": scalar(wrapped(keras.Variable(7, dtype="int32", trainable=False))),
            "direct_7": direct([7])[0],
        }
        config = keras.optimizers.schedules.serialize(wrapped)
        text = json.dumps(config)
        loaded = keras.optimizers.schedules.deserialize(json.loads(text))
        report["serialize"] = {
            "config": json.loads(text),
            "type": type(loaded).__name__,
            "is_keras_schedule": isinstance(
                loaded, keras.optimizers.schedules.LearningRateSchedule
            ),
            "loaded": lrschedule.to_json(from_keras(loaded)),
            "unwrapped_config": lrschedule.to_json(from_keras(json.loads(text))),
            "object": lrschedule.to_json(
                keras.saving.deserialize_keras_object(
                    keras.saving.serialize_keras_object(wrapped)
                ).schedule
            ),
        }
        if backend == "numpy":  # Keras's NumPy backend cannot train
            report["direct"] = direct(list(range(30)))
        else:
            for jit in (True, False):  # the backend's jit (XLA, torch.compile), then eagerly
                model = _model(keras)
                optimizer = keras.optimizers.SGD(learning_rate=to_keras(schedule))
                model.compile(optimizer=optimizer, loss=sum_loss, jit_compile=jit)
                report[f"fit_jit_{jit}"] = fit(model, 30)
            report["direct"] = direct(list(range(40)))
            model.save(work / "model.keras")  # the eager one: loading it compiles nothing
        assert isinstance(wrapped, KerasSchedule)
    elif mode == "load":
        model = keras.saving.load_model(work / "model.keras")
        optimizer = model.optimizer
        rate = optimizer.get_config()["learning_rate"]
        report["load"] = {
            "optimizer_config_learning_rate": rate,
            "schedule": lrschedule.to_json(from_keras(rate)),
            "type": type(optimizer._learning_rate).__name__,
            "iterations": int(scalar(optimizer.iterations)),
            "learning_rate": scalar(optimizer.learning_rate),
        }
        report["resumed"] = fit(model, 10)
        report["direct"] = direct(list(range(40)))
    (work / f"{mode}.json").write_text(json.dumps(report))


def _model(keras: Any) -> Any:
    return keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
        ]
    )


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    main(*sys.argv[1:])
