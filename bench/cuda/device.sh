#!/bin/bash
# The H100 batch: build llama.cpp (build-llama.sh), write the sparse GGUFs (models.sh), then the
# phases named on the command line, each inside the time left of one 10-minute call.
#   DEV=folder-with-inputs OUT=results-folder bench/cuda/device.sh PHASE... [--budget SECONDS]
# DEV holds: llama-src.tar.xz (pack-src.sh), og.tar.xz (oomguard + og-fixture + their shared
# libraries, for a machine without jansson), cuda/ (this folder), optional fit-params-extra.txt.
# Phases: grid (run-grid.sh), fit (fit_cases.py), loads, growth (server_runs.py).
set -u
DEV=$(realpath "${DEV:-build-dev}"); OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
T0=$(date +%s); BUDGET=560; PH=()
while [ $# -gt 0 ]; do case $1 in --budget) BUDGET=$2; shift 2;; *) PH+=("$1"); shift;; esac; done
left() { echo $((BUDGET - ($(date +%s) - T0))); }
# Source and build live outside DEV so that a later call (which replaces DEV) keeps the build.
C=$DEV/cuda; S=$PWD/build-llsrc/llama.cpp; B=$PWD/build-llama; M=/tmp/models
nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv | tee -a "$OUT/gpu.txt"
[ -d "$S" ] || { mkdir -p "${S%/*}"; tar -C "${S%/*}" -xJf "$DEV/llama-src.tar.xz"; }
[ -d "$DEV/og" ] || tar -C "$DEV" -xJf "$DEV/og.tar.xz"
if [ ! -x "$B/bin/llama-server" ] || [ ! -x "$B/bin/llama-fit-params" ]; then
  echo "== build ($(left) s left)"
  timeout $(( $(left) - 20 )) bash "$C/build-llama.sh" "$S" "$B" > "$OUT/build.log" 2>&1
  echo "build rc=$? after $(( $(date +%s) - T0 )) s"; tail -3 "$OUT/build.log"
fi
[ -x "$B/bin/llama-fit-params" ] || { echo "no llama-fit-params"; exit 1; }
export LD_LIBRARY_PATH=$DEV/og/libs  # after the build: oomguard and og-fixture only need these
bash "$C/models.sh" "$DEV/og/og-fixture" "$M" > /tmp/models.txt
for p in "${PH[@]}"; do
  L=$(left); [ "$L" -gt 30 ] || { echo "== $p skipped: no time"; continue; }
  echo "== $p ($L s left)"
  case $p in
    grid) timeout $((L - 10)) bash "$C/run-grid.sh" "$B/bin" "$M" /tmp/models.txt "$OUT/grid.jsonl" 14 ;;
    fit) timeout $((L - 10)) python3 "$C/fit_cases.py" -j 4 "$B/bin" "$M" "$OUT/fit-params.jsonl" \
           $( [ -f "$DEV/fit-params-extra.txt" ] && echo "$DEV/fit-params-extra.txt") "$C/fit-cases.txt" > "$OUT/fit.log" 2>&1 ;;
    loads) timeout $((L - 10)) python3 "$C/server_runs.py" loads "$B/bin" "$M" "$OUT" "$C/server-loads.txt" ;;
    growth) timeout $((L - 10)) python3 "$C/server_runs.py" growth "$B/bin" "$M" "$OUT" "$DEV/og/oomguard" "$C/server-growth.txt" ;;
  esac
  echo "$p rc=$? at $(( $(date +%s) - T0 )) s"
done
wc -l "$OUT"/*.jsonl 2>/dev/null
