"""Resource limits of configs, and the edges adversarial testing found (issue 14).

The denial-of-service cases assert what bounds their time and memory from inside the process
(node counts, operation counts), never a wall-clock time.
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import math
import os
from typing import Any

import numpy as np
import pytest

import lrschedule
from lrschedule import ConfigError, PiecewiseConstantDecay, registry
from lrschedule import _array as array_layer

# -- item 1: a large table is searched, in O(log n) operations ----------------------------------

BOUNDARIES = list(range(0, 100_000, 2))  # 50,000 boundaries: the 40 s, 1.45 GB jit
VALUES = [float(i) for i in range(len(BOUNDARIES) + 1)]


def _expected(steps: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The definition: values[i] for boundaries[i-1] < t <= boundaries[i] (bisect, in Python)."""
    return np.array([VALUES[bisect.bisect_left(BOUNDARIES, max(t, 0.0))] for t in steps.tolist()])


STEPS = np.array([-3.0, 0.0, 0.5, 1.0, 2.0, 2.5, 777.0, 99_997.0, 99_998.0, 99_999.0, 1e9])


def _equations(jaxpr: Any) -> int:
    """Equations in a jaxpr, those of its sub-jaxprs (loops, calls) included."""
    import jax.extend.core as jcore

    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for param in eqn.params.values():
            for inner in param if isinstance(param, (list, tuple)) else (param,):
                if isinstance(inner, jcore.ClosedJaxpr):
                    total += _equations(inner.jaxpr)
                elif isinstance(inner, jcore.Jaxpr):
                    total += _equations(inner)
    return total


def test_large_table_traces_to_a_fixed_number_of_jax_operations() -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    schedule = PiecewiseConstantDecay(BOUNDARIES, VALUES)
    small = PiecewiseConstantDecay(BOUNDARIES[:3], VALUES[:4])
    big_ops = _equations(jax.make_jaxpr(schedule)(jnp.arange(10.0)).jaxpr)
    small_ops = _equations(jax.make_jaxpr(small)(jnp.arange(10.0)).jaxpr)
    assert big_ops < 100, big_ops  # a where chain was 2 operations per boundary: 100,000
    assert small_ops < 30, small_ops  # a small table stays a where chain (no device table)
    got = np.asarray(jax.jit(schedule)(jnp.asarray(STEPS, dtype=jnp.float32)))
    assert np.array_equal(got, _expected(STEPS).astype(np.float32))
    assert math.isnan(float(jax.jit(schedule)(jnp.asarray(math.nan))))


def _torch_ops(call: Any) -> tuple[list[str], Any]:
    """The torch operations that ``call()`` runs, and its result."""
    from torch.utils._python_dispatch import TorchDispatchMode

    calls: list[str] = []

    class Count(TorchDispatchMode):  # type: ignore[misc]
        def __torch_dispatch__(  # type: ignore[no-untyped-def]
            self, func, types, args=(), kwargs=None
        ):
            calls.append(str(func))
            return func(*args, **(kwargs or {}))

    with Count():
        result = call()
    return calls, result


def test_large_table_on_torch_is_a_search() -> None:
    torch = pytest.importorskip("torch")
    schedule = PiecewiseConstantDecay(BOUNDARIES, VALUES)
    # a step that needs a gradient takes the formula (the search on the CPU takes no gradient)
    step = torch.tensor(STEPS, requires_grad=True)
    calls, value = _torch_ops(lambda: schedule(step))
    assert len(calls) < 40, calls  # a where chain: 50,000 where and 50,000 comparisons
    assert np.array_equal(value.detach().numpy(), _expected(STEPS))
    nan = schedule(torch.tensor([math.nan, 1.0]))
    assert math.isnan(float(nan[0]))
    assert float(nan[1]) == 1.0


_TABLES = {
    "interpolate-linear": lambda n: lrschedule.PiecewiseInterpolate(BOUNDARIES[:n], VALUES[:n]),
    "interpolate-cosine": lambda n: lrschedule.PiecewiseInterpolate(
        BOUNDARIES[:n], VALUES[:n], interpolation="cosine"
    ),
    "multistep": lambda n: lrschedule.MultiStepDecay(1.0, BOUNDARIES[1:n], gamma=0.999),
}


