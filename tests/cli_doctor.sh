#!/bin/bash
# CLI tests for oomguard explain (doctor, wired and top join once the machine
# probe lands on main). Args: oomguard binary, og-fixture binary, tests dir.
set -u
OG="$1"
DATA="$3/data/logs"
fail=0
check() { # name expected-rc command...
    local name="$1" want="$2"
    shift 2
    "$@" >/tmp/og-cli-doctor.out 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"
        cat /tmp/og-cli-doctor.out
        fail=1
    fi
}
grep_out() { # name pattern
    if ! grep -q -- "$2" /tmp/og-cli-doctor.out; then
        echo "FAIL $1: '$2' not in output"
        cat /tmp/og-cli-doctor.out
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
python3 - /tmp/og-cli-doctor.out <<'PY' || fail=1
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
python3 -c "import json,sys; d=json.load(open('/tmp/og-cli-doctor.out')); assert d['headline'] is None and d['oom'] is False" || fail=1

# every fixture: exit 0 or 1, never a crash
for f in "$DATA"/*.log; do
    "$OG" explain "$f" >/dev/null 2>&1
    rc=$?
    if [ $rc -gt 1 ]; then echo "FAIL $f: exit $rc"; fail=1; fi
done
exit $fail
