"""The ``lrschedule`` command: ``show``, ``plot``, ``list`` and ``demo``.

``lrschedule`` (the console script) and ``python -m lrschedule`` run :func:`main`. Schedules are
built from SPECs through :func:`lrschedule.deserialize`, so the command line follows the safe
rules of configs: names are looked up in the registry, nothing is imported or evaluated.

>>> main(["show", "ExponentialDecay", "initial_learning_rate=0.1", "decay_steps=1000",
...       "decay_rate=0.5", "--steps", "0,1000,2000", "--format", "csv"])
step,learning_rate
0,0.1
1000,0.05
2000,0.025
0
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import math
import re
import shutil
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import lrschedule
from lrschedule import registry
from lrschedule.plotting import INSTALL_HINT, default_steps, learning_rates, linspace_steps
from lrschedule.plotting import plot as plot_schedules
from lrschedule.schedule import LearningRateSchedule

__all__ = ["UsageError", "build_parser", "demo", "load_spec", "main", "parse_steps", "split_specs"]

PROG = "lrschedule"
MAX_STEPS = 10_000_000
"""The most steps ``--steps`` may ask for."""

SPEC_HELP = """\
SPEC is one of:
  a class name with KEY=VALUE arguments  ExponentialDecay initial_learning_rate=0.1 \\
                                             decay_steps=1000 decay_rate=0.96
  a JSON config file (as to_json writes)  lr.json
  JSON text (an argument starting '{')    '{"class_name": "Constant", "config": {"value": 0.1}}'
  -                                       a JSON config read from standard input
A registered class name wins over a file of the same name (write ./NAME for the file).
'lrschedule list' shows every class and its arguments.

VALUE is parsed as JSON (0.1, 1e-3, true, false, null, [10, 20], {"class_name": ...}); anything
that is not JSON is a plain string (cos, triangular2). Quote a string that looks like JSON: '"1"'.
An argument KEY=VALUE (KEY a Python identifier) belongs to the SPEC before it: for a class name it
is an argument of the class, for a JSON config it replaces that key of the config. Any other
argument starts a new SPEC, so several SPECs simply follow each other:
  lrschedule plot CosineDecay initial_learning_rate=0.1 decay_steps=1000 lr.json -o lr.png
"""

STEPS_HELP = (
    "the steps: START:STOP:NUM is NUM evenly spaced integer steps from START to STOP inclusive "
    "(numpy.linspace rounded to the nearest integer, repeats dropped), e.g. 0:10000:11; or a "
    "comma-separated list, e.g. 0,10,100. Default: 0 to where the schedule ends when its "
    "hyperparameters say so (decay_steps of a cosine decay, total_steps of a one-cycle, ...), "
    "else 0 to 10000"
)

EXIT_HELP = """\
exit status: 0 success, 1 a schedule, file or library error, 2 a usage error (the command line
itself). Errors are one line on standard error: 'lrschedule: error: ...'.
"""


class UsageError(Exception):
    """A malformed command line: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, reporting errors as :class:`UsageError` (one line, exit 2), not usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# -- SPECs ----------------------------------------------------------------------------------------


@dataclass
class Spec:
    """One SPEC of the command line: its first argument and the KEY=VALUE arguments after it."""

    source: str
    arguments: list[str] = dataclasses.field(default_factory=list)


def _is_argument(token: str) -> bool:
    key, sep, _ = token.partition("=")
    return bool(sep) and key.isidentifier() and not token.lstrip().startswith("{")


def split_specs(tokens: Sequence[str]) -> list[Spec]:
    """Group the command line's SPEC arguments: a KEY=VALUE argument belongs to the SPEC before it.

    >>> split_specs(["Constant", "value=0.1", "lr.json", "decay_rate=0.5", '{"class_name": "x"}'])
    [Spec(source='Constant', arguments=['value=0.1']), Spec(source='lr.json', arguments=['decay_rate=0.5']), Spec(source='{"class_name": "x"}', arguments=[])]
    """
    specs: list[Spec] = []
    for token in tokens:
        if _is_argument(token):
            if not specs:
                raise UsageError(
                    f"{token!r} is a KEY=VALUE argument, so it must follow a SPEC "
                    "(a class name, a JSON config file or JSON text)"
                )
            specs[-1].arguments.append(token)
        else:
            specs.append(Spec(token))
    if not specs:
        raise UsageError("give a SPEC: a class name, a JSON config file or JSON text")
    return specs


