"""A Griffe extension that renders the reST bits of lrschedule's Google-style docstrings.

The docstrings are written to read well in ``help()`` and to run as doctests, so they hold a few
reStructuredText constructs that Markdown does not know. Before mkdocstrings renders a docstring,
this rewrites, outside fenced code:

* a bare doctest (a paragraph starting with ``>>>``) into a fenced ``pycon`` block;
* a reST simple table (columns marked by ``====  ====`` borders) into a Markdown table;
* a ``.. math::`` directive (its indented body, or the rest of its line) into a ``$$ ... $$`` block
  (pymdownx.arithmatex);
* ``:math:`x``` into ``\\(x\\)`` (pymdownx.arithmatex);
* ``:class:`~lrschedule.X``` (and ``:func:``, ``:data:``, ...) into a link to ``lrschedule.X`` when
  ``X`` is a public name, else into inline code.

Docstrings are left as they are in the source; only the rendered site changes.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_XREF_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|obj|exc):`(~?)([\w.]+)`")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_BORDER = re.compile(r"^\s*=+(?: +=+)+\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _simple_table(lines: list[str], start: int) -> tuple[list[str], int]:
    """The reST simple table whose top border is ``lines[start]``, as Markdown lines, and the
    index of the line after its bottom border.

    Columns are the runs of ``=`` in the top border; a line whose first column is blank continues
    the row above it. The rows between the first two borders are the header (without them, the
    first row is).
    """
    border = lines[start]
    pad = border[: _indent(border)]
    starts = [m.start() for m in re.finditer(r"=+", border)]
    groups: list[list[list[str]]] = [[]]  # the rows between consecutive borders
    i = start + 1
    while i < len(lines):
        line = lines[i]
        i += 1
        if _TABLE_BORDER.match(line):
            if i == len(lines) or not lines[i].strip() or len(groups) == 2:
                break  # the bottom border
            groups.append([])
            continue
        cells = [
            line[a:b].strip() for a, b in zip(starts, [*starts[1:], len(line) + 1], strict=True)
        ]
        if groups[-1] and not cells[0]:  # a continuation line
            groups[-1][-1] = [
                f"{old} {new}".strip() for old, new in zip(groups[-1][-1], cells, strict=True)
            ]
        else:
            groups[-1].append(cells)
    header, body = (groups[0], groups[1]) if len(groups) == 2 else (groups[0][:1], groups[0][1:])

    def row(cells: list[str]) -> str:
        return pad + "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    out = ["", *(row(cells) for cells in header), pad + "|" + " --- |" * len(starts)]
    out += [row(cells) for cells in body]
    return [*out, ""], i


def _rewrite_blocks(text: str) -> str:
    """Fence bare doctests; turn ``.. math::`` directives into ``$$`` blocks and reST simple
    tables into Markdown tables."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
        elif in_fence:
            out.append(line)
            i += 1
        elif _TABLE_BORDER.match(line):
            table, i = _simple_table(lines, i)
            out.extend(table)
        elif stripped.startswith(">>>"):
            pad = line[: _indent(line)]
            out.append(f"{pad}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{pad}```")
        elif stripped.startswith(".. math::"):
            pad = line[: _indent(line)]
            i += 1
            inline = stripped[len(".. math::") :].strip()
            body: list[str] = [pad + "    " + inline] if inline else []
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > len(pad)):
                body.append(lines[i])
                i += 1
            body = [b for b in body if b.strip()]
            if not body:
                continue
            depth = min(_indent(b) for b in body)
            out.append(f"{pad}$$")
            out.extend(pad + b[depth:] for b in body)
            out.append(f"{pad}$$")
            out.append("")
        else:
            out.append(line)
            i += 1
    return "\n".join(out)


def _rewrite_inline(text: str, public: set[str]) -> str:
    """``:math:`` roles to arithmatex, cross-reference roles to autorefs links or code."""

    def xref(match: re.Match[str]) -> str:
        short, target = match.groups()
        name = target.rsplit(".", 1)[-1]
        shown = name if short else target
        if name in public and target in (name, f"lrschedule.{name}"):
            return f"[`{shown}`][lrschedule.{name}]"
        return f"`{shown}`"

    parts = re.split(r"(```.*?```)", text, flags=re.DOTALL)
    for k in range(0, len(parts), 2):  # even parts are outside fenced code
        parts[k] = _XREF_ROLE.sub(xref, _MATH_ROLE.sub(r"\\(\1\\)", parts[k]))
    return "".join(parts)


class RestDocstrings(griffe.Extension):
    """Rewrite the reST constructs of docstrings into Markdown that mkdocs-material renders."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        public = {str(name) for name in (pkg.exports or ())}
        self._walk(pkg, public, seen=set())

    def _walk(self, obj: griffe.Object, public: set[str], seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            obj.docstring.value = _rewrite_inline(_rewrite_blocks(obj.docstring.value), public)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, public, seen)  # type: ignore[arg-type]
