#!/bin/bash
# Hybrid models from the catalog (Qwen3-Next: gated delta-net + attention):
# `oomguard fit` with llama.cpp and MLX, and --engine all.
# Args: oomguard binary, og-fixture binary, tests dir.
set -u
OG=$1
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export XDG_CONFIG_HOME=$T/none; unset OOMGUARD_CATALOG

# llama.cpp: 12 attention layers hold KV, 36 delta-net layers one F32 state each
# (src/llama-hparams.cpp n_embd_r / n_embd_s: conv 3 x 8192, state 128 x 4096).
"$OG" fit qwen3-next-80b --backend cpu --ctx 32768 --mem 256G --json > "$T/l" || fail "llama.cpp fit exit $?"
# MLX: KVCache for the attention layers (bf16), ArraysCache for the others
# (conv state in bf16, recurrent state [32, 128, 128] float32: gated_delta.py).
"$OG" fit qwen3-next-80b --quant mlx-4bit --machine m3-ultra-256gb --json > "$T/m" ||
    fail "mlx fit exit $?"
"$OG" fit qwen3-next-80b --engine all --machine m3-ultra-256gb --ctx 32768 --json > "$T/a" ||
    fail "engine all exit $?"
python3 - "$T" <<'PY' || fail "json content"
import json, sys
t = sys.argv[1]
E, L, ATT = 2048, 48, 12
conv, dinner, dstate, kvw = 2 * 128 * 16 + 4096, 4096, 128, 2 * 256
l = json.load(open(t + "/l"))
assert l["architecture"] == "qwen3next"
assert l["memory"]["kv_bytes"] == ATT * 32768 * 2 * kvw * 2, l["memory"]
assert l["memory"]["recurrent_bytes"] == (L - ATT) * 4 * (3 * conv + dstate * dinner), l["memory"]
w = l["memory"]["weights_bytes"]
assert 40 << 30 < w < 50 << 30, w  # Q4_K_M of 79.7 B parameters
m = json.load(open(t + "/m"))
assert m["engine"] == "mlx" and m["verdict"] == "fits"
state = (L - ATT) * (3 * conv * 2 + dstate * dinner * 4)
assert m["memory"]["kv_bytes"] == ATT * 4096 * 2 * kvw * 2 + state, m["memory"]
assert 38 << 30 < m["memory"]["weights_bytes"] < w, m["memory"]
a = json.load(open(t + "/a"))
eng = {e["engine"]: e for e in a["engines"]}
assert set(eng) == {"llama.cpp", "mlx"}, eng.keys()
for e in eng.values():
    assert e["verdict"] == "fits" and e["settings"]["ctx"] == 32768
    assert e["memory"]["total_bytes"] < 60 << 30
PY
# 32 GiB cannot hold 80 B parameters at 4 bits: exit 1
"$OG" fit qwen3-next-80b --quant mlx-4bit --mem 32G > /dev/null
[ $? -eq 1 ] || fail "32G should not fit"
echo ok
