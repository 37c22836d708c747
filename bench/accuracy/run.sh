#!/bin/bash
# Accuracy benchmark: sparse GGUFs with real shapes, loaded by the real
# llama.cpp (node-llama-cpp 3.21.1, CPU build), compared per component with
# `oomguard fit --backend cpu --json` and with node-llama-cpp's estimator.
#
#   bench/accuracy/run.sh BUILD_DIR NLC_DIR [OUT.md]
#
# NLC_DIR holds node_modules/node-llama-cpp (npm install --omit=optional
# node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1). Layer counts are
# reduced where only compute/KV accuracy is the aim (widths, heads, vocab real)
# so the CPU repack stays within a small machine's RAM.
set -eu
BUILD=$1 NLC=$2 OUT=${3:-$(dirname "$0")/../results/accuracy.md}
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$BUILD/tests/og-fixture
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
$FIX shape arch=llama name=llama3.1-8b n_layer=4 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 n_ctx_train=131072 weight_type=q4_0 "$W/llama3.1-8b.gguf"
$FIX shape arch=qwen2 name=qwen2.5-7b n_layer=4 n_embd=3584 n_head=28 n_head_kv=4 n_ff=18944 n_vocab=152064 n_ctx_train=32768 attn_bias=1 weight_type=q4_K "$W/qwen2.5-7b.gguf"
$FIX shape arch=qwen3 name=qwen3-8b n_layer=4 n_embd=4096 n_head=32 n_head_kv=8 head_dim=128 n_ff=12288 n_vocab=151936 n_ctx_train=40960 qk_norm=1 weight_type=q4_K "$W/qwen3-8b.gguf"
$FIX shape arch=qwen3 name=qwen3-4b n_layer=4 n_embd=2560 n_head=32 n_head_kv=8 head_dim=128 n_ff=9728 n_vocab=151936 n_ctx_train=40960 qk_norm=1 weight_type=q8_0 "$W/qwen3-4b.gguf"
$FIX shape arch=qwen3moe name=qwen3-30b-a3b n_layer=4 n_embd=2048 n_head=32 n_head_kv=4 head_dim=128 n_expert=128 n_expert_used=8 n_ff_exp=768 n_vocab=151936 n_ctx_train=40960 qk_norm=1 weight_type=q4_K "$W/qwen3-30b-a3b.gguf"
$FIX shape arch=gemma2 name=gemma2-9b n_layer=4 n_embd=3584 n_head=16 n_head_kv=8 head_dim=256 n_ff=14336 n_vocab=256000 n_ctx_train=8192 n_swa=4096 tied_embeddings=1 weight_type=q4_K "$W/gemma2-9b.gguf"
$FIX shape arch=gemma3 name=gemma3-12b n_layer=6 n_embd=3840 n_head=16 n_head_kv=8 head_dim=256 n_ff=15360 n_vocab=262208 n_ctx_train=131072 n_swa=1024 swa_pattern=6 qk_norm=1 tied_embeddings=1 weight_type=q4_K "$W/gemma3-12b.gguf"
$FIX shape arch=deepseek2 name=deepseek-v2-lite n_layer=27 n_embd=2048 n_head=16 head_dim=192 rope_dim=64 v_head_dim=128 kv_lora_rank=512 n_expert=64 n_expert_used=6 n_ff_exp=1408 n_expert_shared=2 n_leading_dense=1 n_ff=10944 n_vocab=102400 n_ctx_train=163840 weight_type=q8_0 "$W/deepseek-v2-lite.gguf"
$FIX shape arch=gpt-oss name=gpt-oss-20b n_layer=4 n_embd=2880 n_head=64 n_head_kv=8 head_dim=64 n_expert=32 n_expert_used=4 n_ff_exp=2880 n_vocab=201088 n_ctx_train=131072 n_swa=128 weight_type=q8_0 expert_type=mxfp4 output_type=q8_0 "$W/gpt-oss-20b.gguf"
$FIX shape arch=phi3 name=phi3-mini n_layer=4 n_embd=3072 n_head=32 n_head_kv=32 n_ff=8192 n_vocab=32064 n_ctx_train=4096 weight_type=q4_K "$W/phi3-mini.gguf"
$FIX shape arch=granitehybrid name=granite-4.0-h-micro n_layer=8 attn_period=4 n_embd=2048 n_head=32 n_head_kv=8 n_ff=8192 n_vocab=100352 n_ctx_train=131072 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=1 ssm_dt_rank=64 weight_type=q4_K "$W/granite-4.0-h-micro.gguf"
# LFM2 1.2B with its real layer_types (attention at 2,5,8,10,12,14: attn_mask 21796)
$FIX shape arch=lfm2 name=lfm2-1.2b n_layer=16 attn_mask=21796 n_embd=2048 n_head=32 n_head_kv=8 n_ff=8192 n_vocab=65536 n_ctx_train=128000 shortconv_l_cache=3 qk_norm=1 tied_embeddings=1 weight_type=q4_K "$W/lfm2-1.2b.gguf"
# LFM2 8B-A1B, 6 of 24 layers (2 dense, attention at 2 and 5: attn_mask 36)
$FIX shape arch=lfm2moe name=lfm2-8b-a1b n_layer=6 attn_mask=36 n_embd=2048 n_head=32 n_head_kv=8 n_ff=7168 n_expert=32 n_expert_used=4 n_ff_exp=1792 n_leading_dense=2 expert_gating_bias=1 n_vocab=65536 n_ctx_train=128000 shortconv_l_cache=3 qk_norm=1 tied_embeddings=1 weight_type=q8_0 "$W/lfm2-8b-a1b.gguf"
$FIX shape arch=minimax-m2 name=minimax-m2 n_layer=2 n_embd=3072 n_head=48 n_head_kv=8 head_dim=128 n_expert=256 n_expert_used=8 n_ff_exp=1536 expert_gating_bias=1 qk_norm=2 n_vocab=200064 n_ctx_train=204800 weight_type=q8_0 output_type=q8_0 "$W/minimax-m2.gguf"
$FIX shape arch=seed_oss name=seed-oss-36b n_layer=4 n_embd=5120 n_head=80 n_head_kv=8 head_dim=128 n_ff=27648 attn_bias=1 n_vocab=155136 n_ctx_train=524288 weight_type=q8_0 output_type=q8_0 "$W/seed-oss-36b.gguf"
$FIX shape arch=ernie4_5-moe name=ernie-4.5-21b-a3b n_layer=4 n_embd=2560 n_head=20 n_head_kv=4 head_dim=128 n_ff=12288 n_expert=64 n_expert_used=6 n_ff_exp=1536 n_expert_shared=2 n_leading_dense=1 expert_gating_bias=1 n_vocab=103424 n_ctx_train=131072 tied_embeddings=1 weight_type=q8_0 "$W/ernie-4.5-21b-a3b.gguf"
# DeepSeek V3.2 (DSA indexer: a second K-only cache), 2 layers (1 dense, 1 MoE of 16 experts)
$FIX shape arch=deepseek32 name=deepseek-v3.2 n_layer=2 n_embd=7168 n_head=128 head_dim=192 rope_dim=64 v_head_dim=128 kv_lora_rank=512 q_lora_rank=1536 n_expert=16 n_expert_used=8 n_ff_exp=2048 n_expert_shared=1 n_leading_dense=1 n_ff=18432 n_vocab=129280 n_ctx_train=163840 indexer_n_head=64 indexer_head_dim=128 expert_gating_bias=1 weight_type=q8_0 output_type=q8_0 "$W/deepseek-v3.2.gguf"
$FIX shape arch=hunyuan-moe name=hunyuan-a13b n_layer=2 n_embd=4096 n_head=32 n_head_kv=8 head_dim=128 n_expert=64 n_expert_used=8 n_ff_exp=3072 n_expert_shared=1 qk_norm=1 n_vocab=128167 n_ctx_train=262144 tied_embeddings=1 weight_type=q8_0 "$W/hunyuan-a13b.gguf"
$FIX shape arch=qwen3next name=qwen3-next-80b-a3b n_layer=4 attn_period=4 n_embd=2048 n_head=16 n_head_kv=2 head_dim=256 n_ff=5120 n_expert=512 n_expert_used=10 n_ff_exp=512 n_ff_shexp=512 n_vocab=151936 n_ctx_train=262144 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=16 ssm_dt_rank=32 qk_norm=1 weight_type=q4_K "$W/qwen3-next-80b-a3b.gguf"
$FIX shape arch=qwen35 name=qwen3.5-4b n_layer=4 attn_period=4 n_embd=2560 n_head=16 n_head_kv=4 head_dim=256 n_ff=9216 n_vocab=248320 n_ctx_train=262144 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=16 ssm_dt_rank=32 qk_norm=1 tied_embeddings=1 weight_type=q4_K "$W/qwen3.5-4b.gguf"
$FIX shape arch=qwen35moe name=qwen3.6-35b-a3b n_layer=4 attn_period=4 n_embd=2048 n_head=16 n_head_kv=2 head_dim=256 n_expert=256 n_expert_used=8 n_ff_exp=512 n_ff_shexp=512 n_vocab=248320 n_ctx_train=262144 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=16 ssm_dt_rank=32 qk_norm=1 weight_type=q4_K "$W/qwen3.6-35b-a3b.gguf"
$FIX shape arch=mistral3 name=ministral-3-14b n_layer=4 n_embd=5120 n_head=32 n_head_kv=8 head_dim=128 n_ff=16384 n_vocab=131072 n_ctx_train=262144 weight_type=q4_K "$W/ministral-3-14b.gguf"
python3 - "$W" >"$W/cases.json" <<'PY'
import json, sys, glob
runs = []
for ctx in (512, 4096, 32768):
    runs += [{"ctx": ctx, "fa": False}, {"ctx": ctx, "fa": True},
             {"ctx": ctx, "fa": True, "ctk": "Q8_0", "ctv": "Q8_0"}]
