#!/usr/bin/env bash
# Remote sizing against a real web server on 127.0.0.1 (nginx from Debian),
# serving fixture repositories in the Hugging Face and Ollama URL layouts,
# with fault cases. Counts requests from nginx's own access log.
set -uo pipefail
og=$1; fix=$2
. "$(dirname "$0")/lib/nginx.sh"
. "$(dirname "$0")/lib/hostile.sh"
if [ -z "$(og_nginx_bin)" ]; then
  echo "SKIP: nginx is not installed (scripts/deps.sh test installs it)"; exit 0
fi
work=$(mktemp -d /tmp/og-remote-XXXXXX)
chmod 755 "$work"
trap 'og_nginx_stop "$work"; og_hostile_stop; rm -rf "$work"' EXIT
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1"; fail=$((fail+1)); }

www=$work/www; mkdir -p "$www" "$work/logs" "$work/tmp"
sha=0123456789abcdef0123456789abcdef01234567
# A GGUF with a 128k-token vocabulary: its header (~3 MB) needs a second read.
mkdir -p "$www/org/big-GGUF/resolve/$sha"
"$fix" shape arch=llama n_layer=2 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 \
  weight_type=q4_0 "$www/org/big-GGUF/resolve/$sha/big-Q4_0.gguf" || exit 2
"$fix" shape arch=qwen3 n_layer=4 n_embd=1024 n_head=16 n_head_kv=8 head_dim=128 n_ff=3072 \
  n_vocab=2048 qk_norm=1 weight_type=q8_0 "$www/org/big-GGUF/resolve/$sha/small-Q8_0.gguf" || exit 2
