#!/usr/bin/env python3
"""Compare og_llama_fit_params (bench_fit_params) with llama-fit-params runs.

    bench/fitparams/compare.py BUILD_DIR RESULTS.jsonl [RESULTS2.jsonl ...] > OUT.md

Each JSON line (bench/results/fit-params-h100.jsonl, recorded by the accuracy helper on one H100;
bench/results/fit-params-rpc.jsonl, recorded here on loopback rpc-servers):
  {model, args, card_mib, free_mib_before, fit_stdout, fit_trace, fitprint, [free_mib]}
The free memory llama.cpp saw is read from its own trace ("... vs. N MiB of free device memory",
per device "- DEV: T total, U used, F free") plus what it projected as used; card=N lines were
run with --fit-target (free_mib_before - N + 1024). Shapes: og-fixture `shape` lines of
bench/accuracy/cuda_compare.sh (the same shapes as bench/cuda/models.sh), full layer counts.
"""
import json, os, re, shlex, subprocess, sys, tempfile

build, files = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
fix = os.path.join(build, "tests", "og-fixture")
bench = os.path.join(build, "bench", "bench_fit_params")
work = tempfile.mkdtemp(prefix="fitparams-")

shapes = {}
for src in ("../cuda/models.sh", "../accuracy/cuda_compare.sh"):
    p = os.path.join(here, src)
    if not os.path.exists(p):
        continue
    for line in open(p):
        m = re.search(r"shape (arch=\S+ name=(\S+) .*?) \S+\.gguf", line)
        if m and m.group(2) not in shapes:
            shapes[m.group(2)] = m.group(1)

def model_path(name):
    path = os.path.join(work, name + ".gguf")
    if not os.path.exists(path):
        subprocess.run([fix, "shape", *shapes[name].split(), path], check=True,
                       stdout=subprocess.DEVNULL)
    return path

MiB = 1024 * 1024

def free_from_trace(trace, nd_hint):
    """Free MiB per device as llama.cpp saw them (its trace)."""
    per = re.findall(r"- (\S+) \([^)]*\):\s+(\d+) total,\s+(\d+) used,\s+(-?\d+) free vs\. target", trace)
    if per:  # used + free, each rounded down: at most 1 MiB low
        return [int(u) + int(f) + 1 for _, t, u, f in per]
    m = re.search(r"projected to use (\d+) MiB of device memory vs\. (\d+) MiB of free", trace)
    if m:
        return [int(m.group(2))]
    return None

def parse_line(s):
    s = (s or "").strip().splitlines()
    s = [l for l in s if l.startswith("-c ")]
    if not s:
        return None
    toks = shlex.split(s[-1])
    d = {"-c": None, "-ngl": None, "-ts": None, "-ot": None}
    i = 0
    while i < len(toks):
        if toks[i] in d and i + 1 < len(toks):
            d[toks[i]] = toks[i + 1]
            i += 2
        else:
            i += 1
    return d

def parse_fitprint(s):
    out = {}
    for part in re.split(r"[;\n]", s or ""):
        p = part.split()
        if len(p) == 4:
            out[p[0]] = list(map(int, p[1:]))
    return out

rows, stats = [], {"cases": 0, "all4": 0, "c": 0, "ngl": 0, "ts": 0, "ot": 0, "mem_n": 0, "mem_ok": 0,
                   "fail_agree": 0, "fail_n": 0}
