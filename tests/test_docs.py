"""Run every ```python block of README.md and docs/**/*.md, so that the docs cannot rot.

Each page's blocks run in order in one namespace (a later block uses the names of an earlier one),
one test per block, in a scratch directory. A block is skipped, with the reason, when it imports a
library that is not installed, when it needs a CUDA device that is not there (it imports cupy, or
names a ``"cuda"`` device), or when it uses a name that only a skipped block defines.

A block that is not meant to run is written as ```python {.no-run}; REPL transcripts are ```pycon
and program output is ```text, which are not run either. A block that changes global settings
(``jax_enable_x64``, torch's default dtype) should restore them itself; the test restores them too.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
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
            yield Block(page, start + 1, "\n".join(body) + "\n", run="no-run" not in classes)


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


def _missing(tree: ast.AST) -> str | None:
    """Why this block cannot run here, or None."""
    imports = _imports(tree)
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
    settings = _global_settings()
    with monkeypatch.context() as patch:
        patch.chdir(page.directory)
        try:
            exec(compile(source, str(ROOT / block.page), "exec"), vars(page.module))
        except Exception as exc:  # the block's own failure; the test reports it
            below_exec = exc.__traceback__.tb_next if exc.__traceback__ else None
            return "fail", "".join(traceback.format_exception(type(exc), exc, below_exec))
        finally:
            _restore(settings)
    for name in _bound(tree):
        page.skipped_names.pop(name, None)
    return "ok", ""


@pytest.fixture(scope="module", autouse=True)
def _doc_modules() -> Iterator[None]:
    yield
    for page in _state.values():
        sys.modules.pop(page.module.__name__, None)
    _state.clear()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.page}:{b.line}" for b in BLOCKS])
def test_docs_block(
    block: Block, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _state.get(block.page)
    if page is None:
        name = "docs_" + re.sub(r"\W", "_", block.page)
        module = types.ModuleType(name)
        sys.modules[name] = module  # so that classes defined in a block pickle
        page = _state[block.page] = _Page(module, tmp_path_factory.mktemp(name))
    ours = [b for b in BLOCKS if b.page == block.page]
    index = ours.index(block)
    while len(page.outcomes) <= index:  # run the earlier blocks first, each once
        page.outcomes.append(_execute(page, ours[len(page.outcomes)], monkeypatch))
        if page.outcomes[-1][0] == "fail":
            break
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
