#!/usr/bin/env bash
# One command-line grammar for every command (cli/opts.c): options before or
# after the positional argument, `--` ends the options, unknown options named
# as typed, counts with k suffixes, sizes that need a unit, -fa with or
# without a value, the engine settings on every planning command, --color,
# and `oomguard run --json` keeping stdout for the JSON alone.
# Usage: cli_grammar.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$(realpath "$1") fixture=$(realpath "$2")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache HF_HOME=$tmp/hf \
  OLLAMA_MODELS=$tmp/ollama NO_COLOR=1
mkdir -p "$HOME"
cd "$tmp" || exit 1
"$fixture" shape arch=llama name=G n_layer=4 n_embd=256 n_head=8 n_head_kv=4 head_dim=32 \
  n_ff=512 n_vocab=1024 n_ctx_train=65536 m.gguf >/dev/null || { echo "FAIL: og-fixture"; exit 1; }
printf 'llama_model_load: error loading model\n' >x.log

# expect RC FRAGMENT ARGS... : exit code and a fragment of stderr
expect() {
  local want=$1 frag=$2; shift 2
  "$og" "$@" >out 2>err; local rc=$?
  if [ $rc -ne "$want" ]; then fail "oomguard $*: exit $rc, want $want: $(head -2 err)"
  elif [ -n "$frag" ] && ! grep -qF -- "$frag" err; then fail "oomguard $*: stderr lacks '$frag': $(head -2 err)"
  else ok "oomguard $* -> $rc"; fi
}

# 1. options after the positional argument, and `--`
"$og" inspect m.gguf --json >out 2>err && python3 -c "import json,sys; json.load(open('out'))" &&
  ok "inspect MODEL --json" || fail "inspect MODEL --json: $(head -2 err)"
"$og" explain x.log --json >out 2>err; rc=$?
[ $rc -le 1 ] && python3 -c "import json; json.load(open('out'))" && ok "explain LOG --json" ||
  fail "explain LOG --json: rc=$rc $(head -2 err)"
"$og" fit --mem 24G --json -- m.gguf >out 2>err && python3 -c "import json; json.load(open('out'))" &&
  ok "fit --mem 24G --json -- MODEL" || fail "fit ... -- MODEL: $(head -2 err)"
cp m.gguf ./-dash.gguf
"$og" inspect --json -- -dash.gguf >out 2>err && ok "-- lets a file start with a dash" ||
  fail "inspect -- -dash.gguf: $(head -2 err)"

# 2. unknown options named as typed; bad flags exit 2
expect 2 "unknown option '-z'" ls -zq /tmp
expect 2 "unknown option '--bogus'" fit m.gguf --bogus
expect 2 "unknown option '--bogus'" inspect m.gguf --bogus=1
expect 2 "--json takes no value" inspect m.gguf --json=yes
expect 2 "-ngl" doctor --sample 0 -ngl 10
expect 2 "unexpected argument 'b'" inspect a b

# 3. counts and sizes as people type them
"$og" fit m.gguf --ctx 32k --mem 24G --json >out 2>err
[ "$(python3 -c "import json; print(json.load(open('out'))['settings']['ctx'])" 2>/dev/null)" = 32768 ] &&
  ok "--ctx 32k = 32768" || fail "--ctx 32k: $(head -c 300 out) $(head -2 err)"
"$og" fit m.gguf -c=8k --mem 24G --json >out 2>err
[ "$(python3 -c "import json; print(json.load(open('out'))['settings']['ctx'])" 2>/dev/null)" = 8192 ] &&
  ok "-c=8k = 8192" || fail "-c=8k: $(head -2 err)"
expect 2 "Did you mean 24G?" fit m.gguf --mem 24
expect 2 "Did you mean 8G?" doctor m.gguf --mem 8 --sample 0
expect 0 "" fit m.gguf --mem 24GB
expect 0 "" fit m.gguf --mem 24GiB
"$og" fit m.gguf --mem 24G --json >a.json && "$og" fit m.gguf --mem 25769803776 --json >b.json &&
  cmp -s a.json b.json && ok "24G = 24GiB = 25769803776 bytes (a large bare number is bytes)" ||
  fail "24G vs 25769803776 bytes differ"

# 4. -fa with or without a value
"$og" fit m.gguf -fa --mem 24G --json >out 2>err && ok "-fa alone" || fail "-fa alone: $(head -2 err)"
"$og" fit m.gguf -fa off --mem 24G --json >out 2>err && ok "-fa off" || fail "-fa off: $(head -2 err)"
expect 2 "--flash-attn: 'maybe' is not one of" fit m.gguf --flash-attn maybe

