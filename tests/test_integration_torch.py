"""``lrschedule.torch.LRScheduler`` in real torch training loops (CPU).

A small linear model trains for a few hundred steps with SGD and Adam; the learning rate each
optimizer step used must be exactly ``schedule(step)``. Also: resuming from a ``torch.save``
checkpoint halfway gives the identical run, one schedule per parameter group, tensor learning rates
updated in place under a ``torch.compile``'d optimizer step without recompiling, and the
``state_dict`` rules (safe loading, mismatches, foreign checkpoints).
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lrschedule  # noqa: E402
from lrschedule.torch import LRScheduler  # noqa: E402

STEPS = 300

SCHEDULES: dict[str, lrschedule.LearningRateSchedule] = {
    "exponential": lrschedule.ExponentialDecay(0.1, decay_steps=50, decay_rate=0.5),
    "cosine-warmup": lrschedule.CosineDecay(
        0.0, decay_steps=250, alpha=0.01, warmup_target=0.05, warmup_steps=50
    ),
    "cosine-restarts": lrschedule.CosineDecayRestarts(0.05, first_decay_steps=40, t_mul=1.5),
    "warmup-sequential": lrschedule.Warmup(
        lrschedule.Sequential(
            [lrschedule.Constant(0.05), lrschedule.Linear(0.05, 0.001, 100)], boundaries=[100]
        ),
        warmup_steps=30,
        initial_learning_rate=0.001,
    ),
}

OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}


def _data(seed: int = 0, batches: int = 8) -> list[tuple[Any, Any]]:
    generator = torch.Generator().manual_seed(seed)
    true_weight = torch.randn(8, 1, generator=generator)
    data = []
    for _ in range(batches):
        x = torch.randn(32, 8, generator=generator)
        data.append((x, x @ true_weight + 0.01 * torch.randn(32, 1, generator=generator)))
    return data


def _model(seed: int = 1) -> Any:
    torch.manual_seed(seed)
    return torch.nn.Linear(8, 1)


def _train(
    model: Any,
    optimizer: Any,
    scheduler: Any,
    steps: range,
    data: list[tuple[Any, Any]],
) -> tuple[list[list[float]], list[float]]:
    """Run ``steps``; return the learning rates each optimizer step used (per group) and losses."""
    lrs, losses = [], []
    for step in steps:
        assert scheduler.last_epoch == step
        x, y = data[step % len(data)]
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        lrs.append([float(group["lr"]) for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return lrs, losses


@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("schedule_name", list(SCHEDULES))
def test_training_uses_schedule_exactly(schedule_name: str, optimizer_name: str) -> None:
    schedule = SCHEDULES[schedule_name]
    model = _model()
    optimizer = OPTIMIZERS[optimizer_name](model.parameters(), 123.0)  # replaced by schedule(0)
    scheduler = LRScheduler(optimizer, schedule)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler)
    lrs, losses = _train(model, optimizer, scheduler, range(STEPS), _data())
    assert [lr for (lr,) in lrs] == [float(schedule(t)) for t in range(STEPS)]
    assert scheduler.last_epoch == STEPS
    assert scheduler.get_last_lr() == [float(schedule(STEPS))]
    assert optimizer.param_groups[0]["lr"] == float(schedule(STEPS))
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])


def test_values_against_the_formula() -> None:
    """An independent check that step ``t`` of the loop gets the rate at ``t`` (no off-by-one)."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    scheduler = LRScheduler(optimizer, SCHEDULES["exponential"])
    lrs, _ = _train(model, optimizer, scheduler, range(STEPS), _data())
    for t, (lr,) in enumerate(lrs):
        assert math.isclose(lr, 0.1 * 0.5 ** (t / 50), rel_tol=1e-13), t


