#!/usr/bin/env bash
# Shell completions (generated at build time from the option table, `oomguard
# __spec`, by man/gen_from_table.py): each script loads in its shell; bash and
# fish complete the real commands and every option the real --help lists (read
# here by a plain regex, not through the table), option values (top --sort, fit
# --engine/--backend/-ctk/--quant, --color), files, catalog models, machine
# presets and `run -- COMMAND`.
# Usage: cli_completions.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tdir=$(cd "$3" && pwd)
src=$(cd "$tdir/.." && pwd)
build=$(dirname "$og")
gen=$build/docs-generated
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
py=$(command -v python3 || true)
if [ ! -f "$gen/oomguard.bash" ]; then
  if grep -q '^Python3_EXECUTABLE:.*NOTFOUND' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP: Python 3 was not found at configure time, so no completions were generated"; exit 0
  fi
  echo "FAIL: $gen/oomguard.bash missing (build the oomguard_docs target)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the hidden list command the scripts call at completion time
"$og" __complete lists >"$tmp/lists" || fail "__complete lists exit $?"
grep -qx models "$tmp/lists" && grep -qx machines "$tmp/lists" || fail "__complete lists: $(cat "$tmp/lists")"
"$og" __complete models >/dev/null || fail "__complete models exit $?"
"$og" __complete machines >"$tmp/machines" || fail "__complete machines exit $?"
# names are single words, no duplicates (presets are wired: src/presets.c)
grep -qE '[[:space:]]|^$' "$tmp/machines" && fail "__complete machines: a name with spaces or an empty line"
[ "$(sort "$tmp/machines" | uniq -d)" = "" ] || fail "__complete machines: duplicates"
echo "ok: __complete machines lists $(wc -l <"$tmp/machines") presets"
"$og" __complete bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "__complete bogus should exit 2"
"$og" --help | grep -q __complete && fail "__complete must stay hidden from --help"

# --- syntax, each in its own shell
bash -n "$gen/oomguard.bash" && ok "bash -n" || fail "bash -n"
if command -v zsh >/dev/null; then zsh -n "$gen/_oomguard" && ok "zsh -n" || fail "zsh -n"
else echo "SKIP: zsh not installed (zsh -n not run)"; fi
if command -v fish >/dev/null; then fish -n "$gen/oomguard.fish" && ok "fish -n" || fail "fish -n"
else echo "SKIP: fish not installed (fish -n not run)"; fi

# bash_complete SCRIPT WORD... : print COMPREPLY, one per line, for the words
# (the last word is the one being completed), run in a clean bash.
bash_complete() {
  local script=$1; shift
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _oomguard oomguard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$script" "$@"
}
has() { grep -qxF -- "$2" <<<"$1"; }

# --- the real binary: commands and every option of every built command
mapfile -t cmds < <("$og" --help | awk '/^Commands:/{f=1;next} f&&/^$/{exit} f&&/^  [a-z]/{print $1}')
[ ${#cmds[@]} -gt 0 ] || fail "no commands in --help"
out=$(bash_complete "$gen/oomguard.bash" "$og" "")
for c in "${cmds[@]}"; do has "$out" "$c" || fail "bash: command '$c' not offered"; done
has "$out" "__complete" && fail "bash offers the hidden __complete"
fishok=0; command -v fish >/dev/null && fishok=1
if [ $fishok = 1 ]; then
  mkdir -p "$tmp/realbin"; ln -s "$og" "$tmp/realbin/oomguard"
  fish_c() { PATH="$tmp/realbin:$PATH" fish --no-config -c "source '$gen/oomguard.fish'; complete -C '$1'" | cut -f1; }
  fout=$(fish_c "oomguard ")
  for c in "${cmds[@]}"; do has "$fout" "$c" || fail "fish: command '$c' not offered"; done
fi
for c in "${cmds[@]}"; do
  help=$("$og" "$c" --help 2>/dev/null) || { echo "SKIP: '$c --help' not built yet"; continue; }
  # every long option the help text names, by a plain regex (not the generator's parser)
  mapfile -t longs < <(grep -E '^ {1,8}-' <<<"$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  out=$(bash_complete "$gen/oomguard.bash" "$og" "$c" "--")
  [ $fishok = 1 ] && fout=$(fish_c "oomguard $c --")
  for o in "${longs[@]}"; do
    has "$out" "$o" || fail "bash: '$c' option $o not offered"
    [ $fishok = 1 ] && { has "$fout" "$o" || fail "fish: '$c' option $o not offered"; }
  done
  ok "$c: ${#longs[@]} options offered"
done

# inspect MODEL completes files
mkdir -p "$tmp/files" && touch "$tmp/files/abc.gguf"
out=$(cd "$tmp/files" && bash_complete "$gen/oomguard.bash" "$og" inspect "ab")
has "$out" "abc.gguf" && ok "bash: inspect completes a model file" || fail "bash: inspect MODEL file: '$out'"

# --- option values, files, catalog models, machine presets and `run -- COMMAND`,
# on the real binary's table (the generated scripts ask it for the names)
check_bash() { # expected, then words
  local want=$1; shift
  local got; got=$(cd "$tmp/files" && bash_complete "$gen/oomguard.bash" "$@")
  has "$got" "$want" && ok "bash: '${*:2}' -> $want" || fail "bash: '${*:2}' should offer '$want', got: $(tr '\n' ' ' <<<"$got" | head -c 300)"
}
check_bash --json "$og" --j
check_bash --flash-attn "$og" fit --fl
check_bash auto "$og" fit --flash-attn a
check_bash gpu "$og" top --sort g
check_bash ollama "$og" fit --engine o
check_bash cuda "$og" fit --backend c
check_bash q8_0 "$og" fit -ctk q8
check_bash Q4_K_M "$og" fit --quant Q4
check_bash mlx-4bit "$og" doctor --quant mlx-4
check_bash never "$og" ls --color n
check_bash m4-pro-48gb "$og" fit --machine m4-p
check_bash abc.gguf "$og" fit --machine ab
check_bash qwen3-32b "$og" fit qwen3-3
check_bash abc.gguf "$og" fit --ctx 4096 ab
check_bash abc.gguf "$og" inspect ""
check_bash abc.gguf "$og" explain a
check_bash -ngl "$og" doctor -ng
check_bash -ngl "$og" wired -ng
check_bash bash "$og" run --max-mem 1G -- bas
got=$(bash_complete "$gen/oomguard.bash" "$og" fit --ctx "")
[ -z "$got" ] && ok "bash: --ctx N offers nothing" || fail "bash: --ctx N offered: $got"
if [ $fishok = 1 ]; then
  check_fish() {
    local want=$1 line=$2 got
    got=$(cd "$tmp/files" && PATH="$tmp/realbin:$PATH" fish --no-config -c "source '$gen/oomguard.fish'; complete -C '$line'" | cut -f1)
    has "$got" "$want" && ok "fish: '$line' -> $want" || fail "fish: '$line' should offer '$want', got: $(tr '\n' ' ' <<<"$got" | head -c 300)"
  }
  check_fish fit "oomguard f"
  check_fish --flash-attn "oomguard fit --fl"
  check_fish off "oomguard fit --flash-attn "
  check_fish gpu "oomguard top --sort "
  check_fish m4-max-128gb "oomguard fit --machine "
  check_fish qwen3-32b "oomguard fit "
  check_fish abc.gguf "oomguard fit a"
  check_fish abc.gguf "oomguard inspect a"
  check_fish abc.gguf "oomguard explain "
fi
[ $fails -eq 0 ] && echo "completions: all checks passed" || echo "completions: $fails failed"
[ $fails -eq 0 ]