@pytest.mark.parametrize("name", list(_TABLES))
def test_other_large_tables_on_torch_are_a_search(name: str) -> None:
    """The tables besides PiecewiseConstantDecay: as many torch operations at 2,000 boundaries as
    at 200 (a search; one formula per interval was 6,000 to 36,000 operations at 2,000), and the
    same values as the Python-float path."""
    torch = pytest.importorskip("torch")
    counts = []
    for n in (200, 2_000):
        schedule = _TABLES[name](n)
        step = torch.tensor(STEPS, dtype=torch.float64)
        schedule(step)  # the first call of a process may set up the heap (two torch.empty)
        calls, value = _torch_ops(lambda: schedule(step))  # noqa: B023 - called here
        expected = [float(schedule(t)) for t in STEPS]
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6)  # float32
        counts.append(len(calls))
    assert counts[0] == counts[1] < 100, counts


@pytest.mark.parametrize("name", list(_TABLES))
def test_other_large_tables_trace_to_a_fixed_number_of_jax_operations(name: str) -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    steps = jnp.asarray(STEPS[:4], dtype=jnp.float32)
    sizes = [len(jax.make_jaxpr(_TABLES[name](n))(steps).eqns) for n in (200, 2_000)]
    assert sizes[0] == sizes[1], sizes


def test_large_table_on_array_api_strict() -> None:
    xp = pytest.importorskip("array_api_strict")
    schedule = PiecewiseConstantDecay(BOUNDARIES, VALUES)
    step = xp.asarray(np.append(STEPS, math.nan).reshape(3, 4))
    got = np.asarray(schedule(step)).reshape(-1)
    assert np.array_equal(got[:-1], _expected(STEPS))
    assert math.isnan(got[-1])


def test_table_of_constants_searches_from_nine_boundaries() -> None:
    xp = pytest.importorskip("array_api_strict")
    step = xp.asarray([0.0, 4.5, 100.0])

    class Spy:
        searched = 0

        def __getattr__(self, name: str) -> Any:
            if name == "searchsorted":
                Spy.searched += 1
            return getattr(xp, name)

    for n, searched in ((array_layer.SEARCH_FROM - 1, 0), (array_layer.SEARCH_FROM, 1)):
        table = (tuple(float(b) for b in range(n)), tuple(float(v) for v in range(n + 1)))
        Spy.searched = 0
        got = array_layer.piecewise_constant(Spy(), step, table)
        assert Spy.searched == searched
        assert np.array_equal(np.asarray(got), [0.0, min(5, n), n])


def test_table_limit_is_stated() -> None:
    limit = registry.MAX_NUMBERS
    largest = (limit - 1) // 2
    with pytest.raises(ValueError, match=f"at most {limit} numbers"):
        PiecewiseConstantDecay(list(range(largest + 1)), [0.1] * (largest + 2))
    with pytest.raises(ValueError, match=f"a list of at most {limit} numbers"):
        PiecewiseConstantDecay(list(range(limit + 1)), [0.1] * (limit + 2))


# -- item 6: building and loading refuse the same sizes -----------------------------------------


def test_largest_table_that_builds_loads_back() -> None:
    largest = (registry.MAX_NUMBERS - 1) // 2
    schedule = PiecewiseConstantDecay(list(range(largest)), [0.1] * (largest + 1))
    text = lrschedule.to_json(schedule)
    assert len(text) <= registry.MAX_TEXT
    assert lrschedule.from_json(text) == schedule
    config = lrschedule.serialize(schedule)
    config["config"]["boundaries"].append(largest)
    config["config"]["values"].append(0.1)
    with pytest.raises(ConfigError, match=f"more than {registry.MAX_NUMBERS} numbers"):
        lrschedule.deserialize(config)


