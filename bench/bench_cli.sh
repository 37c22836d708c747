#!/usr/bin/env bash
# Everyday commands' wall time, measured in one run against a baseline that
# runs in the same conditions (this machine is shared, so ratios are the
# robust figure): plain `oomguard`, `oomguard --machine PRESET`, `oomguard ls`
# over 500 models (400 GGUF files, 100 safetensors folders), and the parser
# alone (`oomguard fit --help`). Baseline: `head -c 3000000` of a GGUF (its header)
# file (a process start plus a small read). Writes bench/results/cli.md.
#   bench/bench_cli.sh [BUILD_DIR] [DATA_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}; data=${2:-/tmp/ogbench}; runs=${3:-11}
og=$build/oomguard; bi=$build/bench/bench_inspect
out=$root/bench/results/cli.md
[ -d "$data/ls500" ] || "$bi" setup "$data" >/dev/null
export HOME=$(mktemp -d) NO_COLOR=1 # no user catalog, no stores: the built-in catalog
trap 'rm -rf "$HOME"' EXIT
# median wall time (ms) of "$@" over $runs runs, and the median CPU time (user+sys)
med() {
  local ts=() cs=() i t0 t1 c
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    /usr/bin/time -o "$HOME/time" -f '%U %S' "$@" >/dev/null 2>&1 || true
    c=$(tail -1 "$HOME/time" | awk '{printf "%d", ($1 + $2) * 1000}')
    t1=$(date +%s%N)
    ts+=($(( (t1 - t0) / 1000000 ))); cs+=("$c")
  done
  local w c2
  w=$(printf '%s\n' "${ts[@]}" | sort -n | awk -v n=$runs 'NR==int(n/2)+1')
  c2=$(printf '%s\n' "${cs[@]}" | sort -n | awk -v n=$runs 'NR==int(n/2)+1')
  echo "$w $c2"
}
base=$(med head -c 3000000 "$data/llama31-8b-q4_k.gguf")
plain=$(med "$og")
m4=$(med "$og" --machine m4-max-64gb)
rtx=$(med "$og" --machine rtx-4090)
ls500=$(med "$og" ls "$data/ls500")
help=$(med "$og" fit --help)
n=$("$og" ls --json "$data/ls500" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
models=$("$og" --json --machine m4-max-64gb | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["models"]))')
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
row() { # label, "wall cpu", target
  set -- "$1" $2 "$3"
  printf '| %s | %s | %s | %.1fx | %s |\n' "$1" "$2" "$3" "$(echo "$2 ${base%% *}" | awk '{print ($2 > 0 ? $1 / $2 : 0)}')" "$4"
}
{
  echo "# Everyday commands: wall time (bench/bench_cli.sh)"
  echo
  echo "\`bench/bench_cli.sh $build $data $runs\` on $(nproc) cores, load average $load at the end;"
  echo "median of $runs runs each, all in one run of the script. The baseline is \`head -c 3000000\` of a GGUF"
  echo "(its header): one process start and a small read under the same load."
  echo
  echo "| command | wall ms | CPU ms (user+sys) | / baseline | target |"
  echo "| --- | ---: | ---: | ---: | --- |"
  row "baseline: head -c 3 MB" "$base" "-"
  row "oomguard (this machine, $models catalog models)" "$plain" "≤ 300 ms"
  row "oomguard --machine m4-max-64gb" "$m4" "≤ 300 ms"
  row "oomguard --machine rtx-4090" "$rtx" "-"
  row "oomguard ls over $n models" "$ls500" "≤ 500 ms"
  row "oomguard fit --help (parser + help from the table)" "$help" "-"
} >"$out"
cat "$out"
