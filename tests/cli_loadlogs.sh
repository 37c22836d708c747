#!/bin/bash
# Public llama.cpp load logs (tests/data/loadlogs, each with its source URL) against the plan:
# the KV cache per cell must match exactly (bench/accuracy/loadlogs.py --strict); the compute
# buffers of those (older) llama.cpp versions are reported, not asserted.
set -u
OG=$1 TESTS=$3
out=$(python3 "$TESTS/../bench/accuracy/loadlogs.py" "$OG" "$TESTS"/data/loadlogs/*.log --strict)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: a KV check failed"; exit 1; }
n=$(echo "$out" | grep -c '^| [a-z].*\.log')
[ "$n" -ge 3 ] || { echo "FAIL: only $n logs checked"; exit 1; }
echo "PASS: $n logs"
