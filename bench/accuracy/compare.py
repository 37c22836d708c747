#!/usr/bin/env python3
"""Compare llama.cpp's logged buffers (measure.mjs output) with
`oomguard fit --backend cpu --json` and node-llama-cpp's estimator.

    compare.py OOMGUARD RESULTS.jsonl [--markdown OUT.md] [--check]

--check exits 1 when a target is missed (weights/KV exact to the logged
0.01 MiB, compute within 5 %, total within 3 %)."""
import json, subprocess, sys, statistics

MIB = 1 << 20
oomguard, results = sys.argv[1], sys.argv[2]
md = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
check = "--check" in sys.argv

def fit(r):
    run = r["run"]
    # node-llama-cpp may adjust the batch (513 for SWA models): use what llama.cpp logged.
    b = str(r.get("n_batch") or run.get("batch", 512))
    ub = str(r.get("n_ubatch") or b)
    # node-llama-cpp's contextSize is per sequence: pass the n_ctx llama.cpp logged.
    args = [oomguard, "fit", r["model"], "--backend", "cpu", "--json", "-c", str(r.get("n_ctx") or run["ctx"]),
            "-b", b, "-ub", ub, "-np", str(run.get("seqs", 1)),
            "-fa", "on" if run.get("fa") else "off",
            "-ctk", run.get("ctk", "F16").lower(), "-ctv", run.get("ctv", "F16").lower()]
    if run.get("swa_full"):
        args.append("--swa-full")
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"oomguard failed: {' '.join(args)}\n{out.stderr}")
    return json.loads(out.stdout)

def pct(est, real):
    return 100.0 * (est - real) / real if real else (0.0 if est == 0 else float("inf"))

rows, fails = [], []
for line in open(results):
    r = json.loads(line)
    if "error" in r:
        print("skip (llama.cpp failed):", r["model"], r.get("run"), r["error"], file=sys.stderr)
        continue
    j = fit(r)["memory"]
    real = {"weights": sum(r["weights"].values()), "kv": sum(r["kv"].values()),
            "recurrent": sum(r["rs"].values()), "compute": sum(r["compute"].values()),
            "output": sum(r["output"].values())}
    real["total"] = sum(real.values())
    est = {"weights": j["weights_bytes"], "kv": j["kv_bytes"], "recurrent": j["recurrent_bytes"],
           "compute": j["compute_bytes"], "output": j["output_bytes"], "total": j["total_bytes"]}
    nlc = r.get("nlc", {})
    nlc_total = (nlc.get("context_cpu", 0) + nlc.get("model_cpu", 0)) if "context_cpu" in nlc else None
    run = r["run"]
    name = r["model"].split("/")[-1].replace(".gguf", "")
    case = f"{name} c={run['ctx']} b={run.get('batch',512)} fa={'on' if run.get('fa') else 'off'} kv={run.get('ctk','F16').lower()}/{run.get('ctv','F16').lower()}" + (f" np={run['seqs']}" if run.get("seqs", 1) > 1 else "")
    row = {"case": case, "real": real, "est": est, "nlc_total": nlc_total}
    rows.append(row)
    # Logged sizes are rounded to 0.01 MiB per buffer.
    tol = 0.011 * MIB * max(1, len(r["weights"]))
    if abs(est["weights"] - real["weights"]) > tol: fails.append(f"{case}: weights")
    if abs(est["kv"] - real["kv"]) > 0.011 * MIB * 2: fails.append(f"{case}: kv")
    if abs(est["recurrent"] - real["recurrent"]) > 0.011 * MIB: fails.append(f"{case}: recurrent")
    if abs(pct(est["compute"], real["compute"])) > 5: fails.append(f"{case}: compute {pct(est['compute'], real['compute']):+.1f}%")
    if abs(pct(est["total"], real["total"])) > 3: fails.append(f"{case}: total {pct(est['total'], real['total']):+.1f}%")

def fmt(b): return f"{b / MIB:.2f}"
lines = ["| case | component | llama.cpp (MiB) | oomguard (MiB) | error (MiB) | error % |",
         "| --- | --- | ---: | ---: | ---: | ---: |"]
tot_err, nlc_err = [], []
for row in rows:
    for c in ("weights", "kv", "recurrent", "compute", "output", "total"):
        real, est = row["real"][c], row["est"][c]
        if real == 0 and est == 0: continue
        lines.append(f"| {row['case']} | {c} | {fmt(real)} | {fmt(est)} | {fmt(est - real)} | {pct(est, real):+.2f} |")
    tot_err.append(abs(pct(row["est"]["total"], row["real"]["total"])))
    if row["nlc_total"] is not None:
        nlc_err.append(abs(pct(row["nlc_total"], row["real"]["total"])))
comp = [abs(pct(r["est"]["compute"], r["real"]["compute"])) for r in rows]
summary = [f"cases: {len(rows)}",
           f"total |error| %: median {statistics.median(tot_err):.2f}, worst {max(tot_err):.2f}" if tot_err else "",
           f"compute |error| %: median {statistics.median(comp):.2f}, worst {max(comp):.2f}" if comp else "",
           f"node-llama-cpp estimator total |error| %: median {statistics.median(nlc_err):.2f}, worst {max(nlc_err):.2f}" if nlc_err else "",
           f"target misses: {len(fails)}"] + [f"  - {f}" for f in fails]
nlc_lines = ["| case | llama.cpp total (MiB) | oomguard (MiB) | oomguard % | node-llama-cpp (MiB) | node-llama-cpp % |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
for row in rows:
    n = row["nlc_total"]
    nlc_lines.append(f"| {row['case']} | {fmt(row['real']['total'])} | {fmt(row['est']['total'])} | {pct(row['est']['total'], row['real']['total']):+.2f} | "
                     + (f"{fmt(n)} | {pct(n, row['real']['total']):+.2f} |" if n is not None else "- | - |"))
print("\n".join(s for s in summary if s))
if md:
    with open(md, "w") as f:
        f.write("\n".join(s for s in summary if s) + "\n\n### Totals vs node-llama-cpp's estimator\n\n" + "\n".join(nlc_lines)
                + "\n\n### Per component\n\n" + "\n".join(lines) + "\n")
sys.exit(1 if (check and fails) else 0)
