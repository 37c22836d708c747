#!/bin/bash
# CLI tests for oomguard wired and oomguard top. Args: oomguard binary, og-fixture binary, tests dir.
set -u
OG="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
OUT="$tmp/out"
fail=0
check() { # name expected-rc command...
    local name="$1" want="$2"
    shift 2
    "$@" >"$OUT" 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"
        cat "$OUT"
        fail=1
    fi
}
grep_out() { # name pattern
    if ! grep -q -- "$2" "$OUT"; then
        echo "FAIL $1: '$2' not in output"
        cat "$OUT"
        fail=1
    fi
}
py() { # name python-expression over d (the JSON output)
    python3 -c "import json,sys; d=json.load(open('$OUT')); assert $2, d" 2>/dev/null ||
        { echo "FAIL $1: $2"; cat "$OUT"; fail=1; }
}

# ---- wired ----
check help 0 "$OG" wired --help
grep_out help "iogpu.wired_limit_mb"
check bad-flag 2 "$OG" wired --bogus
check bad-set 2 "$OG" wired --machine m1-max-32gb --set lots
check bad-negative 2 "$OG" wired --machine m1-max-32gb --set -5
check model-without-recommend 2 "$OG" wired qwen3-32b
check reset-and-set 2 "$OG" wired --machine m1-max-32gb --reset --set 1000
check bad-machine 2 "$OG" wired --machine no-such-machine

check recommend 0 "$OG" wired --machine m1-max-32gb --recommend --json
py recommend "d['recommended_mb'] == 24576 and d['current_mb'] == 0 and d['floor_mb'] == 8192"
check recommend-text 0 "$OG" wired --machine m1-max-32gb --recommend
grep_out recommend-text "sudo sysctl iogpu.wired_limit_mb=24576"
check recommend-64 0 "$OG" wired --machine m2-max-64gb --recommend --json
py recommend-64 "d['recommended_mb'] == 49152"
# with a model: the smallest whole GiB at which the plan fits (its need plus the 1 GiB margin)
check recommend-model 0 "$OG" wired --machine m2-max-64gb --recommend llama-3.3-70b --ctx 36864 --json
py recommend-model "d['need_bytes'] > 48 * 2**30 and d['recommended_mb'] % 1024 == 0 and d['recommended_mb'] * 2**20 >= d['need_bytes'] + 2**30 and d['recommended_mb'] <= 57344 and d['apply']"
# issue 13: a small model never lowers the limit below the default: nothing to apply
check recommend-small 0 "$OG" wired --machine m4-max-64gb --recommend qwen3-8b --json
py recommend-small "d['recommended_mb'] == 49152 and not d['apply'] and d['fits']"
check recommend-small-text 0 "$OG" wired --machine m4-max-64gb --recommend qwen3-8b
grep_out recommend-small-text "nothing to apply"
if grep -q "Apply:" $OUT; then echo "FAIL recommend-small-text: Apply printed"; fail=1; fi
# one story: when no limit can help, wired names the doctor's own fix (a build that fits), not a generic one
check recommend-capped 0 "$OG" wired --machine m2-24gb --recommend qwen3-30b-a3b
grep_out recommend-capped "does not fit even at the largest safe limit"
docfix=$("$OG" doctor qwen3-30b-a3b --machine m2-24gb --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["checks"][d["headline"]]["fix"] if isinstance(d["headline"], int) else [c for c in d["checks"] if c["id"] == d["headline"]][0]["fix"])')
case "$docfix" in *--quant*) grep_out recommend-capped "$docfix" ;; *) echo "FAIL recommend-capped: doctor's fix names no build: $docfix"; fail=1 ;; esac
# a limit above RAM minus the floor is lowered to a safe value
sed 's/"wired_limit_mb": *[0-9]*/"wired_limit_mb": 999999/' "$3/data/doctor/mac-64gb-low-wired.json" > "$tmp/mac-999999.json"
check recommend-above-safe 0 "$OG" wired --machine "$tmp/mac-999999.json" --recommend --json
py recommend-above-safe "d['apply'] and 49152 <= d['recommended_mb'] <= 57344"
check recommend-typo 2 "$OG" wired --machine m2-max-64gb --recommend qwen3-32bb
grep_out recommend-typo "did you mean"

