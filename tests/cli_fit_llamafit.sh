#!/bin/bash
# oomguard fit says up front what llama.cpp's own --fit will choose (common/fit.cpp,
# og_llama_fit_params): context lowered, layers / MoE experts moved, -ts with several GPUs,
# and what changes when the user pins -ngl / -c.
#   tests/cli_fit_llamafit.sh OOMGUARD OG_FIXTURE
OG=$1 FIX=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 f=0
ok() { n=$((n + 1)); }
bad() { echo "FAIL $*"; f=$((f + 1)); }
jq_() { python3 -c "import json,sys; j=json.load(open(sys.argv[2])); print($1)" "$@"; }

"$FIX" shape arch=llama n_layer=32 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 \
  n_ctx_train=131072 weight_type=q4_0 "$T/l8.gguf" || bad fixture
"$FIX" shape arch=qwen3moe n_layer=48 n_embd=2048 n_head=32 n_head_kv=4 head_dim=128 n_expert=128 \
  n_expert_used=8 n_ff_exp=768 n_vocab=151936 n_ctx_train=40960 qk_norm=1 weight_type=q4_K "$T/moe.gguf" || bad fixture

# 1. A dense 8B on an 8 GB card: only the context is lowered (all layers stay on the GPU).
"$OG" fit "$T/l8.gguf" --machine rtx-4060-8gb --json >"$T/a.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq_ 'j["llama_fit"]["status"], j["llama_fit"]["gpu_layers"]' "$T/a.json" | tr '\n' ' ')" = "context -1 " ] &&
  [ "$(jq_ 'j["settings"]["ctx"] == j["llama_fit"]["ctx"] and 4096 < j["llama_fit"]["ctx"] < 131072' "$T/a.json")" = True ] &&
  [ "$(jq_ 'j["llama_fit"]["devices"][0]["free_after_bytes"] >= 2**30' "$T/a.json")" = True ] &&
  ok || bad "8B on 4060: rc=$rc $(head -c 400 "$T/a.json")"
"$OG" fit "$T/l8.gguf" --machine rtx-4060-8gb >"$T/a.txt"
grep -q "^--fit .*llama.cpp will start this with -c [0-9]* -ngl -1 (its --fit), using" "$T/a.txt" &&
  grep -q "context lowered from 131072" "$T/a.txt" && ok || bad "headline: $(head -3 "$T/a.txt")"

# 2. A MoE model on a 12 GB card: context down to --fit-ctx, experts of the last layers in RAM.
# The verdict is the decision core's (og_decide adopts --fit's placement): it fits, partly
# offloaded, with the part in RAM checked against the host RAM; doctor says the same.
"$OG" fit "$T/moe.gguf" --machine rtx-4070-12gb --json >"$T/b.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq_ 'j["llama_fit"]["status"], j["llama_fit"]["ctx"], j["llama_fit"]["gpu_layers"]' "$T/b.json" | tr '\n' ' ')" = "placed 4096 49 " ] &&
  [ "$(jq_ '"exps=CPU" in j["llama_fit"]["args"] and j["llama_fit"]["devices"][0]["partial_layers"] > 0' "$T/b.json")" = True ] &&
  [ "$(jq_ 'j["placement"]["offloaded"] and j["placement"]["experts_in_ram"] and j["placement"]["llama_args"] == j["llama_fit"]["args"]' "$T/b.json")" = True ] &&
  [ "$(jq_ 'j["placement"]["gpu_layers"] == j["llama_fit"]["gpu_layers"] and j["settings"]["ctx"] == 4096' "$T/b.json")" = True ] &&
  [ "$(jq_ 'j["placement"]["host_bytes"] == j["memory"]["host_bytes"] > 2**30 and j["memory"]["gpu_bytes"] <= j["budget"]["gpu_bytes"]' "$T/b.json")" = True ] &&
  [ "$(jq_ 'not any("-ngl" in a and "fewer GPU layers" in a for a in j["advice"]) and "runs partly from RAM" in j["advice"][1]' "$T/b.json")" = True ] &&
  ok || bad "moe on 4070: rc=$rc $(head -c 400 "$T/b.json")"
