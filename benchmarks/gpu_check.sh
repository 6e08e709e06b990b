#!/usr/bin/env bash
# benchmarks/gpu_check.sh RESULTS_DIR [ONNXRUNTIME_GPU_WHEEL]
#
# Everything a CUDA box without network should report, in one run of <= 6 minutes on an H100 box:
#   1. install this checkout without dependencies (skipped when `import uiseg` already loads this checkout);
#      optional wheels (onnxruntime-gpu: 2nd argument or $ORT_GPU_WHEEL; others: $EXTRA_WHEELS, e.g. a
#      torchmetrics or pytest wheel) go to $SITE (default /tmp/site), which is put first on PYTHONPATH
#   2. facts: nvidia-smi, `uiseg doctor` (text and JSON)
#   3. CUDA parity: `pytest -m gpu`, and `uiseg export --device cuda --fp16` (verification on) of a random UNet
#   4. benchmarks: bench_backends (CUDA, all batch sizes; and CPU at 256x224), bench_segment (256x224, 1280x720),
#      bench_train
# All logs and results (JSON/Markdown/PNG) go under RESULTS_DIR. On a machine without CUDA the GPU parts are
# skipped with a message and the rest runs at toy sizes, so the script itself can be tested anywhere.
# Environment: PYTHON (default python3), SITE, ORT_GPU_WHEEL, EXTRA_WHEELS, SEGMENT_BACKEND (default torch).
# Exit status: 0 when every step that ran passed, 1 otherwise (the summary at the end names the failures).

set -uo pipefail

OUT=${1:?usage: benchmarks/gpu_check.sh RESULTS_DIR [ONNXRUNTIME_GPU_WHEEL]}
WHEEL=${2:-${ORT_GPU_WHEEL:-}}
PY=${PYTHON:-python3}
SITE=${SITE:-/tmp/site}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CLI='import sys; from uiseg.cli import main; sys.exit(main())'

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$REPO" || exit 1
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/uiseg-gpu-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)
SUMMARY=()
FAILED=0

# step NAME TIMEOUT_S CMD...: run, time, record; never stops the script.
step() {
    local name=$1 limit=$2 t0 rc
    shift 2
    echo
    echo "=== $name ($(date +%T), limit ${limit}s): $*"
    t0=$(date +%s)
    timeout -k 10 "$limit" "$@"
    rc=$?
    SUMMARY+=("$(printf '%-28s exit %-3s %4ss' "$name" "$rc" "$(( $(date +%s) - t0 ))")")
    [ "$rc" -eq 0 ] || FAILED=1
    return "$rc"
}

skip() {
    echo
    echo "=== $1: SKIPPED ($2)"
    SUMMARY+=("$(printf '%-28s skipped: %s' "$1" "$2")")
}

have() { "$PY" -c "import $1" >/dev/null 2>&1; }

# --- 1. install -----------------------------------------------------------------------------------------------
installed=$("$PY" -c 'import os, uiseg; print(os.path.dirname(os.path.dirname(os.path.abspath(uiseg.__file__))))' \
    2>/dev/null)
if [ "$installed" = "$REPO" ]; then
    skip "install uiseg" "already importable from $REPO"
else
    step "install uiseg" 180 "$PY" -m pip install -q --no-deps --no-build-isolation -e "$REPO"
fi
wheels=()
if [ -n "$WHEEL" ]; then
    if [ -f "$WHEEL" ]; then wheels+=("$WHEEL"); else echo "onnxruntime-gpu wheel not found: $WHEEL"; FAILED=1; fi
