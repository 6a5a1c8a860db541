#!/usr/bin/env bash
# Installs what is missing, builds (Release) and starts actserver on port
# 50051. Extra arguments go to actserver, e.g. scripts/run.sh --threads=2.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DACTSVC_BUILD_TESTS=OFF -DACTSVC_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target actserver -j"$(nproc)"
exec build/release/server/actserver "$@"