"$OG" fit "$T/moe.gguf" --machine rtx-4070-12gb >"$T/b.txt"
grep -q "llama-server -m .*moe.gguf -c 4096 -ngl 49 -ot" "$T/b.txt" && grep -q "^if pinned  -ngl all" "$T/b.txt" &&
  grep -q "^verdict    fits .*partly offloaded: 49 of 49 layers on the GPU, the experts of [0-9]* of them in RAM (slower)" "$T/b.txt" &&
  ok || bad "moe text: $(head -6 "$T/b.txt")"
"$OG" doctor "$T/moe.gguf" --machine rtx-4070-12gb --json >"$T/b2.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq_ 'j["verdict"], j["placement"]["gpu_layers"], j["headline"]' "$T/b2.json" | tr '\n' ' ')" = "$(jq_ 'j["verdict"], j["placement"]["gpu_layers"]' "$T/b.json" | tr '\n' ' ')None " ] &&
  ok || bad "doctor moe on 4070: rc=$rc $(head -c 300 "$T/b2.json")"
# pinned -ngl all: the old verdict (every layer on the GPU does not fit), exit 1
"$OG" fit "$T/moe.gguf" --machine rtx-4070-12gb -ngl all --json >"$T/b3.json"; rc=$?
[ $rc -eq 1 ] && [ "$(jq_ 'j["placement"]["offloaded"], j["placement"]["fit_status"]' "$T/b3.json" | tr '\n' ' ')" = "False gave up " ] &&
  ok || bad "-ngl all on 4070: rc=$rc $(head -c 300 "$T/b3.json")"
# too little RAM for the part --fit puts there: does not fit (a 4070 snapshot with 8 GiB RAM)
"$OG" machine --machine rtx-4070-12gb --save "$T/m.json" >/dev/null 2>&1 || bad "machine --save"
python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); j['ram_bytes']=8*2**30
json.dump(j, open(sys.argv[2],'w'))" "$T/m.json" "$T/m8.json"
"$OG" fit "$T/moe.gguf" --machine "$T/m8.json" -c 40960 --json >"$T/b4.json"; rc=$?
[ $rc -eq 1 ] && [ "$(jq_ 'j["placement"]["offloaded"] and j["placement"]["host_bytes"] > j["placement"]["host_budget_bytes"]' "$T/b4.json")" = True ] &&
  ok || bad "moe, 8 GiB RAM: rc=$rc $(head -c 300 "$T/b4.json")"
# --fit-ctx raises the floor; --fit-target leaves more free
"$OG" fit "$T/moe.gguf" --machine rtx-4070-12gb --fit-ctx 8192 --json >"$T/c.json"
[ "$(jq_ 'j["llama_fit"]["ctx"]' "$T/c.json")" = 8192 ] && ok || bad "--fit-ctx"
"$OG" fit "$T/moe.gguf" --machine rtx-4070-12gb --fit-target 3072 --json >"$T/d.json"
[ "$(jq_ 'j["llama_fit"]["devices"][0]["free_after_bytes"] >= 3 * 2**30' "$T/d.json")" = True ] &&
  [ "$(jq_ 'j["llama_fit"]["devices"][0]["partial_layers"]' "$T/d.json")" -gt "$(jq_ 'j["llama_fit"]["devices"][0]["partial_layers"]' "$T/b.json")" ] &&
  ok || bad "--fit-target 3072"

# 3. Pinned by the user: --fit stops after the context step.
"$OG" fit "$T/l8.gguf" --machine rtx-4060-8gb -c 65536 -ot "ffn_down=CPU" --json >"$T/e.json"; rc=$?
[ "$(jq_ 'j["llama_fit"]["status"]' "$T/e.json")" = "gave up" ] &&
  grep -q "tensor_buft_overrides already set by user" "$T/e.json" && ok || bad "-ot pinned: $(head -c 300 "$T/e.json")"
