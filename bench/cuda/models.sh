#!/bin/bash
# Sparse GGUFs of real shapes (no tensor data is written; llama.cpp reads zeros), for the CUDA
# benchmarks. Prints "NAME N_LAYER" per model.
#   bench/cuda/models.sh OG_FIXTURE OUT_DIR
set -eu
FIX=$1 W=$2; mkdir -p "$W"
m() { local name=$1 nl=$2; shift 2; "$FIX" shape name="$name" n_layer="$nl" "$@" "$W/$name.gguf" >/dev/null; echo "$name $nl"; }
m llama3.1-8b 32 arch=llama n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 n_ctx_train=131072 weight_type=q4_0
m qwen2.5-7b 28 arch=qwen2 n_embd=3584 n_head=28 n_head_kv=4 n_ff=18944 n_vocab=152064 n_ctx_train=32768 attn_bias=1 weight_type=q4_K
m qwen3-30b-a3b 48 arch=qwen3moe n_embd=2048 n_head=32 n_head_kv=4 head_dim=128 n_expert=128 n_expert_used=8 n_ff_exp=768 n_vocab=151936 n_ctx_train=40960 qk_norm=1 weight_type=q4_K
m gemma3-27b 62 arch=gemma3 n_embd=5376 n_head=32 n_head_kv=16 head_dim=128 n_ff=21504 n_vocab=262208 n_ctx_train=131072 n_swa=1024 swa_pattern=6 qk_norm=1 tied_embeddings=1 weight_type=q4_K
m deepseek-v2-lite 27 arch=deepseek2 n_embd=2048 n_head=16 head_dim=192 rope_dim=64 v_head_dim=128 kv_lora_rank=512 n_expert=64 n_expert_used=6 n_ff_exp=1408 n_expert_shared=2 n_leading_dense=1 n_ff=10944 n_vocab=102400 n_ctx_train=163840 weight_type=q8_0
m gpt-oss-20b 24 arch=gpt-oss n_embd=2880 n_head=64 n_head_kv=8 head_dim=64 n_expert=32 n_expert_used=4 n_ff_exp=2880 n_vocab=201088 n_ctx_train=131072 n_swa=128 weight_type=q8_0 expert_type=mxfp4 output_type=q8_0
m phi3-mini 32 arch=phi3 n_embd=3072 n_head=32 n_head_kv=32 n_ff=8192 n_vocab=32064 n_ctx_train=131072 weight_type=q4_K
m granite-4.0-h-micro 40 arch=granitehybrid attn_period=10 n_embd=2048 n_head=32 n_head_kv=8 n_ff=8192 n_vocab=100352 n_ctx_train=131072 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=1 ssm_dt_rank=64 weight_type=q4_K
m lfm2-1.2b 16 arch=lfm2 attn_period=3 n_embd=2048 n_head=32 n_head_kv=8 n_ff=8192 n_vocab=65536 n_ctx_train=128000 shortconv_l_cache=3 qk_norm=1 tied_embeddings=1 weight_type=q4_K
m qwen3-next-80b-a3b 48 arch=qwen3next attn_period=4 n_embd=2048 n_head=16 n_head_kv=2 head_dim=256 n_ff=5120 n_expert=512 n_expert_used=10 n_ff_exp=512 n_ff_shexp=512 n_vocab=151936 n_ctx_train=262144 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=16 ssm_dt_rank=32 qk_norm=1 weight_type=q4_K
