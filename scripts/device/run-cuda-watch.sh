#!/usr/bin/env bash
# Verify that `oomguard run` sees a CUDA process's GPU memory (issue 7).
#
# On a machine with an NVIDIA GPU and driver, from the repository root:
#   OOMGUARD=/path/to/oomguard bash scripts/device/run-cuda-watch.sh [HOLD_MIB]
# OOMGUARD defaults to build/oomguard (or a bundle's wrapper from
# scripts/device/make-bundle.sh). The child allocates HOLD_MIB (default 4096)
# on the GPU with PyTorch (python3 -c ...), holds it 4 s, frees it, waits 2 s;
# without torch, a tiny CUDA program built with nvcc does the same. The run is
# watched at 10 Hz with the GPU read every 0.5 s, and the script prints:
# the samples' tree GPU bytes over time, the peak, nvidia-smi's view while
# holding, and checks that the peak is within 15 % (+ the CUDA context,
# ~0.5 GiB) of HOLD_MIB and that the GPU bytes fall back after the free.
# Exit 0 when the checks pass, 1 when one fails, 2 when something is missing.
# Everything is also written to $OUT (if set): run.jsonl, run.svg, summary.json.
set -u
hold_mib=${1:-4096}
root=$(cd "$(dirname "$0")/../.." && pwd)
og=${OOMGUARD:-$root/build/oomguard}
out=${OUT:-$(mktemp -d)}
log() { printf '== %s\n' "$*"; }
[ -x "$og" ] || { log "no oomguard at $og (build it, or set OOMGUARD)"; exit 2; }
command -v nvidia-smi >/dev/null 2>&1 || { log "nvidia-smi not found: no NVIDIA driver"; exit 2; }
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv

child=()
if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  log "child: python3 + torch $(python3 -c 'import torch; print(torch.__version__)')"
  child=(python3 -c "
import time, torch
n = $hold_mib * 1024 * 1024
x = torch.empty(n, dtype=torch.uint8, device='cuda'); x.fill_(1); torch.cuda.synchronize()
print('child: holding', torch.cuda.memory_allocated() >> 20, 'MiB', flush=True)
time.sleep(4)
del x; torch.cuda.empty_cache(); torch.cuda.synchronize()
print('child: freed', flush=True)
time.sleep(2)
")
elif command -v nvcc >/dev/null 2>&1; then
  log "child: torch not usable; building a CUDA program with nvcc"
  cat >"$out/hold.cu" <<'CU'
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <cuda_runtime.h>
int main(int argc, char **argv) {
  size_t n = (size_t)atol(argv[1]) << 20; void *p = nullptr;
  if (cudaMalloc(&p, n) != cudaSuccess) { fprintf(stderr, "cudaMalloc failed\n"); return 1; }
  cudaMemset(p, 1, n); cudaDeviceSynchronize();
  printf("child: holding %zu MiB\n", n >> 20); fflush(stdout); sleep(4);
  cudaFree(p); cudaDeviceSynchronize(); printf("child: freed\n"); fflush(stdout); sleep(2);
  return 0;
}
CU
  nvcc -O2 -o "$out/hold" "$out/hold.cu" || { log "nvcc failed"; exit 2; }
  child=("$out/hold" "$hold_mib")
else
  log "neither torch with CUDA nor nvcc is available"; exit 2
fi

( sleep 3; log "nvidia-smi while holding:"; nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv ) &
smi=$!
"$og" run --interval 100ms --gpu-interval 0.5s --no-history --json --log "$out/run.jsonl" \
  --report "$out/run.svg" -- "${child[@]}" >"$out/stdout.txt"
rc=$?
wait $smi 2>/dev/null
cat "$out/stdout.txt"
log "oomguard run exit code: $rc"

python3 - "$out/run.jsonl" "$hold_mib" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
hold = int(sys.argv[2]) << 20
samples = [r for r in rows if "tree_bytes" in r]
print(f"samples: {len(samples)}; with GPU readings: {sum('tree_gpu_bytes' in r for r in samples)}")
print(f"{'t (s)':>7} {'tree GPU':>12} {'tree host':>12} {'GPU used':>12} {'GPU total':>12}")
last = None
for r in samples:
    g = r.get("tree_gpu_bytes")
    if g != last or r is samples[-1]:
        print(f"{r['t']:7.2f} {(g or 0)/2**20:10.0f}Mi {r['tree_bytes']/2**20:10.0f}Mi "
              f"{r.get('gpu_used_bytes',0)/2**20:10.0f}Mi {r.get('gpu_total_bytes',0)/2**20:10.0f}Mi")
        last = g
peak = max((r.get("tree_gpu_bytes") or 0) for r in samples) if samples else 0
end = (samples[-1].get("tree_gpu_bytes") or 0) if samples else 0
print(f"peak tree GPU bytes: {peak/2**20:.0f} MiB (held {hold>>20} MiB); at the end: {end/2**20:.0f} MiB")
ok = hold * 0.85 <= peak <= hold * 1.15 + (768 << 20)
ok_free = end < peak - hold * 0.8
print("check peak within 15 % (+ CUDA context):", "PASS" if ok else "FAIL")
print("check GPU bytes fell after the free:", "PASS" if ok_free else "FAIL")
sys.exit(0 if ok and ok_free else 1)
PY
check=$?
[ -n "${OUT:-}" ] && log "files in $out"
exit $check
