#!/usr/bin/env python3
"""Check oomguard's llama.cpp plan against public load logs (tests/data/loadlogs/*.log).

  bench/accuracy/loadlogs.py OOMGUARD [--fixture OG_FIXTURE] LOG... [--strict] [--markdown]

Each log starts with '# key: value' lines, then llama.cpp's own lines copied from the public
report:
  source   the report's URL (and hardware / build where the report shows them)
  model    a catalog name, or
  fixture  og-fixture shape KEY=VALUE arguments rebuilding the model's shape from the log
           (print_info, the KV lines); the sparse GGUF is planned instead of the catalog entry
  args     oomguard fit arguments reproducing the log's settings (-c, -fa, -ub, -ngl, --backend)
  backend  cpu, cuda, metal, vulkan or rocm
  version  the llama.cpp build or date
  known_under (optional) why a covered log's total is planned more than 2 % low: reported as
           UNDER (known), not a failure; the mark must go once the plan is no longer low
  covered  yes, or no (why): whether the log's llama.cpp sizes buffers the way the modelled
           source (node-llama-cpp 3.21.1's llama.cpp, 2026-09-12) does; docs/LLAMA_CPP.md
  machine, expect (optional): a preset for the reporter's machine and the verdict oomguard must
           give there (e.g. "does not fit" where the log shows the load failing)
Compared, for what the log prints: the KV cache (exact: every cache's MiB, or per cell for
older logs), the recurrent state (exact), the GPU and host compute buffers (a failed allocation's requested size is the GPU
compute truth), the output buffer, and their total. Weights are not compared: the logs come
from files we do not have (the plan of a rebuilt shape has the same tensors but not the file's
quantization mix). --strict: exit 1 when a KV check fails, or when a covered log's total
(KV + compute + output) is planned more than 2 % below llama.cpp's."""
import json, os, re, statistics, subprocess, sys, tempfile

MiB = 1024 * 1024
argv = sys.argv[1:]
og = argv.pop(0)
fixture_bin = None
if "--fixture" in argv:
    i = argv.index("--fixture")
    fixture_bin = argv[i + 1]
    del argv[i:i + 2]
strict = "--strict" in argv
logs = [a for a in argv if not a.startswith("--")]
tmp = tempfile.mkdtemp(prefix="og-loadlogs-")


def die(msg):
    print(f"loadlogs.py: {msg}", file=sys.stderr)
    sys.exit(2)


def floats(pat, text):
    return [float(x) for x in re.findall(pat, text)]


def err(plan, log):
    return 100.0 * (plan - log) / log if log else 0.0


