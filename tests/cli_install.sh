#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then prove the install is usable:
# the files land where they should, the shared library exports only og_* and
# oomguard_* symbols, `pkg-config --cflags --libs oomguard` works, and
# examples/fit_check.c builds against the INSTALLED headers and .pc file (shared
# and static) and answers for a fixture GGUF; then the uninstall target removes
# every installed file.
# Usage: cli_install.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$1 fixture=$2
src=$(cd "$3/.." && pwd)
build=$(cd "$(dirname "$og")" && pwd)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
# cmake --install rewrites build/install_manifest.txt: keep the user's own.
manifest=$build/install_manifest.txt
[ -f "$manifest" ] && cp "$manifest" "$tmp/manifest.saved"
restore() {
  if [ -f "$tmp/manifest.saved" ]; then cp "$tmp/manifest.saved" "$manifest"; else rm -f "$manifest"; fi
  rm -rf "$tmp"
}
trap restore EXIT
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
ver=$("$og" --version | awk '{print $2}')
p=$tmp/prefix

cmake --install "$build" --prefix "$p" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
libdir=$p/$(cache CMAKE_INSTALL_LIBDIR)
[ -d "$libdir" ] || libdir=$p/lib

# 1. files
# completion directories as configured (Debian's zsh one differs)
want=(bin/oomguard include/oomguard/oomguard.h share/man/man1/oomguard.1
  "$(cache OG_BASH_COMPLETION_DIR)/oomguard" "$(cache OG_ZSH_COMPLETION_DIR)/_oomguard"
  "$(cache OG_FISH_COMPLETION_DIR)/oomguard.fish" share/doc/oomguard/LIBRARY.md
  share/doc/oomguard/examples/fit_check.c share/doc/oomguard/schema/inspect.schema.json)
if grep -q '^Python3_EXECUTABLE:.*NOTFOUND' "$build/CMakeCache.txt"; then
  want=(bin/oomguard include/oomguard/oomguard.h share/doc/oomguard/LIBRARY.md)
  echo "SKIP: no Python 3 at configure time: man page and completions not installed"
fi
for f in "${want[@]}"; do [ -f "$p/$f" ] || fail "not installed: $f"; done
for h in "$src"/include/oomguard/*.h; do
  [ -f "$p/include/oomguard/$(basename "$h")" ] || fail "header not installed: $(basename "$h")"
done
for s in "$src"/docs/schema/*.schema.json; do
  [ -f "$p/share/doc/oomguard/schema/$(basename "$s")" ] || fail "schema not installed: $(basename "$s")"
done
[ -d "$src/data" ] && { [ -d "$p/share/oomguard" ] || fail "data/ not installed to share/oomguard"; }
[ -f "$libdir/liboomguard.a" ] || fail "no $libdir/liboomguard.a"
so=$libdir/liboomguard.so.$ver
[ -f "$so" ] || fail "no $so"
[ -L "$libdir/liboomguard.so.${ver%%.*}" ] || fail "no SONAME link liboomguard.so.${ver%%.*}"
[ -L "$libdir/liboomguard.so" ] || fail "no development link liboomguard.so"
[ "$("$p/bin/oomguard" --version)" = "oomguard $ver" ] || fail "installed binary --version"
ok "files installed under $p"

# 2. exported symbols: only the public API
if [ -f "$so" ]; then
  nm -D --defined-only "$so" | awk '{print $NF}' | sort -u >"$tmp/syms"
  bad=$(grep -vE '^(og_|oomguard_)' "$tmp/syms" | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' || true)
  [ -z "$bad" ] || fail "non-public symbols exported: $(tr '\n' ' ' <<<"$bad")"
  for s in oomguard_version og_model_open og_model_free og_parse_size og_strerror; do
    grep -qx "$s" "$tmp/syms" || fail "public symbol $s not exported"
  done
  # every OG_API function in the installed headers that the library defines is exported
  nm --defined-only "$libdir/liboomguard.a" 2>/dev/null | awk '$2=="T"{print $3}' | sort -u >"$tmp/defined"
  for s in $(grep -ho 'OG_API[^(]*(' "$p"/include/oomguard/*.h | grep -oE '[a-z_0-9]+ *\($' | tr -d ' (' | sort -u); do
    if grep -qx "$s" "$tmp/defined" && ! grep -qx "$s" "$tmp/syms"; then fail "OG_API $s defined but not exported"; fi
  done
  ok "$(wc -l <"$tmp/syms") exported symbols, all og_*/oomguard_*"
fi

