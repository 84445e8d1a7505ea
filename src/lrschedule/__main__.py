"""``python -m lrschedule``: a demo table of a few schedules on the default backend (NumPy)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

import lrschedule


def demo() -> str:
    """A table of step against learning rate for three schedules, evaluated in one vectorized call."""
    schedules = {
        "exponential": lrschedule.ExponentialDecay(0.1, 1000, 0.96),
        "cosine": lrschedule.CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000),
        "restarts": lrschedule.CosineDecayRestarts(0.1, 1000),
    }
    steps = np.arange(0, 10_001, 1000)
    columns = {name: s(steps) for name, s in schedules.items()}
    width = 12
    lines = [f"lrschedule {lrschedule.__version__}: learning rate by step (NumPy, float64)", ""]
    lines += [f"  {name:<12} {s!r}" for name, s in schedules.items()]
    lines.append("")
    lines.append(f"{'step':>6}  " + "  ".join(f"{name:>{width}}" for name in columns))
    for i, step in enumerate(steps):
        row = "  ".join(f"{values[i]:>{width}.6g}" for values in columns.values())
        lines.append(f"{step:>6}  {row}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lrschedule`` and ``python -m lrschedule``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print("usage: lrschedule\n\nPrints a demo table of learning-rate schedules.")
        return 0
    if args:
        print(f"lrschedule: unknown arguments {' '.join(args)!r}; try --help", file=sys.stderr)
        return 2
    print(demo())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