def _checkpoint_run(
    tmp_path: Path, schedule: Any, make_optimizer: Callable[..., Any], lr: Any
) -> tuple[list[list[float]], Any, list[list[float]], Any]:
    data = _data()
    model = _model()
    optimizer = make_optimizer(model.parameters(), lr)
    scheduler = LRScheduler(optimizer, schedule)
    straight, _ = _train(model, optimizer, scheduler, range(STEPS), data)

    model = _model()
    optimizer = make_optimizer(model.parameters(), lr)
    scheduler = LRScheduler(optimizer, schedule)
    first, _ = _train(model, optimizer, scheduler, range(STEPS // 2), data)
    path = tmp_path / "checkpoint.pt"
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        path,
    )
    del model, optimizer, scheduler

    checkpoint = torch.load(path)  # weights_only=True, torch's default
    model = _model(seed=99)
    optimizer = make_optimizer(model.parameters(), lr)
    scheduler = LRScheduler(optimizer, schedule)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert scheduler.last_epoch == STEPS // 2
    second, _ = _train(model, optimizer, scheduler, range(STEPS // 2, STEPS), data)
    return straight, first + second, scheduler, model


@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("schedule_name", ["cosine-warmup", "warmup-sequential"])
def test_resume_from_checkpoint_is_identical(
    tmp_path: Path, schedule_name: str, optimizer_name: str
) -> None:
    schedule = SCHEDULES[schedule_name]
    straight, resumed, scheduler, _ = _checkpoint_run(
        tmp_path, schedule, OPTIMIZERS[optimizer_name], 0.0
    )
    assert resumed == straight
    assert [lr for (lr,) in resumed] == [float(schedule(t)) for t in range(STEPS)]
    assert scheduler.schedules == [schedule]


def test_resume_reproduces_the_weights(tmp_path: Path) -> None:
    """The whole run, not only its rates: the resumed model ends with the same weights."""
    data = _data()
    schedule = SCHEDULES["cosine-restarts"]
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.0)
    scheduler = LRScheduler(optimizer, schedule)
    _train(model, optimizer, scheduler, range(STEPS), data)
    _, _, _, resumed_model = _checkpoint_run(
        tmp_path, schedule, lambda params, lr: torch.optim.Adam(params, lr=lr), 0.0
    )
    for name, value in model.state_dict().items():
        assert torch.equal(value, resumed_model.state_dict()[name]), name


def test_resume_with_tensor_lr(tmp_path: Path) -> None:
    schedule = SCHEDULES["cosine-warmup"]
    straight, resumed, _, _ = _checkpoint_run(
        tmp_path,
        schedule,
        lambda params, lr: torch.optim.Adam(params, lr=lr),
        torch.tensor(0.0),
    )
    assert resumed == straight
    expected = [float(schedule(torch.tensor(t))) for t in range(STEPS)]  # float32, as the lr
    assert [lr for (lr,) in resumed] == expected


def test_load_state_dict_sets_the_rates_even_without_the_optimizer_state() -> None:
    schedule = SCHEDULES["exponential"]
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    scheduler = LRScheduler(optimizer, schedule)
    for _ in range(70):
        optimizer.step()
        scheduler.step()
    fresh = torch.optim.SGD(_model().parameters(), lr=0.0)
    resumed = LRScheduler(fresh, schedule)
    resumed.load_state_dict(scheduler.state_dict())
    assert fresh.param_groups[0]["lr"] == float(schedule(70))
    assert resumed.get_last_lr() == [float(schedule(70))]


def test_per_group_schedules() -> None:
    model = _model()
    schedules = (SCHEDULES["exponential"], SCHEDULES["cosine-warmup"])
    optimizer = torch.optim.SGD(
        [{"params": [model.weight]}, {"params": [model.bias], "momentum": 0.5}], lr=0.0
    )
    scheduler = LRScheduler(optimizer, schedules)
    lrs, _ = _train(model, optimizer, scheduler, range(STEPS), _data())
    assert [lr[0] for lr in lrs] == [float(schedules[0](t)) for t in range(STEPS)]
    assert [lr[1] for lr in lrs] == [float(schedules[1](t)) for t in range(STEPS)]
    assert scheduler.schedules == list(schedules)
    state = scheduler.state_dict()
    assert state["schedules"] == [lrschedule.serialize(s) for s in schedules]


def test_one_schedule_for_every_group() -> None:
    model = _model()
    schedule = SCHEDULES["cosine-restarts"]
    optimizer = torch.optim.Adam([{"params": [model.weight]}, {"params": [model.bias]}], lr=1.0)
    scheduler = LRScheduler(optimizer, schedule)
    lrs, _ = _train(model, optimizer, scheduler, range(100), _data())
    assert lrs == [[float(schedule(t))] * 2 for t in range(100)]
    assert scheduler.schedules == [schedule, schedule]


# torch's own inductor modules, imported on the first compilation, use a deprecated torch.jit API
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_tensor_lr_in_place_with_compiled_optimizer_step() -> None:
    """``lr=torch.tensor(...)`` keeps its tensor, updated in place, and a compiled optimizer step
    compiles once: the learning rate changes every step without recompiling."""
    from torch._dynamo.utils import counters

    schedule = SCHEDULES["cosine-warmup"]
    model = _model()
    lr = torch.tensor(0.01)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = LRScheduler(optimizer, schedule)
    data = _data()

    # backend="eager": dynamo's guards (what decides a recompilation) without inductor's C++ build
    @torch.compile(backend="eager")
    def optimizer_step() -> None:
        optimizer.step()

    torch._dynamo.reset()
    counters.clear()
    compiled_after_warmup = None
    used = []
    for step in range(60):
        x, y = data[step % len(data)]
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        used.append(lr.clone())
        optimizer_step()
        scheduler.step()
        if step == 0:
            compiled_after_warmup = dict(counters["stats"])
    assert compiled_after_warmup is not None
    assert compiled_after_warmup["unique_graphs"] >= 1
    assert dict(counters["stats"]) == compiled_after_warmup, "the optimizer step recompiled"
    assert optimizer.param_groups[0]["lr"] is lr
    assert all(lr_t.dtype == torch.float32 for lr_t in used)
    assert [float(v) for v in used] == [float(schedule(torch.tensor(t))) for t in range(60)]
    assert len({float(v) for v in used}) > 50  # the rate did change every step
    torch._dynamo.reset()


def test_tensor_lr_keeps_its_dtype() -> None:
    """A float64 ``lr`` tensor gets the schedule in float64; a schedule's own dtype wins."""
    schedule = SCHEDULES["cosine-restarts"]
    as_float64 = dataclasses.replace(schedule, dtype="float64")
    lr = torch.tensor(0.0, dtype=torch.float64)
    optimizer = torch.optim.SGD(_model().parameters(), lr=lr)
    scheduler = LRScheduler(optimizer, schedule)
    for step in range(1, 50):
        optimizer.step()
        scheduler.step()
        assert lr.dtype == torch.float64
        assert lr.item() == as_float64(torch.tensor(step)).item()
        assert math.isclose(lr.item(), float(schedule(step)), rel_tol=1e-14)

    bfloat16 = dataclasses.replace(schedule, dtype="bfloat16")
    lr = torch.tensor(0.0)
    optimizer = torch.optim.SGD(_model().parameters(), lr=lr)
    scheduler = LRScheduler(optimizer, bfloat16)
    for _ in range(7):
        optimizer.step()
        scheduler.step()
    assert lr.dtype == torch.float32
    assert lr.item() == bfloat16(torch.tensor(7)).float().item()


def test_deprecated_step_with_epoch_is_closed_form() -> None:
    schedule = SCHEDULES["exponential"]
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.0)
    scheduler = LRScheduler(optimizer, schedule)
    optimizer.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(123)
    assert optimizer.param_groups[0]["lr"] == float(schedule(123))
    assert scheduler.get_lr() == [float(schedule(123))]  # closed form: callable at any time


def _trained_scheduler(schedule: Any, steps: int = 10, groups: int = 1) -> Any:
    model = _model()
    params = [{"params": [model.weight]}, {"params": [model.bias]}][:groups]
    optimizer = torch.optim.SGD(params if groups > 1 else model.parameters(), lr=0.0)
    scheduler = LRScheduler(optimizer, schedule)
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
    return scheduler


def test_load_state_dict_adopts_another_schedule_with_a_warning() -> None:
    saved = _trained_scheduler(SCHEDULES["cosine-warmup"]).state_dict()
    other = SCHEDULES["exponential"]
    scheduler = _trained_scheduler(other, steps=0)
    with pytest.warns(UserWarning, match=r"differs .* continuing with the checkpoint's"):
        scheduler.load_state_dict(saved)
    assert scheduler.schedules == [SCHEDULES["cosine-warmup"]]
    assert scheduler.optimizer.param_groups[0]["lr"] == float(SCHEDULES["cosine-warmup"](10))


def test_load_state_dict_refuses_foreign_or_mismatched_states() -> None:
    schedule = SCHEDULES["exponential"]
    scheduler = _trained_scheduler(schedule, steps=0)
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.1)
    step_lr = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3)
    with pytest.raises(ValueError, match="no 'schedules' entry"):
        scheduler.load_state_dict(step_lr.state_dict())
    two_groups = _trained_scheduler(schedule, groups=2).state_dict()
    with pytest.raises(ValueError, match="2 parameter groups; this optimizer has 1"):
        scheduler.load_state_dict(two_groups)


