#!/usr/bin/env bash
# Every C file in the tree is formatted with the project's .clang-format.
# Args (unused here): oomguard binary, og-fixture binary, tests dir.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cf=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$cf" ]; then
  echo "SKIP: clang-format is not installed (scripts/deps.sh test installs it)"; exit 0
fi
cd "$root"
if git rev-parse --git-dir >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h')
else
  files=$(find cli src include tests fuzz bench examples -name '*.[ch]')
fi
bad=0; n=0
for f in $files; do
  n=$((n + 1))
  if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: clang-format -i $f)"; bad=$((bad + 1))
  fi
done
echo "$((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
