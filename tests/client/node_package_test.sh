#!/bin/bash
# clients/node as a user gets it: its dependencies installed from the
# lockfile (npm ci) in a clean copy, the TypeScript declarations compiled
# against a usage file, node's test runner against real actserver processes
# (over TCP, mutual TLS and a unix: socket); then the packed tarball
# installed into an empty project that computes with it in three lines.
#   node_package_test.sh SOURCE_DIR WORK_DIR ACTSERVER
# Exits 77 (skipped) only when node or npm is not installed.
set -euo pipefail
src=$(realpath "$1") work=$(realpath -m "$2") actserver=$(realpath "$3")
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIPPED: node/npm are not installed"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cp -r "$src/clients/node" "$work/package"
rm -rf "$work/package/node_modules"
cd "$work/package"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
echo "typecheck: index.d.ts OK"
ACTSERVER=$actserver node --test --test-reporter=spec test/ 2>&1 | tee "$work/node-test.log"
test "${PIPESTATUS[0]}" -eq 0
# (The package's proto/ copy is compared with proto/ by ctest
# client_node_proto_copy, which needs no node.)

# A consumer project: npm install of the packed package, three lines.
tarball=$(npm pack --silent --pack-destination "$work")
mkdir "$work/consumer"
cd "$work/consumer"
npm init -y >/dev/null
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$work/$tarball"
log=$(mktemp)
"$actserver" --port=0 --address=127.0.0.1 --threads=1 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  target=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -1)
  [ -n "$target" ] && break
  sleep 0.1
done
cat > three_lines.js <<JS
const { Client } = require('activation-client');
const client = new Client('$target');
client.compute('gelu', new Float32Array([-1, 0, 1])).then((y) => { console.log(y); client.close(); });
JS
out=$(node three_lines.js)
echo "consumer: $out"
[[ "$out" == *"Float32Array(3) [ -0.15865525"* ]]
