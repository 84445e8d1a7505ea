"""Import time (issue 5, item 4): ``import lrschedule`` against ``import numpy``, in fresh processes.

Each run is a new interpreter that times its own ``import`` statement with ``time.perf_counter``
(runs of the two interleaved; medians reported), and also the wall time of the whole process
(``python -c "import X"``, beside ``python -c "pass"``). lrschedule imports NumPy itself, so the
ratio is lrschedule's total over NumPy's total. ``python -X importtime`` shows where the time
goes, and ``sys.modules`` after the import shows that no framework came along. Run alone with
``python benchmarks/importtime.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory

TITLE = "Import time"
GOAL = 1.5  # lrschedule's import at most 1.5x NumPy's
FRAMEWORKS = ("torch", "jax", "jaxlib", "keras", "optax", "dask", "cupy", "tensorflow")

_IMPORT = """
import time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
import json, sys
frameworks = {frameworks!r}
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(frameworks))
print(json.dumps({{"seconds": t1 - t0, "modules": len(sys.modules), "frameworks": loaded}}))
"""

_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


def _env() -> dict[str, str]:
    # No inherited bytecode-cache or startup tweaks: a plain interpreter, warm OS file cache.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["KERAS_BACKEND"] = env.get("KERAS_BACKEND", "numpy")
    return env


def _in_process(module: str) -> dict[str, Any]:
    code = _IMPORT.format(module=module, frameworks=FRAMEWORKS)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _wall(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=_env(), check=True, capture_output=True)
    return time.perf_counter() - t0


def importtime_profile(module: str) -> list[dict[str, Any]]:
    """``python -X importtime -c "import module"``: one entry per imported module (self and
    cumulative microseconds, nesting depth), in the order Python reports them."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    entries = []
    for line in proc.stderr.splitlines():
        m = _LINE.match(line)
        if m:
            entries.append(
                {
                    "module": m[4],
                    "self_us": int(m[1]),
                    "cumulative_us": int(m[2]),
                    "depth": (len(m[3]) - 1) // 2,
                }
            )
    return entries


def _direct_imports(entries: list[dict[str, Any]], module: str) -> list[dict[str, Any]]:
    """The entries ``module`` imports directly (depth 1 under it), then ``module`` itself.
    ``-X importtime`` lists a module's imports before the module."""
    for i, e in enumerate(entries):
        if e["module"] == module and e["depth"] == 0:
            start = i
            while start > 0 and entries[start - 1]["depth"] > 0:
                start -= 1
            return [x for x in entries[start:i] if x["depth"] == 1] + [e]
    return []


def run(quick: bool = False) -> dict[str, Any]:
    """Interleaved fresh-process imports; returns the JSON-serializable results."""
    runs = 5 if quick else 15
    for module in ("numpy", "lrschedule"):  # warm the OS file cache and the bytecode caches
        _in_process(module)
    samples: dict[str, list[float]] = {"numpy": [], "lrschedule": []}
    walls: dict[str, list[float]] = {"pass": [], "numpy": [], "lrschedule": []}
    details: dict[str, dict[str, Any]] = {}
    for _ in range(runs):
        for module in ("numpy", "lrschedule"):
            got = _in_process(module)
            samples[module].append(got["seconds"])
            details[module] = {"modules": got["modules"], "frameworks": got["frameworks"]}
        for label, code in (
            ("pass", "pass"),
            ("numpy", "import numpy"),
            ("lrschedule", "import lrschedule"),
        ):
            walls[label].append(_wall(code))
    profiles = {m: importtime_profile(m) for m in ("numpy", "lrschedule")}
    top = _direct_imports(profiles["lrschedule"], "lrschedule")
    print(
        "  import:",
        ", ".join(f"{m} {statistics.median(s) * 1e3:.1f} ms" for m, s in samples.items()),
        flush=True,
    )
    return {
        "title": TITLE,
        "runs": runs,
        "versions": common.versions("numpy", "array_api_compat", "lrschedule"),
        "import_s": samples,
        "process_s": walls,
        "details": details,
        "importtime": {
            "numpy_cumulative_us": next(
                (e["cumulative_us"] for e in profiles["numpy"] if e["module"] == "numpy"), None
            ),
            "numpy_modules": sorted(e["module"] for e in profiles["numpy"]),
            "lrschedule_top": top,
            "lrschedule": profiles["lrschedule"],
        },
    }


