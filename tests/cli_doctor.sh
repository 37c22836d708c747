#!/bin/bash
# CLI tests for oomguard explain (doctor, wired and top join once the machine
# probe lands on main). Args: oomguard binary, og-fixture binary, tests dir.
set -u
OG="$1"
FIX="$2"
SCN="$3/data/doctor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
OUT="$tmp/out"
DATA="$3/data/logs"
fail=0
check() { # name expected-rc command...
    local name="$1" want="$2"
    shift 2
    "$@" >$OUT 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"
        cat $OUT
        fail=1
    fi
}
grep_out() { # name pattern
    if ! grep -q -- "$2" $OUT; then
        echo "FAIL $1: '$2' not in output"
        cat $OUT
        fail=1
    fi
}

check help 0 "$OG" explain --help
grep_out help "Exit codes"
check no-arg 2 "$OG" explain
check bad-flag 2 "$OG" explain --bogus "$DATA/vulkan.log"
check missing 2 "$OG" explain /nonexistent/file.log

check cuda 1 "$OG" explain "$DATA/cuda_kv.log"
grep_out cuda "KV cache"
grep_out cuda "Fix:"
check unrelated 0 "$OG" explain "$DATA/unrelated.log"
grep_out unrelated "no known out-of-memory signature"
check success 0 "$OG" explain "$DATA/success_cuda.log"
grep_out success "CUDA0"
check benign 0 "$OG" explain "$DATA/fit_benign.log"
check warning 1 "$OG" explain "$DATA/mlxlm_warning.log"
check stdin 1 bash -c "'$OG' explain - < '$DATA/mlx_cmdbuf.log'"
grep_out stdin "metal_gpu_oom"

# JSON: keys scripts rely on
check json 1 "$OG" explain --json "$DATA/rocm_compute.log"
python3 - $OUT <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["oom"] is True, d
assert d["headline"] == "rocm_alloc_failed", d["headline"]
f = d["findings"][0]
for k in ("id", "severity", "engine", "backend", "component", "pool", "requested_bytes",
          "limit_bytes", "available_bytes", "line", "count", "text", "what", "fix"):
    assert k in f, k
assert f["component"] == "compute" and f["requested_bytes"] == 14822711296, f
assert d["settings"]["model_path"].endswith("IQ4_XS.gguf")
PY
check json-none 0 "$OG" explain --json "$DATA/unrelated.log"
python3 -c "import json,sys; d=json.load(open('$OUT')); assert d['headline'] is None and d['oom'] is False" || fail=1