def test_load_state_dict_is_safe() -> None:
    """Configs are data: a hostile one is refused by the registry, nothing runs."""
    scheduler = _trained_scheduler(SCHEDULES["exponential"], steps=3)
    state = scheduler.state_dict()
    state["schedules"] = [{"class_name": "os.system", "config": {"command": "echo hi"}}]
    with pytest.raises(lrschedule.ConfigError, match="unknown schedule"):
        scheduler.load_state_dict(state)
    assert scheduler.schedules == [SCHEDULES["exponential"]]
    assert scheduler.last_epoch == 3  # nothing was loaded


def test_state_dict_is_plain_data(tmp_path: Path) -> None:
    scheduler = _trained_scheduler(SCHEDULES["warmup-sequential"], steps=5)
    state = scheduler.state_dict()
    assert "optimizer" not in state
    assert state["last_epoch"] == 5
    assert lrschedule.deserialize(state["schedules"][0]) == SCHEDULES["warmup-sequential"]
    torch.save(state, tmp_path / "s.pt")
    assert torch.load(tmp_path / "s.pt", weights_only=True) == state


def test_arguments_are_checked() -> None:
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"`schedule` must be an lrschedule.LearningRateSchedule"):
        LRScheduler(optimizer, lambda step: 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`schedule\[1\]`"):
        LRScheduler(optimizer, [SCHEDULES["exponential"], 0.1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"1 parameter groups\. Received: 2 schedules"):
        LRScheduler(optimizer, [SCHEDULES["exponential"]] * 2)
    with pytest.raises(TypeError, match=r"torch\.optim\.Optimizer"):
        LRScheduler(object(), SCHEDULES["exponential"])  # type: ignore[arg-type]


def test_without_torch_the_import_error_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "import lrschedule.torch\n"
        "try:\n"
        "    from lrschedule.torch import LRScheduler\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs PyTorch" in out.stdout
    assert "pip install torch" in out.stdout


DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.filterwarnings("ignore:The epoch parameter:UserWarning")
@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
@pytest.mark.parametrize("device", DEVICES)
def test_fractional_epochs_agree_across_float_and_tensor_lrs(device: str) -> None:
    """torch's documented use of CosineAnnealingWarmRestarts, ``scheduler.step(epoch + i /
    iters)``: a group whose lr is a tensor gets the fraction too (it was truncated), and both
    groups give torch's own values."""
    model = _model().to(device)
    groups = [
        {"params": [model.weight], "lr": torch.tensor(0.1, dtype=torch.float64, device=device)},
        {"params": [model.bias], "lr": 0.1},
    ]
    optimizer = torch.optim.SGD(groups, lr=0.1)
    schedule = lrschedule.CosineDecayRestarts(0.1, first_decay_steps=3, t_mul=2.0, alpha=0.05)
    scheduler = LRScheduler(optimizer, schedule)
    reference_optimizer = torch.optim.SGD(_model().parameters(), lr=0.1)
    reference = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        reference_optimizer, T_0=3, T_mult=2, eta_min=0.005
    )
    iters = 7
    for epoch in range(5):
        for i in range(iters):
            optimizer.step()
            reference_optimizer.step()
            scheduler.step(epoch + i / iters)
            reference.step(epoch + i / iters)
            expected = reference_optimizer.param_groups[0]["lr"]
            tensor_lr, float_lr = (group["lr"] for group in optimizer.param_groups)
            assert isinstance(tensor_lr, torch.Tensor)
            assert tensor_lr.device.type == device
            assert float(tensor_lr) == pytest.approx(expected, rel=1e-12, abs=0.0)
            assert float_lr == pytest.approx(expected, rel=1e-12, abs=0.0)
            assert float(tensor_lr) == pytest.approx(float_lr, rel=1e-15, abs=0.0)


@pytest.mark.filterwarnings("ignore:The epoch parameter:UserWarning")
def test_a_fractional_step_round_trips_through_the_state() -> None:
    """``last_epoch=2.5`` is a fractional step (what ``step(2.5)`` leaves), kept by a resume."""
    schedule = SCHEDULES["cosine-restarts"]
    scheduler = _trained_scheduler(schedule, steps=2)
    scheduler.step(2.5)
    state = scheduler.state_dict()
    assert state["last_epoch"] == 2.5
    fresh = torch.optim.SGD(_model().parameters(), lr=torch.tensor(0.0, dtype=torch.float64))
    resumed = LRScheduler(fresh, schedule)
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 2.5
    assert float(fresh.param_groups[0]["lr"]) == float(schedule(2.5)) != float(schedule(2))
    fresh.step()
    resumed.step()
    assert resumed.last_epoch == 3.5
    assert float(fresh.param_groups[0]["lr"]) == float(schedule(3.5))


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"last_epoch": "abc"}, r"`state_dict\['last_epoch'\]` must be an int or a finite float"),
        ({"last_epoch": float("nan")}, r"last_epoch=nan"),
        ({"last_epoch": -2}, r"at least -1\. Received: last_epoch=-2"),
        ({"last_epoch": True}, r"Received: last_epoch=True"),
        ({"get_lr": "boom"}, r"does not write: 'get_lr'"),
        ({"optimizer": None}, r"does not write: 'optimizer'"),
        ({"_step_count": 1.5}, r"`state_dict\['_step_count'\]` must be an int >= 0"),
        ({"base_lrs": [0.1, 0.2]}, r"`state_dict\['base_lrs'\]` must be a list of 1 finite"),
        ({"_last_lr": ["x"]}, r"Received: _last_lr=\['x'\]"),
        ({"_is_initial": 0}, r"`state_dict\['_is_initial'\]` must be a bool"),
    ],
)
def test_load_state_dict_checks_every_entry(entry: dict[str, Any], match: str) -> None:
    scheduler = _trained_scheduler(SCHEDULES["exponential"], steps=3)
    state = {**scheduler.state_dict(), **entry}
    other = _trained_scheduler(SCHEDULES["cosine-warmup"], steps=5)
    with pytest.raises(lrschedule.ConfigError, match=match):
        other.load_state_dict(state)
    assert other.last_epoch == 5  # nothing was set
    assert other.schedules == [SCHEDULES["cosine-warmup"]]
    assert "get_lr" not in vars(other)


