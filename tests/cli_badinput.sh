#!/usr/bin/env bash
# Bad input across every command: unknown flags, missing arguments and values,
# absurd numbers, missing / unreadable / truncated / hostile files, bad JSON,
# unwritable outputs, a damaged history database. Each case: the exit code
# (2 for bad input or usage), a fragment of the message (naming the file or the
# flag and what is wrong), nothing on stdout, and nothing written or lost.
# Usage: cli_badinput.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$(realpath "$1") fixture=$(realpath "$2")
fails=0 n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache HF_HOME=$tmp/hf \
  OLLAMA_MODELS=$tmp/ollama NO_COLOR=1
mkdir -p "$HOME"
cd "$tmp" || exit 1

# ---- inputs ----
"$fixture" shape arch=llama name=Bad-Llama n_layer=4 n_embd=256 n_head=8 n_head_kv=4 \
  head_dim=32 n_ff=512 n_vocab=1024 n_ctx_train=8192 m.gguf >/dev/null || { echo "FAIL: og-fixture"; exit 1; }
head -c 1000 m.gguf >trunc.gguf
: >empty.gguf
mkdir -p dir.gguf arr cfgstr cfghuge cfgheads0
# GGUF v3 claiming 2^63-1 tensors and one metadata pair, then nothing
printf 'GGUF\003\000\000\000\377\377\377\377\377\377\377\177\001\000\000\000\000\000\000\000' >absurd.gguf
printf 'GGUF\003\000\000\000' >short.gguf
printf '\010\000\000\000\000\000\000\000{"a":1' >trunc.safetensors
printf '\377\377\377\377\377\377\377\177{}' >huge-header.safetensors
echo '[1, 2]' >arr/config.json
echo '{"model_type":"llama","num_hidden_layers":"32","hidden_size":4096}' >cfgstr/config.json
echo '{"model_type":"llama","num_hidden_layers":1000000000000,"hidden_size":4096,"num_attention_heads":32,"intermediate_size":11008,"vocab_size":32000}' >cfghuge/config.json
echo '{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":0,"intermediate_size":11008,"vocab_size":32000}' >cfgheads0/config.json
echo '{bad' >bad.json
echo '[]' >array.json
echo '{"schema_version":1,"os":"linux","ram_bytes":"lots"}' >snap-type.json
echo '{"schema_version":1,"os":"linux","ram_bytes":-5}' >snap-neg.json
echo '{"schema_version":99,"os":"linux","ram_bytes":5}' >snap-ver.json
echo '[{"pid":1}]' >procs-bad.json
echo 'this is not a sqlite database, just text that is long enough to be read' >notdb.db
printf 'llama_model_load: error loading model\n' >crash.log

# a damaged history database: a real one with its middle overwritten
"$og" run --quiet -- true >/dev/null 2>&1
hdb=$XDG_STATE_HOME/oomguard/history.db
if [ -f "$hdb" ]; then
  cp "$hdb" damaged.db
  dd if=/dev/zero of=damaged.db bs=1 count=3000 seek=1000 conv=notrunc 2>/dev/null
else
  fail "oomguard run did not create $hdb"
fi
mkdir -p ro fifodir
echo keep >ro/keep.json
# named pipes nobody writes to: opening one for reading would block forever
mkfifo fifo.gguf fifo.json fifo.log fifodir/a.gguf