worst = []
for f in files:
    for line in open(f):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        name = r["model"]
        if name not in shapes:
            continue
        args = shlex.split(r["args"])
        if args and args[0].startswith("card="):
            args = args[1:]
        if r.get("card_mib"):
            args = ["--fit-target", str(int(r["free_mib_before"]) - int(r["card_mib"]) + 1024)] + args
        rpc = "--rpc" in args
        if rpc:  # the servers are the devices; the bench plans them with its RPC rules
            i = args.index("--rpc")
            del args[i:i + 2]
        free = free_from_trace(r.get("fit_trace", ""), 1) or r.get("free_mib")
        if not free:
            continue
        print_only = "--fit-print" in args
        cmd = [bench, model_path(name), "--free", ",".join(map(str, free)),
               "--backend", "rpc" if rpc else "cuda", *args]
        p = subprocess.run(cmd, capture_output=True, text=True)
        ours_lines = p.stdout.splitlines()
        fit_out = r.get("fit_stdout") or ""
        if rpc:  # "RPC0[127.0.0.1:50153]" -> "RPC<index of that server>"
            eps = re.search(r"--rpc (\S+)", r["args"]).group(1).split(",")
            fit_out = re.sub(r"RPC\d+\[([^\]]*)\]", lambda m: f"RPC{eps.index(m.group(1))}", fit_out)
            r["fitprint"] = re.sub(r"RPC\d+\[([^\]]*)\]", lambda m: f"RPC{eps.index(m.group(1))}", r.get("fitprint") or "")
        theirs = parse_line(fit_out)
        ours = parse_line(p.stdout)
        ll_fp = parse_fitprint(r.get("fitprint"))
        og_fp = {l.split()[0]: list(map(int, l.split()[1:])) for l in ours_lines
                 if l.startswith(("DEV", "Host")) and len(l.split()) == 4}
        # per-device memory: llama.cpp's --fit-print of the chosen args vs ours
        mem = []
        devs = [k for k in ll_fp if k != "Host"]
        for i, k in enumerate(devs):
            o = og_fp.get(f"DEV{i}")
            if o and sum(ll_fp[k]):
                mem.append((k, sum(ll_fp[k]), sum(o), (sum(o) - sum(ll_fp[k])) / sum(ll_fp[k]) * 100))
        for k, l, o, pct in mem:
            stats["mem_n"] += 1
            stats["mem_ok"] += abs(pct) <= 3
        if print_only:
            rows.append((name, r["args"], "(--fit-print)", "", mem))
            continue
        stats["cases"] += 1
        if theirs is None or ours is None:
            stats["fail_n"] += 1
            agree = (theirs is None) == (ours is None)
            stats["fail_agree"] += agree
            for k in ("c", "ngl", "ts", "ot"):
                stats[k] += agree
            stats["all4"] += agree
            rows.append((name, r["args"], "FAILED" if theirs is None else r["fit_stdout"].strip(),
                         p.stdout.splitlines()[0] if ours_lines else p.stderr.strip(), mem))
            continue
        eq = {k: theirs["-" + k] == ours["-" + k] for k in ("c", "ngl", "ts", "ot")}
        for k, v in eq.items():
            stats[k] += v
        stats["all4"] += all(eq.values())
        if not all(eq.values()):
            worst.append((name, r["args"], theirs, ours))
        rows.append((name, r["args"], fit_out.strip().splitlines()[-1], ours_lines[0], mem))

n = max(stats["cases"], 1)
print("# llama.cpp --fit: oomguard's prediction vs llama-fit-params\n")
print("Ground truth: `llama-fit-params` of llama.cpp 2026-09-12 (the source node-llama-cpp 3.21.1")
print("bundles). oomguard: `bench/fitparams/compare.py build " + " ".join(os.path.relpath(f) for f in files) + "`")
print("(og_llama_fit_params through build/bench/bench_fit_params, with the free memory llama.cpp")
print("reported in its trace and the same arguments).\n")
print(f"- cases: {stats['cases']} ({stats['fail_n']} where llama.cpp or oomguard gave up)")
print(f"- whole line equal (-c, -ngl, -ts, -ot): {stats['all4']}/{stats['cases']} = {stats['all4'] / n * 100:.0f} %")
for k in ("c", "ngl", "ts", "ot"):
    print(f"- -{k} equal: {stats[k]}/{stats['cases']}")
if stats["mem_n"]:
    print(f"- per-device memory within 3 % (llama.cpp's --fit-print of its chosen arguments vs oomguard's plan of its own): "
          f"{stats['mem_ok']}/{stats['mem_n']}")
print("\n| model | arguments | llama-fit-params | oomguard | device MiB llama.cpp / oomguard |")
print("| --- | --- | --- | --- | --- |")
def short(s):
    s = s.replace("|", "\\|")
    return s if len(s) < 90 else s[:60] + " … " + s[-25:]
for name, a, t, o, mem in rows:
    m = ", ".join(f"{k} {l}/{og} ({pct:+.1f} %)" for k, l, og, pct in mem)
    print(f"| {name} | `{short(a)}` | `{short(t)}` | `{short(o)}` | {m} |")
