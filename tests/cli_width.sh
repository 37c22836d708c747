#!/bin/bash
# The overview keeps to the terminal (issues 14, 15): at COLUMNS=25, 60, 80 and
# 200, and 80 into a pipe without COLUMNS, no line is wider than the
# terminal, every catalog model has its row, each family is one group
# (families sorted, sizes ascending within one), and --json does not depend
# on the width. (ls at 60/80/200: tests/cli_local_models.sh.)
# Args: oomguard binary, og-fixture binary, tests dir.
set -u
OG=$1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export HOME=$T XDG_CONFIG_HOME=$T/none; unset OOMGUARD_CATALOG
widest() { python3 -c "import sys; print(max(len(l) for l in open(sys.argv[1], encoding='utf-8').read().splitlines()))" "$1"; }

for machine in m4-max-64gb rtx-4090; do
  "$OG" --json --machine $machine >"$T/ref.json" || fail "$machine --json: rc $?"
  n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['models']))" "$T/ref.json")
  [ "$n" -ge 100 ] && ok "$machine: $n catalog models" || fail "$machine: $n models"
  # families: each one contiguous, in order, smallest first within it
  python3 - "$T/ref.json" <<'PY' && ok "$machine: families once, sorted, sizes ascending" || fail "$machine: family order"
import json, sys
ms = json.load(open(sys.argv[1]))["models"]
fam = [m["family"] for m in ms]
groups = [f for i, f in enumerate(fam) if i == 0 or fam[i - 1] != f]
assert len(groups) == len(set(groups)), "a family in two groups"
assert groups == sorted(groups), "families not sorted"
for a, b in zip(ms, ms[1:]):
    if a["family"] == b["family"]:
        assert a["parameters"] <= b["parameters"], (a["name"], b["name"])
PY
  for cols in 25 60 80 200 pipe; do
    if [ $cols = pipe ]; then env -u COLUMNS "$OG" --machine $machine >"$T/out"; w=80
    else COLUMNS=$cols LANG=C.UTF-8 "$OG" --machine $machine >"$T/out"; w=$cols; fi
    rc=$?
    got=$(widest "$T/out")
    [ $rc -eq 0 ] && [ "$got" -le "$w" ] && ok "$machine at $cols: widest line $got" ||
      fail "$machine at $cols: rc $rc, widest $got > $w"
    # one row per model: every display name (or its cut) starts a row
    rows=$(grep -c '^  [^ ]' "$T/out")
    [ "$rows" -ge "$n" ] && ok "$machine at $cols: $rows model rows" || fail "$machine at $cols: $rows rows < $n"
    # family headers: each once
    python3 - "$T/ref.json" "$T/out" <<'PY' || fail "$machine at $cols: a family header twice or missing"
import json, sys
fams = {m["family"] for m in json.load(open(sys.argv[1]))["models"]}
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
heads = [l for l in lines if l in fams]
assert len(heads) == len(set(heads)) == len(fams), (len(heads), len(fams))
PY
    COLUMNS=${cols/pipe/80} "$OG" --json --machine $machine >"$T/w.json"
    cmp -s "$T/w.json" "$T/ref.json" || fail "$machine: --json at $cols differs"
  done
done
# the model name column: a long name cut in the middle keeps its size
COLUMNS=60 LANG=C.UTF-8 "$OG" --machine m4-max-64gb >"$T/out"
grep -q $'^  R1 Dis[a-z]*\xe2\x80\xa6.*Llama 70B ' "$T/out" && ok "at 60: 'R1 Distill Llama 70B' cut in the middle" ||
  fail "at 60: $(grep -a 'R1 Dist' "$T/out" | head -3)"
[ $fails -eq 0 ] || exit 1
