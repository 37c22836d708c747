#!/usr/bin/env python3
"""Check oomguard's llama.cpp plan against public load logs (tests/data/loadlogs/*.log).

Each log starts with '# source: URL', '# model: CATALOG-NAME', '# args: oomguard fit arguments'
and holds llama.cpp's own lines copied from the public report. Checked: the KV cache per cell
(KV buffer / kv_size, or the "KV self size" line; exact, whatever the llama.cpp version's context
padding), and, reported only, the compute buffers (older llama.cpp versions size them differently
from the 2026-09-12 source oomguard follows).
  bench/accuracy/loadlogs.py OOMGUARD LOG... [--strict]    exit 1 when a KV check fails"""
import json, re, subprocess, sys

og, logs = sys.argv[1], [a for a in sys.argv[2:] if a != "--strict"]
MiB = 1024 * 1024
bad = 0
print("| log | backend | KV per cell: log / plan (bytes) | compute MiB: log / plan (GPU+host) | source |")
print("| --- | --- | ---: | ---: | --- |")
for path in logs:
    head, body = {}, []
    for line in open(path):
        m = re.match(r"# (\w+): (.*)", line)
        if m and not body:
            head[m.group(1)] = m.group(2).strip()
        else:
            body.append(line)
    text = "".join(body)
    args = head["args"].split()
    r = subprocess.run([og, "fit", head["model"], "--json", "--mem", "1T", "--cache-ram", "0", *args],
                       capture_output=True, text=True)
    j = json.loads(r.stdout)
    plan_kv = j["memory"]["kv_bytes"]
    ctx = j["settings"]["ctx"]
    # the log's cells: kv_size = N, or n_ctx from the args (older llama.cpp padded less)
    m = re.search(r"kv_size = (\d+)", text)
    cells_log = int(m.group(1)) if m else int(args[args.index("-c") + 1])
    kv_lines = [float(x) for x in re.findall(r"KV buffer size =\s+([\d.]+) MiB", text)]
    if not kv_lines:
        kv_lines = [float(x) for x in re.findall(r"KV self size\s+=\s+([\d.]+) MiB", text)]
    log_kv = sum(kv_lines) * MiB
    per_log = log_kv / cells_log
    per_plan = plan_kv / ctx
    ok = abs(per_log - per_plan) <= max(1.0, per_plan * 0.001)
    bad += not ok
    comp_log = sum(float(x) for x in re.findall(r"compute buffer size =\s+([\d.]+) MiB", text))
    comp_plan = j["memory"]["compute_bytes"] / MiB
    print(f"| {path.split('/')[-1]} | {args[args.index('--backend') + 1]} | {per_log:.0f} / {per_plan:.0f}"
          f"{'' if ok else ' MISMATCH'} | {comp_log:.1f} / {comp_plan:.1f} | {head['source'].split()[0]} |")
sys.exit(1 if bad and "--strict" in sys.argv else 0)
