#!/bin/bash
# oomguard fit: exit codes, JSON keys, bad input.
set -u
OG=$1 FIX=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$FIX" shape arch=llama n_layer=4 n_embd=2048 n_head=16 n_head_kv=4 n_ff=8192 n_vocab=32000 \
    n_ctx_train=8192 weight_type=q4_0 "$T/m.gguf" || fail "fixture"

# Fits in 8 GiB (exit 0), not in 256 MiB (exit 1).
"$OG" fit "$T/m.gguf" --backend cpu --mem 8G >"$T/out" || fail "8G should fit (rc $?)"
grep -q "fits" "$T/out" || fail "no verdict in table"
"$OG" fit "$T/m.gguf" --backend cpu --mem 256M >"$T/out"; rc=$?
[ $rc -eq 1 ] || fail "256M should not fit (rc $rc)"
grep -q "does not fit" "$T/out" || fail "no 'does not fit'"
grep -q "advice" "$T/out" || fail "no advice"

# JSON keys the issue fixes.
"$OG" fit "$T/m.gguf" --backend cpu --mem 8G -c 4096 --cache-ram 0 --json >"$T/j" || fail "json rc"
for k in .memory.weights_bytes .memory.kv_bytes .memory.compute_bytes .memory.output_bytes \
         .memory.total_bytes .settings.ctx .verdict .max_ctx .fallback; do
    python3 -c "import json,sys; j=json.load(open('$T/j')); v=j
for p in '$k'.strip('.').split('.'): v=v[p]" || fail "missing $k"
done
python3 - "$T/j" <<'PY' || fail "json values"
import json, sys
j = json.load(open(sys.argv[1]))
m = j["memory"]
# 4 layers x (K+V) x 512 wide x f16 x 4096 cells
assert m["kv_bytes"] == 4 * 2 * 512 * 2 * 4096, m["kv_bytes"]
assert j["settings"]["ctx"] == 4096
assert m["total_bytes"] == sum(d["bytes"] for d in m["by_device"])
assert j["verdict"] == "fits" and j["max_ctx"] == 8192 and j["fallback"] is False
assert m["grown_total_bytes"] == m["total_bytes"] and m["prompt_cache_bytes"] == 0
PY

# llama-server's prompt cache grows after load: 8192 MiB by default. At load the tiny model fits
# 8 GiB; grown it does not: "tight", with --cache-ram N as the first advice (N fits).
"$OG" fit "$T/m.gguf" --backend cpu --mem 8G -c 4096 --json >"$T/g" || fail "grown json rc"
python3 - "$T/g" <<'PY' || fail "grown"
import json, sys
j = json.load(open(sys.argv[1]))
m = j["memory"]
assert m["prompt_cache_bytes"] == 8192 << 20, m
assert m["grown_total_bytes"] == m["total_bytes"] + (8192 << 20), m
assert j["verdict"] == "tight", j["verdict"]
assert "--cache-ram" in j["advice"][0], j["advice"]
PY
"$OG" fit "$T/m.gguf" --backend cpu --mem 8G -c 4096 >"$T/gt" || fail "grown text rc"
grep -q "^grown .*prompt cache 8.00 GiB (--cache-ram)" "$T/gt" || fail "grown line: $(grep grown "$T/gt")"

# A config.json alone: the weights are its parameter count x its dtype (BF16),
# not zero; 16 GB of weights do not fit a 12 GiB budget.
CFG="$3/data/configs/llama-3.1-8b.json"
"$OG" fit "$CFG" --backend cuda --mem 80G -c 8192 --json >"$T/c.json" || fail "config-only fit (rc $?)"
python3 - "$T/c.json" <<'PY' || fail "config-only weights"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["memory"]["weights_bytes"] == 8030261248 * 2, j["memory"]["weights_bytes"]
PY
"$OG" fit "$CFG" --backend cuda --mem 12G -c 8192 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "config-only 8B BF16 in 12 GiB should not fit (rc $rc)"

# When no usable context fits the weights (--fit off: nothing lowers the trained
# 128K), the advice names a smaller build or model that fits, with what it needs
# (8B Q4_0 on an 8 GB Mac).
"$FIX" shape arch=llama n_layer=32 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 \
  n_ctx_train=131072 weight_type=q4_0 "$T/l8.gguf" || fail "fixture"
"$OG" fit "$T/l8.gguf" --machine m1-8gb --fit off --json >"$T/a.json"; rc=$?
[ $rc -eq 1 ] || fail "8B on m1-8gb should not fit at 128k (rc $rc)"
python3 - "$T/a.json" <<'PY' || fail "smaller-quant advice"
import json, sys
adv = json.load(open(sys.argv[1]))["advice"]
# the decision core (og_decide) names a smaller build, else the nearest smaller model, with its need
assert any(("smaller quantization" in a or "smaller model" in a) and "needs" in a for a in adv), adv
PY

# Bad input: exit 2 with a message.
"$OG" fit "$T/m.gguf" --backend cpu --mem 8G -ctv q8_0 -fa off 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "flash attention" "$T/e" || fail "quantized V without FA (rc $rc)"
"$OG" fit "$T/m.gguf" --mem 8G -b 256 -ub 512 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "ubatch" "$T/e" || fail "ubatch > batch (rc $rc)"
"$OG" fit "$T/m.gguf" --mem lots 2>/dev/null; [ $? -eq 2 ] || fail "bad --mem"
"$OG" fit "$T/m.gguf" --frobnicate 2>/dev/null; [ $? -eq 2 ] || fail "unknown option"
"$OG" fit "$T/none.gguf" --mem 8G 2>/dev/null; [ $? -eq 2 ] || fail "missing file"
"$OG" fit --help | grep -q -- "--cache-type-k" || fail "help"
echo "ok"
