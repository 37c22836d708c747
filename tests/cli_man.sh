#!/usr/bin/env bash
# oomguard(1): rendered without groff warnings, up to date with the binary
# (regenerated from --help and compared), and it documents every command and
# every option the real --help text names (found here by a plain regex, not by
# the generator's parser), the exit codes, the JSON schemas, the environment,
# the files and the seven doctor checks.
# Usage: cli_man.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$3/.." && pwd)
build=$(dirname "$og")
page=$build/docs-generated/oomguard.1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if [ ! -f "$page" ]; then
  if grep -q '^Python3_EXECUTABLE:.*NOTFOUND' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP: Python 3 was not found at configure time, so oomguard(1) was not generated"; exit 0
  fi
  echo "FAIL: $page missing (build the oomguard_docs target)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. groff is silent with every warning on; man -l renders it
warn=$(groff -man -ww -z "$page" 2>&1)
[ -z "$warn" ] || fail "groff warnings: $warn"
MANWIDTH=200 MAN_KEEP_FORMATTING= man -l "$page" 2>"$tmp/man.err" | col -b >"$tmp/page.txt"
[ -s "$tmp/page.txt" ] || fail "man -l rendered nothing: $(cat "$tmp/man.err")"
[ -s "$tmp/man.err" ] && fail "man -l: $(cat "$tmp/man.err")"
# one line per paragraph-ish: undo hyphenation and justification spacing
tr -s ' ' <"$tmp/page.txt" >"$tmp/flat.txt"

# 2. not stale: regenerating from this binary gives the same page
# the generator's --docdir/--datadir as the build ran it (Ninja or Makefiles)
rules=$(cat "$build/build.ninja" "$build/CMakeFiles/oomguard_docs.dir/build.make" 2>/dev/null)
gdir() { grep -o -- "--$1 [^ ]*" <<<"$rules" | head -1 | cut -d' ' -f2; }
python3 "$src/man/gen_from_table.py" --binary "$og" \
  --version "$("$og" --version | awk '{print $2}')" --template "$src/man/oomguard.1.in" \
  --changelog "$src/CHANGELOG.md" --outdir "$tmp/regen" --docdir "$(gdir docdir)" \
  --datadir "$(gdir datadir)" || fail "generator failed"
cmp -s "$tmp/regen/oomguard.1" "$page" ||
  fail "oomguard(1) is stale: rebuild (it differs from what --help gives now)"

# 3. the version
ver=$("$og" --version | awk '{print $2}')
grep -q "^\.TH OOMGUARD 1 \"[^\"]*\" \"oomguard $ver\"" "$page" || fail ".TH does not carry version $ver"

# 4. every command and every option of every built command
mapfile -t cmds < <("$og" --help | awk '/^Commands:/{f=1;next} f&&/^$/{exit} f&&/^  [a-z]/{print $1}')
[ ${#cmds[@]} -gt 0 ] || fail "no commands in --help"
for o in $("$og" --help | grep -E '^ {1,8}-' | grep -oE -- '--?[A-Za-z][a-z0-9-]*' | sort -u); do
  grep -qF -- "$o" "$tmp/page.txt" || fail "top-level option $o missing"
done
for c in "${cmds[@]}"; do
  grep -q "^ *oomguard $c\$" "$tmp/page.txt" || fail "no section for command '$c'"
  help=$("$og" "$c" --help 2>/dev/null) || { echo "SKIP: '$c --help' not built yet (summary only)"; continue; }
  n=0
  for o in $(grep -oE -- '(^|[ ,[(])--?[A-Za-z][a-z0-9-]*' <<<"$help" | grep -oE -- '--?[A-Za-z][a-z0-9-]*' | sort -u); do
    n=$((n + 1))
    grep -qF -- "$o" "$tmp/page.txt" || fail "'$c' option $o missing from the page"
  done
  # every usage line, word for word
  while IFS= read -r u; do
    u=$(tr -s ' ' <<<"$u")
    grep -qF -- "$u" "$tmp/flat.txt" || fail "'$c' usage missing: $u"
  done < <(sed -n 's/^Usage: //p' <<<"$help")
  echo "ok: $c: $n options documented"
done

# 5. the hand-written sections
for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" "JSON OUTPUT" "DOCTOR CHECKS" \
  ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
  grep -q "^$s\$" "$tmp/page.txt" || fail "section $s missing"
done
for v in NO_COLOR HF_TOKEN HF_ENDPOINT HF_HOME HF_HUB_CACHE OLLAMA_MODELS XDG_STATE_HOME \
  XDG_CACHE_HOME OOMGUARD_CATALOG; do
  grep -qE "^ +$v( |\$)" "$tmp/page.txt" || fail "environment variable $v not documented"
done
for id in model_too_big other_apps wired_limit_low fp16_weights machine_too_small swapping \
  default_wired_ceiling; do
  grep -qE "^ +$id( |\$)" "$tmp/page.txt" || fail "doctor check $id has no entry"
done
for code in 0 1 2 3; do grep -qE "^ +$code( |\$)" "$tmp/page.txt" || fail "exit code $code not described"; done
grep -q "history.db" "$tmp/page.txt" || fail "FILES: history database"
grep -q "Application Support/oomguard" "$tmp/page.txt" || fail "FILES: macOS history"
grep -q "schema/COMMAND.schema.json" "$tmp/page.txt" || fail "JSON OUTPUT: schema path"
for f in "$src"/docs/schema/*.schema.json; do
  c=$(basename "$f" .schema.json)
  [ "$c" = overview ] || printf '%s\n' "${cmds[@]}" | grep -qx "$c" || fail "schema $c.schema.json names no command in --help"
done
[ $fails -eq 0 ] && echo "man page: all checks passed" || echo "man page: $fails failed"
[ $fails -eq 0 ]
