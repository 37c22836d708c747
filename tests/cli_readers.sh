#!/usr/bin/env bash
# CLI tests for the readers: inspect on configs, GGUF, folders and bad input;
# ls over fake stores. Args: oomguard og-fixture tests-dir
set -euo pipefail
og=$1; fix=$2; tdir=$3
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# inspect: a config.json alone
out=$("$og" inspect --json "$tdir/data/configs/llama-3.1-8b.json")
[ "$(echo "$out" | jget 'd["format"]')" = hf-config ] || fail "config format"
[ "$(echo "$out" | jget 'd["architecture"]')" = llama ] || fail "config arch"
[ "$(echo "$out" | jget 'd["parameters"]')" = 8030261248 ] || fail "config params"
[ "$(echo "$out" | jget 'd["layers"]')" = 32 ] || fail "config layers"
[ "$(echo "$out" | jget 'd["context_train"]')" = 131072 ] || fail "config ctx"

# inspect: a GGUF from the fixture writer, and a folder holding it
mkdir -p "$t/lm/pub/repo"
"$fix" shape arch=llama n_layer=2 n_embd=64 n_head=4 n_ff=128 n_vocab=256 n_ctx_train=2048 \
  "$t/lm/pub/repo/tiny.gguf"
out=$("$og" inspect --json "$t/lm/pub/repo")
[ "$(echo "$out" | jget 'd["format"]')" = gguf ] || fail "gguf folder format"
[ "$(echo "$out" | jget 'd["layers"]')" = 2 ] || fail "gguf layers"

# bad input: exit 2, message names the file and the key
printf '{"num_hidden_layers": "x", "hidden_size": 4}' > "$t/config.json"
set +e
msg=$("$og" inspect "$t/config.json" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "bad config exit $rc"
echo "$msg" | grep -q "config.json: key 'num_hidden_layers'" || fail "bad config message: $msg"
printf '\x40\x00\x00\x00\x00\x00\x00\x00{}' > "$t/short.safetensors"
set +e
msg=$("$og" inspect "$t/short.safetensors" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "short safetensors exit $rc"
echo "$msg" | grep -q "short.safetensors: header length 64 .* larger than the file" || fail "$msg"
ln -s loop "$t/loop"
set +e
msg=$("$og" inspect "$t/loop" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "loop exit $rc"
echo "$msg" | grep -qi "loop" || fail "loop message: $msg"

# ls over fake stores in a fake HOME
export HOME="$t/home"; unset HF_HUB_CACHE HF_HOME XDG_CACHE_HOME OLLAMA_MODELS
mkdir -p "$HOME/.lmstudio/models/pub/repo" "$HOME/.ollama/models/blobs" \
  "$HOME/.ollama/models/manifests/registry.ollama.ai/library/tiny"
cp "$t/lm/pub/repo/tiny.gguf" "$HOME/.lmstudio/models/pub/repo/tiny.gguf"
printf 'GGUF\x03\x00\x00\x00' > "$HOME/.lmstudio/models/pub/repo/broken.gguf"
cp "$t/lm/pub/repo/tiny.gguf" "$HOME/.ollama/models/blobs/sha256-abcd"
printf '{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:abcd"}]}' \
  > "$HOME/.ollama/models/manifests/registry.ollama.ai/library/tiny/8b"
out=$("$og" ls --json)
[ "$(echo "$out" | jget 'len(d)')" = 3 ] || fail "ls count: $out"
[ "$(echo "$out" | jget '[m["name"] for m in d if m["store"]=="ollama"][0]')" = tiny:8b ] || fail "ollama name"
[ "$(echo "$out" | jget '[m["architecture"] for m in d if m["name"]=="pub/repo/tiny.gguf"][0]')" = llama ] || fail "lms arch"
[ "$(echo "$out" | jget '[m["error"] is not None for m in d if m["name"]=="pub/repo/broken.gguf"][0]')" = True ] || fail "broken listed"
"$og" ls | grep -q "tiny:8b" || fail "ls table"
"$og" ls "$t/lm" | grep -q "pub/repo/tiny.gguf" || fail "ls DIR"
"$og" ls --help | grep -q "Usage: oomguard ls" || fail "ls help"
set +e
"$og" ls --bogus 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "ls bad flag exit $rc"
"$og" ls "$t/does-not-exist" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "ls missing dir exit $rc"
set -e
echo "cli_readers: ok"
