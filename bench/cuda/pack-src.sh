#!/bin/bash
# Pack the bundled llama.cpp source (see build-llama.sh) into a tarball small enough to travel
# to a machine without network: docs, models, benches, media and the web UI's sources left out.
#   bench/cuda/pack-src.sh NLC_PACKAGE_DIR OUT.tar.xz      (NLC_PACKAGE_DIR: node-llama-cpp's folder)
set -eu
NLC=$1 OUT=$(realpath "$2"); W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
git clone -q "$NLC/llama/gitRelease.bundle" "$W/llama.cpp"
git -C "$W/llama.cpp" apply --ignore-whitespace "$NLC"/llama/patches/*.diff
tar -C "$W" --exclude=llama.cpp/.git --exclude=llama.cpp/docs --exclude=llama.cpp/models \
    --exclude=llama.cpp/benches --exclude=llama.cpp/tools/ui/tests --exclude=llama.cpp/tools/ui/src \
    --exclude=llama.cpp/media -cJf "$OUT" llama.cpp