head -c 200 "$www/org/big-GGUF/resolve/$sha/small-Q8_0.gguf" > "$www/org/big-GGUF/resolve/$sha/cut.gguf"
mkdir -p "$www/api/models/org/big-GGUF/revision"
cat > "$www/api/models/org/big-GGUF/revision/main" <<JSON
{"id":"org/big-GGUF","sha":"$sha","siblings":[{"rfilename":"README.md"},{"rfilename":"big-Q4_0.gguf"},
{"rfilename":"small-Q8_0.gguf"},{"rfilename":"cut.gguf"}]}
JSON
# Gated copy: needs the token.
mkdir -p "$www/gated/api/models/org/big-GGUF/revision"
cp -r "$www/org" "$www/gated/"
cp "$www/api/models/org/big-GGUF/revision/main" "$www/gated/api/models/org/big-GGUF/revision/main"
# Ollama registry layout.
digest=sha256:1111111111111111111111111111111111111111111111111111111111111111
mkdir -p "$www/v2/library/tiny/manifests" "$www/v2/library/tiny/blobs"
cp "$www/org/big-GGUF/resolve/$sha/small-Q8_0.gguf" "$www/v2/library/tiny/blobs/$digest"
cat > "$www/v2/library/tiny/manifests/latest" <<JSON
{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"$digest","size":1},
{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:22","size":3}]}
JSON
# An mlx-lm repository: config.json, the shard index and three safetensors shards.
mlx=$www/org/tiny-4bit/resolve/$sha
mkdir -p "$mlx" "$www/api/models/org/tiny-4bit/revision"
"$fix" mlx "$mlx" n_shards=3 || exit 2
{ printf '{"id":"org/tiny-4bit","sha":"%s","siblings":[{"rfilename":"README.md"}' "$sha"
  for f in $(cd "$mlx" && ls); do printf ',{"rfilename":"%s"}' "$f"; done; printf ']}\n'; } \
  > "$www/api/models/org/tiny-4bit/revision/main"
# A split GGUF in a repository.
split=$www/org/split-GGUF/resolve/$sha
mkdir -p "$split" "$www/api/models/org/split-GGUF/revision"
"$fix" split3 "$split" || exit 2
{ printf '{"id":"org/split-GGUF","sha":"%s","siblings":[' "$sha"
  printf '{"rfilename":"m-%05d-of-00003.gguf"},' 1 2; printf '{"rfilename":"m-00003-of-00003.gguf"}]}\n'; } \
  > "$www/api/models/org/split-GGUF/revision/main"
mkdir -p "$www/norange" "$www/slow"
cp "$www/org/big-GGUF/resolve/$sha/big-Q4_0.gguf" "$www/norange/m.gguf"
cp "$www/org/big-GGUF/resolve/$sha/big-Q4_0.gguf" "$www/slow/m.gguf"
chmod -R a+rX "$www"

port=$((20000 + RANDOM % 20000))
og_nginx_start "$work" "$www" "$port" '
    location /gated/ {
      if ($http_authorization != "Bearer secret") { return 401; }
      rewrite ^/gated/(.*)$ /$1 break;
      root '"$www"'/gated;
    }
    location /norange/ { max_ranges 0; }
    location /slow/ { limit_rate 2k; }
    location /loop { return 302 /loop; }' || { echo "FAIL nginx did not start"; exit 1; }

base=http://127.0.0.1:$port
export HF_ENDPOINT=$base OLLAMA_REGISTRY=$base XDG_CACHE_HOME=$work/cache OOMGUARD_HTTP_TIMEOUT=5
unset HF_TOKEN
requests() { wc -l < "$work/logs/access.log"; }
reset_log() { : > "$work/logs/access.log"; : > "$work/logs/conn.log"; }

# 1. A GGUF with a big header: same answer as the local file, in 2 range reads + 1 listing.
reset_log
"$og" inspect --json "hf://org/big-GGUF/big-Q4_0.gguf" > "$work/r.json" 2>"$work/r.err"
"$og" inspect --json "$www/org/big-GGUF/resolve/$sha/big-Q4_0.gguf" > "$work/l.json"
n=$(requests)
if [ -s "$work/r.json" ] && diff <(grep -v '"path"' "$work/r.json") <(grep -v '"path"' "$work/l.json") >/dev/null; then
  ok "hf:// GGUF header read matches the local file"
else bad "hf:// GGUF: $(cat "$work/r.err")"; fi
# Issue 14: at most 3 requests and at most the header + 64 KiB per GGUF.
ranges=$(grep -vc ' /api/' "$work/logs/access.log")
[ "$ranges" -le 3 ] && ok "big header in $ranges range reads (+1 listing)" || bad "$ranges range reads for one GGUF"
bytes=$(grep -v ' /api/' "$work/logs/access.log" | awk '{s+=$10} END {print s}')
hdr=$(python3 "$(dirname "$0")/lib/gguf_header_bytes.py" "$www/org/big-GGUF/resolve/$sha/big-Q4_0.gguf")
[ "$bytes" -le $((hdr + 65536)) ] && ok "read $bytes bytes for a $hdr-byte header" \
  || bad "read $bytes bytes for a $hdr-byte header (more than + 64 KiB)"
# One connection for the listing and every range read (nginx logs $connection).
conns=$(awk '{print $NF}' "$work/logs/conn.log" | sort -u | wc -l)
[ "$conns" -eq 1 ] && ok "one connection reused for $n requests" || bad "$conns connections for $n requests"

# 2. The cache: the same revision again needs only the revision lookup.
reset_log
"$og" inspect --json "hf://org/big-GGUF/big-Q4_0.gguf" >/dev/null 2>&1
n=$(requests)
[ "$n" -eq 1 ] && ok "cached header: 1 request" || bad "cached header: $n requests"

# 3. Plain https-style URL and Ollama registry.
"$og" inspect --json "$base/org/big-GGUF/resolve/$sha/small-Q8_0.gguf" > "$work/u.json" 2>"$work/u.err" \
  && grep -q '"architecture": "qwen3"' "$work/u.json" && ok "URL with range requests" || bad "URL: $(cat "$work/u.err")"
"$og" inspect --json "ollama://tiny" > "$work/o.json" 2>"$work/o.err" \
  && grep -q '"architecture": "qwen3"' "$work/o.json" && ok "ollama:// manifest -> model blob" || bad "ollama: $(cat "$work/o.err")"

# 3a. A plain URL again: validated with its ETag (one request, 304), not refetched.
reset_log
"$og" inspect --json "$base/org/big-GGUF/resolve/$sha/small-Q8_0.gguf" > "$work/u2.json" 2>"$work/u.err"
n=$(requests); code=$(awk '{print $9}' "$work/logs/access.log" | head -1)
[ "$n" -eq 1 ] && [ "$code" = 304 ] && cmp -s "$work/u.json" "$work/u2.json" \
  && ok "cached URL revalidated: 1 request, 304" || bad "URL again: $n requests, status $code"
# a new ETag (nginx's is mtime-size, to the second): move the mtime on by 2 s, as a
# plain touch in the same second as the file was written leaves the ETag as it was
f="$www/org/big-GGUF/resolve/$sha/small-Q8_0.gguf"; touch -d "@$(( $(stat -c %Y "$f") + 2 ))" "$f"
reset_log
"$og" inspect --json "$base/org/big-GGUF/resolve/$sha/small-Q8_0.gguf" > /dev/null 2>"$work/u.err"
code=$(awk '{print $9}' "$work/logs/access.log" | head -1)
[ "$code" = 206 ] && ok "changed URL read again" || bad "changed URL: status $code $(cat "$work/u.err")"

# 3b. An MLX repository: same answer as the local folder, one request per file.
reset_log
"$og" inspect --json "hf://org/tiny-4bit" > "$work/m.json" 2>"$work/m.err"
"$og" inspect --json "$mlx" > "$work/ml.json"
n=$(requests)
if [ -s "$work/m.json" ] && diff <(grep -v '"path"\|"name"' "$work/m.json") <(grep -v '"path"\|"name"' "$work/ml.json") >/dev/null; then
  ok "hf:// MLX repository matches the local folder"
else bad "hf:// MLX: $(cat "$work/m.err")"; fi
[ "$n" -le 6 ] && ok "MLX repository in $n requests (revision, config, index, 3 shard headers)" || bad "$n requests for the MLX repo"
# 3c. Split GGUF: naming the second shard reads all three.
"$og" inspect --json "hf://org/split-GGUF/m-00002-of-00003.gguf" > "$work/s.json" 2>"$work/s.err" \
  && grep -q '"files": 3' "$work/s.json" && ok "split GGUF read as one model" || bad "split GGUF: $(cat "$work/s.err")"

# 4. Faults: each a clear message and exit 2.
expect_fail() { # name, source, pattern
  "$og" inspect "$2" > /dev/null 2>"$work/e.err"; rc=$?
  if [ "$rc" -eq 2 ] && grep -qi -- "$3" "$work/e.err"; then ok "$1: $(head -c 150 "$work/e.err")"
  else bad "$1: rc=$rc $(cat "$work/e.err")"; fi
}
expect_fail "404" "hf://org/nope-GGUF" "404"
expect_fail "missing file in repo" "hf://org/big-GGUF/absent.gguf" "no file"
expect_fail "GGUF repo without a file" "hf://org/big-GGUF" "all-quants"
expect_fail "file cut inside its header" "hf://org/big-GGUF/cut.gguf" "bytes left\\|truncated"
expect_fail "redirect loop" "$base/loop/x.gguf" "redirect"
expect_fail "no range support" "$base/norange/m.gguf" "range"
OOMGUARD_HTTP_TIMEOUT=2 expect_fail "slow server" "$base/slow/m.gguf" "timed out"
HF_ENDPOINT=$base/gated expect_fail "token needed" "hf://org/big-GGUF/small-Q8_0.gguf" "HF_TOKEN"
HF_ENDPOINT=$base/gated HF_TOKEN=wrong expect_fail "token refused" "hf://org/big-GGUF/small-Q8_0.gguf" "refused"
HF_ENDPOINT=$base/gated HF_TOKEN=secret "$og" inspect "hf://org/big-GGUF/small-Q8_0.gguf" >/dev/null 2>"$work/g.err" \
  && ok "token accepted" || bad "token accepted: $(cat "$work/g.err")"

# 5. A truncated answer (the server closes early) and a 416: the Python test
# server (tests/lib/hostile_http.py), waited for until it answers.
if og_hostile_start "$work" "$www" py; then
  expect_fail "truncated answer" "http://127.0.0.1:$OG_HOSTILE_PORT/truncated.gguf" "truncated"
  expect_fail "416 range not satisfiable" "http://127.0.0.1:$OG_HOSTILE_PORT/416.gguf" "416"
else bad "the Python test server did not start"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
