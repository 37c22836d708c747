#!/bin/bash
# A slice of the accuracy benchmark (bench/accuracy): load two architectures at
# two contexts with the real llama.cpp (node-llama-cpp 3.21.1, CPU build) and
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
cat >"$T/cases.json" <<JSON
[{"model": "$T/llama.gguf", "runs": [{"ctx": 512}, {"ctx": 8192, "fa": true, "ctk": "Q8_0", "ctv": "Q8_0"}]},
 {"model": "$T/gemma3.gguf", "runs": [{"ctx": 512, "fa": true}, {"ctx": 8192}]}]
JSON
BENCH=$TESTS/../bench/accuracy
NLC_DIR=$NLC node "$BENCH/measure.mjs" "$T/cases.json" >"$T/results.jsonl" 2>"$T/err" ||
    { echo "FAIL: measure.mjs"; tail -5 "$T/err"; exit 1; }
[ "$(grep -c '"kv"' "$T/results.jsonl")" -eq 4 ] || { echo "FAIL: expected 4 results"; cat "$T/results.jsonl"; exit 1; }
python3 "$BENCH/compare.py" "$OG" "$T/results.jsonl" --check
