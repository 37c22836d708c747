#!/usr/bin/env bash
# oomguard fit MODEL --cluster A,B[,C] --engine mlx: MLX distributed (mlx.launch with
# mlx-lm's tensor parallel shard() and pipeline()), per rank against each Mac's budget and
# wired limit; two and three presets, and a node whose share exceeds its wired limit.
set -u
og=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1 HOME=$T/home XDG_CACHE_HOME=$T/cache
unset OOMGUARD_CATALOG
mkdir -p "$HOME"
pass=0 fails=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# 1. Two presets, tensor parallel (Llama has shard(), no pipeline()).
"$og" fit llama-3.3-70b --engine mlx --machine m4-max-128gb -c 8192 --json >"$T/one.json"
"$og" fit llama-3.3-70b --engine mlx --cluster m4-pro-48gb,m4-pro-48gb -c 8192 --json >"$T/two.json"
rc=$?
python3 - "$T/one.json" "$T/two.json" <<'PY' && [ $rc -eq 0 ] && ok "two Macs, tensor parallel: half the KV per rank, replicated embeddings, hostfile, exit 0" || bad "two presets rc=$rc"
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:])
tp, pp = two["cluster"]
assert tp["engine"] == "mlx-tensor" and tp["feasible"] and tp["verdict"] == "fits", tp
assert pp["engine"] == "mlx-pipeline" and not pp["feasible"] and pp["verdict"] is None
assert any("no pipeline()" in n for n in pp["notes"]), pp["notes"]
h = tp["hosts"]
assert [x["rank"] for x in h] == [0, 1] and all(x["layers"] == 80 for x in h)
# n_kv_heads //= 2 on every layer: each rank holds exactly half of the single-Mac cache
assert all(2 * x["kv_bytes"] == one["memory"]["kv_bytes"] for x in h), (h[0]["kv_bytes"], one["memory"]["kv_bytes"])
# the layers are halved but embeddings and lm_head are whole on each rank
w1 = one["memory"]["weights_bytes"]
assert all(x["weights_bytes"] < w1 and 2 * x["weights_bytes"] > w1 for x in h)
assert all(x["need_bytes"] == x["weights_bytes"] + x["kv_bytes"] + x["compute_bytes"] for x in h)
hf = json.loads(tp["hostfile"])
assert [x["ssh"] for x in hf["hosts"]] == ["m4-pro-48gb", "m4-pro-48gb"] and hf["backend"] == "ring"
assert tp["launch_command"].startswith("mlx.launch --hostfile hosts.json") and "mlx_lm.server" in tp["launch_command"]
assert "--pipeline" not in tp["launch_command"] and 8192 <= tp["max_ctx"]
assert "--model mlx-community/Llama-3.3-70B" in tp["launch_command"], tp["launch_command"]
PY
"$og" fit llama-3.3-70b --engine mlx --cluster m4-pro-48gb,m4-pro-48gb -c 8192 >"$T/two.txt"
grep -q "mlx.launch --hostfile hosts.json --backend ring -- mlx_lm.server" "$T/two.txt" &&
    grep -q "hosts.json: {" "$T/two.txt" && grep -q "no Mac was available" "$T/two.txt" &&
    ok "text: hostfile, launch command, source-only notice" || bad "text output: $(head -5 "$T/two.txt")"
"$og" fit llama-3.3-70b --cluster-engine mlx --cluster m4-pro-48gb,m4-pro-48gb -c 8192 --json |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["cluster"]; assert c[0]["engine"] == "mlx-tensor"' &&
    ok "--cluster-engine mlx plans MLX too" || bad "--cluster-engine mlx"

