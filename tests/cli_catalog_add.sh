#!/usr/bin/env bash
# oomguard catalog add|list|remove against the local web server the remote
# tests use (nginx from Debian on 127.0.0.1, Hugging Face URL layout): the
# entry is read from headers only, written to $XDG_CONFIG_HOME, shown in the
# overview and planned by `fit NAME`; bad input exits 2 with the reason.
# Args: oomguard binary, og-fixture binary.
set -uo pipefail
og=$1; fix=$2
. "$(dirname "$0")/lib/nginx.sh"
if [ -z "$(og_nginx_bin)" ]; then
  echo "SKIP: nginx is not installed (scripts/deps.sh test installs it)"; exit 0
fi
work=$(mktemp -d /tmp/og-catadd-XXXXXX)
chmod 755 "$work"
trap 'og_nginx_stop "$work"; rm -rf "$work"' EXIT
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1"; fail=$((fail+1)); }

www=$work/www; sha=0123456789abcdef0123456789abcdef01234567
# An mlx-lm repository (config.json, shard index, three safetensors shards).
repo=$www/org/tiny-4bit/resolve/$sha
mkdir -p "$repo" "$www/api/models/org/tiny-4bit/revision"
"$fix" mlx "$repo" n_shards=3 || exit 2
{ printf '{"id":"org/tiny-4bit","sha":"%s","siblings":[{"rfilename":"README.md"}' "$sha"
  for f in $(cd "$repo" && ls); do printf ',{"rfilename":"%s"}' "$f"; done; printf ']}\n'; } \
  > "$www/api/models/org/tiny-4bit/revision/main"
