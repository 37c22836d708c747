#!/bin/bash
# Build llama.cpp from the exact source node-llama-cpp 3.21.1 bundles, for CUDA sm_90 (H100/H200),
# only the targets the CUDA benchmarks need.
#
#   bench/cuda/build-llama.sh SRC_DIR BUILD_DIR
#
# SRC_DIR: the bundled source. Get it with
#   npm pack node-llama-cpp@3.21.1 && tar xzf node-llama-cpp-3.21.1.tgz
#   git clone package/llama/gitRelease.bundle SRC_DIR       # llama.cpp tag v0.4.0 of
#       node-llama-cpp's release (package/llama/llama.cpp.info.json), commit
#       80fb11ac73e66d89eae2c6a91d8a77428fa733ed (2026-09-12)
#   git -C SRC_DIR apply --ignore-whitespace package/llama/patches/PR-22566.diff
#       (node-llama-cpp applies this patch itself: dist/bindings/utils/applyLlamaCppRepoPatches.js)
# A machine without network (the H100 lease) gets SRC_DIR as a tarball made from that checkout
# (bench/cuda/pack-src.sh).
set -eu
SRC=$1 BUILD=$2
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S "$SRC" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_NATIVE=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
cmake --build "$BUILD" -j"$(nproc)" --target llama-fit-params llama-server
