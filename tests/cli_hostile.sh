#!/usr/bin/env bash
# Hostile files and faults (issue 18): each check reproduces one reported bug.
# Args: oomguard binary, og-fixture binary, tests dir.
set -u
og=$1
fixture=$2
tmp=$(mktemp -d /tmp/og-cli-hostile-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state
fail=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
# valgrind sees reads of uninitialised memory that ASan does not
vg=()
if command -v valgrind >/dev/null 2>&1 && [ -z "${OG_SKIP_SLOW:-}" ]; then
  vg=(valgrind -q --error-exitcode=99 --leak-check=no)
fi

# item 1: explain on a one-line log whose rule has no number after it
printf 'x is larger than buffer maximum of\n' >"$tmp/a.log"
"$og" explain "$tmp/a.log" >"$tmp/a.out" 2>&1
rc=$?
check "explain: one-line log does not crash (exit $rc)" '[ $rc -eq 0 ] || [ $rc -eq 1 ]'
check "explain: the line is recognised" 'grep -qi metal "$tmp/a.out"'
"$og" doctor --log "$tmp/a.log" --machine m4-max-64gb qwen3-8b >/dev/null 2>&1
rc=$?
check "doctor --log: same log does not crash (exit $rc)" '[ $rc -lt 128 ]'

# item 2: ls in a folder with shard 1 of a split GGUF whose shard 2 is missing
mkdir -p "$tmp/dl"
"$fixture" split3 "$tmp/dl" >/dev/null
rm -f "$tmp/dl"/m-00002-of-00003.gguf "$tmp/dl"/m-00003-of-00003.gguf
for i in 1 2 3 4 5 6; do
  "${vg[@]}" "$og" ls "$tmp/dl" >"$tmp/ls.out" 2>"$tmp/ls.err"
  rc=$?
  [ $rc -ge 99 ] && break
done
check "ls: half-downloaded split GGUF, no crash or invalid read (exit $rc)" '[ $rc -lt 99 ]'
check "ls: names the missing shard" 'grep -q "00002-of-00003" "$tmp/ls.out" "$tmp/ls.err"'

# ---- the guard (items 9-12): a real child, tests/alloc_child.c ----
alloc=$(dirname "$fixture")/alloc_child
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" != Z ]; }

if [ "$(uname -s)" = Linux ]; then
# item 9: a child that ignores SIGINT and SIGTERM and keeps allocating (300 MiB/s)
# is escalated at once instead of after 2 x 10 s of grace.
start=$(date +%s.%N)
"$og" run --max-mem 200M --grace 10 --json --log "$tmp/g.jsonl" -- \
  "$alloc" --rate 300 --total 3000 --hold 60 --ignore-int --ignore-term >"$tmp/g.json" 2>"$tmp/g.err"
rc=$?
took=$(python3 -c "import sys,time; print(time.time() - float(sys.argv[1]))" "$start")
check "grace: guard exit 4 (rc $rc)" '[ $rc -eq 4 ]'
# the bound is well below the 20 s of grace, with room for a loaded machine
# (it took 5.9 and 7.9 s on the shared 2-core build machine)
check "grace: stopped within 15 s, not after the 20 s of grace (took $took s)" \
  'python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 15 else 1)" "$took"'
check "grace: SIGKILL reached by escalation" '[ "$(jget "$tmp/g.json" "d[\"guard\"][\"last_signal\"]")" = SIGKILL ]'
check "grace: the report says why it escalated" \
  'grep -q "kept growing" "$tmp/g.err" && grep -q "escalated during the grace period" "$tmp/g.err" && grep -q "\"event\":\"escalate\"" "$tmp/g.jsonl"'
peak=$(jget "$tmp/g.json" 'd["peak_tree_bytes"]')
check "grace: peak $peak under 200 MiB + 2 escalation steps + slack" '[ "$peak" -lt $(( (200 + 3 * 70 + 64) * 1048576 )) ]'

# item 10: 4 processes share one 300 MiB mapping: 1200 MiB by the RSS sum,
# ~300 MiB by PSS (plus each process's own pages: more under ASan);
# --max-mem 700M must not trip.
# (LeakSanitizer's exit-time tracer shares its process's memory map and would be
# counted as one more copy: off for the child in ASan builds)
"$og" run --max-mem 700M --json --log "$tmp/p.jsonl" -- env ASAN_OPTIONS=detect_leaks=0 "$alloc" --shared 4 --total 300 \
  --hold 2 >"$tmp/p.json" 2>"$tmp/p.err"
rc=$?
check "pss: shared pages counted once, no trip (rc $rc)" '[ $rc -eq 0 ]'
check "pss: the tree is measured by PSS once it holds half the limit" 'grep -q "\"tree_kind\":\"pss\"" "$tmp/p.jsonl"'
check "pss: 4 processes seen" '[ "$(jget "$tmp/p.json" "d[\"peak_tree_procs\"]")" -ge 4 ]'
# and the same tree really over the limit still trips
"$og" run --max-mem 100M --json -- "$alloc" --shared 4 --total 150 --hold 2 >"$tmp/p2.json" 2>/dev/null
check "pss: a tree really over the limit still trips" '[ $? -eq 4 ]'

# item 11: SIGINT to oomguard's process group reaches the child once
if command -v setsid >/dev/null 2>&1; then
  for how in group pid; do
    rm -f "$tmp/int.$how"
    setsid "$og" run --no-guard --no-history -- "$alloc" --total 1 --hold 20 --count-int "$tmp/int.$how" \
      >/dev/null 2>&1 &
    sid=$!
    for _ in $(seq 50); do [ -e "$tmp/int.$how" ] || [ -n "$(pgrep -P "$sid")" ] && break; sleep 0.1; done
    sleep 0.3
    if [ $how = group ]; then kill -INT -- -"$sid"; else kill -INT "$sid"; fi
    wait "$sid" 2>/dev/null
    n=$(wc -l <"$tmp/int.$how" 2>/dev/null || echo 0)
    check "signals: SIGINT to oomguard's $how reaches the child once (got $n)" '[ "$n" -eq 1 ]'
  done
fi
# Ctrl-C on a terminal (a pseudo-terminal): once, and the terminal comes back
python3 - "$og" "$alloc" "$tmp/int.tty" >"$tmp/tty.out" 2>&1 <<'PY'
import os, pty, sys, time, signal
og, alloc, cnt = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(og, [og, "run", "--no-guard", "--no-history", "--", alloc, "--total", "1",
                  "--hold", "20", "--count-int", cnt])
time.sleep(1.0)
os.write(fd, b"\x03")
deadline = time.time() + 10
while time.time() < deadline:
    r, st = os.waitpid(pid, os.WNOHANG)
    if r:
        break
    try:
        os.read(fd, 4096)
    except OSError:
        pass
    time.sleep(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    print("timeout")
    sys.exit(1)
print("exit", os.waitstatus_to_exitcode(st))
PY
n=$(wc -l <"$tmp/int.tty" 2>/dev/null || echo 0)
check "signals: Ctrl-C on a terminal reaches the child once (got $n; $(tr '\n' ' ' <"$tmp/tty.out"))" \
  '[ "$n" -eq 1 ] && grep -q "^exit" "$tmp/tty.out"'

# item 12: kill -9 of oomguard does not leave the child running unwatched
rm -f "$tmp/k.pids"
"$og" run --no-guard --no-history -- "$alloc" --total 1 --hold 30 --pidfile "$tmp/k.pids" >/dev/null 2>&1 &
ogpid=$!
for _ in $(seq 50); do [ -s "$tmp/k.pids" ] && break; sleep 0.1; done
kill -9 "$ogpid"; wait "$ogpid" 2>/dev/null
sleep 0.3
cpid=$(head -1 "$tmp/k.pids")
check "pdeathsig: the child ($cpid) ended with oomguard" '[ -n "$cpid" ] && ! alive "$cpid"'
# and the child's own children (its process group) end too: the watchdog
# (the only mechanism on macOS)
rm -f "$tmp/k2.pids"
"$og" run --no-guard --no-history -- "$alloc" --total 1 --hold 30 --grandchild --pidfile "$tmp/k2.pids" \
  >/dev/null 2>&1 &
ogpid=$!
for _ in $(seq 50); do [ "$(wc -l <"$tmp/k2.pids" 2>/dev/null)" = 2 ] && break; sleep 0.1; done
kill -9 "$ogpid"; wait "$ogpid" 2>/dev/null
sleep 0.5
left=0
while read -r p; do alive "$p" && { left=$((left + 1)); kill -9 "$p"; }; done <"$tmp/k2.pids"
check "watchdog: child and grandchild ended with oomguard ($left left)" '[ $left -eq 0 ] && [ "$(wc -l <"$tmp/k2.pids")" -eq 2 ]'
# descendants that outlive the child's normal exit are named
rm -f "$tmp/s.pids"
"$og" run --no-guard --no-history --json -- "$alloc" --total 1 --hold 0.5 --grandchild \
  --pidfile "$tmp/s.pids" >"$tmp/s.out" 2>"$tmp/s.err"
sed -n '/^{/,$p' "$tmp/s.out" >"$tmp/s.json" # the child's own line comes first
gpid=$(sed -n 2p "$tmp/s.pids")
check "survivors: the grandchild $gpid is named in the report" \
  'grep -q "outlived the child" "$tmp/s.err" && grep -q " $gpid alloc_child" "$tmp/s.err"'
check "survivors: and in the JSON" '[ "$(jget "$tmp/s.json" "d[\"survivors\"][0][\"pid\"]")" = "$gpid" ]'
[ -n "$gpid" ] && kill -9 "$gpid" 2>/dev/null
fi

# ---- files (items 15, 16) ----
# item 15: wired --persist keeps the first original backup; later ones are timestamped
root="$tmp/root"
mkdir -p "$root/etc"
printf 'kern.maxfiles=65536\n' >"$root/etc/sysctl.conf"
cp "$root/etc/sysctl.conf" "$tmp/original.conf"
"$og" wired --machine m1-max-32gb --set 22528 --persist --root "$root" >/dev/null 2>&1
r1=$?
"$og" wired --machine m1-max-32gb --set 23552 --persist --root "$root" >/dev/null 2>&1
r2=$?
sleep 1.1
"$og" wired --machine m1-max-32gb --set 24576 --persist --root "$root" >/dev/null 2>&1
r3=$?
check "persist: three persists succeed ($r1 $r2 $r3)" '[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $r3 -eq 0 ]'
check "persist: the first backup is still the original configuration" \
  'cmp -s "$root/etc/sysctl.conf.oomguard-backup" "$tmp/original.conf"'
nts=$(ls "$root/etc/" | grep -c '^sysctl.conf.oomguard-backup\.[0-9]\{8\}T[0-9]\{6\}Z')
check "persist: later backups are timestamped ($nts)" '[ "$nts" -eq 2 ]'
check "persist: a timestamped backup holds the previous setting" \
  'grep -lq "^iogpu.wired_limit_mb=23552$" "$root"/etc/sysctl.conf.oomguard-backup.*'
# --set below the macOS default (2/3 of 32 GiB = 21845 MiB) is refused unless --force
"$og" wired --machine m1-max-32gb --set 1 --persist --root "$root" >"$tmp/w1.out" 2>&1
rc=$?
check "wired --set 1: refused (exit $rc)" '[ $rc -eq 1 ]'
check "wired --set 1: says why (below the macOS default 21845)" \
  'grep -q "below the macOS default of 21845 MiB" "$tmp/w1.out" && grep -q -- "--force" "$tmp/w1.out"'
check "wired --set 1: nothing written" '! grep -q "wired_limit_mb=1$" "$root/etc/sysctl.conf"'
"$og" wired --machine m1-max-32gb --set 16384 --force --persist --root "$root" >/dev/null 2>&1
check "wired --set 16384 --force: accepted" '[ $? -eq 0 ] && grep -q "^iogpu.wired_limit_mb=16384$" "$root/etc/sysctl.conf"'

# item 16: machine --save never follows a planted symlink at a predictable temp name
mkdir -p "$tmp/save"
echo precious >"$tmp/save/victim"
bash -c 'for i in $(seq $$ $(($$ + 20))); do ln -sf "$1/victim" "$1/snap.json.tmp.$i"; done; exec "$2" machine --machine m4-max-64gb --save "$1/snap.json"' \
  _ "$tmp/save" "$og" >/dev/null 2>&1
check "save: the snapshot was written" '"$og" machine --machine "$tmp/save/snap.json" >/dev/null 2>&1'
check "save: a symlink at a predictable temp name was not followed" '[ "$(cat "$tmp/save/victim")" = precious ]'
# a kill in the middle of the save leaves no temporary file behind
rm -f "$tmp/save/snap.json.tmp."*
OOMGUARD_TEST_SAVE_PAUSE_MS=3000 "$og" machine --machine m4-max-64gb --save "$tmp/save/snap2.json" >/dev/null 2>&1 &
sp=$!
for _ in $(seq 50); do ls "$tmp/save/" | grep -q '^snap2.json.tmp' && break; sleep 0.1; done
seen=$(ls "$tmp/save/" | grep -c '^snap2.json.tmp')
kill -TERM "$sp"; wait "$sp" 2>/dev/null
left=$(ls "$tmp/save/" | grep -c '^snap2.json.tmp')
check "save: killed mid-save (temp seen: $seen), no temporary file left ($left)" '[ "$seen" -eq 1 ] && [ "$left" -eq 0 ] && [ ! -e "$tmp/save/snap2.json" ]'

exit $fail