def parse_value(text: str) -> Any:
    """A KEY=VALUE argument's value: JSON when it parses as JSON, else the text itself. A JSON
    object with a key given twice is refused, as :func:`lrschedule.from_json` refuses it.

    >>> [parse_value(v) for v in ("0.1", "1000", "true", "null", "[1, 2]", "cos", "NaN")]
    [0.1, 1000, True, None, [1, 2], 'cos', nan]
    """
    try:
        return json.loads(text, object_pairs_hook=registry._no_duplicate_keys)
    except lrschedule.ConfigError:
        raise
    except (ValueError, RecursionError):  # not JSON (or too deep): a plain string
        return text


def _arguments(spec: Spec) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for token in spec.arguments:
        key, _, text = token.partition("=")
        if key in values:
            raise UsageError(f"argument {key!r} of {spec.source!r} is given twice")
        values[key] = parse_value(text)
    return values


_NAME = re.compile(r"[A-Za-z_][\w>]*")
"""What a registered name looks like (``ExponentialDecay``, ``package>Name``), not a path."""


def _read_text(spec: Spec) -> str:
    if spec.source == "-":
        return sys.stdin.read(registry.MAX_TEXT + 1)
    path = Path(spec.source)
    try:
        with path.open(encoding="utf-8") as file:
            return file.read(registry.MAX_TEXT + 1)
    except FileNotFoundError:
        if not _NAME.fullmatch(spec.source):
            raise OSError(
                f"{spec.source}: no such file (a SPEC is a class name, a JSON config file, "
                "JSON text starting with '{' or -)"
            ) from None
        # Neither a registered name nor a file: report it as an unknown name, with suggestions.
        try:
            lrschedule.deserialize({"class_name": spec.source})
        except lrschedule.ConfigError as exc:
            raise lrschedule.ConfigError(
                f"{exc} ('lrschedule list' shows them all; there is no file of that name either)"
            ) from None
        raise  # pragma: no cover - the name was registered meanwhile
    except UnicodeDecodeError:
        raise lrschedule.ConfigError(f"{spec.source}: not a JSON config (not UTF-8 text)") from None
    except OSError as exc:
        raise OSError(f"{spec.source}: cannot read: {exc.strerror or exc}") from None


def load_spec(spec: Spec) -> LearningRateSchedule:
    """Build the schedule of one SPEC through :func:`lrschedule.deserialize`.

    >>> load_spec(Spec("InverseTimeDecay", ["initial_learning_rate=0.1", "decay_steps=10",
    ...                                     "decay_rate=0.5"]))
    InverseTimeDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)
    >>> load_spec(Spec('{"class_name": "Constant", "config": {"value": 0.1}}', ["value=0.2"]))
    Constant(value=0.2)
    """
    arguments = _arguments(spec)
    if spec.source in lrschedule.registered():
        return lrschedule.deserialize({"class_name": spec.source, "config": arguments})
    if spec.source.lstrip().startswith("{"):
        text, where = spec.source, ""
    else:
        text = _read_text(spec)
        where = "standard input" if spec.source == "-" else spec.source
    try:
        schedule = lrschedule.from_json(text)
        if arguments:
            config = lrschedule.serialize(schedule)
            config["config"].update(arguments)
            schedule = lrschedule.deserialize(config)
    except lrschedule.ConfigError as exc:
        if where:
            raise lrschedule.ConfigError(f"{where}: {exc}") from None
        raise
    return schedule


# -- steps ----------------------------------------------------------------------------------------


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value.is_integer()):
        raise UsageError(f"--steps: {what} must be an integer. Received: {text!r}")
    return int(value)


def parse_steps(text: str) -> np.ndarray[Any, Any]:
    """``--steps``: ``START:STOP:NUM`` (``numpy.linspace`` rounded) or a comma list.

    >>> parse_steps("0:10000:5")
    array([    0,  2500,  5000,  7500, 10000])
    >>> parse_steps("0,10,100")
    array([  0,  10, 100])
    """
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise UsageError(
                f"--steps: expected START:STOP:NUM (e.g. 0:10000:11) or a comma list. "
                f"Received: {text!r}"
            )
        start, stop, num = (
            _integer(p, w) for p, w in zip(parts, ("START", "STOP", "NUM"), strict=True)
        )
        if not 1 <= num <= MAX_STEPS:
            raise UsageError(f"--steps: NUM must be from 1 to {MAX_STEPS}. Received: {num}")
        if max(abs(start), abs(stop)) > 2**53:
            raise UsageError(f"--steps: steps must be at most 2**53. Received: {text!r}")
        return linspace_steps(start, stop, num)
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise UsageError(
            f"--steps: expected a comma list of integers (e.g. 0,10,100) or START:STOP:NUM. "
            f"Received: {text!r}"
        )
    if len(items) > MAX_STEPS:
        raise UsageError(f"--steps: at most {MAX_STEPS} steps")
    values = [_integer(item, "a step") for item in items]
    if max(abs(v) for v in values) > 2**53:
        raise UsageError(f"--steps: steps must be at most 2**53. Received: {text!r}")
    return np.asarray(values, dtype=np.int64)


