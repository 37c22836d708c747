#!/usr/bin/env bash
# Bundle a built oomguard with the shared libraries it needs, so it runs on a
# GPU box that has no development packages (jansson, curl, sqlite) and no
# network. Usage: scripts/device/make-bundle.sh BUILD_DIR OUT_DIR
# Then on that box: OUT_DIR/oomguard ... (a wrapper sets LD_LIBRARY_PATH).
set -euo pipefail
build=$1; out=$2
mkdir -p "$out/lib" "$out/bin"
cp "$build/oomguard" "$out/bin/"
[ -x "$build/tests/alloc_child" ] && cp "$build/tests/alloc_child" "$out/bin/"
[ -x "$build/tests/og-fixture" ] && cp "$build/tests/og-fixture" "$out/bin/"
ldd "$build/oomguard" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|ld-linux*) ;;
    *) cp -L "$lib" "$out/lib/" ;;
  esac
done
cat > "$out/oomguard" <<'SH'
#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/bin/oomguard" "$@"
SH
chmod +x "$out/oomguard"
echo "bundle in $out ($(du -sh "$out" | cut -f1))"
