#!/usr/bin/env bash
# Requests and bytes to size a GGUF over HTTP: oomguard vs @huggingface/gguf,
# both against the same nginx on 127.0.0.1, counted from nginx's access log.
#   bench/remote/bench_remote.sh BUILD_DIR NODE_PREFIX
# NODE_PREFIX: a folder whose node_modules has @huggingface/gguf
# (npm install --prefix DIR @huggingface/gguf).
set -euo pipefail
build=$(cd "$1" && pwd); nodeprefix=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/lib/nginx.sh"
work=$(mktemp -d /tmp/og-bench-remote-XXXXXX); chmod 755 "$work"
# ESM resolves packages next to the script: run it from the prefix.
cp "$here/hf_gguf.mjs" "$nodeprefix/.og_bench_hf_gguf.mjs"
trap 'og_nginx_stop "$work"; rm -rf "$work" "$nodeprefix/.og_bench_hf_gguf.mjs"' EXIT
www=$work/www; mkdir -p "$www"
# Real shapes: vocabulary sizes of Llama 2 (32000), Llama 3 (128256), Qwen 2.5/3 (151936), Gemma 3 (262208).
"$build/tests/og-fixture" shape arch=llama n_layer=32 n_embd=4096 n_head=32 n_ff=11008 n_vocab=32000 "$www/llama2-7b.gguf"
"$build/tests/og-fixture" shape arch=llama n_layer=32 n_embd=4096 n_head=32 n_head_kv=8 n_ff=14336 n_vocab=128256 "$www/llama3-8b.gguf"
"$build/tests/og-fixture" shape arch=qwen3 n_layer=36 n_embd=4096 n_head=32 n_head_kv=8 head_dim=128 n_ff=12288 n_vocab=151936 qk_norm=1 "$www/qwen3-8b.gguf"
"$build/tests/og-fixture" shape arch=gemma3 n_layer=62 n_embd=5376 n_head=32 n_head_kv=16 head_dim=128 n_ff=21504 n_vocab=262208 n_swa=1024 tied_embeddings=1 "$www/gemma3-27b.gguf"
chmod -R a+rX "$www"
port=$((20000 + RANDOM % 20000))
og_nginx_start "$work" "$www" "$port"
log=$OG_NGINX_LOG
count() { awk '{n++; s+=$10} END {printf "%d %d\n", n, s}' "$log"; }
printf '| file | header bytes | oomguard requests | oomguard bytes read | over the header | connections | ms | again: requests (status) | @huggingface/gguf requests | bytes read | ms |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for f in llama2-7b llama3-8b qwen3-8b gemma3-27b; do
  url=http://127.0.0.1:$port/$f.gguf
  hb=$("$build/oomguard" inspect --json "$www/$f.gguf" >/dev/null; python3 - "$www/$f.gguf" <<'PY'
import struct, sys
# header size: read until the data section by asking the reader in C is simpler, but keep
# the bench independent: walk the GGUF layout here.
f = open(sys.argv[1], 'rb'); d = f.read(64 << 20)
p = 4 + 4; nt, nkv = struct.unpack_from('<QQ', d, p); p += 16
sz = {0:1,1:1,2:2,3:2,4:4,5:4,6:4,7:1,10:8,11:8,12:8}
def val(t):
    global p
    if t == 8:
        (l,) = struct.unpack_from('<Q', d, p); p += 8 + l
    elif t == 9:
        et, n = struct.unpack_from('<IQ', d, p); p += 12
        for _ in range(n): val(et)
    else: p += sz[t]
for _ in range(nkv):
    (l,) = struct.unpack_from('<Q', d, p); p += 8 + l
    (t,) = struct.unpack_from('<I', d, p); p += 4; val(t)
for _ in range(nt):
    (l,) = struct.unpack_from('<Q', d, p); p += 8 + l
    (nd,) = struct.unpack_from('<I', d, p); p += 4 + 8 * nd + 4 + 8
print(p)
PY
)
  : > "$log"; : > "$work/logs/conn.log"
  cache=$work/cache-$f-$RANDOM
  t0=$(date +%s%N)
  XDG_CACHE_HOME=$cache "$build/oomguard" inspect --json "$url" >/dev/null
  t1=$(date +%s%N)
  read -r on ob < <(count)
  conns=$(awk '{print $NF}' "$work/logs/conn.log" | sort -u | wc -l)
  # the same URL again: revalidated from the cache (ETag), not refetched
  : > "$log"
  XDG_CACHE_HOME=$cache "$build/oomguard" inspect --json "$url" >/dev/null
  again="$(wc -l < "$log") ($(awk '{print $9}' "$log" | sort -u | tr '\n' ' ' | sed 's/ $//'))"
  : > "$log"
  hm=$(node "$nodeprefix/.og_bench_hf_gguf.mjs" "$url" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ms"]))')
  read -r hn hbytes < <(count)
  printf '| %s | %d | %d | %d | +%d | %d | %d | %s | %d | %d | %d |\n' "$f" "$hb" "$on" "$ob" $((ob - hb)) "$conns" \
    $(((t1 - t0) / 1000000)) "$again" "$hn" "$hbytes" "$hm"
done