def _ratio(results: dict[str, Any]) -> float:
    imp = results["import_s"]
    return statistics.median(imp["lrschedule"]) / statistics.median(imp["numpy"])


def summary(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) for issue 5 item 4."""
    loaded = results["details"]["lrschedule"]["frameworks"]
    r = _ratio(results)
    return [
        (
            f"Import: lrschedule at most {GOAL:g}x `import numpy`",
            f"{common.ratio(r)}x",
            r <= GOAL,
        ),
        (
            "Import: no framework imported",
            ", ".join(loaded) if loaded else "none",
            not loaded,
        ),
    ]


def render(results: dict[str, Any], assets: pathlib.Path) -> str:
    """The section's markdown (pure given the results)."""
    imp, walls = results["import_s"], results["process_s"]
    med = {k: statistics.median(v) for k, v in imp.items()}
    wmed = {k: statistics.median(v) for k, v in walls.items()}
    lo, hi = common.ratio_spread(imp["lrschedule"], imp["numpy"])
    out: list[str] = []
    w = out.append
    w(f"## {TITLE}\n")
    w(
        f"{results['runs']} fresh interpreters per candidate, interleaved (after one warm-up run "
        "each, so the OS file cache and `__pycache__` are warm). `import` column: the import "
        "statement timed inside the process with `time.perf_counter`; process column: the wall "
        'time of `python -c "import X"` from spawn to exit. lrschedule imports NumPy itself, so '
        f"its figure includes NumPy's. Goal: ratio <= {GOAL:g}. "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".\n"
    )
    rows = [
        [
            "`import numpy`",
            common.ms(med["numpy"]),
            "1.00",
            common.ms(wmed["numpy"]),
            str(results["details"]["numpy"]["modules"]),
        ],
        [
            "`import lrschedule`",
            common.ms(med["lrschedule"]),
            f"{common.ratio(med['lrschedule'] / med['numpy'])} ({lo:.2f}-{hi:.2f})",
            common.ms(wmed["lrschedule"]),
            str(results["details"]["lrschedule"]["modules"]),
        ],
        ["`pass` (bare interpreter)", "", "", common.ms(wmed["pass"]), ""],
    ]
    w(
        common.table(
            [
                "statement",
                "import ms (median)",
                "ratio to NumPy (range)",
                "process ms",
                "sys.modules",
            ],
            rows,
        )
    )
    w("")
    loaded = results["details"]["lrschedule"]["frameworks"]
    w(
        "Frameworks in `sys.modules` after `import lrschedule` (of "
        + ", ".join(f"`{f}`" for f in FRAMEWORKS)
        + "): "
        + (", ".join(loaded) if loaded else "none")
        + ".\n"
    )
    entries = results["importtime"]["lrschedule"]
    numpy_us = results["importtime"]["numpy_cumulative_us"]
    top = results["importtime"]["lrschedule_top"]
    if entries:
        w(
            '`python -X importtime -c "import lrschedule"` (one run, microseconds): what '
            "`lrschedule/__init__.py` imports directly (cumulative: with everything below it; "
            "NumPy is counted where it is first imported), then the ten modules with the largest self time among those "
            "that `import numpy` does not import.\n"
        )
        w(
            common.table(
                ["import", "cumulative us"],
                [[f"`{e['module']}`", f"{e['cumulative_us']:,}"] for e in top],
            )
        )
        w("")
        numpy_modules = set(results["importtime"]["numpy_modules"])
        own = [e for e in entries if e["module"] not in numpy_modules]
        own = sorted(own, key=lambda e: -e["self_us"])[:10]
        w(
            common.table(
                ["module", "self us", "cumulative us"],
                [[f"`{e['module']}`", f"{e['self_us']:,}", f"{e['cumulative_us']:,}"] for e in own],
            )
        )
        w("")
        if numpy_us:
            w(f'`python -X importtime -c "import numpy"`: numpy cumulative {numpy_us:,} us.\n')
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    print(render(results, common.ASSETS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
