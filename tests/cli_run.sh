#!/usr/bin/env bash
# oomguard run / history against a real child (tests/alloc_child.c).
# Args: oomguard binary, og-fixture binary, tests dir.
set -u
og=$1
alloc=$(dirname "$2")/alloc_child
tmp=$(mktemp -d /tmp/og-cli-run-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state
fail=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" != Z ]; }

# 1. --max-mem stops the tree (child + grandchild, 2 x 150 MiB/s) before the
#    limit plus one sampling step (300 MiB/s x 0.1 s = 30 MiB; +16 MiB slack
#    for the processes' own pages).
"$og" run --max-mem 200M --json --log "$tmp/a.jsonl" --report "$tmp/a.svg" -- \
  "$alloc" --rate 150 --total 600 --hold 30 --grandchild --pidfile "$tmp/a.pids" \
  >"$tmp/a.json" 2>"$tmp/a.err"
rc=$?
check "max-mem: exit code 4 (guard)" '[ $rc -eq 4 ]'
peak=$(jget "$tmp/a.json" 'd["peak_tree_bytes"]')
check "max-mem: peak $peak <= 200 MiB + one step" '[ "$peak" -le $(( (200 + 30 + 16) * 1048576 )) ]'
check "max-mem: peak passed the limit (the guard had reason to act)" '[ "$peak" -gt $((200 * 1048576)) ]'
check "max-mem: summary names the trip" '[ "$(jget "$tmp/a.json" "d[\"guard\"][\"trip\"]")" = max-mem ]'
check "max-mem: grandchild was in the tree" '[ "$(jget "$tmp/a.json" "d[\"peak_tree_procs\"]")" -eq 2 ]'
check "max-mem: stderr says what tripped and the fix" 'grep -q "guard tripped (max-mem)" "$tmp/a.err" && grep -q "fix:" "$tmp/a.err"'
nsamples=$(grep -c '"tree_bytes"' "$tmp/a.jsonl")
check "log: holds the samples ($nsamples)" '[ "$nsamples" -ge 3 ]'
check "log: every line is JSON, with guard and signal events" \
  'python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$tmp/a.jsonl" && grep -q "\"event\":\"guard\"" "$tmp/a.jsonl" && grep -q "\"signal\":\"SIGINT\"" "$tmp/a.jsonl"'
check "report: SVG with the tree path and the guard mark" \
  'python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$tmp/a.svg" && grep -q "guard: max-mem" "$tmp/a.svg" && grep -q "max-mem" "$tmp/a.svg"'
sleep 0.2
gone=1
while read -r p; do alive "$p" && gone=0; done <"$tmp/a.pids"
check "max-mem: child and grandchild are gone" '[ $gone -eq 1 ] && [ "$(wc -l <"$tmp/a.pids")" -eq 2 ]'

# 2. A child that ignores SIGINT gets SIGTERM after the grace period; a
#    process outside the tree is never signalled.
sleep 30 &
outsider=$!
"$og" run --max-mem 50M --grace 0.5 --log "$tmp/b.jsonl" -- \
  "$alloc" --rate 200 --total 200 --hold 30 --ignore-int 2>"$tmp/b.err"
rc=$?
check "escalation: exit code 4" '[ $rc -eq 4 ]'
check "escalation: SIGTERM followed SIGINT" 'grep -q "\"signal\":\"SIGTERM\"" "$tmp/b.jsonl"'
check "only the tree: an outside process survives" 'alive $outsider'
kill $outsider 2>/dev/null; wait $outsider 2>/dev/null

# 3. A normally exiting child passes its exit code through; stdout is the child's.
out=$("$og" run --quiet -- "$alloc" --total 8 --rate 0 --exit 7 2>"$tmp/c.err")
rc=$?
check "exit code passes through (7)" '[ $rc -eq 7 ]'
check "stdout holds only the child's output" '[ "$out" = "alloc_child: done" ]'
"$og" run -- true 2>/dev/null
check "exit 0 passes through" '[ $? -eq 0 ]'

# 4. Death by signal: 128 + N; not found: 127; usage: 2.
"$og" run -- sh -c 'kill -TERM $$' 2>/dev/null
check "killed by SIGTERM: 143" '[ $? -eq 143 ]'
"$og" run -- /nonexistent/program 2>"$tmp/d.err"
check "command not found: 127 and a message" '[ $? -eq 127 ] && grep -q "cannot run" "$tmp/d.err"'
"$og" run 2>/dev/null
check "no command: 2" '[ $? -eq 2 ]'
"$og" run --max-mem lots -- true 2>"$tmp/e.err"
check "bad --max-mem: 2 with a message" '[ $? -eq 2 ] && grep -q "max-mem" "$tmp/e.err"'
"$og" run --interval 1ms -- true 2>/dev/null
check "too short --interval: 2" '[ $? -eq 2 ]'
"$og" run --strict -- true 2>/dev/null
check "--strict on an unknown command refuses: 1" '[ $? -eq 1 ]'
"$og" run --strict --force -- true 2>/dev/null
check "--force overrides --strict" '[ $? -eq 0 ]'

# 5. A signal sent to oomguard alone reaches the child.
"$og" run -- sleep 30 2>/dev/null &
ogpid=$!
sleep 0.5
kill -TERM $ogpid
wait $ogpid
check "SIGTERM to oomguard is forwarded (143)" '[ $? -eq 143 ]'

# 5b. Preflight: a fake llama-server (first in PATH) that records it ran and
#     allocates memory; the fixture GGUF is planned with llama-server's defaults.
fix=$2
"$fix" shape arch=llama n_layer=4 n_embd=512 n_head=8 n_head_kv=4 n_ff=1024 n_vocab=32000 \
  n_ctx_train=8192 weight_type=f16 "$tmp/tiny.gguf" >/dev/null || bad "fixture GGUF"
mkdir -p "$tmp/bin"
cat >"$tmp/bin/llama-server" <<EOS
#!/bin/sh
echo ran >>"$tmp/ran"
exec "$alloc" --total 16 --rate 0 --exit 0 >&2
EOS
chmod +x "$tmp/bin/llama-server"
PATH="$tmp/bin:$PATH" "$og" run --json -- llama-server -m "$tmp/tiny.gguf" -c 4096 >"$tmp/p.json" 2>"$tmp/p.err"
rc=$?
check "preflight: fitting run exits 0 and the engine ran" '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/ran")" -eq 1 ]'
check "preflight: line with predicted peak, budget and verdict" 'grep -q "preflight: predicted peak .* vs budget .*: fits" "$tmp/p.err"'
pred=$(jget "$tmp/p.json" 'd["predicted_peak_bytes"]')
# the same plan as `oomguard fit` with llama-server's auto slots (-np 4 -kvu)
"$og" fit --json "$tmp/tiny.gguf" -c 4096 -np 4 -kvu >"$tmp/fit.json" 2>/dev/null
fitpred=$(jget "$tmp/fit.json" 'd["memory"]["grown_total_bytes"]') # at load + llama-server's growth
check "preflight: predicted_peak_bytes ($pred) = fit -np 4 -kvu total ($fitpred)" '[ "$pred" != None ] && [ "$pred" -gt 0 ] && [ "$pred" = "$fitpred" ]'
check "preflight: JSON preflight object" '[ "$(jget "$tmp/p.json" "d[\"preflight\"][\"verdict\"]")" = fits ]'
check "report: predicted vs measured peak" 'grep -q "predicted peak .*, measured .*%" "$tmp/p.err"'
# explicit -np 1 plans one 4096 stream; a larger -c plans more
PATH="$tmp/bin:$PATH" "$og" run --json -- llama-server -m "$tmp/tiny.gguf" -c 8192 -ctk q8_0 -ctv q8_0 -fa on >"$tmp/p2.json" 2>/dev/null
"$og" fit --json "$tmp/tiny.gguf" -c 8192 -np 4 -kvu -ctk q8_0 -ctv q8_0 -fa on >"$tmp/fit2.json" 2>/dev/null
check "preflight: -c/-ctk/-ctv/-fa reach the plan" '[ "$(jget "$tmp/p2.json" "d[\"predicted_peak_bytes\"]")" = "$(jget "$tmp/fit2.json" "d[\"memory\"][\"grown_total_bytes\"]")" ]'
# --cache-ram reaches the plan: 0 = no prompt cache, the peak is the load
PATH="$tmp/bin:$PATH" "$og" run --json -- llama-server -m "$tmp/tiny.gguf" -c 4096 --cache-ram 0 >"$tmp/p3.json" 2>/dev/null
"$og" fit --json "$tmp/tiny.gguf" -c 4096 -np 4 -kvu >"$tmp/fit3.json" 2>/dev/null
check "preflight: --cache-ram 0 reaches the plan" '[ "$(jget "$tmp/p3.json" "d[\"predicted_peak_bytes\"]")" = "$(jget "$tmp/fit3.json" "d[\"memory\"][\"total_bytes\"]")" ]'
# does not fit a 1 MiB budget: --strict refuses before starting, --force runs, plain warns
: >"$tmp/ran"
PATH="$tmp/bin:$PATH" "$og" run --strict --mem 1M -- llama-server -m "$tmp/tiny.gguf" -c 4096 2>"$tmp/s.err"
rc=$?
check "preflight --strict: does not fit -> exit 1, engine never started" '[ $rc -eq 1 ] && [ ! -s "$tmp/ran" ] && grep -q "does not fit" "$tmp/s.err" && grep -q "refusing" "$tmp/s.err"'
PATH="$tmp/bin:$PATH" "$og" run --strict --force --mem 1M -- llama-server -m "$tmp/tiny.gguf" -c 4096 2>"$tmp/s2.err"
rc=$?
check "preflight --strict --force: runs (exit 0) with a warning" '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/ran")" -eq 1 ] && grep -q "warning:.*does not fit" "$tmp/s2.err"'
PATH="$tmp/bin:$PATH" "$og" run --mem 1M -- llama-server -m "$tmp/tiny.gguf" -c 4096 2>"$tmp/s3.err"
check "preflight without --strict: warns and runs" '[ $? -eq 0 ] && [ "$(wc -l <"$tmp/ran")" -eq 2 ] && grep -q "warning:" "$tmp/s3.err"'
# a model file that cannot be opened: no prediction, said so; --strict refuses
PATH="$tmp/bin:$PATH" "$og" run --strict -- llama-server -m "$tmp/missing.gguf" 2>"$tmp/s4.err"
check "preflight: unreadable model -> no prediction, --strict refuses" '[ $? -eq 1 ] && grep -q "no prediction" "$tmp/s4.err"'
# ollama run: a catalog model, planned as Ollama runs it; the model lives in the
# server, so the prediction is shown but not compared with the client's peak
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/ollama"; chmod +x "$tmp/bin/ollama"
PATH="$tmp/bin:$PATH" "$og" run --json --no-history -- ollama run llama3.1:8b >"$tmp/o.json" 2>"$tmp/o.err"
check "preflight ollama: planned from the catalog, outside the tree" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=d[\"preflight\"]; assert p[\"outside_tree\"] and p[\"predicted_bytes\"]>4e9 and d[\"predicted_peak_bytes\"] is None, d" "$tmp/o.json"'
# OLLAMA_* in the command's own environment (env VAR=VALUE ollama run) are what the server sees
PATH="$tmp/bin:$PATH" "$og" run --json --no-history -- env OLLAMA_CONTEXT_LENGTH=16384 OLLAMA_NUM_PARALLEL=2 ollama run llama3.1:8b >"$tmp/o2.json" 2>"$tmp/o2.err"
check "preflight ollama: env OLLAMA_CONTEXT_LENGTH / OLLAMA_NUM_PARALLEL of the command are honoured" \
  'python3 -c "import json,sys; p=json.load(open(sys.argv[1]))[\"preflight\"]; assert \"context 32768\" in p[\"plan\"], p" "$tmp/o2.json"'
# mlx_lm.generate with a repo id: the catalog's MLX build, against --mem
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/mlx_lm.generate"; chmod +x "$tmp/bin/mlx_lm.generate"
PATH="$tmp/bin:$PATH" "$og" run --strict --mem 8G --no-history -- mlx_lm.generate --model mlx-community/Qwen3-32B-4bit 2>"$tmp/m.err"
check "preflight mlx: a 32B 4-bit model does not fit 8 GiB, --strict refuses" '[ $? -eq 1 ] && grep -q "mlx-lm plan" "$tmp/m.err"'
"$og" run --mem lots -- true 2>/dev/null
check "bad --mem: 2" '[ $? -eq 2 ]'

# 6. History: the runs above are recorded; JSON lists them; a damaged
#    database is a clear error, not a crash.
"$og" history --json >"$tmp/h.json"
check "history --json exits 0" '[ $? -eq 0 ]'
check "history holds the guarded run" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(r[\"guard\"]==\"max-mem\" and r[\"exit_code\"]==4 for r in d[\"runs\"])" "$tmp/h.json"'
check "history -n 1 lists one" '[ "$(jget "$tmp/h.json" "len(d[\"runs\"])")" -ge 5 ] && "$og" history --json -n 1 | python3 -c "import json,sys; assert len(json.load(sys.stdin)[\"runs\"])==1"'
"$og" history >/dev/null
check "history table exits 0" '[ $? -eq 0 ]'
check "history: the preflighted run has predicted and measured peaks" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(r[\"predicted_peak_bytes\"]==int(sys.argv[2]) and r[\"peak_bytes\"]>0 and r[\"engine\"]==\"llama.cpp\" for r in d[\"runs\"])" "$tmp/h.json" "$pred"'
check "history: prediction accuracy is reported" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); a=d[\"prediction_accuracy\"]; assert a and json.dumps(a).count(\"mean_error_pct\")>0, a" "$tmp/h.json"'
head -c 4096 /dev/urandom >"$tmp/bad.db"
"$og" history --db "$tmp/bad.db" 2>"$tmp/f.err"
rc=$?
check "damaged database: exit 2 and a message" '[ $rc -eq 2 ] && grep -q "bad.db" "$tmp/f.err"'
XDG_STATE_HOME=$tmp/nohist "$og" history >"$tmp/g.out"
check "empty history says so" '[ $? -eq 0 ] && grep -q "No runs" "$tmp/g.out"'
"$og" run --help | grep -q "Exit codes"
check "run --help" '[ $? -eq 0 ]'
: >"$tmp/empty.db"
"$og" history --db "$tmp/empty.db" >/dev/null 2>&1
check "history on an empty database reads, writes nothing" '[ $? -eq 0 ] && [ ! -s "$tmp/empty.db" ]'

exit $fail