def plan_of(path, head):
    global model_file
    model = head.get("model")
    if "fixture" in head:
        if not fixture_bin:
            die(f"{path}: has a fixture line; pass --fixture OG_FIXTURE")
        model = os.path.join(tmp, os.path.basename(path) + ".gguf")
        r = subprocess.run([fixture_bin, "shape", *head["fixture"].split(), model],
                           capture_output=True, text=True)
        if r.returncode:
            die(f"{path}: og-fixture failed: {r.stderr.strip()}")
    if not model:
        die(f"{path}: no '# model:' or '# fixture:' line")
    model_file = model
    r = subprocess.run([og, "fit", model, "--json", "--mem", "1T", "--cache-ram", "0",
                        *head["args"].split()], capture_output=True, text=True)
    if r.returncode not in (0, 1) or not r.stdout.strip():
        die(f"{path}: oomguard fit failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


rows, bad = [], []
model_file = None
for path in logs:
    head, body = {}, []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"# (\w+): (.*)", line)
        if m and not body:
            head[m.group(1)] = m.group(2).strip()
        else:
            body.append(line)
    for k in ("source", "args", "backend", "covered"):
        if k not in head:
            die(f"{path}: no '# {k}:' line")
    text = "".join(body)
    j = plan_of(path, head)
    mem, st = j["memory"], j["settings"]
    name = os.path.basename(path)
    covered = head["covered"].startswith("yes")

    # recurrent state (hybrid and SSM models): "llama_memory_recurrent: size = X MiB", exact
    rs_lines = [l for l in text.splitlines() if "llama_memory_recurrent" in l]
    rs_log = floats(r"size = +([\d.]+) MiB \(", "\n".join(rs_lines)) or \
        [sum(floats(r"RS buffer size =\s+([\d.]+) MiB", "\n".join(rs_lines)))]
    rs_log = rs_log[0] if rs_lines else None
    rs_plan = mem.get("recurrent_bytes", 0) / MiB if rs_lines else None
    rs_ok = rs_log is None or abs(rs_log - rs_plan) <= max(0.006, rs_plan * 0.0001)
    if not rs_ok:
        bad.append(f"{name}: recurrent state {rs_log:.2f} MiB logged, {rs_plan:.2f} planned")
    kv_text = "\n".join(l for l in text.splitlines() if "llama_memory_recurrent" not in l)

    # KV: llama.cpp >= 2025-05 prints one "size = X MiB ( N cells, L layers" line per cache
    caches = re.findall(r"size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers", kv_text)
    kv_log = kv_plan = None
    kv_ok = True
    if caches:
        kv_log = kv_plan = 0.0
        swa = mem.get("kv_swa_bytes", 0) / MiB
        full = mem["kv_bytes"] / MiB - swa
        for mib, cells, _ in caches:
            cells = int(cells)
            # the SWA cache is the one that is not the full context's; older llama.cpp padded
            # the full cache less (to 32 cells without flash attention): compare per cell
            is_swa = swa and st.get("swa_cells") and cells < st["kv_cells"] and \
                (len(caches) > 1 or abs(cells - st["swa_cells"]) < abs(cells - st["kv_cells"]))
            planned = swa / st["swa_cells"] * cells if is_swa else \
                full / st["kv_cells"] * cells
            kv_log += float(mib)
            kv_plan += planned
            kv_ok &= abs(float(mib) - planned) <= max(0.006, planned * 0.0001)
    else:
        kv_lines = floats(r"KV self size\s+=\s+([\d.]+) MiB", text) or \
            floats(r"KV buffer size =\s+([\d.]+) MiB", kv_text)
        if kv_lines:
            kv_log = kv_lines[0] if "KV self size" in text else sum(kv_lines)
            m = re.search(r"kv_size = (\d+)", text) or re.search(r"n_ctx\s+=\s+(\d+)", text)
            a = head["args"].split()
            cells_log = int(m.group(1)) if m else int(a[a.index("-c") + 1]) if "-c" in a else st["ctx"]
            # per cell: older llama.cpp padded the context less than the modelled source
            kv_plan = mem["kv_bytes"] / MiB / st["ctx"] * cells_log
            kv_ok = abs(kv_plan - kv_log) <= max(0.006, kv_log * 0.0001)
    if kv_log is not None and not kv_ok:
        bad.append(f"{name}: KV {kv_log:.2f} MiB logged, {kv_plan:.2f} planned")

    # compute: GPU devices vs the host (CPU, *_Host); a failed allocation is the GPU truth
    comp = re.findall(r"(\S+) compute buffer size =\s+([\d.]+) MiB", text)
    gpu_log = sum(float(v) for d, v in comp if d != "CPU" and not d.endswith("_Host"))
    host_log = sum(float(v) for d, v in comp if d == "CPU" or d.endswith("_Host"))
    failed = re.findall(r"failed to allocate (\S+) buffer of size (\d+)", text)
    if failed and not gpu_log:
        gpu_log = int(failed[-1][1]) / MiB  # the last try (llama.cpp retries without pipeline parallelism)
        host_log = None  # the host buffer is allocated after the device's
    bd = mem["by_device"]
    gpu_plan = sum(d["bytes"] for d in bd if d["component"] == "compute" and not d["device"].startswith("CPU")) / MiB
    host_plan = sum(d["bytes"] for d in bd if d["component"] == "compute" and d["device"].startswith("CPU")) / MiB
    if st["backend"] == "cpu":
        gpu_plan, host_plan = 0.0, mem["compute_bytes"] / MiB
    out_log = sum(floats(r"output buffer size =\s+([\d.]+) MiB", text))
    out_plan = mem["output_bytes"] / MiB if out_log else 0.0

    tot_log = (kv_log or 0) + (rs_log or 0) + gpu_log + (host_log or 0) + out_log
    tot_plan = (kv_plan or 0) + (rs_plan or 0) + (gpu_plan if gpu_log else 0) + \
        (host_plan if host_log else 0) + out_plan
    tot_err = err(tot_plan, tot_log)
    under = tot_err < -2.0
    known = "known_under" in head
    if under and covered and not known:
        bad.append(f"{name}: total {tot_plan:.1f} MiB planned, {tot_log:.1f} logged ({tot_err:+.1f} %)")
    if known and not under:
        bad.append(f"{name}: marked known_under but planned {tot_err:+.1f} % (drop the mark)")
    if "expect" in head:
        r = subprocess.run([og, "fit", head.get("model") or model_file, "--json", "--cache-ram", "0",
                            "--machine", head["machine"], *head["args"].split()],
                           capture_output=True, text=True)
        got = json.loads(r.stdout)["verdict"] if r.stdout.strip() else r.stderr.strip()
        if got != head["expect"]:
            bad.append(f"{name}: on {head['machine']} the verdict is '{got}', the log shows '{head['expect']}'")
    rows.append(dict(name=name, backend=head["backend"], covered=covered, src=head["source"].split()[0],
                     kv_log=kv_log, kv_plan=kv_plan, kv_ok=kv_ok, rs_log=rs_log, rs_plan=rs_plan, rs_ok=rs_ok,
                     known=head.get("known_under", ""), gpu_log=gpu_log, gpu_plan=gpu_plan,
                     host_log=host_log, host_plan=host_plan, tot_log=tot_log, tot_plan=tot_plan,
                     tot_err=tot_err, under=under, version=head.get("version", "").split(" (")[0]))