# -- output ---------------------------------------------------------------------------------------


def _number(value: Any) -> str:
    """The shortest text that reads back as ``value`` in its own dtype: 0.1, 1e-05, inf."""
    return str(value)


def _learning_rates(schedule: LearningRateSchedule, steps: np.ndarray[Any, Any]) -> Any:
    # bfloat16, which NumPy lacks: computed in float64, rounded to bfloat16, shown as float32
    return learning_rates(schedule, steps)


SHOW_BLOCK = 65_536
"""``show`` computes and prints this many rows at a time: the first rows come out at once, the
memory is one block's (besides the steps themselves), and a reader that stops early (``| head``)
stops the computation."""


def _show(schedule: LearningRateSchedule, steps: np.ndarray[Any, Any], output_format: str) -> str:
    """The whole table as one string (see :func:`_show_blocks`)."""
    return "".join(_show_blocks(schedule, steps, output_format)).rstrip("\n")


def _show_blocks(
    schedule: LearningRateSchedule, steps: np.ndarray[Any, Any], output_format: str
) -> Iterator[str]:
    """The table, as text blocks of :data:`SHOW_BLOCK` rows, each ending in a newline; each
    block's learning rates are computed as it is asked for."""

    def blocks() -> Iterator[tuple[np.ndarray[Any, Any], Any]]:
        for start in range(0, len(steps), SHOW_BLOCK):
            part = steps[start : start + SHOW_BLOCK]
            yield part, _learning_rates(schedule, part)

    if output_format == "csv":
        yield "step,learning_rate\n"
        for part, values in blocks():
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerows((int(s), _number(v)) for s, v in zip(part, values, strict=True))
            yield out.getvalue()
        return
    if output_format == "json":
        # the document json.dumps would write, in pieces: the steps, then the learning rates
        head = json.dumps({"schedule": lrschedule.serialize(schedule)}, allow_nan=False)
        yield head[:-1] + ', "steps": ['
        for start in range(0, len(steps), SHOW_BLOCK):
            part = steps[start : start + SHOW_BLOCK]
            yield (", " if start else "") + ", ".join(str(int(s)) for s in part)
        yield '], "learning_rates": ['
        for i, (_, values) in enumerate(blocks()):
            rates = (repr(float(_number(v))) if np.isfinite(v) else "null" for v in values)
            yield (", " if i else "") + ", ".join(rates)
        yield "]}\n"
        return
    width = max(len("step"), *(len(str(int(s))) for s in (steps.min(), steps.max())))
    yield f"{schedule!r}\n\n{'step':>{width}}  learning_rate\n"
    for part, values in blocks():
        yield "".join(f"{int(s):>{width}}  {v:.6g}\n" for s, v in zip(part, values, strict=True))


def _fields(cls: type[LearningRateSchedule]) -> list[dataclasses.Field[Any]] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    return [f for f in dataclasses.fields(cls) if f.init]


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=False) if _is_json(value) else repr(value)


def _list(output_format: str) -> str:
    classes = sorted(lrschedule.registered().items(), key=lambda item: item[0].lower())
    if output_format == "json":
        document: dict[str, Any] = {}
        for name, cls in classes:
            arguments: dict[str, Any] = {}
            for f in _fields(cls) or []:
                default = _default(f)
                if default is dataclasses.MISSING:
                    arguments[f.name] = {"required": True}
                else:
                    shown = default if _is_json(default) else repr(default)
                    arguments[f.name] = {"required": False, "default": shown}
            document[name] = arguments
        return json.dumps(document, indent=2)
    width = max(len(name) for name, _ in classes) + 2
    columns = max(60, shutil.get_terminal_size((100, 24)).columns)
    lines = []
    for name, cls in classes:
        fields = _fields(cls)
        if fields is None:
            words = ["(arguments: see its get_config())"]
        else:
            words = [
                f.name
                if _default(f) is dataclasses.MISSING
                else f"{f.name}={_json_text(_default(f))}"
                for f in fields
            ]
        wrapped = textwrap.wrap(
            " ".join(words),
            width=columns,
            initial_indent=f"{name:<{width}}",
            subsequent_indent=" " * width,
            break_on_hyphens=False,
        )
        lines += wrapped
    lines.append("")
    lines.append("Arguments without '=' are required; the defaults are shown as JSON.")
    return "\n".join(lines)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


