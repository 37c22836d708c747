#!/usr/bin/env bash
# Replay the committed corpus through each fuzz target (no new inputs).
#   fuzz/replay.sh BUILD_DIR/fuzz [seconds-to-fuzz-each]
set -euo pipefail
bin=$1; secs=${2:-0}
here=$(cd "$(dirname "$0")" && pwd)
for name in gguf safetensors hf_config; do
  corpus="$here/corpus/$name"
  n=$(find "$corpus" -type f ! -name .gitkeep | wc -l)
  echo "fuzz_$name: replaying $n inputs"
  if [ "$secs" -gt 0 ]; then
    work=$(mktemp -d); cp -r "$corpus/." "$work/"
    "$bin/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=2048 "$work" 2>&1 | tail -n 2
    rm -rf "$work"
  else
    find "$corpus" -type f ! -name .gitkeep -print0 |
      xargs -0 -r "$bin/fuzz_$name" -rss_limit_mb=2048 >"${TMPDIR:-/tmp}/og-replay.$$" 2>&1 ||
      { tail -n 30 "${TMPDIR:-/tmp}/og-replay.$$"; rm -f "${TMPDIR:-/tmp}/og-replay.$$"; exit 1; }
    echo "fuzz_$name: $(grep -c '^Running: ' "${TMPDIR:-/tmp}/og-replay.$$") inputs ran clean"
    rm -f "${TMPDIR:-/tmp}/og-replay.$$"
  fi
done
