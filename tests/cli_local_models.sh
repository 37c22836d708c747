#!/usr/bin/env bash
# The models people already have (cli/resolve.c, issue 14): every name
# `oomguard ls` prints works in fit, inspect, doctor and run; hf:// and
# ollama:// are answered from the local Hugging Face cache, LM Studio folders
# or the Ollama store first, offline; a folder with several models lists them
# (exit 2); inspect takes catalog names; ls fits the terminal and reports
# unreadable folders. No network: HF_ENDPOINT points at a closed port.
# Usage: cli_local_models.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$(realpath "$1") fixture=$(realpath "$2")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache HF_HOME=$tmp/hf \
  OLLAMA_MODELS=$tmp/ollama NO_COLOR=1 HF_ENDPOINT=http://127.0.0.1:9 OLLAMA_HOST=127.0.0.1:9
unset HF_HUB_CACHE
mkdir -p "$HOME"
cd "$tmp" || exit 1
mk() { "$fixture" shape arch=llama name="$1" n_layer=4 n_embd=256 n_head=8 n_head_kv=4 head_dim=32 \
  n_ff=512 n_vocab=1024 n_ctx_train=8192 "$2" >/dev/null || { echo "FAIL: og-fixture"; exit 1; }; }
# Hugging Face hub cache: two GGUFs in one repo
snap=$HF_HOME/hub/models--Qwen--Qwen3-4B-GGUF/snapshots/0123456789abcdef
mkdir -p "$snap" "$HF_HOME/hub/models--Qwen--Qwen3-4B-GGUF/refs"
mk hf-q4 "$snap/Qwen3-4B-Q4_K_M.gguf"
mk hf-q8 "$snap/Qwen3-4B-Q8_0.gguf"
# LM Studio
lm=$HOME/.lmstudio/models/lmstudio-community/Qwen3-8B-GGUF
mkdir -p "$lm" && mk lm "$lm/Qwen3-8B-Q4_K_M.gguf"
# Ollama store: qwen3:8b (also a catalog alias)
mkdir -p "$OLLAMA_MODELS/blobs" "$OLLAMA_MODELS/manifests/registry.ollama.ai/library/qwen3"
mk ol "$OLLAMA_MODELS/blobs/sha256-abcd"
printf '{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:abcd"}]}' \
  >"$OLLAMA_MODELS/manifests/registry.ollama.ai/library/qwen3/8b"

