#!/bin/bash
# llama.cpp's own per-device projection (`llama-fit-params --fit-print on`: the buffers a load
# with these arguments allocates, MiB rounded down: model, context, compute per device) over a
# grid: contexts 32K/64K/128K, flash attention on/off, K/V f16/q8_0/q4_0, -ub 512/2048, all
# layers and half the layers on the GPU, for every model models.sh writes. Runs in parallel.
#   bench/cuda/run-grid.sh LLAMA_BIN_DIR MODELS_DIR MODEL_LIST OUT.jsonl [JOBS]
# MODEL_LIST: models.sh's output ("NAME N_LAYER" lines).
set -eu
BIN=$1 W=$2 LIST=$3 OUT=$4 JOBS=${5:-$(nproc)}
cases=$(mktemp); trap 'rm -f "$cases"' EXIT
while read -r name nl; do
  for c in 32768 65536 131072; do for ub in 512 2048; do for ngl in 999 $((nl / 2)); do
    for kv in "on f16 f16" "on q8_0 q8_0" "on q4_0 q4_0" "off f16 f16" "off q8_0 f16"; do
      set -- $kv
      echo "$name|-c $c -fa $1 -ctk $2 -ctv $3 -b 2048 -ub $ub -ngl $ngl"
    done; done; done; done
done < "$LIST" > "$cases"
one() {
  local name=${1%%|*} args=${1#*|} o
  # shellcheck disable=SC2086
  o=$("$BIN/llama-fit-params" -m "$W/$name.gguf" --fit-print on $args 2>/dev/null | tr '\n' ';') || o="FAILED:$o"
  printf '{"model":"%s","args":"%s","fitprint":"%s"}\n' "$name" "$args" "$o"
}
export -f one; export BIN W
xargs -P "$JOBS" -d '\n' -I{} bash -c 'one "$1"' _ {} < "$cases" > "$OUT"