# -- plot -----------------------------------------------------------------------------------------


def _plot(args: argparse.Namespace, specs: list[Spec]) -> None:
    labels: list[str] = args.label or []
    if len(labels) > len(specs):
        raise UsageError(
            f"{len(labels)} --label options for {len(specs)} SPECs: give at most one per SPEC"
        )
    output = Path(args.output)
    suffix = output.suffix.lower().lstrip(".")
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == "matplotlib"
        raise _MissingDependencyError(
            f"plot needs matplotlib, which is not installed: {INSTALL_HINT}"
            if missing
            else f"plot needs matplotlib, which failed to import: {exc}"
        ) from None
    from matplotlib.backends.backend_agg import (  # type: ignore[import-not-found, unused-ignore]
        FigureCanvasAgg,
    )
    from matplotlib.figure import Figure  # type: ignore[import-not-found, unused-ignore]

    figure = Figure(figsize=(8, 5), dpi=100)
    canvas = FigureCanvasAgg(figure)  # Agg: no display needed
    formats = canvas.get_supported_filetypes()
    if suffix not in formats:
        raise UsageError(
            f"-o {args.output}: name the file with one of the suffixes "
            f"{', '.join('.' + f for f in sorted(formats))}"
        )
    schedules = [load_spec(spec) for spec in specs]
    given: list[str | None] = [*labels, *([None] * (len(specs) - len(labels)))]
    ax = figure.add_subplot()
    plot_schedules(schedules, steps=args.steps, ax=ax, log=args.log, label=given)
    ax.grid(True, alpha=0.3)
    figure.tight_layout()
    try:
        figure.savefig(output, format=suffix, dpi=100)
    except OSError as exc:
        raise OSError(f"{args.output}: cannot write: {exc.strerror or exc}") from None


class _MissingDependencyError(Exception):
    """An optional dependency is missing: exit status 1."""


# -- the parser -----------------------------------------------------------------------------------