def test_limits_can_be_raised_for_trusted_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_NUMBERS", 10)
    with pytest.raises(ValueError, match="at most 10 numbers"):
        PiecewiseConstantDecay(list(range(5)), [0.1] * 6)
    monkeypatch.setattr(registry, "MAX_NUMBERS", 11)
    schedule = PiecewiseConstantDecay(list(range(5)), [0.1] * 6)
    assert lrschedule.from_json(lrschedule.to_json(schedule)) == schedule


# -- item 2: shared nodes are counted each time ----------------------------------------------


def _shared_product(depth: int, width: int = 10) -> dict[str, Any]:
    config: dict[str, Any] = {"class_name": "Constant", "config": {"value": 1.0}}
    for _ in range(depth):
        config = {"class_name": "Product", "config": {"factors": [config] * width}}
    return config


def _count_visits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    visits = [0]
    inner = registry._deserialize

    def counted(*args: Any, **kwargs: Any) -> Any:
        visits[0] += 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(registry, "_deserialize", counted)
    return visits


def test_shared_nodes_are_refused_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    visits = _count_visits(monkeypatch)
    with pytest.raises(ConfigError, match=f"more than {registry.MAX_NODES} schedules and lists"):
        lrschedule.deserialize(_shared_product(7))  # 10**7 schedules when expanded
    # the count stopped the walk: at most MAX_NODES schedules were visited, not 10**7
    assert visits[0] <= registry.MAX_NODES + 1


def test_shared_lists_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    numbers: list[Any] = [1.0] * 10
    for _ in range(15):
        numbers = [numbers] * 10
    with pytest.raises(ConfigError, match="more than"):
        lrschedule.deserialize({"class_name": "Constant", "config": {"value": numbers}})


def test_yaml_aliases_are_counted_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    yaml = pytest.importorskip("yaml")
    lines = ["a0: &a0 {class_name: Constant, config: {value: 1.0}}"]
    for i in range(1, 8):
        lines.append(
            f"a{i}: &a{i} {{class_name: Product, config: {{factors: [{', '.join([f'*a{i - 1}'] * 10)}]}}}}"
        )
    lines.append("top: *a7")
    text = "\n".join(lines)
    assert len(text) < 1000
    visits = _count_visits(monkeypatch)
    with pytest.raises(ConfigError, match="schedules and lists"):
        lrschedule.deserialize(yaml.safe_load(text)["top"])
    assert visits[0] <= registry.MAX_NODES + 1


def test_config_within_the_node_limit_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = lrschedule.deserialize(_shared_product(3))  # 1,111 schedules and 111 lists
    assert float(loaded(5)) == 1.0
    monkeypatch.setattr(registry, "MAX_NODES", 1_221)
    with pytest.raises(ConfigError, match="more than 1221 schedules and lists"):
        lrschedule.deserialize(_shared_product(3))
    monkeypatch.setattr(registry, "MAX_NODES", 1_222)
    lrschedule.deserialize(_shared_product(3))


def test_constructors_count_shared_parts_as_configs_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_NODES", 1_222)
    part = lrschedule.Constant(1.0)
    for _ in range(3):
        part = lrschedule.Product([part] * 10)
    assert part._size == (1_222, 0)
    assert lrschedule.deserialize(lrschedule.serialize(part)) == part
    with pytest.raises(ValueError, match="at most 1222 schedules and lists"):
        lrschedule.Product([part, lrschedule.Constant(2.0)])


# -- item 4: Keras 3's array values load ------------------------------------------------------


def _tensor(value: Any, dtype: str, kind: str = "__tensor__") -> dict[str, Any]:
    return {"class_name": kind, "config": {"value": value, "dtype": dtype}}


def _keras(class_name: str, **config: Any) -> dict[str, Any]:
    return {
        "module": "keras.optimizers.schedules",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
    }


