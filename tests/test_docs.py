"""Run every ```python block of README.md and docs/**/*.md, so that the docs cannot rot.

Each page's blocks run in order in one namespace (a later block uses the names of an earlier one),
one test per block, in a scratch directory. A block is skipped, with the reason, when it imports a
library that is not installed, when it needs a CUDA device that is not there (it imports cupy, or
names a ``"cuda"`` device), or when it uses a name that only a skipped block defines.

A block that is not meant to run is written as ```python {.no-run}; REPL transcripts are ```pycon
and program output is ```text, which are not run either. A block written ```python {.subprocess}
runs alone, in a fresh interpreter (for code that must set the environment before an import, as
``KERAS_BACKEND`` before ``import keras``); it shares no names with the page's other blocks. A
block that changes global settings (``jax_enable_x64``, torch's default dtype) should restore them
itself; the test restores them too.

**Printed output is checked.** A statement that prints, followed directly by comment lines, must
print exactly those lines (without their ``# ``, trailing spaces ignored)::

    print(schedule(2_000))
    # 0.09216

The other tests keep the site complete: every public name has an entry in docs/reference.md, every
public schedule class a section in docs/schedules/ (with its formula, its arguments and defaults,
an example, its peers and a plot), every ``lrschedule-plot`` block builds its schedules (see
docs/hooks.py), and every ``$ lrschedule ...`` command of a ```console block prints what the page
shows.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import importlib.util
import io
import os
import re
import shlex
import sys
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_CUDA_DEVICE = re.compile(r"^cuda(:\d+)?$")


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository root
    line: int  # 1-based line of the first line of code
    code: str
    run: bool  # False for ```python {.no-run}
    subprocess: bool = False  # True for ```python {.subprocess}: run alone, in a fresh process


def _language(info: str) -> tuple[str, set[str]]:
    """The language and the classes of a fence's info string: 'python {.no-run}', '{.python .x}'."""
    word, _, attrs = info.partition("{")
    classes = [c[1:] for c in attrs.rstrip("} \t").split() if c.startswith(".")]
    if word.strip():
        return word.split()[0].lower(), set(classes)
    return (classes[0].lower(), set(classes[1:])) if classes else ("", set())


def _blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(ROOT).as_posix()
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        language, classes = _language(match["info"])
        start = i + 1
        i = start
        while i < len(lines):
            closing = lines[i].strip()
            if closing.startswith(fence) and closing == fence[0] * len(closing):
                break
            i += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip()
            for line in lines[start:i]
        ]
        i += 1
        if language in ("python", "py"):
            yield Block(
                page,
                start + 1,
                "\n".join(body) + "\n",
                run="no-run" not in classes,
                subprocess="subprocess" in classes,
            )


def _pages() -> list[Path]:
    pages = [ROOT / "README.md"] if (ROOT / "README.md").is_file() else []
    return pages + sorted((ROOT / "docs").rglob("*.md"))


BLOCKS = [block for page in _pages() for block in _blocks(page) if block.run]