def build_parser() -> dict[str, argparse.ArgumentParser]:
    """The top-level parser (key ``""``) and one parser per subcommand."""
    formatter = argparse.RawDescriptionHelpFormatter
    top = _Parser(
        prog=PROG,
        description=_fill(
            "Learning-rate schedules: show a table, plot, list the classes. "
            "With no arguments, a demo table."
        ),
        epilog=SPEC_HELP + "\n" + EXIT_HELP,
        formatter_class=formatter,
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {lrschedule.__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    show = commands.add_parser(
        "show",
        help="print a table of step and learning rate",
        description=_fill(
            "Print the learning rate of one schedule at some steps: a table to read, "
            "or CSV or JSON for programs. The table shows 6 significant digits, CSV and JSON "
            "every digit (the shortest text that reads back as the same number)."
        ),
        epilog=SPEC_HELP + "\nexamples:\n"
        "  lrschedule show ExponentialDecay initial_learning_rate=0.1 decay_steps=1000 "
        "decay_rate=0.96\n"
        "  lrschedule show lr.json --steps 0:100000:21 --format csv\n\n" + EXIT_HELP,
        formatter_class=formatter,
    )
    show.add_argument("spec", nargs="+", metavar="SPEC", help="the schedule (see below)")
    show.add_argument("--steps", type=_steps_type, metavar="STEPS", help=STEPS_HELP)
    show.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table (default): aligned, for reading; csv: columns step,learning_rate; json: "
        '{"schedule": its config, "steps": [...], "learning_rates": [...]}',
    )
    plot = commands.add_parser(
        "plot",
        help="draw schedules to a PNG, SVG or PDF file (needs matplotlib)",
        description=_fill(
            "Draw one or several schedules on one plot, saved to a file; the suffix of -o picks "
            "the format (.png, .svg, .pdf, ...). Each line's label is the class name (numbered "
            "when several of one class are drawn), or the --label given for it. Needs "
            f"matplotlib: {INSTALL_HINT}."
        ),
        epilog=SPEC_HELP + "\nexamples:\n"
        "  lrschedule plot CosineDecay initial_learning_rate=0.1 decay_steps=1000 -o lr.png\n"
        "  lrschedule plot ExponentialDecay initial_learning_rate=0.1 decay_steps=100 "
        "decay_rate=0.5 \\\n"
        "      lr.json --label exponential --label mine -o lr.svg --log\n\n" + EXIT_HELP,
        formatter_class=formatter,
    )
    plot.add_argument("spec", nargs="+", metavar="SPEC", help="the schedules (see below)")
    plot.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    plot.add_argument("--steps", type=_steps_type, metavar="STEPS", help=STEPS_HELP)
    plot.add_argument("--log", action="store_true", help="a logarithmic learning-rate axis")
    plot.add_argument(
        "--label",
        action="append",
        metavar="TEXT",
        help="the legend label of a SPEC, once per SPEC in order (the first --label names the "
        "first SPEC, ...); SPECs without one are labelled with their class name",
    )
    listing = commands.add_parser(
        "list",
        help="list the registered schedules and their arguments",
        description=_fill(
            "List every registered schedule with its arguments and their defaults "
            "(shown as JSON, the way KEY=VALUE arguments take them)."
        ),
        formatter_class=formatter,
    )
    listing.add_argument("--format", choices=("table", "json"), default="table")
    commands.add_parser(
        "demo", help="print the demo table (what 'lrschedule' with no arguments prints)"
    )
    return {"": top, "show": show, "plot": plot, "list": listing}


def _fill(text: str) -> str:
    return textwrap.fill(text, width=79)


def _steps_type(text: str) -> np.ndarray[Any, Any]:
    try:
        return parse_steps(text)
    except UsageError as exc:  # argparse reports ArgumentTypeError as "argument --steps: ..."
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--steps: ")) from None


# -- main -----------------------------------------------------------------------------------------


def demo() -> str:
    """A table of step against learning rate for three schedules, evaluated in one vectorized call."""
    schedules = {
        "exponential": lrschedule.ExponentialDecay(0.1, 1000, 0.96),
        "cosine": lrschedule.CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000),
        "restarts": lrschedule.CosineDecayRestarts(0.1, 1000),
    }
    steps = np.arange(0, 10_001, 1000)
    columns = {name: s(steps) for name, s in schedules.items()}
    width = 12
    lines = [f"lrschedule {lrschedule.__version__}: learning rate by step (NumPy, float64)", ""]
    lines += [f"  {name:<12} {s!r}" for name, s in schedules.items()]
    lines.append("")
    lines.append(f"{'step':>6}  " + "  ".join(f"{name:>{width}}" for name in columns))
    for i, step in enumerate(steps):
        row = "  ".join(f"{values[i]:>{width}.6g}" for values in columns.values())
        lines.append(f"{step:>6}  {row}")
    lines.append("")
    lines.append("More: lrschedule --help (show, plot, list)")
    return "\n".join(lines)


def _run(argv: list[str]) -> int:
    parsers = build_parser()
    if not argv:
        print(demo())
        return 0
    command = argv[0]
    if command not in ("show", "plot"):
        args = parsers[""].parse_args(argv)
        if args.command == "list":
            print(_list(args.format))
        else:  # demo
            print(demo())
        return 0
    # intermixed: options may come between SPECs (plot A k=v --label a B k=v -o lr.png)
    args = parsers[command].parse_intermixed_args(argv[1:])
    specs = split_specs(args.spec)
    if command == "plot":
        _plot(args, specs)
        return 0
    if len(specs) > 1:
        raise UsageError(
            f"show takes one SPEC; got {len(specs)} ({', '.join(repr(s.source) for s in specs)}). "
            "KEY=VALUE arguments need no spaces around '='; use 'plot' for several schedules"
        )
    schedule = load_spec(specs[0])
    steps = args.steps if args.steps is not None else default_steps(schedule, num=11)
    for block in _show_blocks(schedule, steps, args.format):
        sys.stdout.write(block)
    sys.stdout.flush()
    return 0


def _error(message: object) -> None:
    text = " ".join(str(message).split()) or "unknown error"
    print(f"{PROG}: error: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv`` without the program name; default ``sys.argv[1:]``).

    Returns the exit status: 0 success, 1 an error in a schedule, a file or the environment, 2 a
    usage error. An error is one line on standard error, never a traceback.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except UsageError as exc:
        _error(exc)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `lrschedule show ... | head`: stop quietly
        _silence_stdout()
        return 1
    except (lrschedule.ConfigError, ValueError, TypeError, OSError, _MissingDependencyError) as exc:
        _error(exc)
        return 1
    except (ArithmeticError, RecursionError, MemoryError, ImportError) as exc:
        _error(f"{type(exc).__name__}: {exc}")
        return 1
    except Exception as exc:  # never a traceback, but say that it was unexpected
        _error(f"unexpected {type(exc).__name__}: {exc}")
        return 1


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so that Python's exit flush does not fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