# every fixture: exit 0 or 1, never a crash
for f in "$DATA"/*.log; do
    "$OG" explain "$f" >/dev/null 2>&1
    rc=$?
    if [ $rc -gt 1 ]; then echo "FAIL $f: exit $rc"; fail=1; fi
done

# ---- oomguard doctor ----
# JSON: headline id and the checks' ids, statuses, in order (python asserts)
doctor_json() { # name expected-rc expected-headline "status,status,..." args...
    local name="$1" rc="$2" head="$3" st="$4"
    shift 4
    check "$name" "$rc" "$OG" doctor --json "$@"
    python3 - $OUT "$head" "$st" <<'PY' || { echo "FAIL $name"; cat $OUT; fail=1; }
import json, sys
d = json.load(open(sys.argv[1]))
ids = ["model_too_big", "other_apps", "wired_limit_low", "fp16_weights", "machine_too_small",
       "swapping", "default_wired_ceiling"]
assert [c["id"] for c in d["checks"]] == ids, d["checks"]
for c in d["checks"]:
    for k in ("id", "status", "evidence", "fix"):
        assert k in c, k
    assert c["status"] in ("ok", "warn", "fail", "unknown"), c
want = None if sys.argv[2] == "null" else sys.argv[2]
assert d["headline"] == want, (d["headline"], want)
if sys.argv[3] != "-":
    got = ",".join(c["status"] for c in d["checks"])
    assert got == sys.argv[3], (got, sys.argv[3])
PY
}
check doctor-help 0 "$OG" doctor --help
grep_out doctor-help "machine_too_small"
check doctor-bad-flag 2 "$OG" doctor --bogus
check doctor-bad-ctx 2 "$OG" doctor qwen3-32b --ctx abc --machine m2-max-64gb
check doctor-bad-machine 2 "$OG" doctor --machine no-such-machine
check doctor-two-models 2 "$OG" doctor a b
check doctor-typo 2 "$OG" doctor qwen3-32bb --machine m2-max-64gb
grep_out doctor-typo "did you mean 'qwen3-32b'"
check doctor-missing-log 2 "$OG" doctor --machine m2-max-64gb --log /nonexistent.log
check doctor-quant-on-file 2 "$OG" doctor "$SCN/procs-heavy-apps.json" --quant Q4_K_M --machine m1-16gb

# machine only: presets and scenario snapshots
doctor_json preset-ok 0 null "unknown,unknown,ok,unknown,unknown,ok,ok" --machine m2-max-64gb
doctor_json mac-swapping 1 swapping "unknown,unknown,ok,unknown,unknown,fail,ok" --machine "$SCN/mac-16gb-swapping.json"
doctor_json mac-low-wired 0 null "unknown,unknown,warn,unknown,unknown,ok,ok" --machine "$SCN/mac-64gb-low-wired.json"
doctor_json linux-cgroup 1 swapping - --machine "$SCN/linux-cgroup-8g.json"
# with a model
doctor_json low-wired-model 1 wired_limit_low "ok,unknown,fail,ok,ok,ok,ok" qwen3-32b --machine "$SCN/mac-64gb-low-wired.json"
check low-wired-fix 1 "$OG" doctor qwen3-32b --machine "$SCN/mac-64gb-low-wired.json"
grep_out low-wired-fix "sudo sysctl iogpu.wired_limit_mb="
doctor_json cgroup-model 1 model_too_big "fail,unknown,ok,ok,ok,fail,ok" llama-3.1-8b --quant Q8_0 --machine "$SCN/linux-cgroup-8g.json"
doctor_json bf16-64gb 1 model_too_big "fail,unknown,ok,fail,ok,ok,ok" qwen3-32b --quant mlx-bf16 --machine m2-max-64gb
check bf16-fix 1 "$OG" doctor qwen3-32b --quant mlx-bf16 --machine m2-max-64gb
grep_out bf16-fix "mlx-community/Qwen3-32B-4bit"
doctor_json default-ceiling 1 default_wired_ceiling "ok,unknown,ok,ok,ok,ok,fail" llama-3.3-70b --ctx 36864 --machine m2-max-64gb
check default-ceiling-fix 1 "$OG" doctor llama-3.3-70b --ctx 36864 --machine m2-max-64gb
grep_out default-ceiling-fix "wired --set"
doctor_json too-small 1 model_too_big - llama-3.3-70b --machine m1-pro-16gb
python3 -c "
import json; d=json.load(open('$OUT')); c=d['checks'][4]
assert c['status']=='fail' and 'machine like' in c['fix'], c" || { echo "FAIL too-small tier"; fail=1; }
# heavy apps from a recorded process list
# a recorded process list on a preset counts: 11.5 GiB of apps leave a 16 GB Mac too little
doctor_json heavy-apps 1 other_apps - qwen3-14b --machine m1-pro-16gb --procs "$SCN/procs-heavy-apps.json"
python3 -c "
import json; d=json.load(open('$OUT')); c=d['checks'][1]
assert c['status']=='fail' and 'docker' in c['evidence'] and 'Chrome' in c['fix'], c
assert 'kernel_task' not in c['fix'], c
assert d['fits'] is False and any(x['kind']=='other_apps' for x in d['budget']['deductions']), d" || { echo "FAIL heavy-apps"; fail=1; }
# a log joins check 1 without a model
doctor_json log-only 1 model_too_big - --machine m2-max-64gb --log "$DATA/cuda_kv.log"

# a GGUF file: an F16 8B shape on a 16 GB Mac
"$FIX" shape arch=llama n_layer=32 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 \
    n_ctx_train=8192 weight_type=f16 "$tmp/f16-8b.gguf" >/dev/null || { echo "FAIL fixture"; fail=1; }
doctor_json gguf-f16 1 model_too_big "fail,unknown,ok,fail,ok,ok,ok" "$tmp/f16-8b.gguf" --machine m1-16gb
check gguf-f16-text 1 "$OG" doctor "$tmp/f16-8b.gguf" --machine m1-16gb
grep_out gguf-f16-text "Q4_K_M"
grep_out gguf-f16-text "Headline: Model exceeds"
# the llama.cpp plan is wired: the doctor's sizes are `oomguard fit`'s (Metal on a Mac preset)
check gguf-plan 1 "$OG" doctor --json "$tmp/f16-8b.gguf" --machine m1-16gb -c 4096
cp $OUT "$tmp/doc.json"
check gguf-fit 1 "$OG" fit --json "$tmp/f16-8b.gguf" --backend metal -c 4096 --mem 8G
python3 - "$tmp/doc.json" $OUT <<'PY' || { echo "FAIL doctor plan = fit plan"; fail=1; }
import json, sys
d = json.load(open(sys.argv[1]))["plan"]; f = json.load(open(sys.argv[2]))["memory"]
assert d["estimator"] == "llama.cpp", d
assert d["total_bytes"] == f["total_bytes"] and d["weights_bytes"] == f["weights_bytes"], (d, f)
assert d["kv_bytes"] == f["kv_bytes"] and d["compute_bytes"] == f["compute_bytes"] + f["output_bytes"], (d, f)
# the largest quant that fits is a real llama-quantize type smaller than F16
assert d["fit_quant"].split()[0] in ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "Q2_K"), d
assert d["smallest_bytes"] < d["total_bytes"] / 2, d
PY
check gguf-text 1 "$OG" doctor "$tmp/f16-8b.gguf" --machine m1-16gb
if grep -q "not yet wired\|not wired" $OUT; then echo "FAIL stand-in marker still printed"; fail=1; fi
grep_out gguf-text "llama.cpp memory plan"
# llama.cpp options: q8_0 KV is 34/64 of f16 (ggml q8_0 block: 34 bytes per 32 values)
check gguf-q8kv 1 "$OG" doctor --json "$tmp/f16-8b.gguf" --machine m1-16gb --cache-type-k q8_0 --cache-type-v q8_0 --flash-attn on
python3 - "$tmp/doc.json" $OUT <<'PY' || { echo "FAIL q8_0 KV"; fail=1; }
import json, sys
a = json.load(open(sys.argv[1]))["plan"]; b = json.load(open(sys.argv[2]))["plan"]
assert b["kv_bytes"] * 64 == a["kv_bytes"] * 34, (a["kv_bytes"], b["kv_bytes"])
PY
check doctor-bad-ctk 2 "$OG" doctor "$tmp/f16-8b.gguf" --machine m1-16gb --cache-type-k q9
check doctor-bad-fa 2 "$OG" doctor "$tmp/f16-8b.gguf" --machine m1-16gb --flash-attn maybe
check doctor-ctk-no-model 2 "$OG" doctor --machine m1-16gb --cache-type-k q8_0
# quantized V without flash attention is what llama.cpp refuses: exit 2 with the reason
check doctor-qv-no-fa 2 "$OG" doctor "$tmp/f16-8b.gguf" --machine m1-16gb --cache-type-v q8_0 --flash-attn off
# the same file fits a 64 GB Mac (exit 0)
doctor_json gguf-f16-64 0 null - "$tmp/f16-8b.gguf" --machine m2-max-64gb

# live: this machine, a short swap sample
check doctor-live 0 "$OG" doctor --sample 0.2 --json
python3 -c "
import json; d=json.load(open('$OUT'))
assert d['swapout_bytes_per_s'] is not None and d['checks'][1]['status'] != 'unknown', d" || { echo "FAIL doctor-live"; cat $OUT; fail=1; }
# plain oomguard shows the machine-only checks' headline (or null when none fails)
check overview-headline 0 "$OG" --json --machine "$SCN/mac-16gb-swapping.json"
python3 - $OUT <<'PY' || { echo "FAIL overview-headline"; fail=1; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["doctor"] and d["doctor"].startswith("Swapping under pressure"), d["doctor"]
PY
check overview-no-headline 0 "$OG" --json --machine m4-max-64gb
python3 - $OUT <<'PY' || { echo "FAIL overview-no-headline"; fail=1; }
import json, sys
assert json.load(open(sys.argv[1]))["doctor"] is None
PY
exit $fail
