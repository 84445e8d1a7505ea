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
none of the tasks that worked on this page was lent one (2026-11-25, 2026-12-01 and 2026-12-02:
the device tool's `status` said `can_start_another: false`). `benchmarks/device.sh` is the
prepared command for such a machine: the tests on the `cupy` and `torch-cuda` backends, the docs
blocks that need CUDA, then `python benchmarks/run.py --only gpu`, which writes
`benchmarks/results/gpu.json`; this section then shows its tables. None of those tests has run
on a GPU yet either.
"""


KNOWN_GAPS = """## Goals still missed: what stands in the way

Written by hand (2026-12-02, this machine), from the runs above and from tests run beside them:

- **JAX jit, float32, CosineDecayRestarts (1.24-1.31x).** The fastest hand-written expression,
  `j_sgdr` (the closed form `exp2(floor(log2(t / 1000 + 1)))`), is a whole period off at 3 of the
  first 10**7 steps (4,094,998, 4,094,999 and 8,191,000: the float32 log rounds up to the next
  integer just before a restart), so it passes the value check only below 2**21 steps. lrschedule
  corrects the period in exact step units, which costs about a dozen cheap element-wise ops in the
  fused loop. Against `j_sgdr_int`, the fastest hand-written expression exact at every checked
  step, lrschedule takes 0.85-1.11x its time (53-58 ms against 50-64 ms at 10**7 steps, three
  rounds). Replacing XLA's `pow(2, i)` by an exact `exp2` (rounded to one significant bit) gained
  2-18% in three noisy rounds and was not kept; a stripped copy of the formula (no corrections, no
  rounding, `exp2` for `pow`) still took 47-50 ms, where `j_sgdr` takes 40-50 ms.
- **dask (1.09-1.83x over runs, at 10**7 and 10**8 steps).** Two blocks of 5 million steps on the
  2-thread scheduler of a 2-core machine shared with other work: the per-round ratios of one run
  span 0.4x to 2.5x. The same formula on NumPy is within 1.25x in the same runs, and two threads
  over the two blocks speed lrschedule up as much as the hand-written `map_blocks` (1.3x and 1.2x,
  measured directly), so what is left is the scheduling noise of two long tasks on two shared cores.
- **jax.jit, 100 Adam updates in one call (0.91-1.19x for CosineDecayRestarts over three runs).**
  lrschedule's compiled program has the fewest ops of the three (108 against 104 hand-written and
  216 optax) and the same FLOPs within 4; the order of the three changes from run to run.
- **torch.compile (1.10x in one run, 1.26x in the next).** Inductor compiles lrschedule and the
  hand-written expression into one fused kernel each; the difference is dynamo's guards, checked
  in C++ before every call: 78-104 guard lines for lrschedule (the schedule's fields, the dispatch
  through `lrschedule._array`), 21-33 for a closure. This session cut them from 130 to 104 for
  `Warmup`+`Sequential` (slotted dataclasses, fewer globals read under tracing); on a quiet machine
  the compiled calls then took 1.06-1.11x the hand-written ones (about 20 us against 18.5 us).
- **Accuracy beside optax (21 of 24, 22 of 24).** Not worked on in this issue. With x64 off JAX
  computes in float32 from the step cast to float32: a step above 2**24 is rounded, and SGDR can
  land in the neighbouring period (8.4e6 ulp of the peak on `sgdr`, against 0.87 for optax, whose
  `sgdr_schedule` subtracts integer boundaries from the int32 step before the cast). The other
  differences are of a few ulp: `cos-exponent` 3.9 against 2.2 ulp of the peak (float32), and
  with x64 0.7 against 0.57 (`exp-float-T`) and 2.8 against 1.9 (`cos-exponent`) ulp of the
  float64 peak.
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
    bodies.append(KNOWN_GAPS)
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
