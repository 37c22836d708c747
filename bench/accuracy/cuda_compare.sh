#!/bin/bash
# Compare `oomguard fit --backend cuda` with llama.cpp's own per-device
# projection recorded on an NVIDIA H100 (bench/results/accuracy-cuda-llama.jsonl:
# `llama-fit-params -m M --fit-print on -c C -fa FA -ub UB -b 2048 -ngl 999`;
# bench/results/accuracy-cuda-llama2.jsonl: more architectures, partial offload
# (-ngl N), parallel sequences and q8_0 KV, each with the exact arguments),
# llama.cpp from the source node-llama-cpp 3.21.1 bundles, built with
# GGML_CUDA=ON for sm_90; it prints MiB, rounded down, per device:
# model, context, compute).
#   bench/accuracy/cuda_compare.sh BUILD_DIR [OUT.md]
set -eu
BUILD=$1; HERE=$(cd "$(dirname "$0")" && pwd); OUT=${2:-$HERE/../results/accuracy-cuda.md}
FIX=$BUILD/tests/og-fixture; W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# The same shapes, full layer counts (sparse files: no data is written).
$FIX shape arch=llama name=llama3.1-8b n_layer=32 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 n_ctx_train=131072 weight_type=q4_0 $W/llama3.1-8b.gguf
$FIX shape arch=qwen2 name=qwen2.5-7b n_layer=28 n_embd=3584 n_head=28 n_head_kv=4 n_ff=18944 n_vocab=152064 n_ctx_train=32768 attn_bias=1 weight_type=q4_K $W/qwen2.5-7b.gguf
$FIX shape arch=qwen3moe name=qwen3-30b-a3b n_layer=48 n_embd=2048 n_head=32 n_head_kv=4 head_dim=128 n_expert=128 n_expert_used=8 n_ff_exp=768 n_vocab=151936 n_ctx_train=40960 qk_norm=1 weight_type=q4_K $W/qwen3-30b-a3b.gguf
$FIX shape arch=gemma3 name=gemma3-27b n_layer=62 n_embd=5376 n_head=32 n_head_kv=16 head_dim=128 n_ff=21504 n_vocab=262208 n_ctx_train=131072 n_swa=1024 swa_pattern=6 qk_norm=1 tied_embeddings=1 weight_type=q4_K $W/gemma3-27b.gguf
$FIX shape arch=deepseek2 name=deepseek-v2-lite n_layer=27 n_embd=2048 n_head=16 head_dim=192 rope_dim=64 v_head_dim=128 kv_lora_rank=512 n_expert=64 n_expert_used=6 n_ff_exp=1408 n_expert_shared=2 n_leading_dense=1 n_ff=10944 n_vocab=102400 n_ctx_train=163840 weight_type=q8_0 $W/deepseek-v2-lite.gguf
$FIX shape arch=gpt-oss name=gpt-oss-20b n_layer=24 n_embd=2880 n_head=64 n_head_kv=8 head_dim=64 n_expert=32 n_expert_used=4 n_ff_exp=2880 n_vocab=201088 n_ctx_train=131072 n_swa=128 weight_type=q8_0 expert_type=mxfp4 output_type=q8_0 $W/gpt-oss-20b.gguf
$FIX shape arch=phi3 name=phi3-mini n_layer=32 n_embd=3072 n_head=32 n_head_kv=32 n_ff=8192 n_vocab=32064 n_ctx_train=4096 weight_type=q4_K $W/phi3-mini.gguf
$FIX shape arch=granitehybrid name=granite-4.0-h-micro n_layer=8 attn_period=4 n_embd=2048 n_head=32 n_head_kv=8 n_ff=8192 n_vocab=100352 n_ctx_train=131072 ssm_d_conv=4 ssm_d_inner=4096 ssm_d_state=128 ssm_n_group=1 ssm_dt_rank=64 weight_type=q4_K $W/granite-4.0-h-micro.gguf
$FIX shape arch=lfm2 name=lfm2-1.2b n_layer=6 attn_period=3 n_embd=2048 n_head=32 n_head_kv=8 n_ff=8192 n_vocab=65536 n_ctx_train=128000 shortconv_l_cache=3 qk_norm=1 tied_embeddings=1 weight_type=q4_K $W/lfm2-1.2b.gguf
python3 - "$BUILD/oomguard" "$W" "$HERE/../results/accuracy-cuda-llama.jsonl" "$HERE/../results/accuracy-cuda-llama2.jsonl" > "$OUT" <<'PY'
import json, subprocess, sys, statistics
og, w = sys.argv[1:3]
cases = sys.argv[3:]
M = 2 ** 20
rows, errs = [], {"weights": [], "kv": [], "compute": [], "host": [], "total": []}
lines = [l for c in cases for l in open(c)]
for line in lines:
    r = json.loads(line)
    ll = {}
    for part in r["fitprint"].split(";"):
        p = part.split()
        if len(p) == 4:
            ll[p[0]] = list(map(int, p[1:]))
    if "CUDA0" not in ll:
        continue  # llama.cpp refused the arguments
    args = r["args"].split() if "args" in r else ["-c", str(r["ctx"]), "-fa", r["fa"],
                                                   "-ub", str(r["ubatch"]), "-ngl", "999"]
    args = ["all" if a == "999" else a for a in args]
    j = json.loads(subprocess.run([og, "fit", "--backend", "cuda", "--mem", "80G", "-b", "2048",
        *args, "--json", f"{w}/{r['model']}.gguf"], capture_output=True, text=True).stdout)
    d = {}
    for e in j["memory"]["by_device"]:
        gpu = e["device"].startswith("CUDA")
        key = (e["component"], "gpu" if gpu else "host")
        d[key] = d.get(key, 0) + e["bytes"] / M
    o = {"weights": d.get(("weights", "gpu"), 0), "kv": d.get(("kv", "gpu"), 0) + d.get(("recurrent", "gpu"), 0),
         "compute": d.get(("compute", "gpu"), 0),
         "host": sum(v for (c, dev), v in d.items() if dev == "host" and c != "output")}
    l = {"weights": ll["CUDA0"][0], "kv": ll["CUDA0"][1], "compute": ll["CUDA0"][2],
         "host": sum(ll["Host"])}
    l["total"] = sum(ll["CUDA0"]) + sum(ll["Host"])
    o["total"] = o["weights"] + o["kv"] + o["compute"] + o["host"]
    pct = {k: (o[k] - l[k]) / l[k] * 100 if l[k] else 0.0 for k in l}
    for k in pct:
        errs[k].append(abs(pct[k]))
    rows.append((r, l, o, pct))
