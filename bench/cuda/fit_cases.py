#!/usr/bin/env python3
"""llama.cpp's own --fit decisions (llama-fit-params) on sparse GGUFs, for issue 19's predictor.

  bench/cuda/fit_cases.py [-j JOBS] LLAMA_BIN_DIR MODELS_DIR OUT.jsonl CASES.txt [CASES.txt...]

A case is a line "MODEL ARGS..." (MODEL: a name models.sh writes; ARGS: llama-fit-params
arguments without -m). "card=MiB" as the first argument (any case) emulates a card of that size: the
script reads the GPU's free memory (nvidia-smi) just before and passes
--fit-target = free - MiB + 1024 (llama.cpp's default target of 1024 MiB kept on the emulated
card). Each case runs twice: the fit itself (`-lv 4`: the chosen -c/-ngl/-ts/-ot on stdout, the
fit's trace with each device's total/used/free and target on stderr), then `--fit-print on`
with the chosen arguments (per-device MiB: model, context, compute).
With -j > 1 cases run side by side: each llama.cpp process's CUDA context then lowers the free
memory the others see, so the record keeps the free memory llama.cpp itself reported (trace)."""
import json, shlex, subprocess, sys, threading
from concurrent.futures import ThreadPoolExecutor

argv = sys.argv[1:]
jobs = 1
if argv[0] == "-j":
    jobs, argv = int(argv[1]), argv[2:]
binp, models, out = argv[:3]
cases = []
lock = threading.Lock()
for f in argv[3:]:
    for line in open(f):
        line = line.split("#", 1)[0].strip()
        if line:
            cases.append(line)


def free_mib():
    r = subprocess.run(["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
                       capture_output=True, text=True)
    return int(r.stdout.split()[0])


def one_(line):
    toks = shlex.split(line)
    model, args = toks[0], toks[1:]
    card = None
    if args and args[0].lower().startswith("card="):
        card = int(args[0][5:])
        args = args[1:]
    free = free_mib()
    fit_args = list(args)
    if card is not None:
        fit_args = ["--fit-target", str(max(0, free - card + 1024))] + fit_args
    gguf = f"{models}/{model}.gguf"
    r = subprocess.run([f"{binp}/llama-fit-params", "-m", gguf, "-lv", "4"] + fit_args,
                       capture_output=True, text=True, timeout=300)
    trace = [l for l in r.stderr.splitlines() if "fit" in l or "MiB" in l]
    rec = {"model": model, "args": " ".join(args), "card_mib": card, "free_mib_before": free,
           "fit_args": " ".join(fit_args), "fit_rc": r.returncode, "fit_stdout": r.stdout.strip(),
           "fit_trace": "\n".join(trace)[-20000:]}
    if "--fit-print" in args:  # an estimate-only case: the first run printed the MiB already
        rec["fitprint"] = ";".join(r.stdout.strip().splitlines()) + ";"
        return record(rec)
    chosen = shlex.split(r.stdout.strip()) if r.returncode == 0 else []
    p = subprocess.run([f"{binp}/llama-fit-params", "-m", gguf, "--fit-print", "on"] + args + chosen,
                       capture_output=True, text=True, timeout=300)
    rec["fitprint"] = ";".join(p.stdout.strip().splitlines()) + ";" if p.returncode == 0 else "FAILED"
    record(rec)


def record(rec):
    with lock:
        fo.write(json.dumps(rec) + "\n")
        fo.flush()
        print(f"{rec['model']} {rec['args']} card={rec['card_mib']}: {rec['fit_stdout']} | {rec['fitprint']}", flush=True)


def one(line):
    try:
        one_(line)
    except Exception as e:  # a timeout or a crash: keep the other cases
        with lock:
            fo.write(json.dumps({"case": line, "error": str(e)}) + "\n")


with open(out, "a") as fo, ThreadPoolExecutor(jobs) as ex:
    list(ex.map(one, cases))