"$OG" fit "$T/moe.gguf" --machine rtx-4060-8gb -c 32768 -ngl 20 >"$T/e.txt"
grep -q "gives up (n_gpu_layers already set by user to 20, abort)" "$T/e.txt" && ok || bad "-ngl 20: $(head -2 "$T/e.txt")"
"$OG" fit "$T/moe.gguf" --machine rtx-4070-12gb --fit off --json >"$T/f.json"; rc=$?
[ $rc -eq 1 ] && [ "$(jq_ 'j["llama_fit"]["status"], j["settings"]["ctx"]' "$T/f.json" | tr '\n' ' ')" = "off 40960 " ] &&
  ok || bad "--fit off: rc=$rc"

# 4. Two GPUs: -ts is written, per-GPU lines, overflow to the next GPU.
"$OG" fit "$T/moe.gguf" --machine 2x-rtx-3090 --fit-target 12000,16000 --json >"$T/g.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq_ '" -ts " in j["llama_fit"]["args"] and len(j["llama_fit"]["devices"]) == 2' "$T/g.json")" = True ] &&
  [ "$(jq_ 'sum(d["layers"] for d in j["llama_fit"]["devices"]) == j["llama_fit"]["gpu_layers"]' "$T/g.json")" = True ] &&
  ok || bad "2x3090: rc=$rc $(head -c 400 "$T/g.json")"
"$OG" fit "$T/moe.gguf" --machine 2x-rtx-3090 -ts 1,3 -c 8192 >"$T/h.txt"
grep -q "GPU0 (13 layers)" "$T/h.txt" && grep -q "GPU1 (36 layers)" "$T/h.txt" && ok || bad "-ts 1,3: $(grep GPU "$T/h.txt")"

# 5. Clusters: llama.cpp RPC and exo, one JSON entry per host, commands, doctor checks per host.
"$OG" fit "$T/l8.gguf" --cluster rtx-4060-8gb,rtx-3060-12gb,m4-16gb -c 32768 --json >"$T/k.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq_ '[e["engine"] for e in j["cluster"]] == ["llama.cpp-rpc", "exo"] and all(len(e["hosts"]) == 3 for e in j["cluster"])' "$T/k.json")" = True ] &&
  [ "$(jq_ 'j["cluster"][0]["hosts"][0]["role"] == "llama-server" and j["cluster"][0]["hosts"][0]["holds_output"] and "--rpc rtx-3060-12gb:50052,m4-16gb:50052" in j["cluster"][0]["server_command"]' "$T/k.json")" = True ] &&
  [ "$(jq_ 'sum(h["layers"] for h in j["cluster"][0]["hosts"])' "$T/k.json")" = 33 ] &&
  ok || bad "cluster json: rc=$rc $(head -c 400 "$T/k.json")"
"$OG" fit "$T/l8.gguf" --cluster rtx-4060-8gb,rtx-3060-12gb,m4-16gb -c 131072 -ctk f32 -ctv f32 --cluster-engine exo >"$T/k.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "exo's check passes" "$T/k.txt" && grep -q "MLX distributed" "$T/k.txt" && ok || bad "cluster exo: rc=$rc $(head -5 "$T/k.txt")"
"$OG" fit "$T/l8.gguf" --cluster rtx-4090,nosuchpreset 2>"$T/err"; [ $? -eq 2 ] && grep -q "nosuchpreset" "$T/err" && ok || bad "cluster bad host"

# 6. Bad input: exit 2 naming the option.
"$OG" fit "$T/l8.gguf" -ot "x=NPU0" 2>"$T/err"; [ $? -eq 2 ] && grep -q "NPU0" "$T/err" && ok || bad "-ot NPU0"
"$OG" fit "$T/l8.gguf" -ot "nopattern" 2>"$T/err"; [ $? -eq 2 ] && grep -q "PATTERN=BUFFER" "$T/err" && ok || bad "-ot no ="
"$OG" fit "$T/l8.gguf" --fit-target 1,x 2>"$T/err"; [ $? -eq 2 ] && grep -q "fit-target" "$T/err" && ok || bad "--fit-target 1,x"
"$OG" fit "$T/l8.gguf" -sm diagonal 2>"$T/err"; [ $? -eq 2 ] && ok || bad "-sm diagonal"

echo "$n passed, $f failed"
[ $f -eq 0 ]