def rs_cell(r):
    if r["rs_log"] is None:
        return "-"
    return f"{r['rs_log']:.2f} / {r['rs_plan']:.2f} {'exact' if r['rs_ok'] else 'MISMATCH'}"


def under_cell(r):
    return "UNDER (known_under)" if r["under"] and r["known"] else \
        "UNDER" if r["under"] else "no"


def cell(log, plan):
    if not log:
        return "-"
    return f"{log:.1f} / {plan:.1f} ({err(plan, log):+.1f} %)"


print("| log | backend | llama.cpp | covered | KV MiB: log / plan | GPU compute MiB: log / plan | "
      "RS MiB: log / plan | host compute MiB: log / plan | total MiB: log / plan | under > 2 % |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    kv = "-" if r["kv_log"] is None else \
        f"{r['kv_log']:.2f} / {r['kv_plan']:.2f} {'exact' if r['kv_ok'] else 'MISMATCH'}"
    print(f"| [{r['name']}]({r['src']}) | {r['backend']} | {r['version']} | "
          f"{'yes' if r['covered'] else 'no'} | {kv} | {cell(r['gpu_log'], r['gpu_plan'])} | "
          f"{rs_cell(r)} | "
          f"{cell(r['host_log'], r['host_plan'])} | {r['tot_log']:.1f} / {r['tot_plan']:.1f} "
          f"({r['tot_err']:+.1f} %) | {under_cell(r)} |")
print()
print("| backend | logs (covered) | KV exact | compute error, median / worst | total error, worst | "
      "under-estimates > 2 % (covered) |")
print("| --- | --- | --- | --- | --- | --- |")
for b in sorted({r["backend"] for r in rows}):
    rs = [r for r in rows if r["backend"] == b]
    ce = [err(r["gpu_plan"] + (r["host_plan"] if r["host_log"] else 0),
              r["gpu_log"] + (r["host_log"] or 0)) for r in rs if r["gpu_log"] or r["host_log"]]
    kv = [r for r in rs if r["kv_log"] is not None]
    worst = max(rs, key=lambda r: abs(r["tot_err"]))
    ce_s = f"{statistics.median(ce):+.1f} % / {max(ce, key=abs):+.1f} %" if ce else "-"
    print(f"| {b} | {len(rs)} ({sum(r['covered'] for r in rs)}) | "
          f"{sum(r['kv_ok'] for r in kv)}/{len(kv)} | {ce_s} | {worst['tot_err']:+.1f} % | "
          f"{sum(r['under'] for r in rs)} ({sum(r['under'] and r['covered'] for r in rs)}) |")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad and strict else 0)
