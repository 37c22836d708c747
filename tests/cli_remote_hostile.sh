#!/usr/bin/env bash
# Issue 18 items 4-8 and 14: remote answers that must not be trusted, from a
# hostile HTTP server on 127.0.0.1 (tests/lib/hostile_http.py, started here,
# waited for, gone when the test ends). Each case: exit 2, a clear message,
# bounded time and no damage.
set -uo pipefail
og=$1; fix=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/hostile.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 0; }
work=$(mktemp -d /tmp/og-hostile-XXXXXX)
trap 'og_hostile_stop; rm -rf "$work"' EXIT
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1"; fail=$((fail+1)); }
www=$work/www; mkdir -p "$www"
"$fix" shape arch=qwen3 n_layer=4 n_embd=1024 n_head=16 n_head_kv=8 head_dim=128 n_ff=3072 \
  n_vocab=2048 qk_norm=1 weight_type=q8_0 "$www/small.gguf" >/dev/null || exit 2
cp "$www/small.gguf" "$www/other.gguf"
og_hostile_start "$work" "$www" srv || { echo "FAIL the test server did not start"; exit 1; }
base=http://127.0.0.1:$OG_HOSTILE_PORT
export XDG_CACHE_HOME=$work/cache OOMGUARD_HTTP_TIMEOUT=20 HF_ENDPOINT=$base OLLAMA_REGISTRY=$base
unset HF_TOKEN OOMGUARD_CACHE_MAX

# expect NAME SOURCE PATTERN MAX_SECONDS: exit 2, message matching, within the time
expect() {
  local t0 t1 rc
  t0=$(date +%s%N)
  "$og" inspect "$2" >/dev/null 2>"$work/e.err"; rc=$?
  t1=$(date +%s%N)
  local ms=$(( (t1 - t0) / 1000000 ))
  if [ "$rc" -eq 2 ] && grep -qi -- "$3" "$work/e.err" && [ "$ms" -le $(($4 * 1000)) ]; then
    ok "$1 (${ms} ms): $(head -c 160 "$work/e.err")"
  else bad "$1: rc=$rc ${ms} ms: $(cat "$work/e.err")"; fi
}

# 0. The positive control: the server serves a real GGUF.
"$og" inspect --json "$base/small.gguf" >"$work/ok.json" 2>"$work/ok.err" \
  && grep -q '"architecture": "qwen3"' "$work/ok.json" && ok "a good file reads" || bad "control: $(cat "$work/ok.err")"

# 4. The header scanner: lengths that wrap, counts that would spin.
expect "string array element of 2^64-8 bytes (120-byte answer)" "$base/wrap-array.gguf" "GGUF\|header\|short\|truncat\|bytes" 5
expect "string length that wraps the estimate" "$base/wrap-string.gguf" "GGUF\|header\|short\|truncat\|bytes" 5
expect "2^32 pairs of empty strings" "$base/big-counts.gguf" "GGUF\|header\|short\|truncat\|bytes" 5

# 5. Protocols: http(s) only, for redirects too.
expect "302 to ftp://" "$base/ftp-redirect.gguf" "protocol" 5
expect "302 to file://" "$base/file-redirect.gguf" "protocol" 5
n=$(grep -c '^GET /x.gguf' "$work/srv.log"); [ "$n" -eq 0 ] && ok "no ftp request reached the server" || bad "$n ftp requests"

# 6. Content-Range totals bounded by what a model can be and by what was asked.
expect "Content-Range total of 2^43 (8 TiB)" "$base/huge-total.gguf" "more than any model file" 5
big=$(find "$work/cache" -type f -size +1G 2>/dev/null | head -1)
[ -z "$big" ] && ok "no sparse file over 1 GiB in the cache" || bad "cache holds $(ls -ls "$big")"
expect "Content-Range for other bytes than asked" "$base/wrong-range.gguf" "answered bytes" 5

# 7. A stall: one byte a second. Fails within the timeout (3 s here, 30 s by
# default) in total, retries included, naming the host (before: 3 s per try,
# 4 tries and backoff, ~13 s; the 8 s bound leaves room for a loaded machine).
OOMGUARD_HTTP_TIMEOUT=3 expect "one byte a second" "$base/stall.gguf" "127.0.0.1:$OG_HOSTILE_PORT.*stalled\|127.0.0.1:$OG_HOSTILE_PORT.*timed out" 8

# 8. Ollama names and tags follow the registry's grammar; nothing is sent otherwise.
: > "$work/srv.log"
expect "ollama tag with ../" "ollama://foo:../../../../etc/passwd" "not an Ollama model name" 3
expect "ollama name with .." "ollama://../../etc/passwd" "not an Ollama model name" 3
expect "ollama name with %2e" "ollama://foo/%2e%2e:latest" "not an Ollama model name" 3
expect "ollama three-part name" "ollama://a/b/c:latest" "not an Ollama model name" 3
[ ! -s "$work/srv.log" ] && ok "no request for a bad Ollama name" || bad "requests made: $(cat "$work/srv.log")"
# a good name goes to the registry (404 here: the grammar let it through)
expect "a valid name reaches the registry" "ollama://library/qwen3.5_x-y:8b-q4_K_M" "404" 5

# 6. A repository with thousands of files: capped, and said so, after one request.
mkdir -p "$www/api/models/org/many/revision"
{ printf '{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":"config.json"}'
  for i in $(seq 3000); do printf ',{"rfilename":"model-%05d-of-03000.safetensors"}' "$i"; done
  printf ']}'; } > "$www/api/models/org/many/revision/main"