def test_load_state_dict_needs_the_step() -> None:
    scheduler = _trained_scheduler(SCHEDULES["exponential"], steps=3)
    state = scheduler.state_dict()
    del state["last_epoch"]
    with pytest.raises(lrschedule.ConfigError, match="no 'last_epoch' entry"):
        scheduler.load_state_dict(state)


# -- momentum and weight decay driven by schedules (issue 13, item 5) -------------------------

MOMENTUM_STEPS = 120


def _train_recording(
    model: Any, optimizer: Any, scheduler: Any, steps: range, data: list[tuple[Any, Any]]
) -> list[tuple[float, float, float]]:
    """Run ``steps``; the (lr, momentum or beta1, weight decay) each optimizer step used."""
    used = []
    for step in steps:
        x, y = data[step % len(data)]
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        group = optimizer.param_groups[0]
        momentum = group["betas"][0] if "betas" in group else group["momentum"]
        used.append((float(group["lr"]), float(momentum), float(group["weight_decay"])))
        optimizer.step()
        scheduler.step()
    return used


MOMENTUM_OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: torch.optim.Adam(params, lr=0.1),
}


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("optimizer_name", list(MOMENTUM_OPTIMIZERS))
def test_momentum_schedule_is_onecyclelr_cycle_momentum_across_a_resume(
    optimizer_name: str, three_phase: bool, tmp_path: Path
) -> None:
    """A real training loop, checkpointed halfway with ``torch.save`` and resumed in fresh
    objects: the momentum (SGD) or beta1 (Adam) each step used is torch's ``OneCycleLR(...,
    cycle_momentum=True)``'s, at rtol 1e-9, and so is the learning rate."""
    make = MOMENTUM_OPTIMIZERS[optimizer_name]
    data = _data()
    kwargs = {"pct_start": 0.25, "three_phase": three_phase}

    model = _model()
    optimizer = make(model.parameters())
    reference = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        0.05,
        total_steps=MOMENTUM_STEPS,
        cycle_momentum=True,
        base_momentum=0.8,
        max_momentum=0.93,
        **kwargs,
    )
    expected = _train_recording(model, optimizer, reference, range(MOMENTUM_STEPS), data)

    schedule = lrschedule.OneCycle(0.05, MOMENTUM_STEPS, **kwargs)
    momentum = schedule.momentum(base_momentum=0.8, max_momentum=0.93)
    half = MOMENTUM_STEPS // 2
    model = _model()
    optimizer = make(model.parameters())
    scheduler = LRScheduler(optimizer, schedule, momentum=momentum)
    used = _train_recording(model, optimizer, scheduler, range(half), data)
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        tmp_path / "checkpoint.pt",
    )
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["scheduler"]["hyperparameter_schedules"] == {
        "momentum": [lrschedule.serialize(momentum)]
    }

    model = _model(seed=7)  # other weights: the checkpoint brings them back
    optimizer = make(model.parameters())
    scheduler = LRScheduler(optimizer, schedule, momentum=momentum)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert scheduler.last_epoch == half
    used += _train_recording(model, optimizer, scheduler, range(half, MOMENTUM_STEPS), data)

    np.testing.assert_allclose(
        [u[1] for u in used], [e[1] for e in expected], rtol=1e-9, atol=0, err_msg="momentum"
    )
    np.testing.assert_allclose(
        [u[0] for u in used], [e[0] for e in expected], rtol=1e-9, atol=0, err_msg="lr"
    )