def test_keras_bfloat16_and_int_tensors_load() -> None:
    # serialize(ExponentialDecay(convert_to_tensor(0.1, dtype="bfloat16"), 1000, 0.96)), Keras 3
    loaded = lrschedule.deserialize(
        _keras(
            "ExponentialDecay",
            initial_learning_rate=_tensor(0.10009765625, "bfloat16"),
            decay_steps=_tensor(1000, "int32"),
            decay_rate=0.96,
            staircase=False,
            name="ExponentialDecay",
        )
    )
    assert loaded == lrschedule.ExponentialDecay(0.10009765625, 1000, 0.96, dtype="bfloat16")
    assert loaded.get_config()["decay_steps"] == 1000


@pytest.mark.parametrize("kind", ["__tensor__", "__numpy__"])
def test_keras_array_tables_load(kind: str) -> None:
    values = np.array([0.1, 0.01, 0.001], "float32")
    loaded = lrschedule.deserialize(
        _keras(
            "PiecewiseConstantDecay",
            boundaries=_tensor([100, 200], "int64", kind),
            values=_tensor(values.tolist(), "float32", kind),
            name="PiecewiseConstant",
        )
    )
    assert loaded == PiecewiseConstantDecay(np.array([100, 200]), values)
    assert loaded.dtype == "float32"
    assert loaded.get_config()["boundaries"] == [100, 200]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_tensor(1.5, "int32"), "integer in int32"),
        (_tensor(2**40, "int32"), "integer in int32"),
        (_tensor(1e39, "bfloat16"), "finite in bfloat16"),
        (_tensor([1.0, "x"], "float32", "__numpy__"), "must be a number"),
        (_tensor(0.1, "complex64"), "dtype must be one of"),
        ({**_tensor(0.1, "float32"), "module": "os"}, "module: must be absent or None"),
        ({**_tensor(0.1, "float32"), "registered_name": "x"}, "registered_name: must be absent"),
    ],
)
def test_bad_keras_arrays_are_refused(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrschedule.deserialize({"class_name": "Constant", "config": {"value": bad}})


# -- item 7: the 2**400 bound everywhere -------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: PiecewiseConstantDecay([-1e308, 1e308], [1.0, 2.0, 3.0]),
        lambda: PiecewiseConstantDecay([10], [1e300, 1e308]),
        lambda: lrschedule.Sequential([lrschedule.Constant(1.0)] * 2, [1e300]),
        lambda: lrschedule.OneCycle(0.1, 10**308),
    ],
)
def test_magnitudes_are_bounded(build: Any) -> None:
    with pytest.raises(ValueError, match=r"2\*\*400"):
        build()


# -- item 8: from_config, duplicate keys, modules ------------------------------------------------


def test_from_config_takes_a_dict() -> None:
    with pytest.raises(TypeError, match=r"ExponentialDecay.from_config\(\) takes a dict"):
        lrschedule.ExponentialDecay.from_config(None)  # type: ignore[arg-type]


def test_duplicate_json_keys_are_refused() -> None:
    text = (
        '{"class_name": "os.system", "class_name": "ExponentialDecay", "config": '
        '{"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}'
    )
    with pytest.raises(ConfigError, match="'class_name' more than once"):
        lrschedule.from_json(text)
    nested = json.dumps({"class_name": "Constant", "config": {"value": 1.0}})
    with pytest.raises(ConfigError, match="'value' more than once"):
        lrschedule.from_json(nested.replace('"value": 1.0', '"value": 1.0, "value": 2.0'))


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")
def test_from_keras_checks_the_module() -> None:
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    from lrschedule.keras import from_keras

    config = {
        "module": "lrschedule.keras",
        "class_name": "KerasSchedule",
        "config": {"schedule": lrschedule.serialize(lrschedule.Constant(0.1))},
        "registered_name": "lrschedule>KerasSchedule",
    }
    assert from_keras(config) == lrschedule.Constant(0.1)
    with pytest.raises(ConfigError, match="unknown module 'os'"):
        from_keras({**config, "module": "os"})
    with pytest.raises(ConfigError, match="unknown key 'x'"):
        from_keras({**config, "x": 1})


# -- item 11: a table carries a (zero) gradient; large torch steps in chunks ------------------