fi
for w in ${EXTRA_WHEELS:-}; do wheels+=("$w"); done
if [ ${#wheels[@]} -gt 0 ]; then
    step "install wheels to $SITE" 180 "$PY" -m pip install -q --no-index --no-deps --target "$SITE" "${wheels[@]}"
    export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
    echo "PYTHONPATH=$PYTHONPATH (onnxruntime there shadows the CPU-only package; doctor may list both dists)"
fi

# --- 2. facts -------------------------------------------------------------------------------------------------
CUDA=$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$OUT/nvidia-smi.csv"
fi
step "uiseg doctor" 120 "$PY" -c "$CLI" doctor --out "$OUT"
"$PY" -c "$CLI" doctor --json --out "$OUT" > "$OUT/doctor.json" 2>/dev/null
# The ORT CUDA provider loads CUDA/cuDNN from the libraries torch brought, so torch is imported first.
"$PY" -c 'import torch, onnxruntime as ort; print("onnxruntime", ort.__version__, "from", ort.__file__); print("providers", ort.get_available_providers())' 2>&1 | tee "$OUT/ort.txt"
if ! have torchmetrics; then
    echo "torchmetrics is missing: pytorch-lightning and bench_train need it; pass its wheel in EXTRA_WHEELS"
fi

# --- 3. CUDA parity -------------------------------------------------------------------------------------------
"$PY" - "$WORK/random-unet.ckpt" <<'EOF'
import sys, torch
from uiseg.checkpoint import make_checkpoint
from uiseg.config import Contract
from uiseg.model import UNet
torch.manual_seed(0)
torch.save(make_checkpoint(UNet(), Contract(), {"note": "random weights, gpu_check.sh"}), sys.argv[1])
EOF
CKPT=$WORK/random-unet.ckpt
MODEL=$WORK/export
if [ "$CUDA" = 1 ]; then
    if have pytest; then
        step "pytest -m gpu" 150 "$PY" -m pytest -q -m gpu -p no:cacheprovider --continue-on-collection-errors \
            --junitxml="$OUT/pytest-gpu.xml" tests
    else
        skip "pytest -m gpu" "pytest is not installed (pass its wheel in EXTRA_WHEELS)"
    fi
    step "export+verify on cuda" 150 "$PY" -c "$CLI" export "$CKPT" --out "$MODEL" --fp16 --device cuda \
        > >(tee "$OUT/export-parity-cuda.txt") \
        || step "export (no verify)" 120 "$PY" -c "$CLI" export "$CKPT" --out "$MODEL" --fp16 --no-verify
else
    skip "pytest -m gpu" "no CUDA device visible to torch"
    step "export (cpu, verified)" 120 "$PY" -c "$CLI" export "$CKPT" --out "$MODEL" > "$OUT/export-parity-cpu.txt"
fi
[ -f "$MODEL/export.json" ] || MODEL=$CKPT  # the benchmark exports it itself then

# --- 4. benchmarks --------------------------------------------------------------------------------------------
BENCH=("$PY" benchmarks/bench_backends.py "$MODEL" --out "$OUT" --quiet)
if [ "$CUDA" = 1 ]; then
    step "bench_backends cuda" 180 "${BENCH[@]}" --device cuda --batch-sizes 1,8,32,128 \
        --warmup 3 --repeats 30 --min-repeats 5 --budget 0.5
    step "bench_backends cpu" 90 "${BENCH[@]}" --device cpu --sizes 256x224 --batch-sizes 1,8 \
        --warmup 2 --repeats 10 --min-repeats 3 --budget 1
else
    skip "bench_backends cuda" "no CUDA device"
    step "bench_backends cpu (toy)" 120 "${BENCH[@]}" --device cpu --sizes 256x224 --batch-sizes 1 \
        --warmup 2 --repeats 3 --min-repeats 2 --budget 0
fi

SEG=("$PY" benchmarks/bench_segment.py --results "$OUT" --backend "${SEGMENT_BACKEND:-torch}")
if [ ! -f benchmarks/bench_segment.py ]; then
    skip "bench_segment" "benchmarks/bench_segment.py is not in this checkout"
elif [ "$CUDA" = 1 ]; then
    step "bench_segment 256x224" 90 "${SEG[@]}" --device cuda --precision fp16 --size 256x224 --count 1500
    step "bench_segment 1280x720" 90 "${SEG[@]}" --device cuda --precision fp16 --size 1280x720 --count 200
else
    skip "bench_segment cuda" "no CUDA device"
    step "bench_segment cpu (toy)" 120 "${SEG[@]}" --device cpu --size 256x224 --count 12 --repeats 2
fi

if ! have pytorch_lightning || ! have torchmetrics; then
    skip "bench_train" "pytorch-lightning or torchmetrics cannot be imported"
elif [ "$CUDA" = 1 ]; then
    step "bench_train cuda" 120 "$PY" benchmarks/bench_train.py --device cuda --steps 30 --warmup 5 --images 512 \
        --out "$OUT"
else
    skip "bench_train cuda" "no CUDA device"
    step "bench_train cpu (toy)" 120 "$PY" benchmarks/bench_train.py --device cpu --steps 2 --warmup 1 \
        --images 16 --out "$OUT"
fi

# --- summary --------------------------------------------------------------------------------------------------
{
    echo
    echo "=== gpu_check.sh summary ($(hostname), $(date -Iseconds), $(( $(date +%s) - START )) s in total)"
    printf '%s\n' "${SUMMARY[@]}"
    echo "results in $OUT:"
    ls -1 "$OUT"
} | tee "$OUT/summary.txt"
exit "$FAILED"
