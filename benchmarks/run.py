"""Benchmarks of issue 5: run the sections, save their results, render docs/performance.md.

``python benchmarks/run.py`` (what ``nox -s bench`` runs) runs every section but ``gpu``, saves each
one's results as ``benchmarks/results/<section>.json`` (with the date, machine, load before and
after, and the command) and renders docs/performance.md from every JSON present there, so a
section rerun alone (``--only compiled``) or a ``gpu.json`` brought back from a GPU machine
updates the page. ``--quick`` takes fewer repeats (a smoke test), ``--no-write`` prints the page
and writes nothing, ``--render`` only re-renders the page from the saved JSONs. See
benchmarks/README.md for the method. This is a measurement, never a test.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import common  # benchmarks/ is on sys.path: the script's own directory

# The sections, in page order; each is benchmarks/<name>.py with run(quick) and render(results,
# assets), and optionally summary(results) -> [(goal, measured, met)].
SECTIONS = ("percall", "sweep", "compiled", "importtime", "accuracy", "gpu")
DEFAULT = tuple(s for s in SECTIONS if s != "gpu")  # gpu runs on a GPU machine only


def load_section(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` as a module."""
    return importlib.import_module(name)


def run_section(name: str, quick: bool, command: str) -> dict[str, Any]:
    """Run one section; its results wrapped with the date, machine, load and run time."""
    module = load_section(name)
    print(f"[{name}] running", flush=True)
    before = common.load_snapshot()
    started = time.perf_counter()
    results = module.run(quick=quick)
    elapsed = time.perf_counter() - started
    after = common.load_snapshot()
    print(f"[{name}] done in {elapsed:.0f} s", flush=True)
    return {
        "section": name,
        "date": common.utc_now(),
        "machine": common.machine(),
        "commit": common.git_commit(),
        "command": command,
        "quick": quick,
        "elapsed_s": elapsed,
        "load_before": before,
        "load_after": after,
        "results": results,
    }


def saved() -> dict[str, dict[str, Any]]:
    """Every ``benchmarks/results/*.json``, known sections first in page order."""
    found = {p.stem: p for p in sorted(common.RESULTS.glob("*.json"))}
    order = [s for s in SECTIONS if s in found] + [s for s in found if s not in SECTIONS]
    return {name: json.loads(found[name].read_text(encoding="utf-8")) for name in order}


def _machine(m: dict[str, str]) -> str:
    return f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory', '')}, {m.get('os', '')}, {m.get('python', '')}"


GPU_NOT_RUN = """## GPU

Not run yet. `benchmarks/gpu.py` (CuPy, torch CUDA and JAX GPU: per call, 1e8 steps against the
hand-written expressions, calls captured into CUDA graphs and replayed, `torch.cuda` sync debug
mode, `cupyx.allow_synchronize(False)`, `jax.transfer_guard("disallow")`) needs an NVIDIA GPU, and
none of the tasks that worked on this page was lent one (2026-11-25 and 2026-12-01: the device
tool's `status` said `can_start_another: false`). On a GPU machine, `python benchmarks/run.py
--only gpu` writes `benchmarks/results/gpu.json`, and this section then shows its tables. The
CuPy and torch CUDA test sessions (`nox -s tests-cupy`, and the CUDA cases of `tests-torch`) have
not run on a GPU either.
"""