# --set: not this Mac -> the command to run there, exit 1; starving values refused
check set-other 1 "$OG" wired --machine m4-pro-48gb --set 38912
grep_out set-other "sudo sysctl iogpu.wired_limit_mb=38912"
grep_out set-other "not this Mac"
check set-starve 1 "$OG" wired --machine m1-max-32gb --set 30000
grep_out set-starve "floor"
check set-dry 0 "$OG" wired --machine m4-pro-48gb --set auto --dry-run
grep_out set-dry "Would run: sudo sysctl iogpu.wired_limit_mb=36864"
check persist-no-root 1 "$OG" wired --machine m1-max-32gb --set auto --persist

# --persist under a temporary root: twice (idempotent), keeps other lines, --reset
root="$tmp/root"
mkdir -p "$root/etc"
printf 'kern.maxfiles=65536\niogpu.wired_limit_mb=8192\n' > "$root/etc/sysctl.conf"
check persist 0 "$OG" wired --machine m1-max-32gb --set auto --persist --root "$root" --json
py persist "[a['what'] for a in d['actions']] == ['create', 'update']"
grep -q '^iogpu.wired_limit_mb=24576$' "$root/etc/sysctl.conf" || { echo "FAIL persist: key"; fail=1; }
grep -q '^kern.maxfiles=65536$' "$root/etc/sysctl.conf" || { echo "FAIL persist: lost a line"; fail=1; }
[ "$(grep -c "^iogpu" "$root/etc/sysctl.conf")" = 1 ] || { echo "FAIL persist: key twice"; fail=1; }
grep -q "iogpu.wired_limit_mb=24576" "$root/Library/LaunchDaemons/com.oomguard.wired-limit.plist" ||
    { echo "FAIL persist: plist"; fail=1; }
cp "$root/etc/sysctl.conf" "$tmp/after1"
check persist-again 0 "$OG" wired --machine m1-max-32gb --set auto --persist --root "$root" --json
py persist-again "[a['what'] for a in d['actions']] == ['unchanged', 'unchanged']"
cmp -s "$root/etc/sysctl.conf" "$tmp/after1" || { echo "FAIL persist-again changed the file"; fail=1; }
check persist-dry 0 "$OG" wired --machine m1-max-32gb --set 22528 --persist --root "$root" --dry-run
grep -q '^iogpu.wired_limit_mb=24576$' "$root/etc/sysctl.conf" || { echo "FAIL dry-run wrote"; fail=1; }
check reset 0 "$OG" wired --machine m1-max-32gb --reset --root "$root" --json
py reset "d['actions'][0]['what'] == 'remove'"
[ ! -e "$root/Library/LaunchDaemons/com.oomguard.wired-limit.plist" ] || { echo "FAIL reset: plist left"; fail=1; }
grep -q "^iogpu" "$root/etc/sysctl.conf" && { echo "FAIL reset: key left"; fail=1; }
grep -q '^kern.maxfiles=65536$' "$root/etc/sysctl.conf" || { echo "FAIL reset: lost a line"; fail=1; }

# not a Mac: AMD APU shows GTT and kernel parameters; NVIDIA / CPU: nothing to set
check apu 0 "$OG" wired --machine strix-halo-128gb
grep_out apu "ttm.pages_limit="
check nvidia 0 "$OG" wired --machine rtx-4090
grep_out nvidia "Nothing to set"
check nvidia-set 1 "$OG" wired --machine rtx-4090 --set 1000
check live 0 "$OG" wired --json

# ---- top ----
check top-help 0 "$OG" top --help
check top-bad-n 2 "$OG" top -n 0
check top-bad-sort 2 "$OG" top --sort size
check top-bad-flag 2 "$OG" top --bogus
check top-json 0 "$OG" top --json
me=$$
py top-json "any(p['pid'] == $me and p['footprint_bytes'] > 0 for p in d['processes']) and d['total_footprint_bytes'] >= sum(p['footprint_bytes'] for p in d['processes'])"
py top-kind "d['footprint_basis'] in ('pss', 'rss', 'pss+rss', 'phys_footprint')"
check top-n 0 "$OG" top -n 3
[ "$(grep -c '^[0-9]' "$OUT")" = 3 ] || { echo "FAIL top -n 3"; cat "$OUT"; fail=1; }
grep_out top-n "TOTAL"
check top-gpu 0 "$OG" top --sort gpu -n 2
# another Mac: --persist --dry-run shows the files a fresh Mac would get, writes nothing
check wired-other-dry 0 "$OG" wired --machine m4-pro-48gb --persist --dry-run
grep_out wired-other-dry "/Library/LaunchDaemons/com.oomguard.wired-limit.plist"
if grep -q "/tmp/" "$OUT"; then echo "FAIL wired-other-dry: scratch path shown"; fail=1; fi
check wired-other-persist 1 "$OG" wired --machine m4-pro-48gb --persist
exit $fail
