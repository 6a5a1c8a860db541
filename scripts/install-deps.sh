#!/usr/bin/env bash
# Installs what building, running and testing activation-service needs, from
# Debian 12's packages only. Idempotent: apt-get skips what is present.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the test suite uses
#   scripts/install-deps.sh --sanitize   also clang 14 and its sanitizer/libFuzzer runtimes
#                                    (scripts/sanitize.sh); the flags combine
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config ccache
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      libabsl-dev libtbb-dev libhwy-dev libbenchmark-dev libgtest-dev libgmock-dev
      libcivetweb-dev libssl-dev
      # actload's h2 engine: gRPC over HTTP/2 with nghttp2 (client/actload_h2.h).
      libnghttp2-dev)
want_test=0 want_sanitize=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --sanitize) want_sanitize=1 ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done
if ((want_sanitize)); then
  # llvm-14 brings llvm-symbolizer-14, which turns sanitizer reports into file:line stacks.
  pkgs+=(clang-14 libclang-rt-14-dev llvm-14)
fi
if ((want_test)); then
  # Cross-language clients and references used by the tests.
  pkgs+=(python3 python3-grpcio python3-protobuf python3-numpy python3-torch
         nginx-light nghttp2-client python3-yaml docker-compose
         # clients/python installed into a venv (offline) and its pytest
         # suite.
         python3-venv python3-pip python3-setuptools python3-wheel python3-pytest)
  # A real Prometheus scrapes actserver in a test (and promtool checks the
  # exposition); grpc-proto has channelz.proto for the channelz example.
  pkgs+=(prometheus grpc-proto)
  # pgrep/pkill: the scale-out test finds nginx's workers (CPU per call, cleanup).
  pkgs+=(procps)
  # The TLS tests make their certificates at test time.
  pkgs+=(openssl)
  # tools/mpfr_check: the accuracy contract against GNU MPFR (>= 256 bits),
  # an oracle independent of the long-double references (its test is
  # skipped without it).
  pkgs+=(libmpfr-dev)
  # The allocators the RPC bench compares (bench/rpc, LD_PRELOAD); its smoke
  # test starts a server under each.
  pkgs+=(libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0)
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
