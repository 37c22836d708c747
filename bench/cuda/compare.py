#!/usr/bin/env python3
"""bench/cuda/compare.sh's worker: oomguard's CUDA plan vs llama.cpp's projection per component."""
import json, subprocess, sys, statistics
from concurrent.futures import ThreadPoolExecutor

og, w, grid, loads = sys.argv[1:5]
M = 2 ** 20


def plan(model, args):
    args = ["all" if a == "999" else a for a in args]
    r = subprocess.run([og, "fit", "--backend", "cuda", "--mem", "1T", *args, "--json", f"{w}/{model}.gguf"],
                       capture_output=True, text=True)
    try:
        j = json.loads(r.stdout)
    except json.JSONDecodeError:
        return None
    d = {}
    for e in j["memory"]["by_device"]:
        key = (e["component"], "gpu" if e["device"].startswith("CUDA") else "host")
        d[key] = d.get(key, 0) + e["bytes"] / M
    return d


def parse_fitprint(fp):
    ll = {}
    for part in fp.split(";"):
        p = part.split()
        if len(p) == 4 and p[1].isdigit():
            ll[p[0]] = list(map(int, p[1:]))
    return ll


rows = []
recs = [json.loads(l) for l in open(grid) if l.strip()]
recs = [r for r in recs if "CUDA0" in parse_fitprint(r.get("fitprint", ""))]
with ThreadPoolExecutor(4) as ex:
    plans = list(ex.map(lambda r: plan(r["model"], r["args"].split()), recs))
errs = {k: [] for k in ("weights", "kv", "compute", "host", "total")}
signed = {k: [] for k in errs}
for r, d in zip(recs, plans):
    if d is None:
        continue
    ll = parse_fitprint(r["fitprint"])
    o = {"weights": d.get(("weights", "gpu"), 0), "kv": d.get(("kv", "gpu"), 0) + d.get(("recurrent", "gpu"), 0),
         "compute": d.get(("compute", "gpu"), 0),
         "host": sum(v for (c, dev), v in d.items() if dev == "host" and c != "output")}
    o["total"] = sum(o.values())
    l = {"weights": ll["CUDA0"][0], "kv": ll["CUDA0"][1], "compute": ll["CUDA0"][2], "host": sum(ll["Host"])}
    l["total"] = sum(ll["CUDA0"]) + sum(ll["Host"])
    # llama.cpp prints MiB rounded down per buffer: differences under 1 MiB per printed figure are rounding
    pct = {}
    for k in l:
        diff = o[k] - l[k]
        tol = 1.0 if k != "total" else 6.0
        pct[k] = 0.0 if abs(diff) <= tol or not l[k] else diff / l[k] * 100
        errs[k].append(abs(pct[k]))
        signed[k].append(pct[k])
    rows.append((r, l, o, pct))

print("# CUDA accuracy at long context: oomguard vs llama.cpp's own projection\n")
print(f"{len(rows)} cases. Ground truth: `llama-fit-params --fit-print on` (llama.cpp 2026-09-12, the source")
print("node-llama-cpp 3.21.1 bundles, CUDA sm_90; bench/cuda/device.sh). oomguard: `bench/cuda/compare.sh`.")
print("Differences within llama.cpp's MiB rounding count as 0.\n")
print("| component | median abs % | worst under % | worst over % | cases > 3 % | cases < -2 % |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for k in errs:
    if not errs[k]:
        continue
    print(f"| {k} | {statistics.median(errs[k]):.2f} | {min(signed[k]):+.2f} | {max(signed[k]):+.2f} | "
          f"{sum(1 for x in signed[k] if abs(x) > 3)} | {sum(1 for x in signed[k] if x < -2)} |")
print("\nWorst 40 cases by total error (MiB llama.cpp / oomguard):\n")
print("| model | args | GPU weights | KV | GPU compute | host | total | total % | compute % |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r, l, o, pct in sorted(rows, key=lambda x: -abs(x[3]["total"]))[:40]:
    print(f"| {r['model']} | {r['args']} | {l['weights']} / {o['weights']:.0f} | {l['kv']} / {o['kv']:.0f} | "
          f"{l['compute']} / {o['compute']:.0f} | {l['host']} / {o['host']:.0f} | {l['total']} / {o['total']:.0f} | "
          f"{pct['total']:+.2f} | {pct['compute']:+.2f} |")
if loads:
    print("\n## Real loads (llama-server on the GPU, buffers as logged)\n")
    print("| model | args | logged CUDA0 MiB (model+KV+RS+compute) | oomguard GPU MiB | nvidia-smi MiB |")
    print("| --- | --- | ---: | ---: | ---: |")
    for line in open(loads):
        r = json.loads(line)
        b = r.get("buffers_mib", {})
        dev = sum(v for k, v in b.items() if k.endswith(":CUDA0"))
        d = plan(r["model"], r["args"].split()) or {}
        og_gpu = sum(v for (c, dv), v in d.items() if dv == "gpu")
        print(f"| {r['model']} | {r['args']} | {dev:.0f} | {og_gpu:.0f} | {r.get('nvidia_smi_used_mib')} |")