# 2. A node whose share exceeds its wired limit: the same 48 GB Mac with iogpu.wired_limit_mb
# lowered to 16384 holds plenty of RAM but may wire only 16 GiB for the GPU.
"$og" machine --machine m4-pro-48gb --save "$T/low.json" >/dev/null 2>&1
sed -i 's/"wired_limit_mb": 0/"wired_limit_mb": 16384/' "$T/low.json"
grep -q '"wired_limit_mb": 16384' "$T/low.json" || bad "snapshot edit"
"$og" machine --machine "$T/low.json" --json >"$T/lowm.json"
"$og" fit llama-3.3-70b --engine mlx --cluster m4-pro-48gb,"$T/low.json" -c 8192 --json >"$T/wired.json"
rc=$?
python3 - "$T/wired.json" "$T/lowm.json" <<'PY' && [ $rc -eq 1 ] && ok "a rank over its wired limit: that host does not fit (RAM would), exit 1" || bad "wired limit rc=$rc"
import json, sys
w, m = (json.load(open(p)) for p in sys.argv[1:])
tp = w["cluster"][0]
a, b = tp["hosts"]
assert a["verdict"] == "fits" and b["verdict"] == "does not fit" and tp["verdict"] == "does not fit"
assert b["usable_bytes"] == m["budget"]["gpu_bytes"] and b["usable_bytes"] <= 16 << 30
assert b["need_bytes"] > b["usable_bytes"] and b["need_bytes"] < m["ram_bytes"] // 2
assert any(c["check"] == "Wired limit too low" and c["status"] == "warn" for c in b["machine_checks"])
assert json.loads(tp["hostfile"])["hosts"][1]["ssh"] == "low"
PY

# 3. Three presets, pipeline (DeepSeek V3: 61 layers; 128 heads do not split 3 ways).
"$og" fit deepseek-v3 --engine mlx --machine m3-ultra-512gb -c 8192 --json >"$T/ds1.json"
"$og" fit deepseek-v3 --engine mlx --cluster m3-ultra-512gb,m3-ultra-256gb,m3-ultra-96gb -c 8192 --json >"$T/ds3.json"
rc=$?
python3 - "$T/ds1.json" "$T/ds3.json" <<'PY' && [ $rc -eq 1 ] && ok "three Macs, pipeline: 21/20/20 layers, rank 0 the last, KV sums to the whole, the 96 GB one does not fit" || bad "three presets rc=$rc"
import json, sys
one, three = (json.load(open(p)) for p in sys.argv[1:])
tp, pp = three["cluster"]
assert not tp["feasible"] and any("128 attention heads" in n for n in tp["notes"]), tp["notes"]
assert pp["feasible"] and pp["launch_command"].endswith("--pipeline")
h = pp["hosts"]
assert [x["layers"] for x in h] == [21, 20, 20] and [x["first_layer"] for x in h] == [40, 20, 0]
assert sum(x["kv_bytes"] for x in h) == one["memory"]["kv_bytes"]
# every rank keeps the embeddings and lm_head: the weights sum to more than the model's
assert sum(x["weights_bytes"] for x in h) > one["memory"]["weights_bytes"]
assert [x["verdict"] for x in h][2] == "does not fit" and h[0]["verdict"] != "does not fit"
assert any("issue 1688" in n for n in pp["notes"])
assert len(json.loads(pp["hostfile"])["hosts"]) == 3
PY

# 4. Three ranks of tensor parallelism where it splits: Llama 3.3 70B has 64 heads, 8 KV heads:
# 3 does not divide them; 4 Macs do.
"$og" fit llama-3.3-70b --engine mlx --cluster m4-pro-24gb,m4-pro-24gb,m4-pro-24gb -c 4096 --json |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["cluster"][0]; assert not c["feasible"], c' &&
    ok "tensor parallel over 3: refused (64 heads)" || bad "tp 3"
"$og" fit llama-3.3-70b --engine mlx --cluster m4-pro-24gb,m4-pro-24gb,m4-pro-24gb,m4-pro-24gb -c 4096 --json >"$T/four.json"
python3 - "$T/four.json" <<'PY' && ok "tensor parallel over 4 small Macs: each holds about a quarter" || bad "tp 4"
import json, sys
c = json.load(open(sys.argv[1]))["cluster"][0]
assert c["feasible"] and len(c["hosts"]) == 4
assert all(x["weights_bytes"] < 12 << 30 for x in c["hosts"]), [x["weights_bytes"] for x in c["hosts"]]
PY

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
