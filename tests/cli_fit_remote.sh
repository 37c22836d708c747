#!/usr/bin/env bash
# oomguard fit --all-quants hf://ORG/REPO: every GGUF quant of a repository,
# planned from header reads against a real web server on 127.0.0.1 (nginx,
# tests/lib/nginx.sh, the layout tests/cli_remote.sh uses).
set -uo pipefail
og=$1; fix=$2; tdir=$3
. "$tdir/lib/nginx.sh"
if [ -z "$(og_nginx_bin)" ]; then
  echo "SKIP: nginx is not installed (scripts/deps.sh test installs it)"; exit 0
fi
work=$(mktemp -d /tmp/og-fit-remote-XXXXXX)
chmod 755 "$work"
trap 'og_nginx_stop "$work"; rm -rf "$work"' EXIT
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1"; fail=$((fail+1)); }

www=$work/www
sha=89abcdef0123456789abcdef0123456789abcdef
d=$www/org/tiny-GGUF/resolve/$sha
mkdir -p "$d" "$www/api/models/org/tiny-GGUF/revision"
shape="arch=llama n_layer=4 n_embd=2048 n_head=16 n_head_kv=4 n_ff=8192 n_vocab=32000 n_ctx_train=8192"
# Listed out of size order on purpose: the table must sort them.
for q in q8_0 q4_0 f16; do
  # shellcheck disable=SC2086
  "$fix" shape $shape weight_type=$q "$d/tiny-${q^^}.gguf" >/dev/null || { echo "FAIL fixture"; exit 1; }
done
cat > "$www/api/models/org/tiny-GGUF/revision/main" <<JSON
{"id":"org/tiny-GGUF","sha":"$sha","siblings":[{"rfilename":"README.md"},{"rfilename":"tiny-Q8_0.gguf"},
{"rfilename":"tiny-Q4_0.gguf"},{"rfilename":"tiny-F16.gguf"}]}
JSON
# the listing names each quant at the pinned revision: HF answers that too
cp "$www/api/models/org/tiny-GGUF/revision/main" "$www/api/models/org/tiny-GGUF/revision/$sha"
chmod -R a+rX "$www"
port=$((20000 + RANDOM % 20000))
og_nginx_start "$work" "$www" "$port" || { echo "FAIL nginx did not start"; exit 1; }
export HF_ENDPOINT=http://127.0.0.1:$port XDG_CACHE_HOME=$work/cache OOMGUARD_HTTP_TIMEOUT=5 NO_COLOR=1
unset HF_TOKEN

# 1. One row per quant, smallest first, each planned like the local file.
"$og" fit --all-quants hf://org/tiny-GGUF --backend cpu --mem 8G -c 4096 >"$work/t" 2>"$work/e"; rc=$?
[ $rc -eq 0 ] && ok "fits somewhere: exit 0" || bad "exit $rc: $(cat "$work/e")"
order=$(grep -o 'tiny-[A-Z0-9_]*\.gguf' "$work/t" | tr '\n' ' ')
[ "$order" = "tiny-Q4_0.gguf tiny-Q8_0.gguf tiny-F16.gguf " ] && ok "sorted by size: $order" || bad "order: $order"

"$og" fit --all-quants hf://org/tiny-GGUF --backend cpu --mem 8G -c 4096 --json >"$work/j" 2>"$work/e" || bad "json exit"
"$og" fit "$d/tiny-Q8_0.gguf" --backend cpu --mem 8G -c 4096 --json >"$work/local.json" || bad "local fit"
python3 - "$work/j" "$work/local.json" <<'PY' && ok "JSON rows match the local plans" || bad "JSON rows"
import json, sys
j = json.load(open(sys.argv[1])); local = json.load(open(sys.argv[2]))
q = j["quants"]
assert [r["file"] for r in q] == ["tiny-Q4_0.gguf", "tiny-Q8_0.gguf", "tiny-F16.gguf"], q
assert all(q[i]["weights_bytes"] < q[i + 1]["weights_bytes"] for i in range(2))
r = q[1]
assert r["source"].startswith("hf://org/tiny-GGUF@") and r["source"].endswith("/tiny-Q8_0.gguf"), r
assert r["weights_bytes"] == local["memory"]["weights_bytes"], (r, local["memory"])
assert r["total_bytes"] == local["memory"]["total_bytes"]
assert r["verdict"] == local["verdict"] and r["max_ctx"] == local["max_ctx"]
assert j["engine"] == "llama.cpp" and j["budget"]["source"].startswith("--mem")
PY

# 2. A budget between the sizes: some fit, some do not; none fit: exit 1.
small=$(python3 -c "import json; q=json.load(open('$work/j'))['quants']; print((q[0]['total_bytes'] + q[1]['total_bytes']) // 2)")
"$og" fit --all-quants hf://org/tiny-GGUF --backend cpu --mem "$small" -c 4096 --json >"$work/j2"; rc=$?
python3 -c "import json; v=[r['verdict'] for r in json.load(open('$work/j2'))['quants']]; assert v[0] != 'does not fit' and v[2] == 'does not fit', v" \
  && [ $rc -eq 0 ] && ok "budget between sizes: smallest fits, largest does not" || bad "between: rc=$rc"
"$og" fit --all-quants hf://org/tiny-GGUF --backend cpu --mem 1M -c 4096 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "nothing fits: exit 1" || bad "nothing fits: exit $rc"

# 3. Bad uses: exit 2 with a message.
"$og" fit --all-quants "$d/tiny-Q8_0.gguf" --mem 8G 2>"$work/e"; rc=$?
[ $rc -eq 2 ] && grep -q "hf://" "$work/e" && ok "--all-quants on a file: exit 2" || bad "file: rc=$rc"
"$og" fit --all-quants hf://org/tiny-GGUF --engine mlx --mem 8G 2>"$work/e"; rc=$?
[ $rc -eq 2 ] && ok "--all-quants --engine mlx: exit 2" || bad "mlx: rc=$rc"
"$og" fit --all-quants hf://org/absent-GGUF --mem 8G 2>"$work/e"; rc=$?
[ $rc -eq 2 ] && grep -q "404" "$work/e" && ok "missing repository: exit 2 ($(head -c 100 "$work/e"))" || bad "404: rc=$rc $(cat "$work/e")"

# 4. A single remote quant through fit (no catalog lookup for remote sources).
"$og" fit "hf://org/tiny-GGUF/tiny-Q4_0.gguf" --backend cpu --mem 16G -c 4096 --json >"$work/one" 2>"$work/e" \
  && python3 -c "import json; j=json.load(open('$work/one')); assert j['engine']=='llama.cpp' and j['verdict']=='fits'" \
  && ok "fit hf://.../FILE.gguf" || bad "single remote: $(cat "$work/e")"

# 5. The JSON validates against docs/schema/fit.schema.json.
src=$(cd "$tdir/.." && pwd)
if python3 -c 'import jsonschema' 2>/dev/null; then
  python3 "$tdir/pkg/validate_json.py" "$src/docs/schema/fit.schema.json" "$work/j" >/dev/null \
    && ok "--all-quants JSON validates" || bad "--all-quants JSON does not validate"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
