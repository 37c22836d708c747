#!/usr/bin/env bash
# One version number: project(oomguard VERSION x.y.z) in CMakeLists.txt must
# be what `oomguard --version`, the library (oomguard_version(), through its
# embedded string), the pkg-config file, oomguard(1), debian/changelog,
# Formula/oomguard.rb and CHANGELOG.md say.
# Usage: cli_version.sh OOMGUARD OG_FIXTURE TESTS_DIR
set -u
og=$1
src=$(cd "$3/.." && pwd)
build=$(cd "$(dirname "$og")" && pwd)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ver=$(sed -n 's/^project(oomguard VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[[ $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL: no version in CMakeLists.txt"; exit 1; }
echo "CMake project version: $ver"

[ "$("$og" --version)" = "oomguard $ver" ] || fail "--version says '$("$og" --version)'"
[ "$("$og" -V)" = "oomguard $ver" ] || fail "-V says '$("$og" -V)'"
# the library's own string (oomguard_version() returns OG_VERSION_STRING)
lib=$(ls "$build"/liboomguard.so."$ver" 2>/dev/null || ls "$build"/liboomguard.*.dylib 2>/dev/null | head -1)
[ -n "$lib" ] || fail "no liboomguard.so.$ver in $build (shared library version differs?)"
if [ -n "$lib" ]; then # oomguard_version() itself, from the shared library
  cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt"); [ -x "$cc" ] || cc=cc
  san=(); grep -q '^OG_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san=(-fsanitize=address,undefined)
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  printf '#include <stdio.h>\n#include <oomguard/oomguard.h>\nint main(void){puts(oomguard_version());return 0;}\n' >"$tmp/v.c"
  "$cc" "${san[@]}" -I"$src/include" "$tmp/v.c" -L"$build" -loomguard -Wl,-rpath,"$build" -o "$tmp/v" ||
    fail "cannot build a program calling oomguard_version()"
  [ -x "$tmp/v" ] && { [ "$("$tmp/v")" = "$ver" ] || fail "oomguard_version() says '$("$tmp/v")'"; }
fi
grep -q "OG_VERSION_STRING \"@PROJECT_VERSION@\"" "$src/src/og_version.h.in" ||
  fail "src/og_version.h.in does not take PROJECT_VERSION"
pcv=$(sed -n 's/^Version: //p' "$build/oomguard.pc")
[ "$pcv" = "$ver" ] || fail "oomguard.pc says '$pcv'"
if [ -f "$build/docs-generated/oomguard.1" ]; then
  grep -q "^\.TH OOMGUARD 1 \"[^\"]*\" \"oomguard $ver\"" "$build/docs-generated/oomguard.1" ||
    fail "oomguard(1) .TH: $(grep '^\.TH' "$build/docs-generated/oomguard.1")"
  grep -q "^\.TH OOMGUARD 1 \"unreleased\"" "$build/docs-generated/oomguard.1" &&
    fail "oomguard(1) has no date: CHANGELOG.md has no '## [$ver] - YYYY-MM-DD'"
else
  echo "SKIP: oomguard(1) not generated (no Python 3 at configure time)"
fi
dv=$(sed -n '1s/^oomguard (\([^)]*\)).*/\1/p' "$src/debian/changelog")
[ "${dv%%-*}" = "$ver" ] || fail "debian/changelog says '$dv'"
grep -qE "oomguard-$ver\.tar\.gz\"" "$src/Formula/oomguard.rb" || fail "Formula/oomguard.rb url is not oomguard-$ver.tar.gz"
grep -q "^## \[$ver\] - [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]" "$src/CHANGELOG.md" || fail "CHANGELOG.md has no '## [$ver] - date'"
[ $fails -eq 0 ] && echo "version $ver agrees everywhere"
[ $fails -eq 0 ]
