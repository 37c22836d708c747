#!/bin/bash
# MoE compute-buffer benchmark (issue 17): qwen3moe GGUFs (2 layers, vocab
# 32000, so the MoE phase of the graph is the compute peak) across the
# expert shapes that decide where ggml-alloc places the down projection
# (n_embd x n_expert_used above or below 2 n_ff_exp x n_expert_used), loaded
# by the real llama.cpp (node-llama-cpp 3.21.1, CPU) and compared with
# `oomguard fit --backend cpu --json`.
#
#   bench/accuracy/moe.sh BUILD_DIR NLC_DIR [OUT.md]
set -eu
BUILD=$1 NLC=$2 OUT=${3:-$(dirname "$0")/../results/accuracy-moe.md}
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$BUILD/tests/og-fixture
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
C="arch=qwen3moe n_layer=2 head_dim=128 n_vocab=32000 n_ctx_train=40960 qk_norm=1 weight_type=q8_0"
$FIX shape $C name=moe-a n_embd=4096 n_head=32 n_head_kv=4 n_expert=64 n_expert_used=16 n_ff_exp=1536 "$W/moe-a.gguf"
$FIX shape $C name=moe-b n_embd=2048 n_head=16 n_head_kv=4 n_expert=16 n_expert_used=4 n_ff_exp=4096 "$W/moe-b.gguf"
$FIX shape $C name=moe-c n_embd=3072 n_head=24 n_head_kv=8 n_expert=32 n_expert_used=8 n_ff_exp=1024 "$W/moe-c.gguf"
$FIX shape $C name=moe-d n_embd=2560 n_head=20 n_head_kv=4 n_expert=8 n_expert_used=2 n_ff_exp=8192 "$W/moe-d.gguf"
$FIX shape $C name=moe-e n_embd=1536 n_head=12 n_head_kv=4 n_expert=64 n_expert_used=12 n_ff_exp=384 "$W/moe-e.gguf"
python3 - "$W" >"$W/cases.json" <<'PY'
import json, sys, glob
runs = [{"ctx": 4096, "fa": True}, {"ctx": 4096, "fa": True, "batch": 2048}, {"ctx": 4096, "fa": False}]
print(json.dumps([{"model": m, "runs": runs} for m in sorted(glob.glob(sys.argv[1] + "/*.gguf"))]))
PY
NLC_DIR=$NLC node "$HERE/measure.mjs" "$W/cases.json" >"$W/results.jsonl" 2>"$W/measure.log"
cp "$W/results.jsonl" "${OUT%.md}.jsonl"
python3 "$HERE/compare.py" "$BUILD/oomguard" "$W/results.jsonl" --markdown "$W/table.md"
{
    echo "# Accuracy: the llama.cpp MoE compute phase (CPU)"
    echo
    echo "Command: \`bench/accuracy/moe.sh build-test /tmp/nlc-catalog\` (node-llama-cpp 3.21.1, llama.cpp"
    echo "dated 2026-09-12, prebuilt linux-x64 CPU binary); $(date -u +%F). Shapes (qwen3moe, 2 layers):"
    echo "moe-a n_embd 4096, 16 of 64 experts of 1536; moe-b 2048, 4 of 16 of 4096; moe-c 3072, 8 of 32"
    echo "of 1024; moe-d 2560, 2 of 8 of 8192 (Mixtral-like); moe-e 1536, 12 of 64 of 384."
    echo
    cat "$W/table.md"
} >"$OUT"
echo "wrote $OUT"