# A repository with an architecture the catalog cannot describe.
odd=$www/org/odd/resolve/$sha
mkdir -p "$odd" "$www/api/models/org/odd/revision"
cp "$repo"/* "$odd/"
sed -i 's/"LlamaForCausalLM"/"Starcoder2ForCausalLM"/; s/"llama"/"starcoder2"/' "$odd/config.json"
sed "s/tiny-4bit/odd/" "$www/api/models/org/tiny-4bit/revision/main" > "$www/api/models/org/odd/revision/main"
chmod -R a+rX "$www"
port=$((20000 + RANDOM % 20000))
og_nginx_start "$work" "$www" "$port" || { echo "FAIL nginx did not start"; exit 1; }
export HF_ENDPOINT=http://127.0.0.1:$port XDG_CACHE_HOME=$work/cache XDG_CONFIG_HOME=$work/config
export OOMGUARD_HTTP_TIMEOUT=5
unset HF_TOKEN OOMGUARD_CATALOG
cat=$work/config/oomguard/catalog.json

# 1. add: headers only, the file is created with one valid entry.
: > "$work/logs/access.log"
if "$og" catalog add hf://org/tiny-4bit --name my-tiny > "$work/a.out" 2> "$work/a.err"; then
  ok "catalog add exits 0"; else bad "catalog add: $(cat "$work/a.err")"; fi
grep -q "Added 'my-tiny'" "$work/a.out" && ok "says what it added" || bad "add output: $(cat "$work/a.out")"
python3 - "$cat" <<'PY' && ok "entry written: shape, repo and source" || bad "catalog file: $(cat "$cat")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == 1 and len(d["models"]) == 1, d
e = d["models"][0]
assert e["name"] == "my-tiny" and e["hf_repo"] == "org/tiny-4bit" and e["arch"] == "llama", e
assert (e["n_layer"], e["n_embd"], e["n_head"], e["n_head_kv"], e["n_ff"], e["n_vocab"]) == (4, 512, 8, 4, 1536, 4096), e
assert e["source"].startswith("https://huggingface.co/org/tiny-4bit/blob/main/config.json; read by"), e
assert "attn_bias" not in e, e  # MLX ".biases" are quantization biases, not attention biases
PY
# Header bytes only: nothing near the size of the shards was read.
shards=$(cat "$repo"/*.safetensors | wc -c)
got=$(awk '{s+=$10} END {print s+0}' "$work/logs/access.log")
[ "$got" -lt "$shards" ] && ok "read $got bytes of $shards (headers only)" || bad "read $got bytes of $shards"

# 2. list, the overview and fit NAME see it.
"$og" catalog list > "$work/l.out" && grep -q "my-tiny .*org/tiny-4bit" "$work/l.out" \
  && ok "catalog list" || bad "list: $(cat "$work/l.out")"
"$og" catalog list --json | python3 -c "
import json,sys; d=json.load(sys.stdin); assert [m['name'] for m in d['models']] == ['my-tiny'], d" \
  && ok "catalog list --json" || bad "list --json"
"$og" --json --machine m4-max-64gb | python3 -c "
import json,sys; d=json.load(sys.stdin); m={x['name']:x for x in d['models']}
assert 'my-tiny' in m and m['my-tiny']['gguf']['fits'], list(m)[:3]; assert len(m) >= 100" \
  && ok "the overview lists it with the built-in catalog" || bad "overview"
"$og" fit my-tiny --machine m4-max-64gb > "$work/f.out" 2>&1 && grep -q "tiny-4bit" "$work/f.out" \
  && ok "fit NAME plans it" || bad "fit: $(head -3 "$work/f.out")"

# 3. add again under the same name replaces; another name adds.
"$og" catalog add hf://org/tiny-4bit --name my-tiny > /dev/null 2>&1
"$og" catalog add hf://org/tiny-4bit > /dev/null 2>&1
python3 -c "
import json; d=json.load(open('$cat')); n=[m['name'] for m in d['models']]
assert n == ['my-tiny', 'tiny-4bit'], n" && ok "same name replaced, default name from the repo" \
  || bad "names: $(grep '\"name\"' "$cat")"

# 4. bad input: exit 2 with the reason; the file is left as it was.
cp "$cat" "$work/before.json"
"$og" catalog add hf://org/odd 2> "$work/e"; rc=$?
[ $rc -eq 2 ] && grep -q "architecture 'starcoder2' is not one the catalog can describe" "$work/e" \
  && ok "unsupported architecture: exit 2 and why" || bad "odd arch: rc $rc $(cat "$work/e")"
"$og" catalog add hf://org/missing 2> "$work/e"; rc=$?
[ $rc -eq 2 ] && ok "unknown repository: exit 2 ($(head -c 80 "$work/e"))" || bad "missing repo: rc $rc"
cmp -s "$cat" "$work/before.json" && ok "failed adds leave the file alone" || bad "file changed"
"$og" catalog remove nosuch 2> "$work/e"; rc=$?
[ $rc -eq 2 ] && grep -q "'nosuch' is not in your catalog" "$work/e" && ok "remove unknown: exit 2" \
  || bad "remove unknown: rc $rc $(cat "$work/e")"
"$og" catalog frob 2>/dev/null; [ $? -eq 2 ] && ok "unknown subcommand: exit 2" || bad "frob"
"$og" catalog 2>/dev/null; [ $? -eq 2 ] && ok "no subcommand: exit 2" || bad "no subcommand"
# A damaged user file is named with its entry and key, and not overwritten.
sed 's/"n_embd"/"n_embdd"/' "$work/before.json" > "$cat"
"$og" catalog add hf://org/tiny-4bit --name other 2> "$work/e"; rc=$?
[ $rc -eq 2 ] && grep -q "catalog.json: entry 'my-tiny': key 'n_embdd': unknown key" "$work/e" \
  && ok "a bad user file is reported by entry and key" || bad "bad file: rc $rc $(cat "$work/e")"
grep -q n_embdd "$cat" && ok "and left as it was" || bad "bad file overwritten"
cp "$work/before.json" "$cat"

# 5. remove.
"$og" catalog remove my-tiny > /dev/null && ! grep -q '"my-tiny"' "$cat" && ok "catalog remove" \
  || bad "remove"
"$og" fit my-tiny --machine m4-max-64gb > /dev/null 2> "$work/e"; rc=$?
[ $rc -eq 2 ] && ok "removed entry is gone from fit (exit 2)" || bad "fit after remove: rc $rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
