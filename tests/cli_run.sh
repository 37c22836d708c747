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

# 6. History: the runs above are recorded; JSON lists them; a damaged
#    database is a clear error, not a crash.
"$og" history --json >"$tmp/h.json"
check "history --json exits 0" '[ $? -eq 0 ]'
check "history holds the guarded run" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(r[\"guard\"]==\"max-mem\" and r[\"exit_code\"]==4 for r in d[\"runs\"])" "$tmp/h.json"'
check "history -n 1 lists one" '[ "$(jget "$tmp/h.json" "len(d[\"runs\"])")" -ge 5 ] && "$og" history --json -n 1 | python3 -c "import json,sys; assert len(json.load(sys.stdin)[\"runs\"])==1"'
"$og" history >/dev/null
check "history table exits 0" '[ $? -eq 0 ]'
head -c 4096 /dev/urandom >"$tmp/bad.db"
"$og" history --db "$tmp/bad.db" 2>"$tmp/f.err"
rc=$?
check "damaged database: exit 2 and a message" '[ $rc -eq 2 ] && grep -q "bad.db" "$tmp/f.err"'
XDG_STATE_HOME=$tmp/nohist "$og" history >"$tmp/g.out"
check "empty history says so" '[ $? -eq 0 ] && grep -q "No runs" "$tmp/g.out"'
"$og" run --help | grep -q "Exit codes"
check "run --help" '[ $? -eq 0 ]'

exit $fail
