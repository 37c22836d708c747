#!/usr/bin/env python3
"""Real llama-server loads on one GPU: the buffers llama.cpp logs (2-decimal MiB) and the GPU
memory nvidia-smi reports for the process; then memory growth after load under `oomguard run`
(the host prompt cache, --cache-ram, and context checkpoints of a sliding-window model) with
repeated long requests of distinct prompts.

  bench/cuda/server_runs.py loads LLAMA_BIN_DIR MODELS_DIR OUT_DIR CASES.txt
  bench/cuda/server_runs.py growth LLAMA_BIN_DIR MODELS_DIR OUT_DIR OOMGUARD_CMD GROWTH.txt

CASES.txt: "MODEL ARGS..." (llama-server arguments without -m/--port).
GROWTH.txt: "NAME REQUESTS PROMPT_TOKENS MODEL ARGS...".
OOMGUARD_CMD: how to start oomguard (e.g. "ld.so --library-path LIBS ./oomguard")."""
import json, os, random, re, shlex, signal, subprocess, sys, time, urllib.request

mode, binp, models, outd = sys.argv[1:5]
PORT = 18080


def wait_health(proc, timeout=240):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.5)
    return False


def gpu_used_by(pid):
    r = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                       capture_output=True, text=True)
    tot = 0
    for l in r.stdout.splitlines():
        p = [x.strip() for x in l.split(",")]
        if len(p) == 2 and p[0].isdigit() and int(p[0]) == pid:
            tot += int(p[1])
    return tot


BUF = [(r"load_tensors:\s+(\S+) model buffer size =\s+([\d.]+) MiB", "model"),
       (r"llama_kv_cache:\s+(\S+) KV buffer size =\s+([\d.]+) MiB", "kv"),
       (r"llama_memory_recurrent:\s+(\S+) RS buffer size =\s+([\d.]+) MiB", "rs"),
       (r"sched_reserve:\s+(\S+) compute buffer size =\s+([\d.]+) MiB", "compute"),
       (r"llama_context:\s+(\S+)\s+output buffer size =\s+([\d.]+) MiB", "output")]


def parse_buffers(text):
    d = {}
    for pat, kind in BUF:
        for m in re.finditer(pat, text):
            key = f"{kind}:{m.group(1)}"
            if kind == "compute":
                d[key] = float(m.group(2))  # the last reservation is what stays
            else:
                d[key] = d.get(key, 0.0) + float(m.group(2))
    return d


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def loads(cases):
    with open(f"{outd}/server-loads.jsonl", "a") as fo:
        for line in cases:
            toks = shlex.split(line)
            model, args = toks[0], toks[1:]
            log = f"/tmp/srv-{model}.log"
            cmd = [f"{binp}/llama-server", "-m", f"{models}/{model}.gguf", "--port", str(PORT)] + args
            with open(log, "w") as lf:
                proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, start_new_session=True)
                ok = wait_health(proc)
                used = gpu_used_by(proc.pid) if ok else None
                stop(proc)
            text = open(log, errors="replace").read()
            rec = {"model": model, "args": " ".join(args), "loaded": ok, "nvidia_smi_used_mib": used,
                   "buffers_mib": parse_buffers(text),
                   "log": "\n".join(l for l in text.splitlines() if "MiB" in l or "error" in l.lower())[-8000:]}
            fo.write(json.dumps(rec) + "\n")
            fo.flush()
            print(model, " ".join(args), ok, used, rec["buffers_mib"], flush=True)


def post(body, timeout=600):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}/completion", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def statm_anon(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            p = f.read().split()
        return (int(p[1]) - int(p[2])) * os.sysconf("SC_PAGE_SIZE")  # resident - shared
    except Exception:
        return None


def server_pid():
    r = subprocess.run(["pgrep", "-n", "-f", f"llama-server.*--port {PORT}"], capture_output=True, text=True)
    return int(r.stdout.split()[0]) if r.stdout.strip() else None


def growth(og, cases):
    og = shlex.split(og)
    with open(f"{outd}/server-growth.jsonl", "a") as fo:
        for line in cases:
            toks = shlex.split(line)
            name, nreq, ntok, model, args = toks[0], int(toks[1]), int(toks[2]), toks[3], toks[4:]
            log = f"/tmp/growth-{name}.log"
            cmd = og + ["run", "--no-history", "--json", "--interval", "200ms", "--log", f"{outd}/growth-{name}.jsonl",
                        "--", f"{binp}/llama-server", "-m", f"{models}/{model}.gguf", "--port", str(PORT)] + args
            with open(log, "w") as lf, open(f"/tmp/growth-{name}.json", "w") as jf:
                proc = subprocess.Popen(cmd, stdout=jf, stderr=lf, start_new_session=True)
                ok = wait_health(proc)
                pid = server_pid()
                steps = [{"after": "load", "t": time.time(), "anon": statm_anon(pid), "gpu_mib": gpu_used_by(pid)}]
                rng = random.Random(name)
                for i in range(nreq if ok else 0):
                    prompt = [rng.randrange(300, 30000) for _ in range(ntok)]
                    t0 = time.time()
                    try:
                        r = post({"prompt": prompt, "n_predict": 2, "cache_prompt": True})
                        err = None
                    except Exception as e:
                        r, err = {}, str(e)
                    steps.append({"after": f"request {i + 1}", "t": time.time(), "secs": round(time.time() - t0, 2),
                                  "anon": statm_anon(pid), "gpu_mib": gpu_used_by(pid), "error": err,
                                  "tokens": r.get("tokens_evaluated")})
                    print(name, steps[-1], flush=True)
                time.sleep(1)
                stop(proc)
            text = open(log, errors="replace").read()
            try:
                summary = json.load(open(f"/tmp/growth-{name}.json"))
            except Exception:
                summary = None
            keep = [l for l in text.splitlines() if re.search(r"MiB|prompt cache|checkpoint|cache state|preflight|oomguard", l)]
            rec = {"name": name, "model": model, "args": " ".join(args), "requests": nreq, "prompt_tokens": ntok,
                   "loaded": ok, "steps": steps, "oomguard_summary": summary, "log": "\n".join(keep)[-30000:],
                   "buffers_mib": parse_buffers(text)}
            fo.write(json.dumps(rec) + "\n")
            fo.flush()


if mode == "loads":
    loads([l.split("#", 1)[0].strip() for l in open(sys.argv[5]) if l.split("#", 1)[0].strip()])
else:
    growth(sys.argv[5], [l.split("#", 1)[0].strip() for l in open(sys.argv[6]) if l.split("#", 1)[0].strip()])
