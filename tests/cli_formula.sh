#!/usr/bin/env bash
# The Homebrew formula's `test do` block, run here against this build: every
# `shell_output("#{bin}/oomguard ...", CODE)` in Formula/oomguard.rb must exit
# with CODE (0 when none is given), and every `assert_equal "V", ...["verdict"]`
# must hold for the JSON of the fit commands, in order. So a catalog or preset
# change that would break `brew test` breaks this test first.
# Usage: cli_formula.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$1
src=$(cd "$3/.." && pwd)
formula=$src/Formula/oomguard.rb
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
body=$(sed -n '/^  test do/,/^  end/p' "$formula")
[ -n "$body" ] || { echo "FAIL: no test do block in $formula"; exit 1; }
mapfile -t verdicts < <(sed -n 's/.*assert_equal "\([^"]*\)", .*\["verdict"\].*/\1/p' <<<"$body")
mapfile -t calls < <(grep -o 'shell_output("#{bin}/oomguard [^"]*"\(, [0-9]\)\?' <<<"$body")
[ ${#calls[@]} -ge 3 ] || fail "expected at least 3 oomguard commands in the test block, found ${#calls[@]}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
v=0
for c in "${calls[@]}"; do
  cmd=$(sed 's/^shell_output("#{bin}\/oomguard \([^"]*\)".*/\1/' <<<"$c")
  want=$(sed -n 's/.*", \([0-9]\)$/\1/p' <<<"$c"); want=${want:-0}
  cmd=${cmd% 2>&1}
  # shellcheck disable=SC2086
  (cd "$tmp" && "$og" $cmd >"$tmp/out" 2>"$tmp/err"); rc=$?
  [ "$rc" -eq "$want" ] || fail "oomguard $cmd: exit $rc, the formula expects $want ($(head -2 "$tmp/err"))"
  if [[ $cmd == fit* && $cmd == *--json* ]]; then
    got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$tmp/out" 2>/dev/null)
    [ "$got" = "${verdicts[$v]:-}" ] || fail "oomguard $cmd: verdict '$got', the formula expects '${verdicts[$v]:-}'"
    v=$((v + 1))
  fi
done
[ "$v" -eq ${#verdicts[@]} ] || fail "${#verdicts[@]} verdict assertions but $v fit --json commands"
[ $fails -eq 0 ] && echo "the formula's test commands pass against this build (${#calls[@]} commands, $v verdicts)"
[ $fails -eq 0 ]