"$og" ls --json >ls.json || fail "ls --json"
mapfile -t names < <(python3 -c "import json; [print(m['name']) for m in json.load(open('ls.json')) if not m['error']]")
[ ${#names[@]} -ge 4 ] && ok "ls finds ${#names[@]} models: ${names[*]}" || fail "ls found ${#names[@]}: ${names[*]}"
for n in "${names[@]}"; do
  for c in "inspect" "fit --mem 24G" "doctor --sample 0"; do
    # shellcheck disable=SC2086
    "$og" $c "$n" --json >out 2>err; rc=$?
    if [ $rc -le 1 ] && python3 -c "import json; json.load(open('out'))" 2>/dev/null; then :
    else fail "$c $n: rc=$rc $(head -2 err)"; fi
  done
  # run: the preflight opens the same model (`ollama run NAME` for the Ollama store)
done
ok "every name ls prints works in inspect, fit and doctor"
"$og" inspect qwen3:8b --json >out 2>err
grep -q "using the local ollama copy" err && grep -q '"format"' out &&
  python3 -c "import json; assert json.load(open('out'))['format'] == 'gguf'" &&
  ok "qwen3:8b (a catalog alias too): the local Ollama copy, said on stderr" ||
  fail "qwen3:8b: $(head -2 err)"
# a name from the LM Studio path
"$og" fit "lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf" --mem 8G >/dev/null 2>err &&
  ok "an LM Studio name" || fail "LM Studio name: $(head -2 err)"
# run's preflight finds the local Ollama model
cat >"$tmp/ollama" <<'SH'
#!/bin/sh
exit 0
SH
chmod +x "$tmp/ollama"
PATH="$tmp:$PATH" "$og" run --quiet --no-history -- ollama run qwen3:8b >out 2>err
grep -q "using the local copy in the ollama store" err && ok "run -- ollama run qwen3:8b: preflight on the local copy" ||
  fail "run ollama preflight: $(grep oomguard err | head -3)"

# hf:// and ollama:// from the local stores, offline
HF_HUB_OFFLINE=1 "$og" inspect hf://Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q8_0.gguf --json >out 2>err &&
  grep -q "using the local copy in the huggingface store" err && ok "hf://ORG/REPO/FILE from the hub cache, offline" ||
  fail "hf:// local: $(head -2 err)"
HF_HUB_OFFLINE=1 "$og" fit hf://lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf --mem 8G >/dev/null 2>err &&
  grep -q "lmstudio store" err && ok "hf://ORG/REPO/FILE from LM Studio's folder, offline" || fail "hf:// LM Studio: $(head -2 err)"
"$og" inspect ollama://qwen3:8b --json >out 2>err && grep -q "ollama store" err &&
  ok "ollama://NAME:TAG from the local store" || fail "ollama:// local: $(head -2 err)"
HF_HUB_OFFLINE=1 "$og" inspect hf://Qwen/Qwen3-4B-GGUF >out 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "Qwen3-4B-Q4_K_M.gguf" err && grep -q "Qwen3-4B-Q8_0.gguf" err &&
  ok "hf://ORG/REPO with two local GGUFs: listed, exit 2" || fail "hf://ORG/REPO several: rc=$rc $(head -3 err)"
HF_HUB_OFFLINE=1 "$og" inspect hf://nobody/nothing-GGUF/x.gguf >out 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "HF_HUB_OFFLINE" err && ok "HF_HUB_OFFLINE and no local copy: exit 2, says why" ||
  fail "offline miss: rc=$rc $(head -2 err)"

# a folder with several models: listed, exit 2; a store folder too
"$og" fit "$snap" --mem 8G >out 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "holds 2 models" err && ok "a folder with two GGUFs: listed, exit 2" || fail "folder: rc=$rc $(head -2 err)"
"$og" inspect "$OLLAMA_MODELS" >out 2>err; rc=$?
if [ $rc -eq 0 ]; then ok "the Ollama store with one model: that model"
else fail "store folder: rc=$rc $(head -2 err)"; fi
"$og" doctor --sample 0 "$HF_HOME/hub" >out 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "holds 2 models" err && ok "the hub cache folder: listed, exit 2" || fail "hub folder: rc=$rc"

# a catalog name that matches local copies: one copy is used and named; several are listed
u14=$HF_HOME/hub/models--unsloth--Qwen3-14B-GGUF/snapshots/fedcba9876543210
mkdir -p "$u14" && mk u14 "$u14/Qwen3-14B-Q4_K_M.gguf"
"$og" fit qwen3-14b --mem 24G --json >out 2>err
grep -q "qwen3-14b: using the local copy unsloth/Qwen3-14B-GGUF:Qwen3-14B-Q4_K_M.gguf" err &&
  python3 -c "import json; j=json.load(open('out')); assert 'Qwen3-14B-Q4_K_M.gguf' in j['model'], j['model']" &&
  ok "fit qwen3-14b: the one local copy, named on stderr" || fail "catalog name, one copy: $(head -2 err)"
"$og" fit qwen3-14b --quant Q8_0 --mem 24G --json >out 2>err
grep -q "local copy" err && fail "--quant should plan the catalog build" || ok "fit qwen3-14b --quant Q8_0: the catalog build"
"$og" doctor --sample 0 qwen3-8b --json >out 2>err
grep -q "qwen3-8b: 2 local copies; planning the catalog entry" err && grep -q "  qwen3:8b" err &&
  grep -q "  lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf" err &&
  ok "doctor qwen3-8b with two local copies: the catalog entry, copies listed" ||
  fail "catalog name, two copies: $(head -4 err)"

# inspect takes catalog names
"$og" inspect qwen3-32b --json >out 2>err && grep -q "catalog entry" err &&
  python3 -c "import json; j=json.load(open('out')); assert j['parameters'] > 30e9, j['parameters']" &&
  ok "inspect qwen3-32b: the catalog entry" || fail "inspect catalog name: $(head -2 err)"
"$og" inspect qwen3-32x >out 2>err; [ $? -eq 2 ] && grep -qi "did you mean" err && ok "inspect typo: did you mean" ||
  fail "inspect typo: $(head -2 err)"

# ls fits the terminal: long names and paths cut with an ellipsis
deep=$HOME/.lmstudio/models/some-publisher-with-a-very-long-name/An-Extremely-Long-Model-Repository-Name-GGUF
mkdir -p "$deep" && mk long "$deep/An-Extremely-Long-Model-Repository-Name-Q4_K_M-imatrix-final.gguf"
# widest line in display columns (the ellipsis is one column)
widest() { python3 -c "import sys; print(max(len(l) for l in open(sys.argv[1], encoding='utf-8').read().splitlines()))" "$1"; }
for cols in 60 80 200; do
  COLUMNS=$cols LANG=C.UTF-8 "$og" ls >out 2>err || fail "ls at $cols: rc"
  w=$(widest out)
  [ "$w" -le "$cols" ] && ok "ls at $cols columns: widest line $w" || fail "ls at $cols: widest $w"
  # the long name: cut in the middle, its start and its quantization suffix kept
  # (at 80 the Q4_K_M suffix too; at 60 the name keeps its end and QUANT says Q4_K)
  suffix=Q4_K_M-imatrix-final.gguf
  [ "$cols" -eq 60 ] && suffix='final.gguf .*Q4_K'
  if [ "$cols" -lt 200 ]; then
    grep -q $'some-pub[^ ]*\xe2\x80\xa6[^ ]*'"$suffix" out &&
      ok "ls at $cols: the long name cut in the middle, its end kept" ||
      fail "ls at $cols: long name $(grep -a imatrix out | head -1)"
  fi
  COLUMNS=$cols "$og" ls --json >"json$cols" 2>err || fail "ls --json at $cols"
done
grep -q "An-Extremely-Long-Model-Repository-Name-Q4_K_M-imatrix-final.gguf" out &&
  ok "ls at 200: the long name whole" || fail "ls at 200 cut the name"
cmp -s json60 json200 && cmp -s json80 json200 &&
  python3 -c "import json; assert any('An-Extremely-Long-Model-Repository-Name-Q4_K_M-imatrix-final.gguf' in m['name'] for m in json.load(open('json60')))" &&
  ok "ls --json is the same at every width, full names" || fail "ls --json depends on the width"
COLUMNS=80 LANG=C "$og" ls >out 2>err
grep -q "~" out && [ "$(widest out)" -le 80 ] && ok "ls without a UTF-8 locale: '~' marks the cut" ||
  fail "ls LANG=C: $(widest out)"
env -u COLUMNS "$og" ls >out 2>err
[ "$(widest out)" -le 80 ] && ok "ls into a pipe (no COLUMNS): 80 columns" || fail "ls pipe: $(widest out)"

# unreadable folders are reported
as=""
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null &&
    as="setpriv --reuid=65534 --regid=65534 --clear-groups"
else as="env"; fi
if [ -n "$as" ]; then
  mkdir -p "$tmp/pub/a" "$tmp/pub/locked" && mk a "$tmp/pub/a/a.gguf" && chmod 755 "$tmp" "$tmp/pub" "$tmp/pub/a" &&
    chmod 644 "$tmp/pub/a/a.gguf" && chmod 000 "$tmp/pub/locked"
  $as "$og" ls --json "$tmp/pub" >out 2>err
  python3 - <<'PY' && ok "ls: an unreadable folder is listed with the reason" || fail "unreadable folder: $(cat out | head -5)"
import json
l = json.load(open("out"))
locked = [m for m in l if "locked" in m["path"]]
assert locked and "Permission denied" in locked[0]["error"], l
assert any(m["error"] is None for m in l), l
PY
  chmod 755 "$tmp/pub/locked"
else
  echo "SKIP: unreadable folder (root without setpriv)"
fi

[ $fails -eq 0 ] && echo "local models: all checks passed" || echo "local models: $fails failed"
[ $fails -eq 0 ]
