"""``import lrschedule`` is cheap: it imports no array framework (nor array-api-compat)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_pulls_in_no_framework() -> None:
    code = (
        "import sys, json, lrschedule\n"
        "lrschedule.ExponentialDecay(0.1, 10, 0.5)(3)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(json.loads(out.stdout))
    frameworks = {
        "torch",
        "jax",
        "jaxlib",
        "cupy",
        "dask",
        "tensorflow",
        "keras",
        "array_api_strict",
        "array_api_compat",
        "matplotlib",
    }
    assert not frameworks & modules, frameworks & modules


def test_demo_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lrschedule"], capture_output=True, text=True, check=True
    )
    assert "ExponentialDecay" in out.stdout
    assert "0.096" in out.stdout
