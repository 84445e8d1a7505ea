"""An mkdocs hook that draws the plots of the documentation when the site is built.

A page asks for a plot with a fenced block whose language is ``lrschedule-plot`` and whose text is
what follows ``lrschedule plot`` on the command line: SPECs (a class name and KEY=VALUE arguments,
or JSON), and the options ``--steps``, ``--log`` and ``--label``, on as many lines as you like::

    ```lrschedule-plot
    CosineDecay initial_learning_rate=0.1 decay_steps=1000 --label cosine
    --steps 0:2000:401
    ```

The text is parsed by lrschedule's own command line (``lrschedule.cli``), so a plot block means
exactly what ``lrschedule plot ... -o plot.svg`` would draw, and nothing in it is evaluated. While
the site is built, ``on_files`` draws every block of every page with :func:`lrschedule.plot`
(matplotlib's Agg canvas, no display) into an SVG file next to the page (``plots/<page>-<n>.svg``,
generated, never committed), and ``on_page_markdown`` replaces the block with that image, whose
title (shown on hover) is the command line that draws it. A block that does not parse fails the build, naming the page and line.

:func:`plot_blocks` and :func:`load_block` need neither mkdocs nor matplotlib, so that
``tests/test_docs.py`` checks every block without building the site.
"""

from __future__ import annotations

import io
import re
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

LANGUAGE = "lrschedule-plot"
_BLOCK = re.compile(
    r"^(?P<fence>`{3,})[ \t]*" + re.escape(LANGUAGE) + r"[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
FIGSIZE = (7.0, 3.4)
"""Inches; at the theme's content width the text of the plot reads at about the page's size."""


@dataclass(frozen=True)
class PlotBlock:
    """One ``lrschedule-plot`` block of a page."""

    line: int  # 1-based line of the opening fence
    text: str  # the block's text: the arguments of ``lrschedule plot``
    span: tuple[int, int]  # where the whole block (fences included) is in the page's text

    @property
    def arguments(self) -> list[str]:
        return shlex.split(self.text, comments=True)

    @property
    def command(self) -> str:
        """The command line that draws the same plot."""
        return shlex.join(["lrschedule", "plot", *self.arguments, "-o", "plot.svg"])


def plot_blocks(markdown: str) -> list[PlotBlock]:
    """The ``lrschedule-plot`` blocks of a page's Markdown, in order (top-level fences only)."""
    return [
        PlotBlock(markdown.count("\n", 0, m.start()) + 1, m["body"], m.span())
        for m in _BLOCK.finditer(markdown)
    ]


@dataclass(frozen=True)
class LoadedPlot:
    schedules: list[Any]
    steps: Any
    log: bool
    labels: list[str | None]


def load_block(block: PlotBlock) -> LoadedPlot:
    """Parse a block as ``lrschedule plot`` does and build its schedules (no drawing)."""
    from lrschedule.cli import build_parser, load_spec, split_specs

    parser = build_parser()["plot"]
    args = parser.parse_intermixed_args([*block.arguments, "-o", "plot.svg"])
    specs = split_specs(args.spec)
    labels: list[str | None] = list(args.label or [])
    if len(labels) > len(specs):
        raise ValueError(f"{len(labels)} --label options for {len(specs)} SPECs")
    labels += [None] * (len(specs) - len(labels))
    return LoadedPlot([load_spec(spec) for spec in specs], args.steps, args.log, labels)


def render_svg(plot: LoadedPlot) -> bytes:
    """Draw a loaded block as ``lrschedule plot`` does, into SVG bytes (reproducible output)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import lrschedule

    with matplotlib.rc_context({"svg.hashsalt": "lrschedule", "svg.fonttype": "path"}):
        figure = Figure(figsize=FIGSIZE, dpi=100)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        lrschedule.plot(plot.schedules, steps=plot.steps, ax=ax, log=plot.log, label=plot.labels)
        ax.grid(True, alpha=0.3)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _plot_uri(page_uri: str, index: int) -> str:
    page = PurePosixPath(page_uri)
    return str(page.parent / "plots" / f"{page.stem}-{index}.svg")


def _fail(where: str, block: PlotBlock, error: BaseException) -> Exception:
    from mkdocs.exceptions import PluginError

    message = " ".join(str(error).split()) or type(error).__name__
    return PluginError(f"{where}:{block.line}: the {LANGUAGE} block does not draw: {message}")


# -- mkdocs events ---------------------------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:
    """Draw every plot block of every page into a generated SVG file beside the page."""
    from mkdocs.structure.files import File

    for page in list(files.documentation_pages()):
        for index, block in enumerate(plot_blocks(page.content_string), start=1):
            try:
                svg = render_svg(load_block(block))
            except Exception as error:  # anything, from a bad SPEC to matplotlib: fail the build
                raise _fail(page.src_uri, block, error) from error
            files.append(File.generated(config, _plot_uri(page.src_uri, index), content=svg))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each plot block with its image, titled with the command line that draws it."""
    out, last = [], 0
    for index, block in enumerate(plot_blocks(markdown), start=1):
        schedules = load_block(block).schedules
        alt = ", ".join(dict.fromkeys(type(s).__name__ for s in schedules))
        image = PurePosixPath(_plot_uri(page.file.src_uri, index)).relative_to(
            PurePosixPath(page.file.src_uri).parent
        )
        out.append(markdown[last : block.span[0]])
        title = block.command.replace('"', "'")  # shown on hover
        out.append(f'![Learning rate against step: {alt}]({image} "{title}")\n')
        last = block.span[1]
    out.append(markdown[last:])
    return "".join(out)
