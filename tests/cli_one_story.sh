#!/bin/bash
# One story: the same model, machine and settings through fit, doctor, wired --recommend, the
# overview (--json) and run's preflight give the same verdict, and all say that llama.cpp's
# --fit runs it partly from RAM (og_decision.placement). The machine is this one with a
# stand-in NVML reporting an 8 GB RTX 4060 (tests/fixtures/fake_nvml.c): run's preflight
# probes it live, the others read the snapshot saved from the same probe.
#   tests/cli_one_story.sh OOMGUARD OG_FIXTURE TESTS_DIR
OG=$1 FIX=$2
NV=$(dirname "$FIX")/libog_fake_nvml.so
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 f=0
ok() { n=$((n + 1)); }
bad() { echo "FAIL $*"; f=$((f + 1)); }
jq_() { python3 -c "import json,sys; j=json.load(open(sys.argv[2])); print($1)" "$@"; }
[ -f "$NV" ] || { echo "SKIP: no stand-in NVML at $NV"; exit 0; }
export OG_NVML_LIBRARY=$NV FAKE_NVML_MODE=rtx4060 NO_COLOR=1
export HOME=$T/home XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
mkdir -p "$HOME"
"$OG" machine --save "$T/m.json" >/dev/null 2>&1 || { echo "FAIL machine --save"; exit 1; }
[ "$(jq_ 'j["gpus"][0]["name"]' "$T/m.json")" = "NVIDIA GeForce RTX 4060" ] || { echo "FAIL stand-in NVML not used"; exit 1; }
# the part in RAM must fit this machine's available memory with room to spare (others run too)
if [ "$("$OG" machine --machine "$T/m.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["budget"]["host_bytes"] >= 20 * 2**30)')" != True ]; then
  echo "SKIP: less than 20 GiB of host memory available"; exit 0
fi

# A. A catalog model: fit, doctor, wired --recommend and the overview.
M=qwen2.5-32b
"$OG" fit "$M" --machine "$T/m.json" --json >"$T/fit.json"; rc_fit=$?
"$OG" doctor "$M" --machine "$T/m.json" --json >"$T/doc.json"; rc_doc=$?
"$OG" wired --recommend "$M" --machine "$T/m.json" --json >"$T/wired.json"
"$OG" --machine "$T/m.json" --json >"$T/ov.json"
story() { # fits, verdict (fits or tight: the RAM after llama-server's prompt cache grows), offloaded, gpu layers
  jq_ 'j["fits"], j["verdict"], j["placement"]["offloaded"], j["placement"]["gpu_layers"]' "$1" | tr '\n' ' '
}
want="True $(jq_ 'j["verdict"]' "$T/fit.json") True $(jq_ 'j["placement"]["gpu_layers"]' "$T/fit.json") "
[ $rc_fit -eq 0 ] && [ "$(story "$T/fit.json")" = "$want" ] && ok || bad "fit: rc=$rc_fit $(story "$T/fit.json")"
[ $rc_doc -eq 0 ] && [ "$(story "$T/doc.json")" = "$want" ] && [ "$(jq_ 'j["headline"]' "$T/doc.json")" = None ] &&
  ok || bad "doctor: rc=$rc_doc $(story "$T/doc.json") vs $want"