print("# Accuracy on CUDA: oomguard fit vs llama.cpp's own projection (NVIDIA H100)\n")
print("Ground truth: `llama-fit-params --fit-print on -ngl 999` (llama.cpp 2026-09-12, the source")
print("node-llama-cpp 3.21.1 bundles, built with CUDA 13.0 for sm_90, run on one H100 80GB on")
print("2026-11-27; MiB rounded down). oomguard: `bench/accuracy/cuda_compare.sh build` (full")
print("offload unless -ngl says otherwise, `--backend cuda`). Host = weights kept on the host")
print("(mapped token_embd; the CPU layers' span under partial offload) + host KV + host compute.\n")
print("| component | median |err| % | worst |err| % |\n| --- | ---: | ---: |")
for k in ("weights", "kv", "compute", "host", "total"):
    print(f"| {k} | {statistics.median(errs[k]):.2f} | {max(errs[k]):.2f} |")
print("\n| case | weights MiB llama.cpp / oomguard | KV | GPU compute | host | total | total % |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for r, l, o, pct in rows:
    name = f"{r['model']} {r['args']}" if "args" in r else f"{r['model']} c={r['ctx']} fa={r['fa']} ub={r['ubatch']}"
    print(f"| {name} | {l['weights']} / {o['weights']:.1f} | {l['kv']} / {o['kv']:.1f} | "
          f"{l['compute']} / {o['compute']:.1f} | {l['host']} / {o['host']:.1f} | "
          f"{l['total']} / {o['total']:.1f} | {pct['total']:+.2f} |")
PY
echo "wrote $OUT"
