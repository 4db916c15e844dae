#!/usr/bin/env bash
# The benchmark session of 2026-12-04 (docs/benchmarks.md), as run: builds both addon variants,
# pauses the background training run of this shared machine (if one is recorded in
# /tmp/glm-train.pgid or .pid) for at most 19.5 minutes, runs the benchmarks, resumes it (trap:
# also on failure). Records the load average before and after each step in load.txt.
#   bash docs/bench-runs/2026-12-04/run.sh            (DRY=1: tiny shapes, no pause, to /tmp)
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-docs/bench-runs/2026-12-04}
OB=${OB:-/tmp/glm_native_openblas.node}
SHAPE=()
if [ "${DRY:-0}" = 1 ]; then OUT=/tmp/glm-bench-dry; SHAPE=(--layers 2 --hidden 128 --heads 2 --vocab 1000 --seq 64 --batch 2 --context 32 --gen 6); fi
mkdir -p "$OUT"

# 1. Both addon variants and the TypeScript (before pausing anything).
GLM_OPENBLAS=1 npm run build:native >/dev/null 2>&1 && cp build/Release/glm_native.node "$OB" &&
  npm run build:native >/dev/null 2>&1 && npm run build >/dev/null 2>&1 || { echo "build failed" >&2; exit 1; }
git rev-parse HEAD > "$OUT/commit.txt"

# 2. Pause the background run.
TARGET=""
if [ "${DRY:-0}" != 1 ]; then
  if [ -f /tmp/glm-train.pgid ]; then TARGET="-$(cat /tmp/glm-train.pgid)"; elif [ -f /tmp/glm-train.pid ]; then TARGET="$(cat /tmp/glm-train.pid)"; fi
fi
resume() { if [ -n "$TARGET" ]; then kill -CONT -- "$TARGET" 2>/dev/null; echo "resumed $TARGET at $(date -u +%T)" | tee -a "$OUT/load.txt"; TARGET=""; fi; }
trap resume EXIT INT TERM
if [ -n "$TARGET" ]; then kill -STOP -- "$TARGET" && echo "paused $TARGET at $(date -u +%T)" | tee -a "$OUT/load.txt"; fi
START=$(date +%s)
left() { echo $((1170 - ($(date +%s) - START))); }

# step NAME OUTFILE CMD...: runs CMD (stdout → OUTFILE.jsonl, stderr → OUTFILE.log) within the time left.
step() {
  local name=$1 file=$2 l
  shift 2
  l=$(left)
  if [ "$l" -le 60 ]; then echo "skip $name: $l s left" | tee -a "$OUT/load.txt"; return; fi
  echo "== $name start $(date -u +%T) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
  timeout "$l" "$@" > "$OUT/$file.jsonl" 2> "$OUT/$file.log"
  echo "== $name end $(date -u +%T) rc $? loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
}

step "sgemm own vs OpenBLAS, 2 threads" sgemm-2threads env GLM_NATIVE_ADDON="$OB" node dist/bench/sgemm-bench.js --reps 7
step "train/forward/decode, own sgemm, with PyTorch" main-own-torch node dist/bench/main.js --case train,forward,decode "${SHAPE[@]}"
step "train/forward/decode, OpenBLAS" main-openblas env GLM_NATIVE_ADDON="$OB" GLM_GEMM=openblas node dist/bench/main.js --case train,forward,decode --no-torch "${SHAPE[@]}"
LARGE=(--case forward --config large --seq 256 --batch 8)
if [ "${DRY:-0}" = 1 ]; then LARGE=(--case forward "${SHAPE[@]}"); fi
step "GLM-Large forward, own sgemm" large-forward-own node dist/bench/main.js "${LARGE[@]}" --no-torch
step "GLM-Large forward, OpenBLAS" large-forward-openblas env GLM_NATIVE_ADDON="$OB" GLM_GEMM=openblas node dist/bench/main.js "${LARGE[@]}" --no-torch
step "sgemm own vs OpenBLAS, 1 thread" sgemm-1thread env GLM_NATIVE_ADDON="$OB" node dist/bench/sgemm-bench.js --reps 5 --threads 1
resume