# -- what a block needs ------------------------------------------------------------------------


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _bound(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _used(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _names_cuda_device(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and _CUDA_DEVICE.match(str(node.value)):
            return True
        # x.cuda() moves to the GPU; torch.cuda.is_available() only asks.
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "cuda"
        ):
            return True
    return False


def _cupy_has_device() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.runtime.getDeviceCount() > 0)
    except Exception:  # no driver, no device, a broken install: all mean "no GPU here"
        return False


def _torch_has_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _keras_backend(tree: ast.AST) -> str | None:
    """The backend a block selects with ``os.environ["KERAS_BACKEND"] = "..."``, if it does."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and any(
                isinstance(target, ast.Subscript)
                and isinstance(target.slice, ast.Constant)
                and target.slice.value == "KERAS_BACKEND"
                for target in node.targets
            )
        ):
            return node.value.value
    return None


def _missing(tree: ast.AST) -> str | None:
    """Why this block cannot run here, or None."""
    imports = _imports(tree)
    backend = _keras_backend(tree)
    if backend not in (None, "numpy"):  # Keras's backend, imported by keras itself
        imports.add(backend)
    for name in sorted(imports):
        if importlib.util.find_spec(name) is None:
            return f"needs {name}, which is not installed"
    if "cupy" in imports and not _cupy_has_device():
        return "needs a CUDA device for CuPy"
    if _names_cuda_device(tree) and (
        importlib.util.find_spec("torch") is None or not _torch_has_cuda()
    ):
        return "needs a CUDA device for torch"
    return None


# -- running a page, block by block ----------------------------------------------------------------


@dataclass
class _Page:
    module: types.ModuleType
    directory: Path
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (outcome, detail) per block
    skipped_names: dict[str, int] = field(default_factory=dict)  # name -> line of the skipped block
    reported: set[int] = field(default_factory=set)  # blocks whose own test has run


_state: dict[str, _Page] = {}


def _global_settings() -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if "jax" in sys.modules:
        settings["jax_enable_x64"] = bool(sys.modules["jax"].config.jax_enable_x64)
    if "torch" in sys.modules:
        settings["torch_default_dtype"] = sys.modules["torch"].get_default_dtype()
    return settings


def _restore(settings: dict[str, Any]) -> None:
    """Put back the settings from before a block (their defaults if the block imported the library)."""
    if "jax" in sys.modules:
        default = os.environ.get("JAX_ENABLE_X64", "").lower() in ("1", "true")
        x64 = settings.get("jax_enable_x64", default)
        if bool(sys.modules["jax"].config.jax_enable_x64) != x64:
            sys.modules["jax"].config.update("jax_enable_x64", x64)
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_default_dtype(settings.get("torch_default_dtype", torch.float32))


def _execute(page: _Page, block: Block, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    try:
        tree = ast.parse(block.code, filename=block.page)
    except SyntaxError as exc:
        return "fail", f"syntax error: {exc}"
    reason = _missing(tree)
    if reason is None:
        needs = _used(tree) - _bound(tree) - set(vars(page.module))
        lines = sorted({page.skipped_names[n] for n in needs if n in page.skipped_names})
        if lines:
            reason = f"uses names from the skipped block at line {lines[0]}"
    if reason is not None:
        page.skipped_names.update(dict.fromkeys(_bound(tree), block.line))
        return "skip", reason
    # Pad so that a traceback points at the line in the Markdown file.
    source = "\n" * (block.line - 1) + block.code
    filename = str(ROOT / block.page)
    if block.subprocess:
        return _execute_in_subprocess(source, filename, page.directory)
    settings = _global_settings()
    with monkeypatch.context() as patch:
        patch.chdir(page.directory)
        try:
            mismatch = run_statements(source, filename, vars(page.module))
        except Exception as exc:  # the block's own failure; the test reports it
            below_exec = exc.__traceback__.tb_next if exc.__traceback__ else None
            below_exec = below_exec.tb_next if below_exec else None  # and run_statements's
            return "fail", "".join(traceback.format_exception(type(exc), exc, below_exec))
        finally:
            _restore(settings)
        if mismatch:
            return "fail", mismatch
    for name in _bound(tree):
        page.skipped_names.pop(name, None)
    return "ok", ""


def run_statements(source: str, filename: str, namespace: dict[str, Any]) -> str | None:
    """Execute ``source`` one statement at a time in ``namespace``; return where a statement's
    output differs from the comment lines after it (None: nowhere). Its exceptions propagate."""
    lines = source.split("\n")
    for statement in ast.parse(source, filename=filename).body:
        printed = io.StringIO()
        code = compile(ast.Module(body=[statement], type_ignores=[]), filename, "exec")
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
        mismatch = _output_mismatch(lines, statement, printed.getvalue())
        if mismatch:
            return mismatch
    return None


_SUBPROCESS_DRIVER = """
import pathlib, sys
sys.path.insert(0, sys.argv[1])
from test_docs import run_statements
source = pathlib.Path(sys.argv[2]).read_text(encoding="utf-8")
mismatch = run_statements(source, sys.argv[3], {"__name__": "__main__"})
if mismatch:
    print(mismatch, file=sys.stderr)
    sys.exit(3)
"""


def _execute_in_subprocess(source: str, filename: str, directory: Path) -> tuple[str, str]:
    """Run a ```python {.subprocess} block alone in a fresh interpreter (for code that must set
    the environment before an import, as ``KERAS_BACKEND`` before ``import keras``)."""
    import subprocess

    script = directory / f"block-{source.count(chr(10))}.py"
    script.write_text(source, encoding="utf-8")
    command = [sys.executable, "-c", _SUBPROCESS_DRIVER, str(ROOT / "tests"), str(script), filename]
    try:
        done = subprocess.run(
            command, cwd=directory, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return "fail", f"timed out after {SUBPROCESS_TIMEOUT} s in a subprocess"
    if done.returncode != 0:
        return "fail", f"in a subprocess (exit status {done.returncode}):\n{done.stderr[-6000:]}"
    return "ok", ""


SUBPROCESS_TIMEOUT = 300


def _output_mismatch(lines: list[str], statement: ast.stmt, printed: str) -> str | None:
    """Where a statement's output differs from the comment lines right after it, or None.

    ``lines`` are the padded source's lines (index ``n - 1`` is line ``n``). A statement that
    prints nothing, or that no comment line follows, is not compared.
    """
    shown = []
    end = statement.end_lineno or statement.lineno
    while end < len(lines) and lines[end].lstrip().startswith("#"):
        comment = lines[end].strip()[1:]
        shown.append(comment[1:] if comment.startswith(" ") else comment)
        end += 1
    if not printed or not shown:
        return None
    got = [line.rstrip() for line in printed.rstrip("\n").split("\n")]
    want = [line.rstrip() for line in shown]
    if got == want:
        return None
    return (
        f"line {statement.lineno}: the page shows\n"
        + "\n".join(f"    # {w}" for w in want)
        + "\nbut the code prints\n"
        + "\n".join(f"    # {g}" for g in got)
    )


@pytest.fixture(scope="module", autouse=True)
def _doc_modules() -> Iterator[None]:
    """Afterwards, forget the pages' modules and the schedule classes their blocks registered
    (configs.md registers one), so that later test modules see the built-in registry."""
    from lrschedule import registry

    by_name, by_class = dict(registry._by_name), dict(registry._by_class)
    yield
    for page in _state.values():
        sys.modules.pop(page.module.__name__, None)
    _state.clear()
    with registry._lock:
        registry._by_name.clear()
        registry._by_name.update(by_name)
        registry._by_class.clear()
        registry._by_class.update(by_class)


def _run_page(
    name: str,
    until: Block | None,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> _Page:
    """The page's state after running its blocks up to ``until`` (all: ``None``), each once, in
    order, stopping at the first failure."""
    page = _state.get(name)
    if page is None:
        module_name = "docs_" + re.sub(r"\W", "_", name)
        module = types.ModuleType(module_name)
        sys.modules[module_name] = module  # so that classes defined in a block pickle
        page = _state[name] = _Page(module, tmp_path_factory.mktemp(module_name))
    ours = [b for b in BLOCKS if b.page == name]
    last = ours.index(until) if until is not None else len(ours) - 1
    while len(page.outcomes) <= last:
        if page.outcomes and page.outcomes[-1][0] == "fail":
            break
        page.outcomes.append(_execute(page, ours[len(page.outcomes)], monkeypatch))
    return page


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.page}:{b.line}" for b in BLOCKS])
def test_docs_block(
    block: Block, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _run_page(block.page, block, tmp_path_factory, monkeypatch)
    ours = [b for b in BLOCKS if b.page == block.page]
    index = ours.index(block)
    failed = next((i for i, (o, _) in enumerate(page.outcomes[:index]) if o == "fail"), None)
    if failed is not None:
        # One failure per root cause: a later block of the page is only skipped, unless the
        # failed block's own test was not selected (pytest -k), in which case this one reports it.
        where = f"{block.page}:{block.line}: not run: the block at line {ours[failed].line} failed"
        if failed in page.reported:
            pytest.skip(where)
        pytest.fail(f"{where}:\n{page.outcomes[failed][1]}", pytrace=False)
    page.reported.add(index)
    outcome, detail = page.outcomes[index]
    if outcome == "skip":
        pytest.skip(f"{block.page}:{block.line}: {detail}")
    if outcome == "fail":
        pytest.fail(f"{block.page}:{block.line}:\n{detail}", pytrace=False)


# -- the site is complete ------------------------------------------------------------------------

SCHEDULE_PAGES = ROOT / "docs" / "schedules"
REFERENCE = ROOT / "docs" / "reference.md"
_SECTION = re.compile(r"^## `(?P<name>\w+)`", re.MULTILINE)
_ROW = re.compile(r"^\|\s*`(?P<name>\w+)`\s*\|\s*(?P<default>[^|]*?)\s*\|", re.MULTILINE)


def _public_schedules() -> list[str]:
    import lrschedule

    return [
        name
        for name in lrschedule.__all__
        if isinstance(getattr(lrschedule, name), type)
        and issubclass(getattr(lrschedule, name), lrschedule.LearningRateSchedule)
        and getattr(lrschedule, name) is not lrschedule.LearningRateSchedule
    ]


def _schedule_sections() -> dict[str, list[tuple[str, str]]]:
    """Each ``## `Name` `` section of docs/schedules/*.md: name -> [(page, text)]."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(SCHEDULE_PAGES.glob("*.md")):
        page = path.relative_to(ROOT).as_posix()
        name, body, fence = None, [], ""
        for line in [*path.read_text(encoding="utf-8").splitlines(), "## end"]:
            opening = _OPEN.match(line)
            if opening and not fence:
                fence = opening["fence"]
            elif fence and line.strip() == fence[0] * len(line.strip()) and line.strip():
                fence = ""
            elif not fence and re.match(r"#{1,2} ", line):  # a heading, outside code
                if name:
                    sections.setdefault(name, []).append((page, "\n".join(body)))
                heading = _SECTION.match(line)
                name, body = (heading["name"] if heading else None), []
            body.append(line)
    return sections


def test_reference_lists_every_public_name() -> None:
    import lrschedule

    entries = re.findall(r"^::: lrschedule\.(\w+)\s*$", REFERENCE.read_text(encoding="utf-8"), re.M)
    assert sorted(set(lrschedule.__all__) - set(entries)) == [], "missing from docs/reference.md"
    assert sorted(set(entries) - set(lrschedule.__all__)) == [], "not public, yet in the reference"
    assert len(entries) == len(set(entries)), "listed twice in docs/reference.md"


def test_every_public_schedule_has_one_section() -> None:
    sections = _schedule_sections()
    missing = [name for name in _public_schedules() if name not in sections]
    assert missing == [], "public schedule classes without a '## `Name`' section in docs/schedules/"
    twice = {
        name: [page for page, _ in found] for name, found in sections.items() if len(found) > 1
    }
    assert twice == {}


@pytest.mark.parametrize("name", _public_schedules())
def test_schedule_section(name: str) -> None:
    """The section of a schedule: formula, every argument with its default, example, peers, plot."""
    import lrschedule

    found = _schedule_sections().get(name)
    if not found:
        pytest.fail(f"no '## `{name}`' section in docs/schedules/")
    page, text = found[0]
    cls = getattr(lrschedule, name)
    where = f"{page}, section {name}"
    assert "$$" in text, f"{where}: no displayed formula ($$ ... $$)"
    assert "```python" in text, f"{where}: no runnable example"
    assert "**Peers.**" in text, f"{where}: no '**Peers.**' paragraph"
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    rows = {m["name"]: m["default"].strip("`") for m in _ROW.finditer(text)}
    rows = {key: value for key, value in rows.items() if key in fields or key not in rows}
    assert sorted(set(fields) - set(rows)) == [], f"{where}: arguments missing from the table"
    for key, field_ in fields.items():
        shown = rows[key]
        if field_.default is dataclasses.MISSING:
            assert shown == "required", f"{where}: `{key}` is required, the table says {shown!r}"
        else:
            assert ast.literal_eval(shown) == field_.default, (
                f"{where}: `{key}` defaults to {field_.default!r}, the table says {shown!r}"
            )
    hooks = _hooks()
    drawn = [
        type(s).__name__
        for block in hooks.plot_blocks(text)
        for s in hooks.load_block(block).schedules
    ]
    assert name in drawn, f"{where}: no lrschedule-plot block that draws a {name}"


@functools.cache
def _hooks() -> types.ModuleType:
    """docs/hooks.py, the mkdocs hook that draws the plots (importable without mkdocs)."""
    spec = importlib.util.spec_from_file_location(
        "lrschedule_docs_hooks", ROOT / "docs" / "hooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


PLOT_BLOCKS = [
    (path.relative_to(ROOT).as_posix(), block)
    for path in sorted((ROOT / "docs").rglob("*.md"))
    for block in _hooks().plot_blocks(path.read_text(encoding="utf-8"))
]


@pytest.mark.parametrize(
    ("page", "block"), PLOT_BLOCKS, ids=[f"{page}:{block.line}" for page, block in PLOT_BLOCKS]
)
def test_plot_block(page: str, block: Any) -> None:
    """Every plot block parses as ``lrschedule plot`` arguments and builds its schedules (the
    drawing itself is the docs build's)."""
    loaded = _hooks().load_block(block)
    assert loaded.schedules, f"{page}:{block.line}: no schedule"


# -- ```console blocks: `$ lrschedule ...` and what it prints ---------------------------------------


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    argv: list[str]
    output: list[str]


def _commands(path: Path) -> list[Command]:
    """The ``$ lrschedule ...`` lines of a page's ```console blocks, each with the lines after it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(ROOT).as_posix()
    commands: list[Command] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("```"):
            inside = not inside and line[3:].strip() == "console"
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            argv = shlex.split(line[2:])
            commands.append(Command(page, number, argv, []))
        elif commands and commands[-1].line < number:
            commands[-1].output.append(line)
    return commands


COMMANDS = [c for path in _pages() for c in _commands(path) if c.argv[:1] == ["lrschedule"]]


@pytest.mark.parametrize("command", COMMANDS, ids=[f"{c.page}:{c.line}" for c in COMMANDS])
def test_console_command(
    command: Command, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the command in-process (``lrschedule.cli.main``) with a terminal 100 columns wide, in
    the page's scratch directory after the page's ```python blocks (so that they can write the
    files a command reads), and compare what it prints (stdout and stderr) with the page."""
    from lrschedule.cli import main

    if command.argv[1:2] == ["plot"] and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("needs matplotlib, which is not installed")
    page = _run_page(command.page, None, tmp_path_factory, monkeypatch)
    failed = [outcome for outcome in page.outcomes if outcome[0] == "fail"]
    if failed:
        pytest.skip(f"{command.page}: not run: a ```python block of the page failed")
    monkeypatch.chdir(page.directory)
    monkeypatch.setenv("COLUMNS", "100")
    # Only the built-in schedules: other pages register classes of their own (configs.md).
    from lrschedule import registry

    builtin = {name: cls for name, cls in registry._by_name.items() if name in registry._builtin}
    monkeypatch.setattr(registry, "_by_name", builtin)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        main(command.argv[1:])
    got = [line.rstrip() for line in printed.getvalue().rstrip("\n").split("\n")]
    want = [line.rstrip() for line in command.output]
    while want and not want[-1]:
        want.pop()
    if got == [""]:
        got = []
    assert got == want, f"{command.page}:{command.line}: $ {shlex.join(command.argv)}"
