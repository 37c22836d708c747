#!/usr/bin/env bash
# oomguard run guarding the local part of a llama.cpp RPC run: llama-server --rpc (this host
# runs llama-server) and rpc-server (this host serves its devices). The preflight's share of
# this host equals what `fit --cluster` plans for it; the remote hosts are named, not watched.
# Stand-in llama-server / rpc-server scripts (no engine runs).
# Usage: cli_run_cluster.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$1 fixture=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1 HOME=$T/home XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
unset OOMGUARD_CATALOG
mkdir -p "$HOME" "$T/bin"
for b in llama-server rpc-server; do printf '#!/bin/sh\nexec sleep 0.2\n' >"$T/bin/$b"; done
chmod +x "$T/bin/"*
export PATH="$T/bin:$PATH"
pass=0 fails=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
"$fixture" shape arch=llama name=Rpc-Llama n_layer=32 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 \
  n_vocab=128256 n_ctx_train=131072 weight_type=q4_0 "$T/m.gguf" >/dev/null || { echo "FAIL fixture"; exit 1; }
py=python3

# 1. llama-server --rpc without --cluster: this host's share, the servers assumed like it
"$og" run --no-history -- llama-server --rpc 10.0.0.2:50052,10.0.0.3:50052 -m "$T/m.gguf" -c 8192 2>"$T/e1"
rc=$?
if [ $rc -eq 0 ] && grep -q "this host's share as llama-server" "$T/e1" &&
  grep -q "not watched from here: 10.0.0.2:50052 (rpc-server" "$T/e1" &&
  grep -q "10.0.0.3:50052 (rpc-server" "$T/e1" && grep -q "assumed like this machine" "$T/e1" &&
  grep -q "predicted peak .* measured" "$T/e1"; then
  ok "llama-server --rpc: planned, remote servers named and not watched"
else bad "llama-server --rpc rc=$rc: $(cat "$T/e1")"; fi

# 2. --cluster with presets: this host's predicted share is fit --cluster's plan of it (-np 1:
# llama-server's default 4 slots add output rows that fit does not plan)
"$og" fit --json --cluster this,rtx-4090,rtx-3090 -c 8192 "$T/m.gguf" >"$T/fit.json" 2>/dev/null
"$og" run --json --no-history --cluster this,rtx-4090,rtx-3090 -- \
  llama-server --rpc 10.0.0.2:50052,10.0.0.3:50052 -m "$T/m.gguf" -c 8192 -np 1 >"$T/r2.json" 2>"$T/e2"
rc=$?
$py - "$T/fit.json" "$T/r2.json" <<'PY' && [ $rc -eq 0 ] && ok "llama-server share = fit --cluster's host 0 (need + host RAM)" || bad "cluster share rc=$rc $(cat "$T/e2")"
import json, sys
fit, run = (json.load(open(p)) for p in sys.argv[1:])
h = [e for e in fit["cluster"] if e["engine"] == "llama.cpp-rpc"][0]["hosts"]
pf = run["preflight"]
assert pf["predicted_bytes"] == sum(h[0][k] for k in ("weights_bytes", "kv_bytes", "compute_bytes", "host_ram_bytes")), (pf, h[0])
assert h[0]["verdict"] == pf["verdict"] == "fits", (h[0], pf)
assert "rtx-4090 (rpc-server, %d layers" % h[1]["layers"] in pf["note"], pf["note"]
assert "rtx-3090 (rpc-server, %d layers" % h[2]["layers"] in pf["note"], pf["note"]
assert "llama.cpp --fit over 3 hosts" in pf["placement"], pf
PY

# 3. rpc-server: no model of its own; without --cluster no prediction, still guarded
"$og" run --json --no-history -- rpc-server -H 127.0.0.1 -p 50052 -c >"$T/r3.json" 2>"$T/e3"
rc=$?
$py - "$T/r3.json" <<'PY' && [ $rc -eq 0 ] && grep -q "rpc-server (llama.cpp)$" "$T/e3" && ok "rpc-server without --cluster: no prediction, guard on, -c not a context" || bad "rpc-server plain rc=$rc $(cat "$T/e3")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["engine"] == "llama.cpp", r
assert r["preflight"] and "--cluster-model" in r["preflight"]["note"], r["preflight"]
assert r["guard"] is not None and r["guard"]["enabled"], r["guard"]
PY

# 4. rpc-server with the cluster and the model: this host's share = fit --cluster's host 1
"$og" fit --json --cluster rtx-4060-8gb,this llama-3.3-70b >"$T/fit4.json" 2>/dev/null
"$og" run --json --no-history --cluster rtx-4060-8gb,this --cluster-model llama-3.3-70b -- \
  rpc-server -p 50052 >"$T/r4.json" 2>"$T/e4"
rc=$?
$py - "$T/fit4.json" "$T/r4.json" <<'PY' && ok "rpc-server share = fit --cluster's host 1, verdict kept" || bad "rpc-server cluster rc=$rc $(cat "$T/e4")"
import json, sys
fit, run = (json.load(open(p)) for p in sys.argv[1:])
h = [e for e in fit["cluster"] if e["engine"] == "llama.cpp-rpc"][0]["hosts"]
pf = run["preflight"]
assert pf["predicted_bytes"] == sum(h[1][k] for k in ("weights_bytes", "kv_bytes", "compute_bytes", "host_ram_bytes")), (pf, h[1])
assert "as rpc-server: %d layers" % h[1]["layers"] in pf["plan"], pf
assert pf["verdict"] == h[1]["verdict"], (pf["verdict"], h[1]["verdict"])
assert "rtx-4060-8gb (llama-server" in pf["note"], pf["note"]
PY

# 5. a --cluster that does not match the command: no prediction; --strict refuses
"$og" run --no-history --strict --cluster this,rtx-4090 -- llama-server --rpc a:1,b:2 -m "$T/m.gguf" 2>"$T/e5"
rc=$?
[ $rc -eq 1 ] && grep -q "must name every host" "$T/e5" && ok "mismatched --cluster: explained, --strict refuses" || bad "mismatch rc=$rc $(cat "$T/e5")"
"$og" run --no-history --strict --cluster this,rtx-4090 --cluster-model "$T/m.gguf" -- rpc-server 2>"$T/e6"
rc=$?
[ $rc -eq 1 ] && grep -q "not first: this host runs rpc-server" "$T/e6" && ok "rpc-server as the first host: refused" || bad "rpc first rc=$rc $(cat "$T/e6")"

echo "cli_run_cluster: $pass passed, $fails failed"
[ $fails -eq 0 ]
