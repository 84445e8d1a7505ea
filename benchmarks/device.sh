#!/usr/bin/env bash
# What needs the GPU, as one prepared command for the device machine (an NVIDIA GPU with CuPy,
# torch, JAX, pytest, pytest-xdist, hypothesis and mpmath; `python3`, no `python`; no package
# registry). Parts, in order, each under its own time limit so that one stuck part cannot take the
# rest down (under 7 minutes in all):
#   smoke  20 s: import lrschedule and CuPy, build and run one kernel; stops everything if it fails
#   tests 150 s: tests/test_gpu.py, the kernel's tests and the contract tests on the `cupy` and
#                `torch-cuda` backends
#   docs   45 s: the docs blocks (those naming a "cuda" device run there)
#   gpu   180 s: benchmarks/gpu.py through run.py (writes benchmarks/results/summary.json)
# `bash benchmarks/device.sh smoke gpu` runs only those parts. Logs, summary.txt, summary.json and
# performance.md go to $OUT (at most 8 files); copy summary.json over benchmarks/results/ here
# (it is the committed one plus the new gpu record), then `python benchmarks/run.py --render`.
#
# Prepare once, on this machine: the pure-Python wheels the device lacks, imported from the zip
# files themselves (no install step):
#   pip download --no-deps -d .wheels array-api-compat array-api-strict
# then call the device tool's run with
#   command: bash benchmarks/device.sh    carry: [".wheels"]    timeout_s: 480
# (.wheels/ is ignored by git, so it travels only because carry names it).
set -uo pipefail
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
OUT=${OUT:-/tmp/lrschedule-device}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
wheels=$(printf '%s:' "$PWD"/.wheels/*.whl)
export PYTHONPATH="$PWD/src:${wheels}${PYTHONPATH:-}"
parts=${*:-smoke tests docs gpu}

part() {  # part NAME SECONDS COMMAND...: run it, log it, record its exit status
  local name=$1 seconds=$2
  shift 2
  case " $parts " in *" $name "*) ;; *) return 0 ;; esac
  timeout "$seconds" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  tail -5 "$OUT/$name.log"
  echo "$name: exit $rc" | tee -a "$OUT/summary.txt"
  return $rc
}

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  echo "parts: $parts"
} | tee "$OUT/summary.txt"

part smoke 20 python3 -c '
import cupy, torch, lrschedule
print("lrschedule", lrschedule.__file__, "cupy", cupy.__version__, "torch", torch.__version__)
schedule = lrschedule.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
print(schedule(cupy.arange(4)), torch.cuda.is_available())
try:  # torch launches through the driver (cuLaunchKernel): shown here, checked by the tests
    print(schedule(torch.arange(4, device="cuda")), schedule(torch.tensor(3, device="cuda")))
except Exception as exc:
    print("torch-cuda call failed:", type(exc).__name__, exc)
' || exit 1

# -p no:benchmark: the device's pytest-benchmark warns under xdist, and filterwarnings = error made
# that an INTERNALERROR (seen 2026-12-04)
workers=(-n 8)  # pytest-xdist over the machine's cores; serially where it is not installed
python3 -c "import xdist" 2>/dev/null || workers=()
# the GPU's own tests, the kernel's, and the contract tests on the cupy and torch-cuda backends
LRSCHEDULE_TEST_BACKENDS=cupy,torch-cuda part tests 150 \
  python3 -m pytest -q -p no:cacheprovider -p no:benchmark "${workers[@]}" tests/test_gpu.py \
  tests/test_kernel.py tests/test_edges.py tests/test_values.py tests/test_call.py \
  tests/test_properties.py
part docs 45 python3 -m pytest -q -p no:cacheprovider -p no:benchmark tests/test_docs.py
part gpu 180 python3 benchmarks/run.py --only gpu
cp benchmarks/results/summary.json docs/performance.md "$OUT/" 2>/dev/null
cat "$OUT/summary.txt"