def test_cyclic_momentum_is_cycliclr_cycle_momentum() -> None:
    data = _data()
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    reference = torch.optim.lr_scheduler.CyclicLR(
        optimizer, 0.01, 0.1, step_size_up=7, step_size_down=12, mode="triangular2"
    )
    expected = _train_recording(model, optimizer, reference, range(100), data)
    schedule = lrschedule.Cyclic(0.01, 0.1, 7, 12, mode="triangular2")
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = LRScheduler(optimizer, schedule, momentum=schedule.momentum(0.8, 0.9))
    used = _train_recording(model, optimizer, scheduler, range(100), data)
    np.testing.assert_allclose(np.asarray(used)[:, :2], np.asarray(expected)[:, :2], rtol=1e-9)


def test_weight_decay_schedule_per_group_and_state() -> None:
    model = _model()
    groups = [{"params": [model.weight]}, {"params": [model.bias]}]
    optimizer = torch.optim.AdamW(groups, lr=0.1, weight_decay=0.5)
    decay = [lrschedule.Linear(0.1, 0.0, 10), lrschedule.Constant(0.0)]
    scheduler = LRScheduler(optimizer, lrschedule.Constant(0.01), weight_decay=decay)
    for step in range(15):
        assert optimizer.param_groups[0]["weight_decay"] == float(decay[0](step))
        assert optimizer.param_groups[1]["weight_decay"] == 0.0
        optimizer.step()
        scheduler.step()
    state = scheduler.state_dict()
    fresh = torch.optim.AdamW([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1)
    resumed = LRScheduler(fresh, lrschedule.Constant(0.01))
    with pytest.warns(UserWarning, match="drives the weight_decay, which this scheduler did not"):
        resumed.load_state_dict(state)
    assert resumed.hyperparameter_schedules == {"weight_decay": decay}
    assert fresh.param_groups[0]["weight_decay"] == float(decay[0](15))


def test_momentum_schedule_on_tensor_betas() -> None:
    """Adam's ``betas`` as tensors: beta1 updated in place, as a tensor lr is."""
    model = _model()
    betas = (torch.tensor(0.9, dtype=torch.float64), torch.tensor(0.999, dtype=torch.float64))
    optimizer = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01), betas=betas)
    schedule = lrschedule.OneCycle(0.01, 50)
    scheduler = LRScheduler(optimizer, schedule, momentum=schedule.momentum())
    beta1 = optimizer.param_groups[0]["betas"][0]
    for step in range(50):
        assert optimizer.param_groups[0]["betas"][0] is beta1
        assert float(beta1) == pytest.approx(float(schedule.momentum()(step)), rel=1e-15)
        optimizer.step()
        scheduler.step()


