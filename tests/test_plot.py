"""``lrschedule.plot`` and ``lrschedule plot``: the Axes it draws, the files it writes, the default
steps. Tests that draw skip when matplotlib (or, to read PNGs, pillow) is not installed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrschedule
from lrschedule.plotting import DEFAULT_END, MAX_POINTS, default_steps, end_step

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_PIL = importlib.util.find_spec("PIL") is not None
needs_matplotlib = pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")
needs_pil = pytest.mark.skipif(not HAVE_PIL, reason="pillow is not installed (reads the PNG)")

BLUE = (31, 119, 180)  # matplotlib's first line color, C0
ORANGE = (255, 127, 14)  # C1


def registered(name: str) -> type[Any]:
    cls = lrschedule.registered().get(name)
    if cls is None:
        pytest.skip(f"{name} is not in this version of lrschedule")
    return cls


@pytest.fixture
def ax() -> Any:
    """An Axes on a figure made without pyplot: no display, no global state."""
    from matplotlib.figure import Figure

    return Figure().add_subplot()


# -- lrschedule.plot ------------------------------------------------------------------------------


@needs_matplotlib
def test_plot_draws_each_schedule(ax: Any) -> None:
    a = lrschedule.ExponentialDecay(0.1, 100, 0.5)
    b = lrschedule.CosineDecay(0.1, 500)
    steps = np.arange(0, 1001, 10)
    result = lrschedule.plot([a, b], steps=steps, ax=ax)
    assert result is ax
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["ExponentialDecay", "CosineDecay"]
    for line, schedule in zip(lines, (a, b), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), steps)
        np.testing.assert_array_equal(line.get_ydata(), schedule(steps))
    assert ax.get_xlabel() == "step"
    assert ax.get_ylabel() == "learning rate"
    assert ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "ExponentialDecay",
        "CosineDecay",
    ]


@needs_matplotlib
def test_plot_default_steps_and_log(ax: Any) -> None:
    schedule = lrschedule.PolynomialDecay(0.1, decay_steps=300, end_learning_rate=1e-4)
    lrschedule.plot(schedule, ax=ax, log=True)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(301))  # 0 to decay_steps, each step
    assert ax.get_yscale() == "log"


@needs_matplotlib
@pytest.mark.parametrize("decay_steps", [1e19, 1e120])
def test_plot_default_steps_past_int64(ax: Any, decay_steps: float) -> None:
    """``lrschedule.plot(CosineDecay(0.1, 1e120))`` raised ``UFuncTypeError`` (issue 14, item 3):
    the default steps end at ``decay_steps``, not at a wrapped-around int64."""
    lrschedule.plot(lrschedule.CosineDecay(0.1, decay_steps), ax=ax)
    (line,) = ax.get_lines()
    x, y = np.asarray(line.get_xdata(), dtype=np.float64), np.asarray(line.get_ydata())
    assert x[0] == 0.0
    assert x[-1] == decay_steps
    assert bool(np.all(np.diff(x) > 0))
    assert y[0] == 0.1
    assert y[-1] == 0.0


@needs_matplotlib
def test_plot_labels(ax: Any) -> None:
    a, b, c = (lrschedule.Constant(v) for v in (0.1, 0.2, 0.3))
    lrschedule.plot([a, b, lrschedule.Linear(0.1, 0.0, 10)], ax=ax)
    assert [x.get_label() for x in ax.get_lines()] == ["Constant 1", "Constant 2", "Linear"]
    ax.clear()
    lrschedule.plot([a, b, c], ax=ax, label=["a", None, "c"])
    assert [x.get_label() for x in ax.get_lines()] == ["a", "Constant", "c"]
    ax.clear()
    lrschedule.plot(a, ax=ax, label="only")
    assert [x.get_label() for x in ax.get_lines()] == ["only"]
    with pytest.raises(ValueError, match="one label per schedule"):
        lrschedule.plot([a, b], ax=ax, label="both")
    with pytest.raises(ValueError, match="one label per schedule"):
        lrschedule.plot([a, b], ax=ax, label=["one"])


@needs_matplotlib
def test_plot_takes_configs(ax: Any) -> None:
    config = lrschedule.serialize(lrschedule.Constant(0.5))
    lrschedule.plot(config, steps=[0, 1], ax=ax)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [0.5, 0.5])


@needs_matplotlib
def test_plot_bad_input(ax: Any) -> None:
    schedule = lrschedule.Constant(0.1)
    with pytest.raises(TypeError, match="schedule"):
        lrschedule.plot("Constant", ax=ax)
    with pytest.raises(ValueError, match="at least one"):
        lrschedule.plot([], ax=ax)
    with pytest.raises(ValueError, match="1-D"):
        lrschedule.plot(schedule, steps=[[0, 1]], ax=ax)
    with pytest.raises(ValueError, match="log scale"):
        lrschedule.plot(lrschedule.Constant(0.0), ax=ax, log=True)
    with pytest.raises(lrschedule.ConfigError):
        lrschedule.plot({"class_name": "os.system", "config": {}}, ax=ax)


@needs_matplotlib
def test_plot_without_ax_uses_pyplot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = lrschedule.plot(lrschedule.Constant(0.1), steps=[0, 10])
    try:
        assert ax.figure is plt.gcf()
    finally:
        plt.close(ax.figure)


def test_plot_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'lrschedule\[plot\]'"):
        lrschedule.plot(lrschedule.Constant(0.1))


def test_import_lrschedule_imports_no_matplotlib() -> None:
    code = "import sys, lrschedule; lrschedule.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- default steps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "end"),
    [
        (lambda: lrschedule.CosineDecay(0.1, 1000), 1000),
        (lambda: lrschedule.CosineDecay(0.0, 900, warmup_target=0.1, warmup_steps=100), 1000),
        (lambda: lrschedule.CosineDecay(0.1, 900, warmup_steps=100), 900),  # no warmup_target
        (lambda: lrschedule.PolynomialDecay(0.1, 500, transition_begin=100), 600),
        (lambda: lrschedule.Linear(0.0, 0.1, 50, transition_begin=10), 60),
        (lambda: lrschedule.CosineDecay(0.1, 0.5), 1),  # at least one step
        (lambda: lrschedule.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]), 250),
        (lambda: lrschedule.PiecewiseInterpolate([0, 100, 300], [0.0, 1.0, 0.5]), 300),
        (lambda: lrschedule.Warmup(lrschedule.CosineDecay(0.1, 1000), 100), 1100),
        (lambda: lrschedule.Warmup(lrschedule.Constant(0.1), 100), DEFAULT_END),
        (lambda: lrschedule.Warmup(lrschedule.Constant(0.1), 20_000), 25_000),
        (
            lambda: lrschedule.Sequential(
                [lrschedule.Constant(0.1), lrschedule.Linear(0.1, 0.0, 100)], [50]
            ),
            150,
        ),
        (lambda: lrschedule.Sequential([lrschedule.Constant(0.1)], []), DEFAULT_END),
        (lambda: lrschedule.CosineDecay(0.1, 100) * lrschedule.Linear(1.0, 0.0, 300), 300),
        (lambda: lrschedule.CosineDecay(0.1, 100) * lrschedule.Constant(1.0), DEFAULT_END),
        (lambda: lrschedule.ExponentialDecay(0.1, 1000, 0.96), DEFAULT_END),
        (lambda: lrschedule.CosineDecayRestarts(0.1, 1000), DEFAULT_END),
        (lambda: lrschedule.Constant(0.1), DEFAULT_END),
    ],
)
def test_end_step(make: Any, end: int) -> None:
    assert end_step(make()) == end


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "end"),
    [
        ("OneCycle", (0.1,), {"total_steps": 2000}, 2000),
        (
            "WarmupStableDecay",
            (0.1,),
            {"warmup_steps": 10, "stable_steps": 80, "decay_steps": 10},
            100,
        ),
        ("MultiStepDecay", (0.1,), {"milestones": [100, 400]}, 500),
        ("StepDecay", (0.1,), {"step_size": 30}, DEFAULT_END),
    ],
)
def test_end_step_other_families(name: str, args: Any, kwargs: Any, end: int) -> None:
    assert end_step(registered(name)(*args, **kwargs)) == end


def test_default_steps() -> None:
    short = lrschedule.Linear(0.1, 0.0, 100)
    np.testing.assert_array_equal(default_steps(short), np.arange(101))
    np.testing.assert_array_equal(default_steps(short, num=3), [0, 50, 100])
    # several schedules: up to the latest end
    np.testing.assert_array_equal(
        default_steps([short, lrschedule.CosineDecay(0.1, 400)], num=5), [0, 100, 200, 300, 400]
    )
    long = default_steps(lrschedule.CosineDecay(0.1, 10**6))
    assert len(long) == MAX_POINTS
    assert long[0] == 0
    assert long[-1] == 10**6
    assert long.dtype == np.int64


# -- lrschedule plot ------------------------------------------------------------------------------


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lrschedule", "plot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def near(pixels: np.ndarray[Any, Any], color: tuple[int, int, int], tolerance: int = 40) -> int:
    return int(np.sum(np.abs(pixels[..., :3].astype(int) - color).sum(axis=-1) <= tolerance))


@needs_matplotlib
@needs_pil
def test_cli_png(tmp_path: Path) -> None:
    from PIL import Image

    out = run(
        "ExponentialDecay",
        "initial_learning_rate=0.1",
        "decay_steps=1000",
        "decay_rate=0.5",
        "CosineDecay",
        "initial_learning_rate=0.1",
        "decay_steps=3000",
        "--log",
        "-o",
        "lr.png",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    assert "Warning" not in out.stderr
    with Image.open(tmp_path / "lr.png") as image:
        assert image.format == "PNG"
        assert image.size == (800, 500)
        pixels = np.asarray(image.convert("RGB"))
    colors = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colors) > 10  # not blank
    assert near(pixels, BLUE) > 200  # the first schedule's line
    assert near(pixels, ORANGE) > 200  # the second's


@needs_matplotlib
def test_cli_svg_with_labels_from_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(lrschedule.to_json(lrschedule.Linear(0.1, 0.0, 100)), "utf-8")
    out = run(
        "a.json",
        "--label",
        "linear warmup",
        '{"class_name": "Constant", "config": {"value": 0.05}}',
        "-o",
        "lr.svg",
        "--steps",
        "0:200:21",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    root = ET.parse(tmp_path / "lr.svg").getroot()  # valid XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) > 10


@needs_matplotlib
@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        (["Constant", "value=0.1", "-o", "lr.nope"], 2, ".png"),
        (["Constant", "value=0.1", "-o", "lr"], 2, ".svg"),
        (["Constant", "value=0.1", "-o", "missing/lr.png"], 1, "cannot write"),
        (["Constant", "value=0.0", "-o", "lr.png", "--log"], 1, "log scale"),
        (["Constant", "value=0.1", "Nope", "-o", "lr.png"], 1, "unknown schedule"),
    ],
)
def test_cli_plot_errors(args: list[str], status: int, fragment: str, tmp_path: Path) -> None:
    out = run(*args, cwd=tmp_path)
    assert out.returncode == status, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("lrschedule: error: ")
    assert fragment in lines[0]
    assert not list(tmp_path.iterdir())  # nothing written


def test_schedules_show_their_curve_in_notebooks() -> None:
    """``_repr_svg_``: Jupyter's rich display of a schedule is its curve (issue 13, item 7)."""
    pytest.importorskip("matplotlib")
    schedule = lrschedule.Warmup(lrschedule.CosineDecay(0.1, 1000), warmup_steps=100)
    text = schedule._repr_svg_()
    assert text is not None
    assert text.startswith("<?xml")
    assert text.rstrip().endswith("</svg>")
    assert "Warmup(" in text  # the repr as the title, kept as text
    assert len(text) < 100_000


def test_notebook_preview_falls_back_to_the_text_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without matplotlib, or for a schedule that cannot be drawn, ``None``: the text repr."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert lrschedule.Constant(0.1)._repr_svg_() is None
    assert repr(lrschedule.Constant(0.1)) == "Constant(value=0.1)"
