#!/usr/bin/env bash
# Installs what building, running and testing activation-service needs, from
# Debian 12's packages only. Idempotent: apt-get skips what is present.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the test suite uses
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config ccache
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      libabsl-dev libtbb-dev libhwy-dev libbenchmark-dev libgtest-dev libgmock-dev
      libcivetweb-dev)
if [[ "${1:-}" == "--test" ]]; then
  # Cross-language clients and references used by the tests.
  pkgs+=(python3 python3-grpcio python3-protobuf python3-numpy python3-torch
         nginx-light nghttp2-client python3-yaml docker-compose
         prometheus grpc-proto)
  # Node.js may come from elsewhere (nodesource bundles npm): only fill gaps.
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
