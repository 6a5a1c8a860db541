#!/bin/bash
# ctest driver of examples/node: skipped (exit 77) only when node is absent.
#   node_example_test.sh EXAMPLE_DIR TARGET
set -u
dir=$1
target=$2
if ! command -v node >/dev/null; then
  echo "SKIPPED: node is not installed (apt-get install nodejs npm)"
  exit 77
fi
if [ ! -d "$dir/node_modules/@grpc/grpc-js" ]; then
  echo "examples/node has no node_modules: run 'npm ci --prefix $dir' first" >&2
  exit 1
fi
exec node "$dir/client.js" --target "$target"
