#!/usr/bin/env bash
# Every command's --json output validates against docs/schema/COMMAND.schema.json
# (JSON Schema draft 2020-12, python3-jsonschema). A command that is not built
# yet (exit 3, "not built yet") is reported as SKIP; every built command whose
# --help offers --json must have a schema and a case here.
# Usage: cli_schema.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$1 fixture=$2
tdir=$(cd "$3" && pwd)
src=$(cd "$tdir/.." && pwd)
schemas=$src/docs/schema
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
py=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import jsonschema' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
  echo "SKIP: no python3 with jsonschema (scripts/deps.sh test installs python3-jsonschema)"; exit 0
fi
validate() { "$py" "$tdir/pkg/validate_json.py" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache HF_HOME=$tmp/hf \
  OLLAMA_MODELS=$tmp/ollama NO_COLOR=1
mkdir -p "$HOME"

validate --check-schemas "$schemas" || fail "a schema is invalid"

# inputs
"$fixture" shape arch=llama name=Schema-Llama n_layer=4 n_embd=256 n_head=8 n_head_kv=4 \
  head_dim=32 n_ff=512 n_vocab=1024 n_ctx_train=8192 "$tmp/model.gguf" >/dev/null ||
  { echo "FAIL: og-fixture"; exit 1; }
m=$tmp/model.gguf
printf '%s\n' 'llama_model_load_from_file_impl: using device CUDA0 (NVIDIA H100 80GB HBM3) - 80000 MiB free' \
  'ggml_backend_cuda_buffer_type_alloc_buffer: allocating 98304.00 MiB on device 0: cudaMalloc failed: out of memory' \
  'llama_model_load: error loading model: unable to allocate CUDA0 buffer' >"$tmp/crash.log"

# schema name | arguments (word-split)
cases="inspect|inspect --json $m
inspect|inspect --json --tensors $m
fit|fit --json --mem 24G $m
fit|fit --json --mem 1M $m
fit|fit --json --mem 24G --ctx 32768 $m
fit|fit --json --engine mlx --mem 24G $m
fit|fit --json --engine mlx --machine m4-max-64gb qwen3-32b
fit|fit --json --engine all --machine m4-max-64gb qwen3-32b
fit|fit --json --engine all --mem 1M $m
fit|fit --json --machines llama-3.3-70b
fit|fit --json --machines --engine mlx qwen3-32b
doctor|doctor --json
doctor|doctor --json --mem 24G $m
machine|machine --json
top|top --json
ls|ls --json
explain|explain --json $tmp/crash.log
history|history --json
run|run --json -- true
wired|wired --json
overview|--json"

declare -A tested
n=0
while IFS='|' read -r name args; do
  tested[$name]=1
  # shellcheck disable=SC2086
  "$og" $args >"$tmp/out.json" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 3 ] && grep -q "not built yet" "$tmp/err"; then
    echo "SKIP: oomguard $args (not built yet)"; continue
  fi
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
    fail "oomguard $args: exit $rc: $(head -3 "$tmp/err")"; continue
  fi
  if msg=$(validate "$schemas/$name.schema.json" "$tmp/out.json"); then
    echo "ok: oomguard $args (exit $rc) validates against $name.schema.json"; n=$((n + 1))
  else
    fail "oomguard $args: $msg"
  fi
done <<<"$cases"

# every built command that offers --json has a schema and a case
mapfile -t cmds < <("$og" --help | awk '/^Commands:/{f=1;next} f&&/^$/{exit} f&&/^  [a-z]/{print $1}')
for c in "${cmds[@]}"; do
  help=$("$og" "$c" --help 2>/dev/null) || continue
  grep -q -- '--json' <<<"$help" || continue
  [ -f "$schemas/$c.schema.json" ] || fail "'$c' offers --json but docs/schema/$c.schema.json is missing"
  [ -n "${tested[$c]:-}" ] || fail "'$c' offers --json but tests/cli_schema.sh has no case for it"
done

# the validator can fail: inspect output with a key removed and a wrong type
if "$og" inspect --json "$m" >"$tmp/i.json" 2>/dev/null; then
  "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["format"]; d["layers"]="4"; json.dump(d,open(sys.argv[1],"w"))' "$tmp/i.json"
  if validate "$schemas/inspect.schema.json" "$tmp/i.json" >"$tmp/neg"; then
    fail "a broken inspect document validated"
  else
    grep -q "format" "$tmp/neg" && grep -q "layers" "$tmp/neg" || fail "validator missed: $(cat "$tmp/neg")"
  fi
fi
[ $n -gt 0 ] || fail "no command output was validated"
[ $fails -eq 0 ] && echo "schemas: $n outputs validated"
[ $fails -eq 0 ]