# 3. pkg-config from the installed .pc only
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_LIBDIR=$libdir/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig:/usr/lib/$(gcc -dumpmachine 2>/dev/null)/pkgconfig:/usr/local/lib/pkgconfig:/opt/homebrew/lib/pkgconfig
[ "$(pkg-config --modversion oomguard)" = "$ver" ] || fail "pkg-config --modversion: $(pkg-config --modversion oomguard 2>&1)"
flags=$(pkg-config --cflags --libs oomguard) || fail "pkg-config --cflags --libs oomguard"
sflags=$(pkg-config --static --cflags --libs oomguard) || fail "pkg-config --static"
grep -q jansson <<<"$(pkg-config --print-requires-private oomguard)" || fail "Requires.private lacks jansson"
ok "pkg-config: $flags"

# 4. the example against the installed headers, shared and static
cc=$(cache CMAKE_C_COMPILER); [ -x "$cc" ] || cc=cc
extra=()
[ "$(cache OG_SANITIZE)" = ON ] && extra=(-fsanitize=address,undefined -fno-omit-frame-pointer)
ex=$src/examples/fit_check.c
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror "${extra[@]}" -o "$tmp/fit_check" "$ex" $flags -Wl,-rpath,"$libdir" ||
  fail "example does not build against the installed library"
# static liboomguard with its dependencies shared (as on a distribution, where
# `pkg-config --static libcurl` names static libraries that are not installed)
deps=$(pkg-config --print-requires-private oomguard | awk '{print $1}' | tr '\n' ' ')
privlibs=$(sed -n 's/^Libs.private: *//p' "$libdir/pkgconfig/oomguard.pc")
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror "${extra[@]}" -o "$tmp/fit_check_static" "$ex" \
  $(pkg-config --cflags oomguard) "$libdir/liboomguard.a" $(pkg-config --libs $deps) $privlibs ||
  fail "example does not link statically"
"$fixture" shape arch=llama name=Example-Llama n_layer=4 n_embd=256 n_head=8 n_head_kv=4 head_dim=32 \
  n_ff=512 n_vocab=1024 n_ctx_train=8192 "$tmp/model.gguf" >/dev/null || fail "og-fixture"
# the example's total is the plan `oomguard fit` makes with the same settings
total=$("$og" fit --json --backend cpu --mem 24G -c 32768 "$tmp/model.gguf" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["memory"]["total_bytes"])')
for bin in fit_check fit_check_static; do
  [ -x "$tmp/$bin" ] || continue
  out=$("$tmp/$bin" "$tmp/model.gguf"); rc=$?
  [ $rc -eq 0 ] || fail "$bin model.gguf (24 GiB): exit $rc"
  grep -q "^liboomguard $ver\$" <<<"$out" || fail "$bin: oomguard_version() is not $ver: $out"
  grep -q "($total bytes" <<<"$out" || fail "$bin: total differs from oomguard fit ($total): $out"
  grep -q "^verdict:  fits" <<<"$out" || fail "$bin: no 'fits' verdict: $out"
  grep -q "^max ctx:  8192 tokens" <<<"$out" || fail "$bin: max ctx is not the trained 8192: $out"
  "$tmp/$bin" "$tmp/model.gguf" 64K >/dev/null; rc=$?
  [ $rc -eq 1 ] || fail "$bin with a 64 KiB budget: exit $rc, want 1"
  "$tmp/$bin" "$tmp/missing.gguf" 2>"$tmp/err" >/dev/null; rc=$?
  [ $rc -eq 2 ] && grep -q missing.gguf "$tmp/err" || fail "$bin on a missing file: exit $rc $(cat "$tmp/err")"
done
ldd "$tmp/fit_check" 2>/dev/null | grep -q "$libdir/liboomguard.so" || fail "fit_check does not use the installed shared library"
ldd "$tmp/fit_check_static" 2>/dev/null | grep -q liboomguard && fail "fit_check_static links liboomguard dynamically"
ok "examples/fit_check.c built and ran against the install (shared and static)"

# 5. the installed man page renders
if [ -f "$p/share/man/man1/oomguard.1" ]; then
  MANWIDTH=80 man -l "$p/share/man/man1/oomguard.1" 2>/dev/null | grep -q "oomguard $ver" ||
    fail "installed man page does not render with man -l"
fi

# 6. uninstall removes every installed file
cmake --build "$build" --target uninstall >"$tmp/uninstall.log" 2>&1 || fail "uninstall target: $(tail -3 "$tmp/uninstall.log")"
left=$(find "$p" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
[ -d "$p/include/oomguard" ] && fail "include/oomguard left after uninstall"
[ $fails -eq 0 ] && ok "uninstall removed every file"
[ $fails -eq 0 ]
