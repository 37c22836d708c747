#!/usr/bin/env bash
# Every command's --json output validates against docs/schema/COMMAND.schema.json
# (JSON Schema draft 2020-12, python3-jsonschema), in each command's main
# variants (presets, saved snapshots, engines, a guarded run, a filled history);
# every command whose --help offers --json must have a schema and a case here.
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
# a stand-in llama-cli, so that run's preflight plans a known engine command
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexec sleep 0.3\n' >"$tmp/bin/llama-cli"
chmod +x "$tmp/bin/llama-cli"
export PATH="$tmp/bin:$PATH"
"$og" machine --save "$tmp/snap.json" >/dev/null 2>&1 || fail "machine --save"
data=$tdir/data

# schema name | arguments (word-split). Order matters: the runs fill the history.
cases="inspect|inspect --json $m
inspect|inspect --json --tensors $m
fit|fit --json --mem 24G $m
fit|fit --json --mem 1M $m
fit|fit --json --mem 24G --ctx 32768 $m
fit|fit --json --machine rtx-4090 $m
fit|fit --json --machine m4-max-64gb qwen3-32b
fit|fit --json --engine mlx --mem 24G $m
fit|fit --json --engine mlx --machine m4-max-64gb qwen3-32b
fit|fit --json --engine all --machine m4-max-64gb qwen3-32b
fit|fit --json --engine all --mem 1M $m
fit|fit --json --machines llama-3.3-70b
fit|fit --json --machines --engine mlx qwen3-32b
fit|fit --json --machines $m
fit|fit --json --cluster rtx-4090,rtx-3090 qwen3-30b-a3b
fit|fit --json --cluster $tmp/snap.json,rtx-4090 $m
fit|fit --json --cluster rtx-4060-8gb,rtx-3060-12gb,m1-8gb llama-3.3-70b
fit|fit --json --cluster m4-pro-48gb,m4-max-64gb --cluster-engine exo qwen3-32b
fit|fit --json --cluster m4-pro-48gb,m4-max-64gb --engine mlx -c 8192 llama-3.3-70b
doctor|doctor --json --sample 0
doctor|doctor --json --sample 0 --mem 24G $m
doctor|doctor --json --machine m4-pro-48gb qwen3-32b
doctor|doctor --json --machine rtx-4090 --log $tmp/crash.log llama-3.3-70b
doctor|doctor --json --machine $data/doctor/mac-16gb-swapping.json --procs $data/doctor/procs-heavy-apps.json qwen3-32b
doctor|doctor --json --machine $data/doctor/linux-cgroup-8g.json
machine|machine --json
machine|machine --json --machine $tmp/snap.json
machine|machine --json --list
top|top --json
top|top --json -n 3 --sort gpu
ls|ls --json
ls|ls --json $tmp
explain|explain --json $tmp/crash.log
run|run --json -- true
run|run --json --mem 24G -- llama-cli -m $m -c 2048
run|run --json --max-mem 1M -- llama-cli -m $m
history|history --json
history|history --json -n 1
catalog|catalog list --json
catalog|catalog add --json --name schema-test $m
catalog|catalog list --json
wired|wired --json
wired|wired --json --machine strix-halo-128gb
wired|wired --json --machine m4-pro-48gb
wired|wired --json --machine m4-pro-48gb --recommend qwen3-32b
wired|wired --json --machine m4-pro-48gb --set auto --dry-run
wired|wired --json --machine m4-pro-48gb --set 38912 --persist --root $tmp/wroot
wired|wired --json --machine m4-pro-48gb --reset --root $tmp/wroot
overview|--json
overview|--json --machine m4-max-64gb
overview|--json --machine rtx-4090
overview|--json --machine strix-halo-128gb --mem 16G"
# every preset, through machine and wired
while read -r p _; do
  cases+=$'\n'"machine|machine --json --machine $p"$'\n'"wired|wired --json --machine $p"
done < <("$og" machine --list)
# every recorded crash log
for l in "$data"/logs/*.log; do cases+=$'\n'"explain|explain --json $l"; done

declare -A tested
n=0
while IFS='|' read -r name args; do
  tested[$name]=1
  # shellcheck disable=SC2086
  "$og" $args >"$tmp/out.json" 2>"$tmp/err"
  rc=$?
  # run: the command's own code (4: the guard stopped it, as --max-mem 1M must)
  if [ $rc -ne 0 ] && [ $rc -ne 1 ] && ! { [ "$name" = run ] && [ $rc -eq 4 ]; }; then
    fail "oomguard $args: exit $rc: $(head -3 "$tmp/err")"; continue
  fi
  if msg=$(validate "$schemas/$name.schema.json" "$tmp/out.json"); then
    n=$((n + 1))
  else
    fail "oomguard $args: $msg"
  fi
done <<<"$cases"
echo "validated $n outputs"

# the variants above reached what they are for
"$og" history --json | grep -q '"guard": "max-mem"' || fail "history has no guarded run"
"$og" run --json --max-mem 1M -- llama-cli -m "$m" 2>/dev/null | grep -q '"last_signal"' ||
  fail "run --max-mem 1M did not trip the guard"
"$og" wired --json --machine strix-halo-128gb | grep -q '"gtt"' || fail "wired on strix-halo has no gtt"

# every command that offers --json has a schema and a case
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
# closed schemas reject an unknown key and a value outside an enum
if "$og" doctor --json --sample 0 --machine m4-pro-48gb >"$tmp/d.json" 2>/dev/null || [ $? -eq 1 ]; then
  "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["extra"]=1; d["checks"][0]["status"]="bad"; json.dump(d,open(sys.argv[1],"w"))' "$tmp/d.json"
  if validate "$schemas/doctor.schema.json" "$tmp/d.json" >"$tmp/neg"; then
    fail "a doctor document with an unknown key and status validated"
  else
    grep -q "extra" "$tmp/neg" && grep -q "bad" "$tmp/neg" || fail "validator missed: $(cat "$tmp/neg")"
  fi
fi
# fit --cluster: one entry per host; a host without its KV share or with an unknown role fails
if "$og" fit --json --cluster rtx-4090,rtx-3090 qwen3-30b-a3b >"$tmp/c.json" 2>/dev/null; then
  "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); h=d["cluster"][0]["hosts"][1]; del h["kv_bytes"]; h["role"]="worker"; json.dump(d,open(sys.argv[1],"w"))' "$tmp/c.json"
  if validate "$schemas/fit.schema.json" "$tmp/c.json" >"$tmp/neg"; then
    fail "a cluster document with a broken host validated"
  fi
else
  fail "fit --cluster rtx-4090,rtx-3090 did not run"
fi
[ $n -gt 0 ] || fail "no command output was validated"
[ $fails -eq 0 ] && echo "schemas: $n outputs validated"
[ $fails -eq 0 ]
