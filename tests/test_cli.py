"""The ``lrschedule`` command line, run as ``python -m lrschedule`` in a subprocess.

Values printed by ``show`` are compared with calling the schedule directly; errors must be one line
``lrschedule: error: ...`` on stderr, exit status 2 for usage errors and 1 otherwise, and never a
traceback. Plots are tested in ``test_plot.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrschedule
from lrschedule.cli import main

EXPONENTIAL = [
    "ExponentialDecay",
    "initial_learning_rate=0.1",
    "decay_steps=1000",
    "decay_rate=0.96",
]
BLOCK_MATPLOTLIB = (
    "import sys; sys.modules['matplotlib'] = None; "
    "from lrschedule.__main__ import main; raise SystemExit(main(sys.argv[1:]))"
)


def run(
    *args: str, cwd: Path | None = None, stdin: str | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "lrschedule"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=120,
        check=False,
    )


Result = subprocess.CompletedProcess[str]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The command line in this process (fast): ``cli(*args, stdin=None)``, run in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str, stdin: str | None = None) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main(list(args))
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), status, captured.out, captured.err)

    return call


def ok(*args: str, **kwargs: Any) -> str:
    out = run(*args, **kwargs)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return out.stdout


def assert_error(out: subprocess.CompletedProcess[str], status: int, *fragments: str) -> None:
    assert out.returncode == status, (out.returncode, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("lrschedule: error: "), lines[0]
    assert "Traceback" not in out.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def parse_csv(text: str) -> tuple[list[int], list[float]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["step", "learning_rate"]
    return [int(r[0]) for r in rows[1:]], [float(r[1]) for r in rows[1:]]


def direct(schedule: lrschedule.LearningRateSchedule, steps: list[int]) -> list[float]:
    return [float(v) for v in schedule(np.asarray(steps, dtype=np.int64))]


# -- show -----------------------------------------------------------------------------------------


def test_show_table_matches_the_schedule() -> None:
    schedule = lrschedule.ExponentialDecay(0.1, 1000, 0.96)
    lines = ok("show", *EXPONENTIAL).splitlines()
    assert lines[0] == repr(schedule)
    header = lines.index(next(line for line in lines if line.split() == ["step", "learning_rate"]))
    rows = [line.split() for line in lines[header + 1 :]]
    steps = [int(r[0]) for r in rows]
    assert steps == list(range(0, 10_001, 1000))  # no end in the hyperparameters: 0 to 10000
    np.testing.assert_allclose([float(r[1]) for r in rows], direct(schedule, steps), rtol=1e-5)
    # aligned: every row as wide as the header's step column
    width = len(lines[header]) - len("  learning_rate")
    assert all(
        line[:width].strip().isdigit() and line[width : width + 2] == "  "
        for line in lines[header + 1 :]
    )


def test_show_csv_and_json_are_exact() -> None:
    schedule = lrschedule.CosineDecay(0.0, 900, warmup_target=0.1, warmup_steps=100)
    args = [
        "show",
        "CosineDecay",
        "initial_learning_rate=0.0",
        "decay_steps=900",
        "warmup_target=0.1",
        "warmup_steps=100",
    ]
    steps, values = parse_csv(ok(*args, "--format", "csv"))
    assert steps == list(range(0, 1001, 100))  # the schedule ends at warmup + decay = 1000
    assert values == direct(schedule, steps)
    document = json.loads(ok(*args, "--format", "json"))
    assert set(document) == {"schedule", "steps", "learning_rates"}
    assert lrschedule.deserialize(document["schedule"]) == schedule
    assert document["steps"] == steps
    assert document["learning_rates"] == values


def test_show_float32_schedule_prints_float32_values() -> None:
    schedule = lrschedule.ExponentialDecay(0.1, 1000, 0.96, dtype="float32")
    # dtype=float32 is not JSON: the plain string "float32"
    steps, values = parse_csv(ok("show", *EXPONENTIAL, "dtype=float32", "--format", "csv"))
    assert np.array_equal(np.asarray(values, dtype=np.float32), schedule(np.asarray(steps)))


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("0:10000:11", list(range(0, 10_001, 1000))),
        ("0:10:4", [0, 3, 7, 10]),  # numpy.linspace rounded
        ("0:3:7", [0, 1, 2, 3]),  # repeats after rounding are dropped
        ("100:0:3", [100, 50, 0]),
        ("5:5:1", [5]),
        ("1e3:2e3:2", [1000, 2000]),
        ("0,10,100", [0, 10, 100]),
        ("7", [7]),
        (" 3, 1 ,2", [3, 1, 2]),
    ],
)
def test_steps(steps: str, expected: list[int], cli: Any) -> None:
    out = cli("show", "Constant", "value=0.5", "--steps", steps, "--format", "csv")
    assert out.returncode == 0, out.stderr
    got, _ = parse_csv(out.stdout)
    assert got == expected


def test_steps_linspace_is_numpy_linspace_rounded() -> None:
    got, _ = parse_csv(ok("show", *EXPONENTIAL, "--steps", "0:999:37", "--format", "csv"))
    assert got == [int(x) for x in np.rint(np.linspace(0, 999, 37))]


def test_spec_forms_agree(tmp_path: Path) -> None:
    schedule = lrschedule.ExponentialDecay(0.1, 1000, 0.96, staircase=True)
    text = lrschedule.to_json(schedule)
    (tmp_path / "lr.json").write_text(text, encoding="utf-8")
    common = ["--steps", "0:5000:11", "--format", "csv"]
    outputs = [
        ok("show", *EXPONENTIAL, "staircase=true", *common),
        ok("show", "lr.json", *common, cwd=tmp_path),
        ok("show", str(tmp_path / "lr.json"), *common),
        ok("show", text, *common),
        ok("show", "-", *common, stdin=text),
    ]
    assert all(out == outputs[0] for out in outputs)
    steps, values = parse_csv(outputs[0])
    assert values == direct(schedule, steps)


def test_key_value_overrides_a_json_config(tmp_path: Path) -> None:
    (tmp_path / "lr.json").write_text(lrschedule.to_json(lrschedule.Constant(0.1)), "utf-8")
    _steps, values = parse_csv(ok("show", "lr.json", "value=0.25", "--format", "csv", cwd=tmp_path))
    assert set(values) == {0.25}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # a nested dict
        (
            [
                "Warmup",
                'schedule={"class_name": "Constant", "config": {"value": 0.2}}',
                "warmup_steps=10",
            ],
            lrschedule.Warmup(lrschedule.Constant(0.2), 10),
        ),
        # lists
        (
            ["PiecewiseConstantDecay", "boundaries=[10, 20]", "values=[0.1, 0.01, 0.001]"],
            lrschedule.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
        ),
        # a plain string, true and null
        (
            [
                "CosineDecay",
                "initial_learning_rate=0.1",
                "decay_steps=100",
                "name=my cosine",
                "warmup_target=null",
            ],
            lrschedule.CosineDecay(0.1, 100, name="my cosine"),
        ),
        (
            [
                "ExponentialDecay",
                "initial_learning_rate=1e-3",
                "decay_steps=10",
                "decay_rate=0.5",
                "staircase=true",
            ],
            lrschedule.ExponentialDecay(1e-3, 10, 0.5, staircase=True),
        ),
        # a value that contains '=', and a string that looks like a number
        (
            [
                "ExponentialDecay",
                "initial_learning_rate=0.5",
                "decay_steps=10",
                "decay_rate=0.5",
                "name=a=b",
            ],
            lrschedule.ExponentialDecay(0.5, 10, 0.5, name="a=b"),
        ),
        (
            [
                "InverseTimeDecay",
                "initial_learning_rate=0.5",
                "decay_steps=10",
                "decay_rate=0.5",
                'name="1"',
            ],
            lrschedule.InverseTimeDecay(0.5, 10, 0.5, name="1"),
        ),
    ],
)
def test_key_value_arguments_are_json(
    args: list[str], expected: lrschedule.LearningRateSchedule, cli: Any
) -> None:
    out = cli("show", *args, "--format", "json", "--steps", "0,5,15,25")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert lrschedule.deserialize(document["schedule"]) == expected
    assert document["learning_rates"] == direct(expected, [0, 5, 15, 25])


def test_show_table_first_line_is_the_schedule() -> None:
    out = ok("show", "Constant", "value=0.1", "--steps", "0")
    assert out.splitlines()[0] == "Constant(value=0.1)"


# -- list, help, demo -----------------------------------------------------------------------------


def test_list_shows_every_schedule_and_its_defaults() -> None:
    entries: dict[str, list[str]] = {}
    name = ""
    for line in ok("list").split("\n\n")[0].splitlines():
        if line.startswith(" "):  # a wrapped line continues the entry above
            entries[name] += line.split()
        else:
            name, *words = line.split()
            entries[name] = words
    assert set(entries) == set(_built_in())
    assert entries["ExponentialDecay"] == [
        "initial_learning_rate",
        "decay_steps",
        "decay_rate",
        "staircase=false",
        'name="ExponentialDecay"',
        "dtype=null",
        "transition_begin=0",
        "end_learning_rate=null",
    ]


def _built_in() -> dict[str, Any]:
    """The registry a fresh process has (other tests register classes of their own here)."""
    return {
        name: cls
        for name, cls in lrschedule.registered().items()
        if cls.__module__.startswith("lrschedule.")
    }


def test_list_json() -> None:
    document = json.loads(ok("list", "--format", "json"))
    registry = _built_in()
    assert set(document) == set(registry)
    for name, arguments in document.items():
        fields = [f for f in dataclasses.fields(registry[name]) if f.init]  # type: ignore[arg-type]
        assert list(arguments) == [f.name for f in fields]
        for f in fields:
            if f.default is dataclasses.MISSING:
                assert arguments[f.name] == {"required": True}
            else:
                assert arguments[f.name]["default"] == f.default


def test_help_and_version() -> None:
    out = ok("--help")
    for word in ("show", "plot", "list", "SPEC", "KEY=VALUE", "exit status"):
        assert word in out
    assert "numpy.linspace" in ok("show", "--help")
    plot_help = ok("plot", "--help")
    assert "lrschedule[plot]" in plot_help
    assert "--label" in plot_help
    assert ok("--version").strip() == f"lrschedule {lrschedule.__version__}"


def test_demo() -> None:
    out = ok("demo")
    assert out == ok()
    assert "ExponentialDecay" in out
    assert "0.096" in out


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "Constant", "value=0.5", "--steps", "0,1", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "step,learning_rate\n0,0.5\n1,0.5\n"
    assert main(["show", "Nope"]) == 1
    assert main(["show"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert all(line.startswith("lrschedule: error: ") for line in err)


# -- errors ---------------------------------------------------------------------------------------


USAGE_ERRORS = {
    "unknown command": (["bogus"], "invalid choice"),
    "no SPEC": (["show"], "SPEC"),
    "KEY=VALUE first": (["show", "value=1"], "must follow a SPEC"),
    "key given twice": (["show", "Constant", "value=1", "value=2"], "given twice"),
    "two SPECs to show": (["show", "Constant", "value=1", "Constant", "value=2"], "one SPEC"),
    "steps without NUM": (["show", "Constant", "value=1", "--steps", "0:10"], "START:STOP:NUM"),
    "steps not integers": (["show", "Constant", "value=1", "--steps", "a,b"], "integer"),
    "steps fractional": (["show", "Constant", "value=1", "--steps", "0.5"], "integer"),
    "steps NUM 0": (["show", "Constant", "value=1", "--steps", "0:10:0"], "NUM"),
    "steps empty item": (["show", "Constant", "value=1", "--steps", "1,,2"], "comma list"),
    "bad format": (["show", "Constant", "value=1", "--format", "xml"], "invalid choice"),
    "unknown option": (["show", "Constant", "value=1", "--nope"], "unrecognized"),
    "plot without -o": (["plot", "Constant", "value=1"], "-o"),
    "too many labels": (
        ["plot", "Constant", "value=1", "-o", "x.png", "--label", "a", "--label", "b"],
        "--label",
    ),
}


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_errors_exit_2(case: str, cli: Any) -> None:
    args, fragment = USAGE_ERRORS[case]
    assert_error(cli(*args), 2, fragment)


ERRORS = {
    "unknown class": (["ExponentalDecay"], ["unknown schedule", "did you mean 'ExponentialDecay'"]),
    "unknown key": (["Constant", "value=0.1", "foo=1"], ["unknown key 'foo'", "Constant"]),
    "missing key": (["ExponentialDecay", "initial_learning_rate=0.1"], ["missing key"]),
    "invalid hyperparameter": (
        ["ExponentialDecay", "initial_learning_rate=0.1", "decay_steps=-5", "decay_rate=0.5"],
        ["decay_steps", "-5"],
    ),
    "wrong type": (["Constant", "value=abc"], ["value", "'abc'"]),
    "NaN value": (["Constant", "value=NaN"], ["finite"]),
    "infinite value": (["Constant", "value=Infinity"], ["finite"]),
    "bad JSON text": (['{"class_name": "Constant", '], ["not valid JSON"]),
    "hostile JSON text": (['{"class_name": "os.system", "config": {}}'], ["unknown schedule"]),
    "duplicate key in a value": (
        ["Product", 'factors=[{"class_name": "os.system", "class_name": "Constant"}]'],
        ["'class_name' more than once"],
    ),
    "missing file": (["missing.json"], ["missing.json", "no such file"]),
    "directory": (["."], ["cannot read"]),
    "bad JSON file": (["bad.json"], ["bad.json", "not valid JSON"]),
    "NaN in a JSON file": (["nan.json"], ["nan.json", "NaN"]),
    "not UTF-8": (["binary.json"], ["binary.json", "UTF-8"]),
    "not a schedule": (["list.json"], ["list.json", "dict"]),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_exit_1(case: str, cli: Any, tmp_path: Path) -> None:
    write_bad_files(tmp_path)
    args, fragments = ERRORS[case]
    assert_error(cli("show", *args), 1, *fragments)


def write_bad_files(directory: Path) -> None:
    (directory / "bad.json").write_text(
        '{"class_name": "Constant", "config": {"value": }}', "utf-8"
    )
    (directory / "nan.json").write_text(
        '{"class_name": "Constant", "config": {"value": NaN}}', "utf-8"
    )
    (directory / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (directory / "list.json").write_text("[1, 2]", "utf-8")


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ([], 2),
        (["--steps", "0:10"], 2),
        (["ExponentalDecay"], 1),
        (["bad.json"], 1),
        (["missing.json"], 1),
        (["Constant", "value=NaN"], 1),
        (["Constant", "value=-Infinity"], 1),
    ],
)
def test_errors_in_a_subprocess(args: list[str], status: int, tmp_path: Path) -> None:
    write_bad_files(tmp_path)
    assert_error(run("show", *args, cwd=tmp_path), status)


def test_error_from_stdin(cli: Any) -> None:
    assert_error(cli("show", "-", stdin="not json"), 1, "standard input", "not valid JSON")


def test_matplotlib_missing_is_one_line(tmp_path: Path) -> None:
    out = run("plot", "Constant", "value=0.1", "-o", "lr.png", code=BLOCK_MATPLOTLIB, cwd=tmp_path)
    assert_error(out, 1, "matplotlib", "pip install 'lrschedule[plot]'")
    assert not (tmp_path / "lr.png").exists()
    # show and list never need matplotlib
    out = run("show", *EXPONENTIAL, "--format", "csv", code=BLOCK_MATPLOTLIB)
    assert out.returncode == 0
    assert out.stderr == ""


def test_cli_imports_no_matplotlib() -> None:
    code = "import sys, lrschedule.cli, lrschedule.__main__; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_broken_pipe_is_quiet() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lrschedule",
            "show",
            "Constant",
            "value=0.1",
            "--steps",
            "0:200000:200001",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.readline().startswith("Constant")
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) != 0
    assert "Traceback" not in err, err
    assert "Error" not in err, err