runs.append({"ctx": 4096, "fa": True, "batch": 2048})
runs.append({"ctx": 8192, "fa": True, "seqs": 2})
print(json.dumps([{"model": m, "runs": runs} for m in sorted(glob.glob(sys.argv[1] + "/*.gguf"))]))
PY
NLC_DIR=$NLC node "$HERE/measure.mjs" "$W/cases.json" >"$W/results.jsonl" 2>"$W/measure.log"
cp "$W/results.jsonl" "${OUT%.md}.jsonl"
python3 "$HERE/compare.py" "$BUILD/oomguard" "$W/results.jsonl" --markdown "$W/table.md"
{
    echo "# Accuracy: oomguard fit vs the real llama.cpp (CPU)"
    echo
    echo "Command: \`bench/accuracy/run.sh build /work/nlc\` (node-llama-cpp 3.21.1, llama.cpp dated"
    echo "2026-09-12, prebuilt linux-x64 CPU binary, $(lscpu | sed -n 's/^Model name: *//p' | head -1)); $(date -u +%F)."
    echo "Ground truth: the buffer sizes llama.cpp logs (model, KV, RS, compute, output) when"
    echo "node-llama-cpp creates each context; oomguard: \`oomguard fit --backend cpu --json\` with the"
    echo "batch llama.cpp logged. node-llama-cpp's estimator: GgufInsights estimateModelResourceRequirements +"
    echo "estimateContextResourceRequirements (gpuLayers 0). Logged sizes are rounded to 0.01 MiB."
    echo
    cat "$W/table.md"
} >"$OUT"
echo "wrote $OUT"
