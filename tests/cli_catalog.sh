#!/bin/bash
# oomguard (no command): the overview and the catalog from the command line.
# Args: oomguard binary, og-fixture binary, tests dir.
set -u
OG=$1
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export XDG_CONFIG_HOME=$T/none; unset OOMGUARD_CATALOG

"$OG" --help | grep -qi "what you can run" || fail "help"
"$OG" --mem 8G --help | grep -q "What can I run here" || fail "overview help"
"$OG" --machine m4-max-64gb > "$T/out" || fail "overview exit $?"
grep -q "What you can run" "$T/out" || fail "no table"
grep -q "Apple M4 Max" "$T/out" || fail "no machine line"
# the pick policy: the largest build up to 8-bit leaving 16K of context, with its memory
grep -Eq "Llama 3.1 8B +8B +mlx-8bit @ [0-9]+K, [0-9.]+ GiB +Q8_0 @ " "$T/out" ||
  fail "8B should run at 8 bits with its memory shown on 64 GB"
grep -q "^Pick: the largest build up to 8-bit" "$T/out" || fail "pick policy not stated"
# families once, each family's models together
python3 - "$T/out" <<'PY' || fail "a family is listed twice"
import sys
lines = [l.rstrip("\n") for l in open(sys.argv[1])]
fam = [l for l in lines if l and not l.startswith(" ") and l.split()[0] in ("Mistral", "Qwen3", "Gemma", "Llama")]
assert len(fam) == len(set(fam)), fam
PY
grep -Eq "DeepSeek V3 +671B-A37B +- +-" "$T/out" || fail "DeepSeek V3 cannot fit 64 GB"

"$OG" --json --machine m4-max-64gb > "$T/j" || fail "json exit"
python3 - "$T/j" <<'PY' || fail "json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["machine"]["ram_bytes"] == 64 << 30
m = {x["name"]: x for x in d["models"]}
assert len(m) >= 60
assert m["qwen3-8b"]["mlx"]["fits"] and m["qwen3-8b"]["gguf"]["max_context"] >= 4096
assert not m["deepseek-v3"]["gguf"]["fits"]
PY
# the overview's pick is what fit says for that build (one decision)
read -r pb pc pbytes < <(python3 -c "
import json; d=json.load(open('$T/j')); g={x['name']:x for x in d['models']}['qwen3-14b']['gguf']
print(g['build'], g['max_context'], g['bytes'])")
"$OG" fit qwen3-14b --quant "$pb" --machine m4-max-64gb --json > "$T/f" || fail "fit of the pick does not fit"
python3 -c "
import json; f=json.load(open('$T/f'))
assert f['max_ctx'] == $pc and f['memory']['gpu_bytes'] == $pbytes, (f['max_ctx'], f['memory']['gpu_bytes'])" ||
  fail "overview pick differs from fit"

# --mem: a smaller budget gives smaller builds
"$OG" --json --mem 8G --machine m4-max-64gb > "$T/j8" || fail "--mem"
python3 -c "
import json,sys; d=json.load(open('$T/j8')); m={x['name']:x for x in d['models']}
assert m['llama-3.1-8b']['gguf']['build'][:2] in ('Q6','Q5','Q4','IQ4'[:2]), m['llama-3.1-8b']
assert not m['qwen3-32b']['gguf']['fits']" || fail "--mem 8G"

# bad input: exit 2 with a message
"$OG" --mem lots 2> "$T/e"; [ $? -eq 2 ] || fail "--mem lots should exit 2"
grep -q "is not a number" "$T/e" || fail "--mem message"
"$OG" --machine no-such-mac 2> "$T/e"; [ $? -eq 2 ] || fail "unknown machine should exit 2"
"$OG" --bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown option should exit 2"

# a user catalog adds a model; a bad one is reported with file, entry and key
cat > "$T/cat.json" <<'J'
{"schema":1,"models":[{"name":"tiny-test","display":"Tiny Test","family":"Mine","arch":"llama",
 "n_layer":2,"n_embd":256,"n_head":4,"n_ff":512,"n_vocab":1000,"n_ctx_train":2048,"source":"me"}]}
J
OOMGUARD_CATALOG=$T/cat.json "$OG" --machine m4-max-64gb | grep -q "Tiny Test" || fail "user entry"
sed 's/"n_ff"/"n_fff"/' "$T/cat.json" > "$T/bad.json"
OOMGUARD_CATALOG=$T/bad.json "$OG" --machine m4-max-64gb > /dev/null 2> "$T/e" || fail "bad user catalog is a warning"
grep -q "bad.json: entry 'tiny-test': key 'n_fff': unknown key" "$T/e" || fail "bad catalog message: $(cat "$T/e")"

# the installed share/oomguard/catalog.json is read at run time (a packaged
# update needs no rebuild); a bad one is reported by file and entry and the
# built-in copy is used
mkdir -p "$T/share"
cp "$T/cat.json" "$T/share/catalog.json"
OOMGUARD_DATADIR=$T/share "$OG" --json --machine m4-max-64gb > "$T/ji" || fail "installed catalog"
python3 -c "
import json; d=json.load(open('$T/ji')); n=[x['name'] for x in d['models']]
assert n == ['tiny-test'], n" || fail "installed catalog replaces the built-in one"
sed 's/"n_ff"/"n_fff"/' "$T/cat.json" > "$T/share/catalog.json"
OOMGUARD_DATADIR=$T/share "$OG" --json --machine m4-max-64gb > "$T/ji" 2> "$T/e" || fail "bad installed catalog is a warning"
grep -q "share/catalog.json: entry 'tiny-test': key 'n_fff': unknown key" "$T/e" || fail "bad installed catalog message: $(cat "$T/e")"
python3 -c "
import json; d=json.load(open('$T/ji')); assert len(d['models']) >= 60" || fail "built-in fallback"
echo ok
