#!/usr/bin/env bash
# oomguard machine: agrees with /proc/meminfo on this machine; --save and
# --machine round-trip; presets; bad input exits 2 with a message naming it.
set -u
og=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$og" machine --help | grep -q -- "--machine" || fail "--help"
"$og" machine >"$tmp/human" || fail "machine exit $?"
grep -q "Budget" "$tmp/human" || fail "no budget in the report"

if [ -r /proc/meminfo ]; then
  "$og" machine --json >"$tmp/m.json" || fail "--json exit $?"
  python3 - "$tmp/m.json" <<'PY' || fail "--json disagrees with /proc/meminfo"
import json, sys
j = json.load(open(sys.argv[1]))
mi = {}
for line in open("/proc/meminfo"):
    k, v = line.split(":", 1)
    mi[k] = int(v.split()[0]) * 1024
assert j["os"] == "linux", j["os"]
assert j["ram_bytes"] == mi["MemTotal"], (j["ram_bytes"], mi["MemTotal"])
avail = j["linux"]["meminfo"]["mem_available_bytes"]
# MemAvailable moves between two reads (compilers and tests starting and ending
# beside this one on a busy box moved it by more than 256 MiB); allow 1 GiB
assert abs(avail - mi["MemAvailable"]) < 1 << 30, (avail, mi["MemAvailable"])
assert j["swap_total_bytes"] == mi["SwapTotal"]
b = j["budget"]
assert b["margin_bytes"] == 1 << 30
assert b["host_bytes"] <= avail
srcs = {s["name"]: s for s in j["sources"]}
assert srcs["meminfo"]["ok"] is True
for s in j["sources"]:
    assert s["ok"] or s["reason"], s
PY
fi

# --save, then --machine FILE reads it back identically
"$og" machine --save "$tmp/snap.json" 2>/dev/null >/dev/null || fail "--save exit $?"
"$og" machine --machine "$tmp/snap.json" --save "$tmp/snap2.json" >/dev/null 2>&1 || fail "reload"
cmp -s "$tmp/snap.json" "$tmp/snap2.json" || fail "snapshot changed on a round trip"

# presets
"$og" machine --list | grep -q "^m4-pro-48gb " || fail "--list lacks m4-pro-48gb"
"$og" machine --machine m4-pro-48gb --json >"$tmp/p.json" || fail "preset exit $?"
python3 - "$tmp/p.json" <<'PY' || fail "m4-pro-48gb numbers"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ram_bytes"] == 48 << 30
assert j["macos"]["chip"] == "Apple M4 Pro"
assert j["budget"]["gpu_total_bytes"] == 36 << 30      # 3/4 of 48 GiB
assert j["budget"]["gpu_bytes"] == 35 << 30            # minus 1 GiB margin
PY

# bad input: exit 2 and a message naming the thing
"$og" machine --machine no-such-preset 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown preset exit $rc"
grep -q "no-such-preset" "$tmp/err" || fail "unknown preset message"
echo '{"schema_version": 1, "os": "linux", "ram_bytes": "lots"}' >"$tmp/bad.json"
"$og" machine --machine "$tmp/bad.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "malformed snapshot exit $rc"
grep -q "ram_bytes" "$tmp/err" || fail "malformed snapshot message: $(cat "$tmp/err")"
echo '{"schema_version": 9, "os": "linux", "ram_bytes": 1}' >"$tmp/bad.json"
"$og" machine --machine "$tmp/bad.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown schema exit $rc"
grep -q "schema_version" "$tmp/err" || fail "schema message"
"$og" machine --bogus 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad flag exit $rc"
"$og" machine --save 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "missing value exit $rc"
echo ok