# exit code | message fragment | arguments (word-split; no spaces inside one)
cases='2|unknown command|nosuchcmd
2|unknown option|--bogus
2|needs a value|--ctx
2|is not a count|--ctx -1
2|too large|--ctx 99999999999
2|must be larger than 0|--mem 0
2|unknown unit|--mem 10X
2|unknown machine|--machine nosuch
2|bad.json: not valid JSON|--machine bad.json
2|unknown option|inspect --bogus
2|missing MODEL|inspect
2|/nonexist.gguf: no such file|inspect /nonexist.gguf
2|dir.gguf: no model files|inspect dir.gguf
2|empty.gguf: too short|inspect empty.gguf
2|short.gguf:|inspect short.gguf
2|trunc.gguf: key|inspect trunc.gguf
2|absurd.gguf: header claims|inspect absurd.gguf
2|trunc.safetensors: header length|inspect trunc.safetensors
2|huge-header.safetensors:|inspect huge-header.safetensors
2|config.json: not a JSON object|inspect arr/config.json
2|must be a non-negative integer|inspect cfgstr
2|is more than|inspect cfghuge/config.json
2|is 0 but the model has attention layers|inspect cfgheads0/config.json
2|is 0 but the model has attention layers|fit cfgheads0 --mem 8G
2|unknown option|fit --bogus m.gguf
2|missing MODEL|fit
2|--ctx needs a value|fit --ctx
2|--ctx|fit --ctx -1 m.gguf
2|is too large (at most|fit --ctx 99999999999 m.gguf
2|is too large (at most|fit -ngl 99999999999 m.gguf
2|is not a count (a whole|fit -ngl abc m.gguf
2|--mem must be larger than 0|fit --mem 0 m.gguf
2|unknown unit|fit --mem 10X m.gguf
2|unknown engine|fit --engine foo m.gguf
2|is not one of: f32|fit -ctk zz m.gguf
2|--flash-attn|fit --flash-attn maybe m.gguf
2|trunc.gguf: key|fit trunc.gguf
2|empty.gguf: too short|fit empty.gguf
2|dir.gguf: no model files|fit dir.gguf
2|config.json: not a JSON object|fit arr
2|snap-type.json: key|fit --machine snap-type.json m.gguf
2|snap-neg.json: key|fit --machine snap-neg.json m.gguf
2|snap-ver.json: key|fit --machine snap-ver.json m.gguf
2|array.json: key|fit --machine array.json m.gguf
2|dir.gguf: not a regular file|fit --machine dir.gguf m.gguf
2|unknown option|doctor --bogus
2|needs a value|doctor --ctx
2|is not a count|doctor --ctx -1 m.gguf
2|too large|doctor --ctx 99999999999 m.gguf
2|--gpu-layers|doctor --gpu-layers abc m.gguf
2|must be larger than 0|doctor --mem 0 m.gguf
2|unknown unit|doctor --mem 10X m.gguf
2|--sample|doctor --sample -1
2|--kv-bits|doctor --kv-bits 7 m.gguf
2|one MODEL at most|doctor a b
2|unknown build|doctor --quant ZZZ qwen3-32b
2|/nonexist.log:|doctor --sample 0 --log /nonexist.log m.gguf
2|dir.gguf: not a regular file|doctor --sample 0 --log dir.gguf m.gguf
2|bad.json: line 1|doctor --sample 0 --procs bad.json
2|procs-bad.json: process 0|doctor --sample 0 --procs procs-bad.json
2|snap-type.json: key|doctor --machine snap-type.json
2|trunc.gguf: key|doctor --sample 0 trunc.gguf
2|unknown option|wired --bogus
2|needs a value|wired --set
2|--set|wired --set -5
2|--set|wired --set 99999999999
2|--set|wired --set abc
2|--reset cannot be combined|wired --reset --set 1000
2|unknown machine|wired --machine nosuch
2|unexpected|wired extra
2|trunc.gguf: key|wired --recommend trunc.gguf
2|unknown option|top --bogus
2|-n|top -n 0
2|-n|top -n abc
2|-n|top -n 99999999999
2|--sort|top --sort foo
2|-n needs a value|top -n
2|unknown option|machine --bogus
2|needs a value|machine --save
2|unexpected argument|machine extra
2|cannot write /nonexist/dir/s.json|machine --save /nonexist/dir/s.json
2|cannot write dir.gguf|machine --save dir.gguf
2|bad.json: not valid JSON|machine --machine bad.json
2|empty.gguf: not valid JSON|machine --machine empty.gguf
2|snap-type.json: key|machine --machine snap-type.json
2|fifo.gguf: not a regular file|inspect fifo.gguf
2|a.gguf: not a regular file|inspect fifodir
2|fifo.gguf: not a regular file|fit fifo.gguf
2|fifo.json: not a regular file|fit --machine fifo.json m.gguf
2|fifo.json: not a regular file|machine --machine fifo.json
2|fifo.json: not a regular file|doctor --sample 0 --procs fifo.json
2|fifo.log: not a regular file|explain fifo.log
2|fifo.log: not a regular file|doctor --sample 0 --log fifo.log m.gguf
2|unknown option|ls --bogus
2|/nonexist: no such file|ls /nonexist
2|missing LOGFILE|explain
2|unknown option|explain --bogus
2|/nonexist.log:|explain /nonexist.log
2|dir.gguf: not a regular file|explain dir.gguf
2|unexpected argument|explain crash.log extra
2|no command given|run
2|unknown option|run --bogus -- true
2|needs a value|run --interval
2|--interval|run --interval 0 -- true
2|--interval|run --interval -1 -- true
2|--interval|run --interval abc -- true
2|--max-mem|run --max-mem 10X -- true
2|--max-mem|run --max-mem 0 -- true
2|--grace|run --grace -1 -- true
2|--swap-rate|run --swap-rate abc -- true
2|--mem|run --mem 0 -- true
2|cannot write in /nonexist|run --report /nonexist/r.svg -- touch ran
2|is a directory|run --report dir.gguf -- touch ran
2|/nonexist/r.jsonl|run --log /nonexist/r.jsonl -- touch ran
2|unknown option|history --bogus
2|-n|history -n -1
2|-n|history -n abc
2|needs a value|history --db
2|unexpected argument|history extra
2|notdb.db:|history --db notdb.db
2|damaged.db:|history --db damaged.db
2|dir.gguf:|history --db dir.gguf'

while IFS='|' read -r want frag args; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  timeout 20 "$og" $args >out 2>err
  rc=$?
  if [ "$rc" -eq 124 ]; then
    fail "oomguard $args: still running after 20 s (blocked?)"
  elif [ "$rc" -ne "$want" ]; then
    fail "oomguard $args: exit $rc, want $want: $(head -2 err)"
  elif ! grep -qF -- "$frag" err; then
    fail "oomguard $args: message lacks '$frag': $(head -2 err)"
  elif [ -s out ]; then
    fail "oomguard $args: printed on stdout: $(head -2 out)"
  fi
done <<<"$cases"
[ ! -e ran ] || fail "run started the command although its --report or --log was bad"
[ ! -e /nonexist/dir/s.json ] || fail "machine --save wrote into a missing folder"

# a snapshot that cannot be written in full leaves the old file as it was
echo keep >old.json
(
  trap '' XFSZ
  ulimit -f 1 # 1 KiB: the snapshot is larger
  "$og" machine --save old.json >/dev/null 2>err
  echo $? >rc
)
[ "$(cat rc)" = 2 ] || fail "machine --save past the file size limit: exit $(cat rc), want 2"
grep -q "cannot write old.json" err || fail "machine --save past the file size limit: $(cat err)"
[ "$(cat old.json)" = keep ] || fail "a failed machine --save lost the old snapshot"
[ -z "$(ls old.json.* 2>/dev/null)" ] || fail "a failed machine --save left a temporary file"
"$og" machine --save old.json >/dev/null 2>&1 && "$og" machine --machine old.json >/dev/null 2>&1 ||
  fail "machine --save over an old snapshot did not write a readable one"

# a damaged database is neither changed nor replaced by a run or a listing
if [ -f "$hdb" ]; then
  cp damaged.db "$hdb"
  sum=$(md5sum <"$hdb")
  "$og" run --quiet -- true >/dev/null 2>err
  [ $? -eq 0 ] || fail "run with a damaged history: the command's exit code was not kept"
  grep -q "history not recorded" err || fail "run with a damaged history did not say so: $(cat err)"
  "$og" history >/dev/null 2>&1
  [ "$(md5sum <"$hdb")" = "$sum" ] || fail "the damaged history database was changed"
fi

# unreadable files and unwritable folders: as a user without root's override
as=""
if [ "$(id -u)" -eq 0 ]; then
  if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    as="setpriv --reuid=65534 --regid=65534 --clear-groups"
  fi
else
  as="env"
fi
if [ -n "$as" ]; then
  chmod 755 "$tmp"
  cp m.gguf noread.gguf && cp crash.log noread.log && cp bad.json noread.json
  chmod 000 noread.gguf noread.log noread.json
  chmod 555 ro
  perm_cases='2|noread.gguf: Permission denied|inspect noread.gguf
2|noread.gguf: Permission denied|fit noread.gguf
2|noread.gguf: Permission denied|doctor --sample 0 noread.gguf
2|noread.log: Permission denied|explain noread.log
2|noread.log: Permission denied|doctor --sample 0 --log noread.log
2|noread.json: Permission denied|doctor --sample 0 --procs noread.json
2|noread.json: Permission denied|machine --machine noread.json
2|ro/s.json: Permission denied|machine --save ro/s.json
2|ro/keep.json: Permission denied|machine --save ro/keep.json
2|cannot write in ro|run --report ro/r.svg -- true
2|ro/r.jsonl: Permission denied|run --log ro/r.jsonl -- true'
  while IFS='|' read -r want frag args; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    $as env HOME="$HOME" XDG_STATE_HOME="$tmp/ro/state" "$og" $args >out 2>err
    rc=$?
    if [ "$rc" -ne "$want" ]; then
      fail "(no root) oomguard $args: exit $rc, want $want: $(head -2 err)"
    elif ! grep -qF -- "$frag" err; then
      fail "(no root) oomguard $args: message lacks '$frag': $(head -2 err)"
    fi
  done <<<"$perm_cases"
  [ "$(cat ro/keep.json)" = keep ] || fail "machine --save over a read-only file changed it"
  [ ! -e ro/s.json ] || fail "machine --save wrote into a read-only folder"
  chmod 755 ro
else
  echo "SKIP: unreadable-file cases (root without setpriv)"
fi

echo "bad input: $n cases"
[ $fails -eq 0 ]