[ "$(story "$T/wired.json")" = "$want" ] && ok || bad "wired --recommend: $(story "$T/wired.json") vs $want"
ov=$(python3 -c "
import json,sys; j=json.load(open(sys.argv[1]))
g=next(m['gguf'] for m in j['models'] if m['name']==sys.argv[2])
print(g['fits'], g['build'], g['offload'] is not None, g['offload'] and g['offload']['gpu_layers'])" "$T/ov.json" "$M")
[ "$ov" = "True Q4_K_M True $(jq_ 'j["placement"]["gpu_layers"]' "$T/fit.json")" ] && ok || bad "overview: $ov"
# the same GPU / RAM split everywhere
[ "$(jq_ 'j["placement"]["host_bytes"]' "$T/fit.json")" = "$(jq_ 'j["placement"]["host_bytes"]' "$T/doc.json")" ] &&
  [ "$(jq_ 'j["placement"]["host_bytes"] == j["memory"]["host_bytes"] and j["placement"]["llama_args"] == j["llama_fit"]["args"]' "$T/fit.json")" = True ] &&
  ok || bad "placement bytes differ"
# no -ngl advice against what --fit does; the command line instead
[ "$(jq_ 'not any("fewer GPU layers" in a for a in j["advice"]) and any("llama-server -m qwen2.5-32b -c 4096 -ngl " in a for a in j["advice"])' "$T/fit.json")" = True ] &&
  ok || bad "fit advice: $(jq_ 'j["advice"]' "$T/fit.json")"

# B. A GGUF on disk (run's preflight needs a file): a dense 24B of Mistral Small's shape, with
#    llama-server's defaults (-np 4 -kvu, as run's preflight plans llama-server).
"$FIX" shape arch=llama n_layer=40 n_embd=5120 n_head=32 n_head_kv=8 head_dim=128 n_ff=32768 \
  n_vocab=131072 n_ctx_train=32768 weight_type=q4_K "$T/m24.gguf" >/dev/null || bad fixture
mkdir -p "$T/bin"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/llama-server"
chmod +x "$T/bin/llama-server"
S=(-np 4 -kvu)
"$OG" fit "$T/m24.gguf" "${S[@]}" --machine "$T/m.json" --json >"$T/fit2.json"
"$OG" doctor "$T/m24.gguf" "${S[@]}" --machine "$T/m.json" --json >"$T/doc2.json"
"$OG" wired --recommend "$T/m24.gguf" "${S[@]}" --machine "$T/m.json" --json >"$T/wired2.json"
PATH="$T/bin:$PATH" "$OG" run --json -- llama-server -m "$T/m24.gguf" >"$T/run.json" 2>"$T/run.err"
want2="True $(jq_ 'j["verdict"]' "$T/fit2.json") True $(jq_ 'j["placement"]["gpu_layers"]' "$T/fit2.json") "
[ "$(story "$T/fit2.json")" = "$want2" ] && ok || bad "fit file: $(story "$T/fit2.json")"
[ "$(story "$T/doc2.json")" = "$want2" ] && ok || bad "doctor file: $(story "$T/doc2.json") vs $want2"
[ "$(story "$T/wired2.json")" = "$want2" ] && ok || bad "wired file: $(story "$T/wired2.json") vs $want2"
[ "$(jq_ 'j["preflight"]["verdict"]' "$T/run.json")" = "$(jq_ 'j["verdict"]' "$T/fit2.json")" ] &&
  [ "$(jq_ 'j["preflight"]["placement"] or ""' "$T/run.json" | grep -c "puts $(jq_ 'j["placement"]["summary"]' "$T/fit2.json"):")" = 1 ] &&
  grep -q "preflight: llama.cpp's --fit puts .* in RAM" "$T/run.err" &&
  ok || bad "run preflight: $(jq_ 'j["preflight"]' "$T/run.json") $(head -5 "$T/run.err")"
# -ngl all pinned in the command: --fit gives up, every layer on the GPU: does not fit, as fit says
PATH="$T/bin:$PATH" "$OG" run --json -- llama-server -m "$T/m24.gguf" -ngl all >"$T/run2.json" 2>/dev/null
"$OG" fit "$T/m24.gguf" "${S[@]}" -ngl all --machine "$T/m.json" --json >"$T/fit3.json"; rc=$?
[ $rc -eq 1 ] && [ "$(jq_ 'j["preflight"]["verdict"], j["preflight"]["placement"]' "$T/run2.json" | tr '\n' ' ')" = "does not fit None " ] &&
  ok || bad "-ngl all: fit rc=$rc run $(jq_ 'j["preflight"]' "$T/run2.json")"
# --fit off in the command: planned as asked
PATH="$T/bin:$PATH" "$OG" run --json -- llama-server -m "$T/m24.gguf" --fit off >"$T/run3.json" 2>/dev/null
[ "$(jq_ 'j["preflight"]["verdict"]' "$T/run3.json")" = "does not fit" ] && ok || bad "--fit off: $(jq_ 'j["preflight"]' "$T/run3.json")"

echo "$n passed, $f failed"
[ $f -eq 0 ]
