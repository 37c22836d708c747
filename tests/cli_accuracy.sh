#!/bin/bash
# A slice of the accuracy benchmark (bench/accuracy): load four architectures
# (dense, SWA, gpt-oss MoE with MXFP4 experts, a Mamba-2 hybrid) at two settings with the real llama.cpp (node-llama-cpp 3.21.1, CPU build) and
# compare its logged buffers with `oomguard fit --backend cpu --json`.
# node-llama-cpp is installed into a cache under the build tree when missing
# (OG_NLC_DIR may point at an existing install). Skipped only without node/npm.
set -u
OG=$1 FIX=$2 TESTS=$3
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node and npm are needed for the llama.cpp accuracy slice"
    exit 0
fi
NLC=${OG_NLC_DIR:-$(dirname "$OG")/nlc-cache}
if [ ! -d "$NLC/node_modules/node-llama-cpp" ]; then
    mkdir -p "$NLC" && (cd "$NLC" && npm install --no-audit --no-fund --omit=optional \
        node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1 >npm.log 2>&1) ||
        { echo "FAIL: npm install node-llama-cpp@3.21.1 (see $NLC/npm.log)"; exit 1; }
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$FIX" shape arch=llama n_layer=2 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 \
    n_ctx_train=131072 weight_type=q4_0 "$T/llama.gguf" || exit 1
"$FIX" shape arch=gemma3 n_layer=6 n_embd=3840 n_head=16 n_head_kv=8 head_dim=256 n_ff=15360 \
    n_vocab=262208 n_ctx_train=131072 n_swa=1024 swa_pattern=6 qk_norm=1 tied_embeddings=1 \
    weight_type=q4_K "$T/gemma3.gguf" || exit 1
"$FIX" shape arch=gpt-oss n_layer=2 n_embd=2880 n_head=64 n_head_kv=8 head_dim=64 n_expert=32 \
    n_expert_used=4 n_ff_exp=2880 n_vocab=201088 n_ctx_train=131072 n_swa=128 weight_type=q8_0 \
    expert_type=mxfp4 output_type=q8_0 "$T/gpt-oss.gguf" || exit 1
"$FIX" shape arch=granitehybrid n_layer=8 attn_period=4 n_embd=2048 n_head=32 n_head_kv=8 \
    n_ff=8192 n_vocab=100352 n_ctx_train=131072 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 \
    ssm_n_group=1 ssm_dt_rank=64 weight_type=q4_K "$T/granite-h.gguf" || exit 1
cat >"$T/cases.json" <<JSON
[{"model": "$T/llama.gguf", "runs": [{"ctx": 512}, {"ctx": 8192, "fa": true, "ctk": "Q8_0", "ctv": "Q8_0"}]},
 {"model": "$T/gemma3.gguf", "runs": [{"ctx": 512, "fa": true}, {"ctx": 8192}]},
 {"model": "$T/gpt-oss.gguf", "runs": [{"ctx": 4096}, {"ctx": 4096, "fa": true}]},
 {"model": "$T/granite-h.gguf", "runs": [{"ctx": 512}, {"ctx": 8192, "fa": true, "seqs": 2}]}]
JSON
BENCH=$TESTS/../bench/accuracy
NLC_DIR=$NLC node "$BENCH/measure.mjs" "$T/cases.json" >"$T/results.jsonl" 2>"$T/err" ||
    { echo "FAIL: measure.mjs"; tail -5 "$T/err"; exit 1; }
[ "$(grep -c '"kv"' "$T/results.jsonl")" -eq 8 ] || { echo "FAIL: expected 8 results"; cat "$T/results.jsonl"; exit 1; }
# The recurrent state must be measured, not only derived: llama.cpp logged an RS buffer.
grep -q '"rs":{"CPU"' "$T/results.jsonl" || { echo "FAIL: no RS buffer logged for the hybrid"; exit 1; }
python3 "$BENCH/compare.py" "$OG" "$T/results.jsonl" --check
