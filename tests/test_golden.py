"""lrschedule against golden values computed by optax, torch and transformers (tests/golden/).

The files are made by ``tests/golden/make.py``; ``LRSCHEDULE_GOLDEN_DIR`` points at a fresh set
(the ``parity`` nox session recomputes them with the peers installed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import lrschedule

if TYPE_CHECKING:
    from conftest import Backend

FOLDER = Path(os.environ.get("LRSCHEDULE_GOLDEN_DIR") or Path(__file__).parent / "golden")


def _cases() -> list[Any]:
    params = []
    for path in sorted(FOLDER.glob("*.json")):
        data = json.loads(path.read_text())
        for case in data["cases"]:
            params.append(pytest.param(case, id=f"{data['peer']}-{case['id']}"))
    return params


CASES = _cases()


def test_golden_files_are_present() -> None:
    peers = {p.stem for p in FOLDER.glob("*.json")}
    assert {"optax"} <= peers, peers


@pytest.mark.parametrize("case", CASES)
def test_matches_peer(backend: Backend, case: dict[str, Any]) -> None:
    schedule = lrschedule.deserialize(case["schedule"])
    steps = np.asarray(case["steps"], dtype=np.int64)
    expected = np.asarray(case["values"], dtype=np.float64)
    scale = float(np.max(np.abs(expected))) or 1.0
    if backend.float64 and backend.default_float == "float64":
        rtol, atol = 1e-9, 1e-12 * scale  # the bound: rtol 1e-9 in float64
    elif backend.float64:  # computed in float64, rounded to float32
        rtol, atol = 1.2e-7, 1e-9 * scale
    else:  # computed in float32
        keep = steps < 2**20
        steps, expected = steps[keep], expected[keep]
        rtol, atol = 2e-5, 2e-6 * scale
    result = backend.call(schedule, backend.asarray(steps.tolist()))
    values = backend.to_numpy(result).astype(np.float64)
    np.testing.assert_allclose(values, expected, rtol=rtol, atol=atol)
    if backend.id == "numpy":  # and the scalar path, step by step
        scalars = np.asarray([schedule(int(t)) for t in steps])
        np.testing.assert_allclose(scalars, expected, rtol=rtol, atol=atol)
