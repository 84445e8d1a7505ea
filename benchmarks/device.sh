#!/usr/bin/env bash
# The GPU checks of issue 5 as one prepared command for the device machine (an NVIDIA GPU with
# CuPy, torch, JAX, pytest and hypothesis, but no package registry). It runs, in this order and
# each under its own time limit so that one stuck part cannot take the rest down:
#   1. the test suite on the CuPy backend and on torch CUDA (tests/conftest.py's "cupy" and
#      "torch-cuda" backends), then the docs blocks (those that name a "cuda" device run there);
#   2. benchmarks/gpu.py through run.py (per call, 1e8 steps, CUDA graph capture and replay,
#      torch's sync debug mode, cupyx.allow_synchronize(False), jax.transfer_guard).
# Everything it writes goes to $OUT (the device tool brings that folder back): the logs, gpu.json
# (copy it to benchmarks/results/ here, then `python benchmarks/run.py --render`).
#
# Prepare once, on this machine (the wheels are pure Python; mpmath is the tests' reference,
# pytest-xdist and execnet spread the tests over the machine's cores):
#   pip download --no-deps -d .wheels array-api-compat array-api-strict mpmath pytest-xdist execnet
# then call the device tool's run with
#   command: bash benchmarks/device.sh    carry: [".wheels"]    timeout_s: 540
# (.wheels/ is ignored by git, so it travels only because carry names it). About 7 minutes in all,
# leaving room in a session's 15 minutes of device time for one rerun.
set -uo pipefail
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
OUT=${OUT:-/tmp/lrschedule-device}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
# lrschedule itself from the source tree: no build step, no registry
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  python -m pip install -q --no-index --no-deps .wheels/*.whl
  python - <<'EOF'
import importlib
for name in ("lrschedule", "numpy", "array_api_compat", "array_api_strict", "cupy", "torch", "jax"):
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, "__version__", "?"))
    except Exception as exc:
        print(name, "unavailable:", type(exc).__name__, exc)
import torch
print("torch.cuda.is_available():", torch.cuda.is_available())
import jax
print("jax devices:", jax.devices())
EOF
} 2>&1 | tee "$OUT/setup.log"

workers=(-n 8)  # pytest-xdist over the machine's cores; serially where it is not installed
python -c "import xdist" 2>/dev/null || workers=()

tests() {  # tests NAME BACKENDS SECONDS [pytest args]
  local name=$1 backends=$2 seconds=$3
  shift 3
  LRSCHEDULE_TEST_BACKENDS=$backends timeout "$seconds" python -m pytest -q -p no:cacheprovider \
    -x "${workers[@]}" "$@" 2>&1 | tee "$OUT/$name.log" | tail -5
  echo "$name: exit ${PIPESTATUS[0]}" | tee -a "$OUT/summary.txt"
}

tests tests-gpu cupy,torch-cuda 240 tests src/lrschedule
tests docs numpy 90 tests/test_docs.py

timeout 200 python benchmarks/run.py --only gpu 2>&1 | tee "$OUT/bench-gpu.log" | tail -25
echo "bench-gpu: exit ${PIPESTATUS[0]}" | tee -a "$OUT/summary.txt"
cp benchmarks/results/gpu.json "$OUT/" 2>/dev/null || echo "no gpu.json written" | tee -a "$OUT/summary.txt"
cp docs/performance.md "$OUT/performance.md" 2>/dev/null || true
cat "$OUT/summary.txt"
