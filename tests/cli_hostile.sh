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

exit $fail