def test_table_carries_a_zero_gradient() -> None:
    torch = pytest.importorskip("torch")
    for schedule in (
        PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1]),
        PiecewiseConstantDecay(BOUNDARIES, VALUES),
    ):
        step = torch.tensor([150.0, 250.0], requires_grad=True)
        value = schedule(step)
        value.sum().backward()
        assert step.grad is not None
        assert torch.equal(step.grad, torch.zeros(2))
        assert torch.equal(value.detach(), schedule(step.detach()))


def test_large_torch_steps_are_searched_in_chunks() -> None:
    torch = pytest.importorskip("torch")
    schedule = PiecewiseConstantDecay(BOUNDARIES, VALUES, dtype="float32")
    n = 3 * array_layer.TORCH_CHUNK + 5
    for step in (torch.arange(n) * 0.75, torch.arange(n, dtype=torch.int32)):
        got = schedule(step)
        assert got.dtype == torch.float32
        assert got.shape == step.shape
        assert np.array_equal(got.numpy(), schedule(step.numpy()))


@pytest.mark.parametrize("boundaries", [2, len(BOUNDARIES)], ids=["where-chain", "search"])
@pytest.mark.parametrize("step_dtype", ["int64", "int32", "float32"])
def test_large_torch_steps_allocate_the_output_once(boundaries: int, step_dtype: str) -> None:
    """The memory of a table on ``torch.arange(10**8)``: the output is the only tensor the size
    of the steps (an int64 index of every step was 3x the output's memory); every temporary is
    one chunk's. Counted from the operations torch runs, not from the process's memory."""
    torch = pytest.importorskip("torch")
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    schedule = PiecewiseConstantDecay(BOUNDARIES[:boundaries], VALUES[: boundaries + 1])
    n = 3 * array_layer.TORCH_CHUNK + 5
    step = torch.arange(n, dtype=getattr(torch, step_dtype))
    allocated: list[tuple[str, int]] = []

    class Sizes(TorchDispatchMode):  # type: ignore[misc]
        def __torch_dispatch__(  # type: ignore[no-untyped-def]
            self, func, types, args=(), kwargs=None
        ):
            result = func(*args, **(kwargs or {}))
            if not func.is_view:  # a view allocates nothing
                for made in tree_flatten(result)[0]:
                    if isinstance(made, torch.Tensor):
                        allocated.append((str(func), made.numel()))
            return result

    with Sizes():
        value = schedule(step)
    whole = [name for name, size in allocated if size > array_layer.TORCH_CHUNK]
    assert len(whole) == 1, whole
    assert value.shape == step.shape


# -- item 3: default steps are right, at any end --------------------------------------------------


@pytest.mark.parametrize("decay_steps", [2**62, 2**62 + 2**20, 1e19, 1e120, 2.0**400])
def test_default_steps_past_int64(decay_steps: float) -> None:
    from lrschedule.plotting import default_steps

    schedule = lrschedule.CosineDecay(0.1, decay_steps)
    steps = default_steps(schedule)
    assert steps[0] == 0
    assert float(steps[-1]) == float(decay_steps)  # the end, not a wrapped-around int64
    assert bool(np.all(np.diff(steps) > 0))
    values = schedule(steps)
    assert float(values[0]) == 0.1
    assert float(values[-1]) == 0.0


def test_show_past_int64(capsys: pytest.CaptureFixture[str]) -> None:
    from lrschedule.cli import main

    for decay_steps in ("1e19", "1e120"):
        capsys.readouterr()
        assert main(["show", "CosineDecay", "initial_learning_rate=0.1",
                     f"decay_steps={decay_steps}", "--format", "csv"]) == 0  # fmt: skip
        rows = capsys.readouterr().out.splitlines()[1:]
        steps = [int(row.split(",")[0]) for row in rows]
        assert steps[0] == 0
        assert steps[-1] == int(float(decay_steps))
        assert steps == sorted(set(steps))
        assert rows[-1].endswith(",0.0")


# -- item 5: bfloat16 schedules can be shown and plotted -----------------------------------------


