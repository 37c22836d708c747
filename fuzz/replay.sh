#!/usr/bin/env bash
# Replay the committed corpus through every fuzz target (no new inputs).
#   fuzz/replay.sh BUILD_DIR/fuzz [seconds-to-fuzz-each]
# The targets are the fuzz/fuzz_NAME.c files; each one's corpus is
# fuzz/corpus/NAME. With seconds > 0 each target also fuzzes that long from
# a scratch copy of its corpus (scripts/fuzz does long runs).
set -euo pipefail
bin=$1; secs=${2:-0}
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp); trap 'rm -f "$log"' EXIT
n_targets=0
for src in "$here"/fuzz_*.c; do
  name=$(basename "$src" .c); name=${name#fuzz_}
  corpus="$here/corpus/$name"
  [ -x "$bin/fuzz_$name" ] || { echo "fuzz_$name: not built in $bin" >&2; exit 1; }
  [ -d "$corpus" ] || { echo "fuzz_$name: no corpus at $corpus" >&2; exit 1; }
  n=$(find "$corpus" -type f ! -name .gitkeep | wc -l)
  [ "$n" -gt 0 ] || { echo "fuzz_$name: empty corpus $corpus" >&2; exit 1; }
  n_targets=$((n_targets + 1))
  echo "fuzz_$name: replaying $n inputs"
  find "$corpus" -type f ! -name .gitkeep -print0 |
    xargs -0 -r "$bin/fuzz_$name" -rss_limit_mb=2048 >"$log" 2>&1 ||
    { tail -n 30 "$log"; exit 1; }
  echo "fuzz_$name: $(grep -c '^Running: ' "$log") inputs ran clean"
  if [ "$secs" -gt 0 ]; then
    work=$(mktemp -d); cp -r "$corpus/." "$work/"
    "$bin/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=2048 "$work" 2>&1 | tail -n 2
    rm -rf "$work"
  fi
done
echo "fuzz: $n_targets targets replayed"