# 5. the engine settings on every planning command
for c in "doctor --sample 0" "wired --recommend"; do
  # shellcheck disable=SC2086
  "$og" $c m.gguf -c 8k -ngl 10 -ctk q8_0 -ctv q8_0 -fa on -np 2 -b 1024 -ub 256 --json >out 2>err
  rc=$?
  [ $rc -le 1 ] && python3 -c "import json; json.load(open('out'))" && ok "$c takes fit's engine settings" ||
    fail "$c with engine settings: rc=$rc $(head -2 err)"
done
# the settings change the plan doctor reports
"$og" doctor --sample 0 m.gguf -c 32k --json >d1.json 2>/dev/null
"$og" doctor --sample 0 m.gguf -c 32k -ctk q4_0 -ctv q4_0 -fa --json >d2.json 2>/dev/null
python3 - <<'PY' && ok "doctor: -ctk/-ctv q4_0 shrink the planned KV cache" || fail "doctor KV settings ignored"
import json
a = json.load(open("d1.json"))["plan"]; b = json.load(open("d2.json"))["plan"]
assert a["n_ctx"] == 32768 and b["kv_bytes"] * 3 < a["kv_bytes"], (a, b)
PY
"$og" doctor --sample 0 m.gguf -np 4 --json >d3.json 2>/dev/null
"$og" doctor --sample 0 m.gguf -ub 2048 --json >d4.json 2>/dev/null
python3 - <<'PY' && ok "doctor: -ub changes the compute buffers" || fail "doctor -ub ignored"
import json
a = json.load(open("d1.json"))["plan"]; b = json.load(open("d4.json"))["plan"]
assert b["compute_bytes"] != json.load(open("d3.json"))["plan"]["compute_bytes"] or True
assert json.load(open("d4.json"))["plan"]["compute_bytes"] > json.load(open("d3.json"))["plan"]["compute_bytes"]
PY
expect 2 "--engine" doctor --sample 0 m.gguf --engine all
expect 2 "need a MODEL" doctor --sample 0 -c 8k
expect 2 "only -c, -ngl" run --backend cuda -- llama-server -m m.gguf

# 6. --color
expect 2 "'sometimes' is not one of" ls --color=sometimes
NO_COLOR= "$og" fit m.gguf --mem 24G --color=always >out 2>err
grep -q $'\033\\[' out && ok "--color=always colours a pipe" || fail "--color=always: no escape codes"
"$og" fit m.gguf --mem 24G --color=never >out 2>err
grep -q $'\033\\[' out && fail "--color=never still colours" || ok "--color=never"

# 7. help from the table: every command's --help, `help CMD` the same text
for c in fit doctor wired top run machine inspect ls explain history; do
  "$og" "$c" --help >h1 && "$og" help "$c" >h2 && cmp -s h1 h2 && grep -q "^Usage: oomguard $c" h1 &&
    grep -q -- "--color" h1 || fail "$c --help"
done
ok "every command's --help comes from the table"
"$og" __spec | python3 -c "
import json, sys
s = json.load(sys.stdin)
names = [c['name'] for c in s['commands']]
assert 'fit' in names and 'run' in names, names
fit = [c for c in s['commands'] if c['name'] == 'fit'][0]
opts = {n for g in fit['groups'] for o in g['options'] for n in o['names']}
assert {'-ngl', '--ctx-size', '-fa', '--mem', '--json', '--color'} <= opts, opts
" && ok "__spec dumps the table" || fail "__spec"

# 8. run --json: stdout is the JSON alone; the command's stdout goes to stderr or --stdout FILE
"$og" run --quiet --no-history --json -- sh -c 'echo child-out; exit 3' >out 2>err; rc=$?
python3 - <<'PY' && ok "run --json: only JSON on stdout" || fail "run --json stdout: $(head -3 out)"
import json
j = json.load(open("out"))
assert j["exit_code"] == 3 and j["stopped_by"] == "command", j
PY
[ $rc -eq 3 ] && grep -q child-out err && ok "run --json: the command's stdout went to stderr, exit 3 passed through" ||
  fail "run --json: rc=$rc, child output not on stderr"
"$og" run --quiet --no-history --json --stdout child.txt -- echo to-file >out 2>err
grep -qx to-file child.txt && python3 -c "import json; json.load(open('out'))" &&
  ok "run --json --stdout FILE" || fail "run --stdout FILE"

[ $fails -eq 0 ] && echo "grammar: all checks passed" || echo "grammar: $fails failed"
[ $fails -eq 0 ]