def _bfloat16_reference(value: float) -> float:
    """``value`` rounded to bfloat16 by its definition, with exact fractions: the nearest
    multiple of the bfloat16 spacing at its binade (ties to an even multiple)."""
    from fractions import Fraction

    exact = Fraction(value)
    if exact == 0:
        return value
    exponent = max(math.frexp(value)[1] - 8, -133)  # 8 significant bits; subnormals below 2**-126
    spacing = Fraction(2) ** exponent
    quotient = exact / spacing
    nearest = round(quotient)  # Python rounds a Fraction's ties to even
    result = nearest * spacing
    return math.inf if abs(result) >= 2**128 else float(result)


def test_round_to_bfloat16_matches_the_definition() -> None:
    from lrschedule.plotting import round_to_bfloat16

    rng = np.random.default_rng(14)
    values = np.concatenate(
        [
            rng.uniform(-1, 1, 2000) * np.exp2(rng.integers(-140, 129, 2000)),
            [1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 2.0**-133 * 1.5, 2.0**-134, 3.3961e38, 0.1],
        ]
    )
    got = round_to_bfloat16(values)
    want = np.array([_bfloat16_reference(v) for v in values.tolist()], dtype=np.float32)
    assert np.array_equal(got, want)


def test_bfloat16_show_and_plot(capsys: pytest.CaptureFixture[str]) -> None:
    from lrschedule.cli import main

    assert main(["show", "Constant", "value=0.1", "dtype=bfloat16", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert np.float32(rows[1].split(",")[1]) == 0.10009765625  # 0.1 in bfloat16, as float32
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    schedule = lrschedule.ExponentialDecay(0.1, 7, 0.9, dtype="bfloat16")
    ax = lrschedule.plot(schedule, steps=np.arange(100))
    y = ax.get_lines()[0].get_ydata()
    want = [_bfloat16_reference(0.1 * 0.9 ** (t / 7)) for t in range(100)]
    assert np.array_equal(np.asarray(y, dtype=np.float64), want)


# -- item 12: show streams its rows in blocks ----------------------------------------------------


class _ClosedAfter:
    """A stdout that a reader closes after ``n`` writes (``| head``)."""

    def __init__(self, n: int) -> None:
        self.left = n

    def write(self, text: str) -> int:
        if self.left == 0:
            raise BrokenPipeError
        self.left -= 1
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
def test_show_streams_rows(monkeypatch: pytest.MonkeyPatch, output_format: str) -> None:
    import sys

    from lrschedule import cli

    computed: list[int] = []
    inner = cli._learning_rates

    def counted(schedule: Any, steps: Any) -> Any:
        computed.append(len(steps))
        return inner(schedule, steps)

    monkeypatch.setattr(cli, "_learning_rates", counted)
    monkeypatch.setattr(sys, "stdout", _ClosedAfter(2))  # the header and one block
    argv = ["show", "CosineDecay", "initial_learning_rate=0.1", "decay_steps=1e9"]
    status = cli.main([*argv, "--steps", "0:1000000000:10000000", "--format", output_format])
    assert status == 1  # the broken pipe: stopped quietly
    # the reader stopped after the first rows: at most two blocks were computed, not 10**7 rows
    assert sum(computed) <= 2 * cli.SHOW_BLOCK
    assert all(n <= cli.SHOW_BLOCK for n in computed)


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
def test_show_in_blocks_is_show_at_once(
    monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    from lrschedule import cli

    schedule = lrschedule.CosineDecay(0.1, 1000, warmup_steps=5, warmup_target=0.2)
    steps = np.arange(-3, 2_000, 7)
    whole = cli._show(schedule, steps, output_format)
    monkeypatch.setattr(cli, "SHOW_BLOCK", 10)
    assert cli._show(schedule, steps, output_format) == whole
    if output_format == "json":
        document = json.loads(whole)
        assert document["steps"] == steps.tolist()
        assert document["learning_rates"] == [float(str(v)) for v in schedule(steps)]
