#!/usr/bin/env bash
# The overview's wall and CPU time against a previous binary, in one run:
# plain `oomguard` (this machine), `--machine m4-max-64gb`, `--machine
# rtx-4090`, each run RUNS times, new and old interleaved so that both see
# the same load. Prints a Markdown table (medians) and the load average
# before and after.
#   bench/bench_overview_cmp.sh NEW_OOMGUARD OLD_OOMGUARD [RUNS]
set -euo pipefail
new=$1; old=$2; runs=${3:-11}
export HOME=$(mktemp -d) NO_COLOR=1 # no user catalog: the built-in one
trap 'rm -rf "$HOME"' EXIT
"$new" machine --save "$HOME/here.json" >/dev/null 2>&1 # this machine, frozen for both binaries
load0=$(cut -d' ' -f1-3 /proc/loadavg)
one() { # wall ms and CPU ms (user+sys) of one run
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -o "$HOME/t" -f '%U %S' "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 )) $(awk '{printf "%d", ($1 + $2) * 1000}' "$HOME/t")"
}
med() { sort -n | awk -v n="$runs" 'NR == int(n / 2) + 1'; }
printf '| command | new wall ms | new CPU ms | old wall ms | old CPU ms | old/new CPU | old/new wall |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for args in "--machine $HOME/here.json" "--machine m4-max-64gb" "--machine rtx-4090"; do
  : >"$HOME/nw"; : >"$HOME/nc"; : >"$HOME/ow"; : >"$HOME/oc"
  for ((i = 0; i < runs; i++)); do
    read -r w c < <(one "$new" $args); echo "$w" >>"$HOME/nw"; echo "$c" >>"$HOME/nc"
    read -r w c < <(one "$old" $args); echo "$w" >>"$HOME/ow"; echo "$c" >>"$HOME/oc"
  done
  nw=$(med <"$HOME/nw"); nc=$(med <"$HOME/nc"); ow=$(med <"$HOME/ow"); oc=$(med <"$HOME/oc")
  label="oomguard ${args/--machine $HOME\/here.json/(this machine, saved snapshot)}"
  printf '| `%s` | %s | %s | %s | %s | %s | %s |\n' "$label" "$nw" "$nc" "$ow" "$oc" \
    "$(awk -v a="$oc" -v b="$nc" 'BEGIN{printf "%.1fx", (b > 0 ? a / b : 0)}')" \
    "$(awk -v a="$ow" -v b="$nw" 'BEGIN{printf "%.1fx", (b > 0 ? a / b : 0)}')"
done
echo
echo "load average (1, 5, 15 min): $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after; $(nproc) cores; $runs runs each, medians"
