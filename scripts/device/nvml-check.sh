#!/usr/bin/env bash
# Verify oomguard's NVML reader on a real NVIDIA GPU (issue 5).
#
# Run from the repository root on a machine with an NVIDIA GPU and driver:
#   bash scripts/device/nvml-check.sh [HOLD_MIB]
# It builds oomguard with what is installed (no network needed; it says what
# is missing), starts a process that holds HOLD_MIB (default 4096) of GPU
# memory (python3 + torch if present, else a tiny CUDA program built with
# nvcc), then prints `oomguard machine` and `--json` next to nvidia-smi's view,
# and checks: GPU total/used agree with nvidia-smi, and the holder's pid shows
# up with about HOLD_MIB. Exit 0 when all checks pass, 1 when one fails,
# 2 when something needed is missing. Output goes to stdout and $OUT (if set).
set -u
hold_mib=${1:-4096}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$(mktemp -d)}
log() { printf '== %s\n' "$*"; }
missing=()
for t in cmake gcc pkg-config; do command -v $t >/dev/null 2>&1 || missing+=("$t"); done
pkg-config --exists jansson 2>/dev/null || missing+=("libjansson-dev")
if [ ${#missing[@]} -gt 0 ]; then
  log "missing: ${missing[*]}; trying apt-get (may fail without network)"
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y --no-install-recommends cmake gcc make pkg-config libjansson-dev \
      >"$out/apt.log" 2>&1 || log "apt-get failed (see $out/apt.log)"
  fi
fi
for t in cmake gcc pkg-config; do
  command -v $t >/dev/null 2>&1 || { log "cannot build: $t is not installed"; exit 2; }
done
pkg-config --exists jansson || { log "cannot build: jansson (libjansson-dev) is not installed"; exit 2; }

log "build (tests off: Check may be absent)"
gen=(); command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
cmake -S "$root" -B "$root/build-nvml" "${gen[@]}" -DOG_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; exit 2; }
cmake --build "$root/build-nvml" -j "$(nproc)" --target oomguard >"$out/build.log" 2>&1 \
  || { tail -40 "$out/build.log"; exit 2; }
og="$root/build-nvml/oomguard"

log "driver"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,memory.used,memory.free,driver_version --format=csv | tee "$out/smi-before.csv"
ls -l /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 /usr/lib64/libnvidia-ml.so.1 2>/dev/null

log "start a process holding ${hold_mib} MiB"
holder_pid=""
if command -v python3 >/dev/null && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  python3 - "$hold_mib" <<'PY' &
import sys, time, torch
n = int(sys.argv[1]) << 20
x = torch.empty(n, dtype=torch.uint8, device="cuda"); x.fill_(1); torch.cuda.synchronize()
print("holder: torch holds", n, "bytes", flush=True)
time.sleep(120)
PY
  holder_pid=$!
elif command -v nvcc >/dev/null; then
  cat >"$out/hold.cu" <<'CU'
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <cuda_runtime.h>
int main(int argc, char **argv) {
  size_t n = (size_t)atoll(argv[1]) << 20; void *p = nullptr;
  cudaError_t e = cudaMalloc(&p, n);
  if (e != cudaSuccess) { fprintf(stderr, "cudaMalloc: %s\n", cudaGetErrorString(e)); return 1; }
  cudaMemset(p, 1, n); cudaDeviceSynchronize();
  printf("holder: cudaMalloc holds %zu bytes\n", n); fflush(stdout); sleep(120); return 0;
}
CU
  nvcc -o "$out/hold" "$out/hold.cu" >"$out/nvcc.log" 2>&1 || { cat "$out/nvcc.log"; exit 2; }
  "$out/hold" "$hold_mib" & holder_pid=$!
else
  log "no torch with CUDA and no nvcc: cannot start a GPU memory holder (checking totals only)"
fi
[ -n "$holder_pid" ] && sleep 15   # CUDA context + allocation

log "oomguard machine"
"$og" machine | tee "$out/machine.txt"
"$og" machine --json >"$out/machine.json"; echo "rc=$?"
command -v nvidia-smi >/dev/null && {
  nvidia-smi --query-gpu=memory.total,memory.used,memory.free --format=csv,noheader,nounits | tee "$out/smi.csv"
  nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits | tee "$out/smi-apps.csv"
}

log "checks"
python3 - "$out/machine.json" "$out/smi.csv" "$out/smi-apps.csv" "${holder_pid:-0}" "$hold_mib" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); holder = int(sys.argv[4]); hold = int(sys.argv[5]) << 20
ok = True
def check(c, msg):
    global ok
    print(("PASS " if c else "FAIL ") + msg); ok &= bool(c)
src = {s["name"]: s for s in j["sources"]}
check(src.get("nvml", {}).get("ok"), "nvml source ok: %s" % src.get("nvml"))
gpus = [g for g in j["gpus"] if g["vendor"] == "nvidia"]
check(len(gpus) >= 1, "%d NVIDIA GPU(s) found" % len(gpus))
try:
    smi = [list(map(int, l.split(","))) for l in open(sys.argv[2]) if l.strip()]
except OSError:
    smi = []
for g, s in zip(gpus, smi):
    tot, used = s[0] << 20, s[1] << 20
    check(abs(g["total_bytes"] - tot) <= 1 << 20, "%s total %d vs nvidia-smi %d" % (g["name"], g["total_bytes"], tot))
    # nvidia-smi 'used' excludes reserved; oomguard counts total - free
    check(g["used_bytes"] + (1 << 20) >= used and g["used_bytes"] - used < 2 << 30,
          "used %d vs nvidia-smi %d (+ reserved)" % (g["used_bytes"], used))
if holder:
    procs = [p for g in gpus for p in (g["processes"] or []) if p["pid"] == holder]
    check(procs, "holder pid %d listed" % holder)
    if procs:
        b = procs[0]["bytes"]
        check(hold <= b <= hold + (1 << 30), "holder bytes %d for %d requested (+ CUDA context)" % (b, hold))
b = j["budget"]
check(b["has_gpu"] and b["gpu_bytes"] > 0, "budget gpu_bytes %d" % b["gpu_bytes"])
sys.exit(0 if ok else 1)
PY
rc=$?
[ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
log "files in $out"; exit $rc
