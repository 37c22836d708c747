#!/bin/bash
# Record llama.cpp's --fit across several devices on one machine: rpc-server processes on
# loopback appear to llama.cpp as devices (each reports this host's memory; smaller hosts are
# emulated with a per-device --fit-target). llama.cpp built from the source node-llama-cpp 3.21.1
# bundles (llama/gitRelease.bundle), CPU, -DGGML_RPC=ON, targets ggml-rpc-server llama-fit-params,
# out of this tree. Writes one JSON line per case (the format of fit-params-h100.jsonl).
#   bench/fitparams/record_rpc.sh LLAMA_BIN_DIR OOMGUARD_BUILD OUT.jsonl [CASES.txt]
# CASES.txt: one case a line, "SHAPE ARGS" with $R2/$R3 for the two/three servers' --rpc list
# (default: the 42 cases below).
set -eu
BIN=$1 BUILD=$2 OUT=$3 CASEFILE=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
for port in 50152 50153 50154; do
    "$BIN/ggml-rpc-server" -p $port >"$W/rpc$port.log" 2>&1 &
    PIDS+=($!)
done
sleep 1
grep -h "shape arch=" "$HERE/../accuracy/cuda_compare.sh" | sed 's/^\$FIX //; s/ \$W\/.*$//' | while read -r line; do
    name=$(sed 's/.*name=\([^ ]*\).*/\1/' <<<"$line")
    "$BUILD/tests/og-fixture" $line "$W/$name.gguf" >/dev/null
done
R2="--rpc 127.0.0.1:50152,127.0.0.1:50153"
R3="--rpc 127.0.0.1:50152,127.0.0.1:50153,127.0.0.1:50154"
default_cases() {
    cat <<CASES
llama3.1-8b $R2 -c 8192 -fitt 21000,22000
llama3.1-8b $R2 -c 8192 -fitt 22000,21000
llama3.1-8b $R2 -fitt 18000,20000
llama3.1-8b $R2 -fitt 16000,16000
llama3.1-8b $R2 -c 16384 -fitt 22500,21000
llama3.1-8b $R2 -c 32768 -fitt 19000,19000
llama3.1-8b $R3 -c 8192 -fitt 22000,22500,22000
llama3.1-8b $R3 -fitt 19000,20000,21000
llama3.1-8b $R2 -c 8192 -fitt 21000,22000 -ngl 20
llama3.1-8b $R2 -c 8192 -ts 1,3
qwen2.5-7b $R2 -fitt 20000,21000
qwen2.5-7b $R2 -c 32768 -fitt 21500,21500
qwen2.5-7b $R3 -c 16384 -fitt 22000,22000,22000
gemma3-27b $R2 -c 8192 -fitt 14000,14000
gemma3-27b $R2 -fitt 12000,13000
gemma3-27b $R3 -c 16384 -fitt 18000,17000,18000
qwen3-30b-a3b $R2 -fitt 14000,15000
qwen3-30b-a3b $R2 -c 8192 -fitt 17000,16000
qwen3-30b-a3b $R3 -c 8192 -fitt 19000,19000,19000
qwen3-30b-a3b $R2 -c 16384 -fitt 21000,14000
deepseek-v2-lite $R2 -fitt 20000,20000
deepseek-v2-lite $R2 -c 8192 -fitt 21500,21000
deepseek-v2-lite $R3 -c 16384 -fitt 21000,21000,21000
gpt-oss-20b $R2 -fitt 16000,16000
gpt-oss-20b $R2 -c 16384 -fitt 19000,20000
gpt-oss-20b $R3 -c 32768 -fitt 20000,20000,20000
phi3-mini $R2 -fitt 21500,22000
phi3-mini $R3 -fitt 22500,22500,22000
gemma3-27b $R2 -c 32768 -fitt 10000,12000
gemma3-27b $R3 -fitt 15000,15000,16000
llama3.1-8b $R2 -np 2 -fitt 17000,17000
llama3.1-8b $R2 -ub 1024 -c 8192 -fitt 21000,21500
llama3.1-8b $R2 -fitc 16384 -fitt 17000,18000
llama3.1-8b $R2 -ctk q8_0 -ctv q8_0 -fitt 16000,16000
llama3.1-8b $R2 -sm none -fitt 20000
qwen2.5-7b $R2 -c 8192 -fitt 22000,22500
qwen2.5-7b $R2 -fa off -c 8192 -fitt 20000,20000
qwen3-30b-a3b $R2 -fitt 10000,10000
qwen3-30b-a3b $R3 -fitt 16000,17000,18000
qwen3-30b-a3b $R2 -c 32768 -fitt 12000,14000
qwen3-30b-a3b $R2 -c 8192 --cpu-moe -fitt 20000,20000
llama3.1-8b $R2 -c 65536 -fitt 21000,21000 -ngl 30
CASES
}
: >"$OUT"
while read -r model args; do
    [ -z "$model" ] && continue
    case "$model" in \#*) continue ;; esac
    set +e
    fit=$("$BIN/llama-fit-params" -m "$W/$model.gguf" $args -lv 4 2>"$W/trace")
    set -e
    chosen=$(grep '^-c ' <<<"$fit" | tail -1)
    rpc=$(grep -o -- '--rpc [^ ]*' <<<"$args")
    # the settings --fit does not choose (-fa, -ctk/-ctv, -np, -ub, -sm) go into the
    # --fit-print rerun of its choice too
    keep=() skip=0
    for a in $args; do
        if [ $skip = 1 ]; then skip=0; continue; fi
        case "$a" in
        --rpc | -fitt | --fit-target | -c | -fitc | --fit-ctx | -ngl | -ts | -ot) skip=1 ;;
        --cpu-moe) ;;
        *) keep+=("$a") ;;
        esac
    done
    fp=""
    if [ -n "$chosen" ]; then
        fp=$(eval "\"$BIN/llama-fit-params\" -m \"$W/$model.gguf\" $rpc ${keep[*]:-} $chosen --fit-print on" 2>/dev/null | tr '\n' ';')
    fi
    python3 - "$model" "$args" "$fit" "$W/trace" "$fp" >>"$OUT" <<'PY'
import json, re, sys
model, args, fit, trace, fp = sys.argv[1:]
t = open(trace).read()
keep = [l for l in t.splitlines() if "common_params_fit_impl" in l or "common_fit_params" in l]
free = [int(u) + int(f) for u, f in re.findall(r"\):\s+\d+ total,\s+(\d+) used,\s+(-?\d+) free vs\. target", t)][:3]
print(json.dumps({"model": model, "args": args, "free_mib": free, "fit_stdout": fit,
                  "fit_trace": "\n".join(keep), "fitprint": fp}))
PY
done < <(if [ -n "$CASEFILE" ]; then
    grep -v '^#' "$CASEFILE" | sed "s/\$R2/$R2/; s/\$R3/$R3/"
else default_cases; fi)
echo "wrote $(wc -l <"$OUT") cases to $OUT"
