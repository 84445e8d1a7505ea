"""What the sections share: schedules, machine and load, timing, formatting, ``main()``."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "benchmarks" / "results" / "summary.json"
DOC = ROOT / "docs" / "performance.md"

STEP = 5000  # the per-call step: past the warmup, inside the decay, mid-period for the restarts
BOUNDARIES = [1000 * (i + 1) for i in range(10)]
VALUES = [0.1 * 0.5**i for i in range(11)]
C_EXP = math.log(0.96) / 1000  # ExponentialDecay: 0.1 * exp(step * C_EXP)
SCHEDULES: dict[str, str] = {
    "ExponentialDecay": "ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)",
    "CosineDecay+warmup": (
        "CosineDecay(0.0, decay_steps=10_000, warmup_target=0.1, warmup_steps=1000)"
    ),
    "PiecewiseConstant": "PiecewiseConstantDecay(BOUNDARIES, VALUES)",
    "Warmup+Sequential": (
        "Sequential([Warmup(Constant(0.1), 1000), CosineDecay(0.1, decay_steps=9000)], [1000])"
    ),
    "CosineDecayRestarts": "CosineDecayRestarts(0.1, first_decay_steps=1000)",
}
VECTOR = ("ExponentialDecay", "CosineDecay+warmup", "PiecewiseConstant", "CosineDecayRestarts")
median = statistics.median


def make_schedules(names: Iterable[str] = SCHEDULES, dtype: str | None = None) -> dict[str, Any]:
    """Fresh lrschedule objects of :data:`SCHEDULES` (with ``dtype=`` where given)."""
    import lrschedule

    env = {"BOUNDARIES": BOUNDARIES, "VALUES": VALUES, **vars(lrschedule)}
    out = {name: eval(SCHEDULES[name], env) for name in names}
    if dtype is None:
        return out
    return {n: type(s).from_config({**s.get_config(), "dtype": dtype}) for n, s in out.items()}


# The machine and its load
def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def git_commit() -> str:
    """``git describe --always --dirty`` of the checkout, or ``"unknown"``."""
    try:
        cmd = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or "unknown"


def _proc_field(path: str, prefix: str) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ""
    return next((x.split(":", 1)[1].strip() for x in lines if x.startswith(prefix)), "")


def machine() -> str:
    """CPU, cores, memory, OS and Python of this machine, one line."""
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.machine()
    mem = _proc_field("/proc/meminfo", "MemTotal").split()
    ram = f", {int(mem[0]) / 2**20:.0f} GiB RAM" if mem else ""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cpu}, {os.cpu_count()} logical, {usable} usable cores{ram}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def versions(*modules: str) -> dict[str, str]:
    """``{name: version}`` of those of ``modules`` that import (imports them)."""
    out: dict[str, str] = {}
    for name in modules:
        with contextlib.suppress(ImportError):
            out[name] = str(getattr(importlib.import_module(name), "__version__", "?"))
    return out


def load() -> str:
    """The load average and the share of the CPUs busy with other processes over 1 s."""

    def sample() -> tuple[int, int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        return sum(fields[:8]), fields[3] + fields[4], int(own[11]) + int(own[12])

    text = "load average " + "/".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        total0, idle0, own0 = sample()
        time.sleep(1.0)
        total1, idle1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return text
    busy = ((total1 - total0) - (idle1 - idle0) - (own1 - own0)) / max(total1 - total0, 1)
    return f"{text}, CPUs {max(0.0, busy):.0%} busy with other work"


# Timing: interleaved rounds, so that a burst of load hits every candidate alike
def interleave(
    thunks: dict[str, Callable[[], Any]], rounds: int, target: float, warm: bool = True
) -> dict[str, list[float]]:
    """Seconds per call of each ``thunk``: ``rounds`` interleaved rounds of ``target``-s loops."""

    def seconds(fn: Callable[[], Any], number: int) -> float:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - t0

    loops = dict.fromkeys(thunks, 1)
    for label, fn in thunks.items():
        number, elapsed = 1, seconds(fn, 1) if warm else 0.0
        while target > 0 and (elapsed := seconds(fn, number)) < target / 5 and number < 10**6:
            number *= 10
        loops[label] = max(1, int(number * target / max(elapsed, 1e-9)))
    samples: dict[str, list[float]] = {label: [] for label in thunks}
    labels = list(thunks)
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
                samples[label].append(seconds(thunks[label], loops[label]) / loops[label])
    finally:
        gc.enable()
    return samples


def medians(thunks: dict[str, Callable[[], Any]], rounds: int, target: float) -> dict[str, float]:
    """:func:`interleave`'s medians, to four significant digits."""
    return {k: sig(median(v)) for k, v in interleave(thunks, rounds, target).items()}


def spread(ours: list[float], other: list[float]) -> list[float]:
    """[min, max] of the same-round ratios ours / other."""
    ratios = [a / b for a, b in zip(ours, other, strict=False)]
    return [round(min(ratios), 3), round(max(ratios), 3)]


def sig(x: float, digits: int = 4) -> float:
    """``x`` to ``digits`` significant digits: what the summary keeps of a time."""
    return float(f"{x:.{digits}g}")


def listing(pairs: dict[str, Any], sep: str = " ") -> str:
    """``"k v, k v"``: versions, devices."""
    return ", ".join(f"{k}{sep}{v}" for k, v in pairs.items())


def run_python(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    """``python args`` in a fresh interpreter; its stdout (raises with stderr's last line)."""
    cmd, env = [sys.executable, *args], {**os.environ, **(env or {})}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"subprocess failed: {tail[:200]}")
    return proc.stdout


# Formatting
def ns(seconds: float) -> str:
    return f"{seconds * 1e9:,.0f}"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


def ms(seconds: float) -> str:
    """Milliseconds, three significant digits."""
    x = seconds * 1e3
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def ratio(x: float) -> str:
    """A ratio: two decimals below 10, one below 100, none above."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def table(header: str | list[str], rows: Iterable[Any], right: set[int] | None = None) -> str:
    """A markdown table (rows: lists or ``"a | b"``), ``right`` columns right-aligned."""
    header = header.split(" | ") if isinstance(header, str) else header
    right = set(range(1, len(header))) if right is None else right
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + (row if isinstance(row, str) else " | ".join(row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def goal(
    text: str, pairs: Iterable[tuple[float, str]], limit: float | None
) -> tuple[str, str, bool | None]:
    """A goal row from the worst (largest) (ratio, where) of ``pairs``: met if <= ``limit``."""
    r, where = max(pairs, default=(math.nan, ""))
    if math.isnan(r):
        return text, "not measured in this run", None
    return text, f"worst {ratio(r)}x ({where})", None if limit is None else r <= limit


def main(section: ModuleType, argv: list[str] | None = None) -> int:
    """``python benchmarks/<section>.py [--quick]``: print its markdown and goals, save nothing.
    ``--worker ARGS``: ``section.worker(*ARGS, quick=...)``, its result (if any) as JSON."""
    parser = argparse.ArgumentParser(description=(section.__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)  # a part, in its process
    args = parser.parse_args(argv)
    if args.worker:
        result = section.worker(*args.worker, quick=args.quick)
        if result is not None:
            print(json.dumps(result))
        return 0
    data = section.run(quick=args.quick)
    print(section.render(data))
    for goal, measured, met in section.goals(data):
        print(f"- {goal}: {measured} ({'n/a' if met is None else 'met' if met else 'missed'})")
    return 0