def test_momentum_needs_an_optimizer_with_momentum_or_betas() -> None:
    model = _model()
    adagrad = torch.optim.Adagrad(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"Argument `momentum` needs an optimizer .*'betas' or"):
        LRScheduler(adagrad, lrschedule.Constant(0.1), momentum=lrschedule.Constant(0.9))
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"Argument `momentum` must be an lrschedule"):
        LRScheduler(sgd, lrschedule.Constant(0.1), momentum=0.9)
    with pytest.raises(ValueError, match=r"Argument `weight_decay` must be one schedule"):
        LRScheduler(sgd, lrschedule.Constant(0.1), weight_decay=[lrschedule.Constant(0.0)] * 2)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"betas": []}, r"keys among \['momentum', 'weight_decay'\]"),
        ([], r"must be a dict"),
        ({"momentum": "x"}, r"must be a list of 1 schedule configs"),
    ],
)
def test_load_state_dict_checks_the_hyperparameter_schedules(entry: Any, match: str) -> None:
    scheduler = _trained_scheduler(SCHEDULES["exponential"], steps=3)
    state = {**scheduler.state_dict(), "hyperparameter_schedules": entry}
    with pytest.raises(lrschedule.ConfigError, match=match):
        scheduler.load_state_dict(state)
    assert scheduler.hyperparameter_schedules == {}


def test_a_checkpoint_without_hyperparameter_schedules_keeps_the_schedulers() -> None:
    """Checkpoints written before momentum could be driven have no such entry."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    momentum = lrschedule.Linear(0.9, 0.5, 10)
    scheduler = LRScheduler(optimizer, SCHEDULES["exponential"], momentum=momentum)
    state = _trained_scheduler(SCHEDULES["exponential"], steps=4).state_dict()
    del state["hyperparameter_schedules"]
    scheduler.load_state_dict(state)
    assert scheduler.hyperparameter_schedules == {"momentum": [momentum]}
    assert optimizer.param_groups[0]["momentum"] == float(momentum(4))
