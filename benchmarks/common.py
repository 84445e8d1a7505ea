"""Shared helpers of the benchmark sections: machine info, load, timing, formatting.

Every section (``benchmarks/<section>.py``) may import from here. Nothing in this module measures a
schedule: it only times what it is given and formats the numbers.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "performance.md"
ASSETS = ROOT / "docs" / "img"


# --------------------------------------------------------------------------------------------------
# The machine and its load
# --------------------------------------------------------------------------------------------------


def utc_now() -> str:
    """The current time, ``YYYY-MM-DD HH:MM UTC``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def git_commit() -> str:
    """``git describe --always --dirty`` of the checkout, or ``"unknown"``."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or "unknown"


def machine() -> dict[str, str]:
    """CPU, cores, memory, OS and Python of this machine (strings, for the page header)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical, {usable} usable",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def versions(*modules: str) -> dict[str, str]:
    """``{name: version}`` of the modules that import (``"not installed"`` otherwise).

    Imports them: call it in the process (or subprocess) that uses them.
    """
    import importlib

    out: dict[str, str] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            out[name] = "not installed"
            continue
        out[name] = str(getattr(module, "__version__", "unknown"))
    if "lrschedule" in out:
        out["lrschedule"] += f" (git {git_commit()})"
    return out


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of all CPUs busy with other processes over ``seconds`` (Linux only): this
    process's own CPU time is subtracted (library thread pools may still spin after the runs)."""

    def sample() -> tuple[int, int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        return sum(fields[:8]), fields[3] + fields[4], int(own[11]) + int(own[12])

    try:
        total0, idle0, own0 = sample()
        time.sleep(seconds)
        total1, idle1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    busy = (total1 - total0) - (idle1 - idle0) - (own1 - own0)
    return max(0.0, busy / max(total1 - total0, 1))


def load_snapshot() -> dict[str, Any]:
    """The load average and the share of CPUs busy with other work over one second."""
    return {"loadavg": list(os.getloadavg()), "busy": cpu_busy()}


def format_load(snapshot: dict[str, Any] | None) -> str:
    """``load average a/b/c, CPUs x% busy with other work over 1 s``."""
    if not snapshot:
        return "not recorded"
    text = "load average " + "/".join(f"{x:.2f}" for x in snapshot["loadavg"])
    busy = snapshot.get("busy")
    return text if busy is None else f"{text}, CPUs {busy:.0%} busy with other work over 1 s"


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------


@dataclass
class Series:
    """Repeated measurements of one candidate, in seconds per call."""

    label: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def q1(self) -> float:
        return quantile(self.samples, 0.25)

    @property
    def q3(self) -> float:
        return quantile(self.samples, 0.75)

    def to_json(self) -> dict[str, Any]:
        """Median, quartiles and the raw samples (seconds)."""
        return {
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "samples": list(self.samples),
        }


def quantile(samples: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``samples``, linear interpolation between order statistics."""
    xs = sorted(samples)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def loops_for(timer: timeit.Timer, target: float) -> int:
    """The number of loops of ``timer`` that takes about ``target`` seconds."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= target / 5 or number >= 10**7:
            return max(1, int(number * target / max(elapsed, 1e-9)))
        number *= 10


def time_per_call(
    candidates: dict[str, Callable[[Any], Any]],
    arg: Any,
    rounds: int,
    target: float,
    suffix: str = "",
) -> dict[str, Series]:
    """Interleaved timeit rounds of ``f(arg)<suffix>``: each round times every candidate once,
    about ``target`` seconds each. Returns seconds per call."""
    timers = {
        label: timeit.Timer(f"f(step){suffix}", globals={"f": fn, "step": arg})
        for label, fn in candidates.items()
    }
    loops = {label: loops_for(t, target) for label, t in timers.items()}
    series = {label: Series(label) for label in candidates}
    for _ in range(rounds):
        for label, timer in timers.items():
            series[label].samples.append(timer.timeit(loops[label]) / loops[label])
    return series


def time_statements(
    candidates: dict[str, Callable[[], Any]], rounds: int, target: float
) -> dict[str, Series]:
    """Like :func:`time_per_call` for zero-argument callables (``f()``)."""
    timers = {label: timeit.Timer("f()", globals={"f": fn}) for label, fn in candidates.items()}
    loops = {label: loops_for(t, target) for label, t in timers.items()}
    series = {label: Series(label) for label in candidates}
    for _ in range(rounds):
        for label, timer in timers.items():
            series[label].samples.append(timer.timeit(loops[label]) / loops[label])
    return series


def ratio_spread(ours: Sequence[float], other: Sequence[float]) -> tuple[float, float]:
    """Range (min, max) of the per-round ratios ours/other (same-round samples)."""
    ratios = [a / b for a, b in zip(ours, other, strict=False)]
    return min(ratios), max(ratios)


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> str:
    """Run ``python -c code args`` in a fresh interpreter; its stdout (raises on failure)."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"subprocess failed: {tail[:200]}")
    return proc.stdout


# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


def ns(seconds: float) -> str:
    """Seconds as whole nanoseconds with thousands separators."""
    return f"{seconds * 1e9:,.0f}"


def us(seconds: float) -> str:
    """Seconds as microseconds, one decimal."""
    return f"{seconds * 1e6:,.1f}"


def ms(seconds: float) -> str:
    """Seconds as milliseconds, one decimal."""
    return f"{seconds * 1e3:,.1f}"


def mib(nbytes: float) -> str:
    """Bytes as whole MiB."""
    return f"{nbytes / 2**20:,.0f}"


def ratio(x: float) -> str:
    """A ratio, two decimals below 10, one below 100, none above."""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def table(header: list[str], rows: Iterable[list[str]], right: set[int] | None = None) -> str:
    """A markdown table; columns in ``right`` (default: all but the first) right-aligned."""
    right = right if right is not None else set(range(1, len(header)))
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool | None) -> str:
    """``met``, ``**missed**`` or ``n/a``."""
    if met is None:
        return "n/a"
    return "met" if met else "**missed**"
