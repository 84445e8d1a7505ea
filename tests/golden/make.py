"""Golden values computed by the peer libraries themselves, kept as data in this folder.

    python tests/golden/make.py [--out DIR] [PEER ...]      (PEER: optax, torch, transformers)

Each ``make_<peer>.py`` beside this file lists cases: an lrschedule schedule, the peer's own
schedule for the same hyperparameters, and the steps to compare on (edge steps in
``[0, 2 * length]``). This script evaluates the peer, in float64, and writes ``<peer>.json``:
``{"peer", "version", "cases": [{"id", "schedule" (lrschedule's serialized form), "steps",
"values"}]}``. ``tests/test_golden.py`` checks lrschedule against those files on every backend,
so the default test sessions need none of the peers; the ``parity`` nox session runs this script
into a temporary folder with the peers installed and checks against the fresh values.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = ("optax", "torch", "transformers")


@dataclass
class Case:
    id: str
    schedule: Any  # an lrschedule.LearningRateSchedule
    peer: Callable[[int], float]  # the peer's learning rate at an integer step, in float64
    steps: list[int]


def edge_steps(boundaries: Iterable[float], length: float, *, extra: int = 24) -> list[int]:
    """Step 0, each boundary and the steps before and after it, the last step, and an even
    spread up to ``2 * length``."""
    steps = {0, 1}
    for b in [*boundaries, length]:
        base = math.floor(b)
        steps.update({base - 1, base, base + 1, math.ceil(b)})
    top = max(2 * math.ceil(length), 2)
    steps.update(round(top * i / extra) for i in range(extra + 1))
    return sorted(s for s in steps if 0 <= s <= top)


def write(peer: str, out: Path) -> Path:
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(f"make_{peer}")
    import lrschedule

    cases = []
    for case in module.cases():
        values = [float(case.peer(t)) for t in case.steps]
        cases.append(
            {
                "id": case.id,
                "schedule": lrschedule.serialize(case.schedule),
                "steps": case.steps,
                "values": values,
            }
        )
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), f"duplicate case ids in make_{peer}.py"
    path = out / f"{peer}.json"
    data = {"peer": peer, "version": module.version(), "cases": cases}
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peers", nargs="*", choices=[*PEERS, []], metavar="PEER")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for <peer>.json")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for peer in args.peers or PEERS:
        path = write(peer, args.out)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