: > "$work/srv.log"
expect "hf:// repository with 3000 shards" "hf://org/many" "at most 256" 5
n=$(wc -l < "$work/srv.log"); [ "$n" -le 1 ] && ok "3000-file repository: $n request" || bad "$n requests"
# --all-quants over a repository of 300 GGUF models: capped, said, one request
mkdir -p "$www/api/models/org/manyq/revision"
{ printf '{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":"README.md"}'
  for i in $(seq 300); do printf ',{"rfilename":"m-Q%d.gguf"}' "$i"; done; printf ']}'; } \
  > "$www/api/models/org/manyq/revision/main"
: > "$work/srv.log"
"$og" fit --all-quants --mem 24G "hf://org/manyq" >/dev/null 2>"$work/q.err"; rc=$?
n=$(wc -l < "$work/srv.log")
[ "$rc" -eq 2 ] && grep -q "more than 256 GGUF models" "$work/q.err" && [ "$n" -le 1 ] \
  && ok "--all-quants over 300 models: $(head -c 120 "$work/q.err")" || bad "--all-quants: rc=$rc, $n requests: $(cat "$work/q.err")"
# a hostile commit id is refused (it goes into URLs and folder names)
mkdir -p "$www/api/models/org/evil/revision"
printf '{"sha":"../../../x","siblings":[{"rfilename":"m.gguf"}]}' > "$www/api/models/org/evil/revision/main"
expect "commit id with ../" "hf://org/evil/m.gguf" "40-digit hex" 5

# 6. The header cache has a size limit: least recently used entries go first.
rm -rf "$work/cache"
OOMGUARD_CACHE_MAX=1 "$og" inspect "$base/small.gguf" >/dev/null 2>&1
first=$(ls "$work/cache/oomguard/remote/url")
sleep 1.1 # mtimes order the entries
OOMGUARD_CACHE_MAX=1 "$og" inspect "$base/other.gguf" >/dev/null 2>&1
left=$(ls "$work/cache/oomguard/remote/url")
if [ -n "$first" ] && [ "$(echo "$left" | wc -l)" -eq 1 ] && [ "$left" != "$first" ]; then
  ok "cache over its limit: the older entry was dropped, the newer kept"
else bad "cache entries: first=$first now=$left"; fi
"$og" inspect "$base/small.gguf" >/dev/null 2>&1
[ "$(ls "$work/cache/oomguard/remote/url" | wc -l)" -eq 2 ] && ok "default limit keeps both" \
  || bad "default limit: $(ls "$work/cache/oomguard/remote/url")"

# 14. No shell: a TMPDIR with a quote and a command substitution is only a name.
evil="$work/t'\$(touch $work/pwned)'"
mkdir -p "$evil"
TMPDIR=$evil OOMGUARD_NO_CACHE=1 "$og" inspect "$base/small.gguf" >/dev/null 2>"$work/t.err" \
  && ok "OOMGUARD_NO_CACHE with a hostile TMPDIR reads the model" || bad "TMPDIR: $(cat "$work/t.err")"
[ ! -e "$work/pwned" ] && ok "nothing ran from TMPDIR" || bad "a shell ran TMPDIR's contents"
[ -z "$(ls -A "$evil")" ] && ok "the temporary mirror was removed" || bad "left: $(ls -A "$evil")"

# 5. TLS: no https -> http downgrade (a private CA for the test server).
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/crt.pem" -days 1 \
     -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
  cat "$work/crt.pem" "$work/key.pem" > "$work/both.pem"
  httpport=$OG_HOSTILE_PORT
  if og_hostile_start "$work" "$www" tls "$work/both.pem"; then
    tls=https://127.0.0.1:$OG_HOSTILE_PORT
    OOMGUARD_CA_FILE=$work/crt.pem "$og" inspect --json "$tls/small.gguf" >"$work/tls.json" 2>"$work/tls.err" \
      && ok "https with a private CA reads" || bad "https control: $(cat "$work/tls.err")"
    : > "$work/srv.log"
    OOMGUARD_CA_FILE=$work/crt.pem expect "https -> http redirect" "$tls/downgrade/$httpport/x.gguf" "protocol" 5
    [ ! -s "$work/srv.log" ] && ok "the http server got no request" || bad "downgraded: $(cat "$work/srv.log")"
  else bad "the TLS test server did not start"; fi
else
  echo "SKIP https downgrade: openssl cannot make a test certificate"
fi

# Issue 14: libcurl is loaded only for remote sources; without it, a clear message.
OOMGUARD_LIBCURL=$work/no-such-libcurl.so expect "libcurl missing" "$base/small.gguf" "need libcurl.*install" 3
OOMGUARD_LIBCURL=$work/no-such-libcurl.so "$og" inspect "$www/small.gguf" >/dev/null 2>"$work/l.err" \
  && ok "a local file needs no libcurl" || bad "local file without libcurl: $(cat "$work/l.err")"
if [ "$(uname)" = Linux ]; then
  n=$(LD_DEBUG=files "$og" inspect "$www/small.gguf" 2>&1 >/dev/null | grep -c 'file=libcurl')
  m=$(LD_DEBUG=files "$og" inspect "$base/small.gguf" 2>&1 >/dev/null | grep -c 'file=libcurl')
  [ "$n" -eq 0 ] && [ "$m" -gt 0 ] && ok "libcurl loaded for the URL ($m), not for the local file" \
    || bad "libcurl loads: local $n, remote $m"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
