#!/bin/bash
# Compare `oomguard fit --backend cuda` with llama.cpp's own per-device projection recorded on an
# NVIDIA H100/H200 by device.sh (run-grid.sh: `llama-fit-params --fit-print on`, MiB rounded down:
# model, context, compute per device) and with real llama-server loads (server_runs.py loads).
#   bench/cuda/compare.sh BUILD_DIR GRID.jsonl [LOADS.jsonl] > OUT.md
set -eu
BUILD=$1 GRID=$2 LOADS=${3:-}; HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
bash "$HERE/models.sh" "$BUILD/tests/og-fixture" "$W" > "$W/models.txt"
python3 "$HERE/compare.py" "$BUILD/oomguard" "$W" "$GRID" "$LOADS"
