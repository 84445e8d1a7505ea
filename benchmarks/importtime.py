"""Import time: ``import lrschedule`` against ``import numpy`` in fresh interpreters."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory

TITLE = "Import time"
GOAL = 1.5  # lrschedule's import at most 1.5x NumPy's
FRAMEWORKS = ("torch", "jax", "jaxlib", "keras", "optax", "dask", "cupy", "tensorflow")
IMPORT = """
import time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
import json, sys
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({frameworks!r}))
print(json.dumps([t1 - t0, len(sys.modules), loaded]))
"""
LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")
# A plain interpreter: no inherited bytecode-cache or startup settings (the OS file cache is warm).
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def python(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=True)


def profile(module: str) -> list[tuple[str, int, int, int]]:
    """``python -X importtime``: (module, self us, cumulative us, depth), in Python's order."""
    lines = python("-X", "importtime", "-c", f"import {module}").stderr.splitlines()
    found = [LINE.match(x) for x in lines]
    return [(m[4], int(m[1]), int(m[2]), (len(m[3]) - 1) // 2) for m in found if m]


def where_time_goes() -> dict[str, Any]:
    """``-X importtime``: lrschedule's direct imports, the 10 largest self times numpy lacks."""
    numpy, ours = profile("numpy"), profile("lrschedule")
    top = next(i for i, e in enumerate(ours) if e[0] == "lrschedule" and e[3] == 0)
    start = max((i + 1 for i, e in enumerate(ours[:top]) if e[3] == 0), default=0)
    numpy_modules = {e[0] for e in numpy}
    own = sorted((e for e in ours if e[0] not in numpy_modules), key=lambda e: -e[1])[:10]
    return {
        "direct": [[e[0], e[2]] for e in ours[start : top + 1] if e[3] <= 1],
        "own": [[e[0], e[1], e[2]] for e in own],
        "numpy_us": next((e[2] for e in numpy if e[0] == "numpy"), None),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Interleaved fresh-process imports, then one ``-X importtime`` profile each."""
    runs = 5 if quick else 15
    walls: dict[str, list[float]] = {"numpy": [], "lrschedule": [], "pass": []}
    imports: dict[str, list[float]] = {"numpy": [], "lrschedule": []}
    modules: dict[str, int] = {}
    for module in imports:  # warm the OS file cache and the bytecode caches
        python("-c", IMPORT.format(module=module, frameworks=FRAMEWORKS))
    for _ in range(runs):
        for module in imports:
            out = python("-c", IMPORT.format(module=module, frameworks=FRAMEWORKS)).stdout
            seconds, modules[module], frameworks = json.loads(out)
            imports[module].append(seconds)
        for label in walls:
            t0 = time.perf_counter()
            python("-c", "pass" if label == "pass" else f"import {label}")
            walls[label].append(time.perf_counter() - t0)
    return {
        "runs": runs,
        "versions": common.versions("numpy", "array_api_compat", "lrschedule"),
        "import_ms": {k: round(common.median(v) * 1e3, 1) for k, v in imports.items()},
        "ratio_range": common.spread(imports["lrschedule"], imports["numpy"]),
        "process_ms": {k: round(common.median(v) * 1e3, 1) for k, v in walls.items()},
        "modules": modules,
        "frameworks": frameworks,
    } | where_time_goes()


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    r = data["import_ms"]["lrschedule"] / data["import_ms"]["numpy"]
    loaded = ", ".join(data["frameworks"])
    return [
        (f"Import: lrschedule at most {GOAL:g}x `import numpy`", f"{common.ratio(r)}x", r <= GOAL),
        ("Import: no framework imported", loaded or "none", not loaded),
    ]


def render(data: dict[str, Any]) -> str:
    imp, proc = data["import_ms"], data["process_ms"]
    lo, hi = data["ratio_range"]
    direct = [[f"`{m}`", f"{c:,}"] for m, c in data["direct"]]
    own = [[f"`{m}`", f"{s:,}", f"{c:,}"] for m, s, c in data["own"]]
    ratio = f"{common.ratio(imp['lrschedule'] / imp['numpy'])} ({lo:.2f}-{hi:.2f})"
    rows = [
        ["`import numpy`", f"{imp['numpy']}", "1.00", f"{proc['numpy']}"],
        ["`import lrschedule`", f"{imp['lrschedule']}", ratio, f"{proc['lrschedule']}"],
        ["`pass` (bare interpreter)", "", "", f"{proc['pass']}"],
    ]
    out = [
        f"## {TITLE}\n",
        f"{data['runs']} fresh interpreters per candidate, interleaved, after one warm-up run each. "
        "`import` ms: the statement timed inside the process; process ms: `python -c` from spawn "
        f"to exit. Goal: ratio <= {GOAL:g}. {common.listing(data['versions'])}.\n",
        common.table(["statement", "import ms", "ratio to NumPy (range)", "process ms"], rows),
        f"`sys.modules` holds {data['modules']['lrschedule']} modules after `import "
        f"lrschedule`, {data['modules']['numpy']} after `import numpy`; frameworks among them "
        f"(of {', '.join(FRAMEWORKS)}): {', '.join(data['frameworks']) or 'none'}.\n",
        '`python -X importtime -c "import lrschedule"`, one run: what `lrschedule/__init__.py` '
        "imports directly (cumulative us), then the ten largest self times among modules that "
        f"`import numpy` does not import (numpy itself: {data['numpy_us']:,} us cumulative).\n",
        common.table(["import", "cumulative us"], direct),
        common.table(["module", "self us", "cumulative us"], own),
    ]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