def render_page(records: dict[str, dict[str, Any]], assets: Path) -> str:
    """The whole docs/performance.md from saved section records."""
    bodies: list[str] = []
    goals: list[tuple[str, str, str, bool | None]] = []
    problems: list[str] = []
    for name, record in records.items():
        try:
            module = load_section(name)
        except ImportError as exc:
            problems.append(f"`{name}.json` has no section module to render it ({exc})")
            continue
        results = record["results"]
        try:
            bodies.append(module.render(results, assets).rstrip() + "\n")
            if hasattr(module, "summary"):
                goals += [(name, *row) for row in module.summary(results)]
        except Exception as exc:  # one stale JSON must not take the page down
            problems.append(f"`{name}` could not be rendered: {type(exc).__name__}: {exc}")
            traceback.print_exc()

    if "gpu" not in records:  # the section has no results yet: say so, where it would stand
        goals.append(
            (
                "gpu",
                "GPU (CuPy, torch CUDA, JAX GPU): 1e8 steps <= 1.1x the hand-written; no host "
                "synchronization (CUDA graph capture and replay, torch sync debug mode)",
                "not run yet: no GPU machine was lent to the tasks so far",
                None,
            )
        )
        bodies.append(GPU_NOT_RUN)
    out: list[str] = []
    w = out.append
    w("# Performance\n")
    w(
        "lrschedule against what users would otherwise write or use: hand-written expressions of "
        "the same formulas, Keras 3, optax and `torch.optim`, per call, vectorized, compiled, at "
        "import, and its accuracy (issue 5). Generated by `benchmarks/run.py` from "
        "`benchmarks/results/*.json`; do not edit by hand (benchmarks/README.md has the "
        "method). Every ratio is from one run of its section, with interleaved rounds and "
        "medians; the machine was shared with other work, recorded as its load.\n"
    )
    w("## Goals\n")
    if goals:
        w(
            common.table(
                ["section", "goal", "measured", "status"],
                [[s, g, m, common.verdict(met)] for s, g, m, met in goals],
                right=set(),
            )
        )
    else:
        w("No section reported a goal.")
    w("")
    w("## Runs\n")
    rows = []
    for name, r in records.items():
        rows.append(
            [
                name + (" (quick)" if r.get("quick") else ""),
                r.get("date", "?"),
                f"{r.get('elapsed_s', float('nan')):.0f}",
                common.format_load(r.get("load_before")),
                common.format_load(r.get("load_after")),
                f"`{r.get('command', '?')}` (git {r.get('commit', '?')})",
            ]
        )
    w(
        common.table(
            ["section", "date", "run s", "load before", "load after", "command"],
            rows,
            right={2},
        )
    )
    w("")
    machines = {_machine(r.get("machine", {})) for r in records.values()}
    for m in sorted(machines):
        users = [n for n, r in records.items() if _machine(r.get("machine", {})) == m]
        w(f"- Machine ({', '.join(users)}): {m}")
    versions: dict[str, str] = {}
    for r in records.values():
        for k, v in r["results"].get("versions", {}).items():
            versions.setdefault(k, v)
    if versions:
        w("- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    w(
        "- A run's load is the load average and the share of the CPUs busy with other processes "
        "over one second, just before and just after the section."
    )
    for p in problems:
        w(f"- Not shown: {p}")
    w("")
    out += bodies
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT),
        help=f"comma-separated sections (default: {','.join(DEFAULT)}; also: gpu)",
    )
    parser.add_argument("--no-write", action="store_true", help="write no JSON and no page")
    parser.add_argument("--render", action="store_true", help="only render the saved results")
    args = parser.parse_args(argv)
    command = "python benchmarks/run.py" + "".join(
        f" {a}" for a in (sys.argv[1:] if argv is None else argv)
    )

    failed: list[str] = []
    fresh: dict[str, dict[str, Any]] = {}
    if not args.render:
        names = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in names if s not in SECTIONS]
        if unknown:
            parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
        print("machine:", _machine(common.machine()), flush=True)
        for name in names:
            try:
                record = run_section(name, args.quick, command)
            except Exception:
                traceback.print_exc()
                print(f"[{name}] FAILED: its saved results (if any) are left as they were")
                failed.append(name)
                continue
            fresh[name] = record
            if not args.no_write:
                common.RESULTS.mkdir(parents=True, exist_ok=True)
                path = common.RESULTS / f"{name}.json"
                path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
                print(f"[{name}] wrote {path.relative_to(common.ROOT)}", flush=True)

    if args.no_write:  # the page of this run only; plots go to a temporary folder
        with tempfile.TemporaryDirectory() as tmp:
            print(render_page(fresh or saved(), Path(tmp)))
    else:
        common.ASSETS.mkdir(parents=True, exist_ok=True)
        page = render_page(saved(), common.ASSETS)
        common.DOC.write_text(page, encoding="utf-8")
        print(f"wrote {common.DOC.relative_to(common.ROOT)}")
    if failed:
        print(f"failed sections: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
