#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors, and
# runs the whole test suite (unit and integration: real servers on free
# loopback ports, Python and Node clients, nginx scale-out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTSVC_WERROR=ON \
  -DACTSVC_BUILD_TESTS=ON -DACTSVC_BUILD_BENCH=ON >/dev/null
cmake --build build/test -j"$(nproc)"
# The Node example's dependencies (@grpc/grpc-js, @grpc/proto-loader), pinned
# by examples/node/package-lock.json.
npm ci --prefix examples/node --no-audit --no-fund >/dev/null
cd build/test
ctest --output-on-failure --timeout 600 "$@"
