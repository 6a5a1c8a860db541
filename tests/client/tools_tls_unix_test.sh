#!/bin/bash
# actctl and actload (and through them the C++ client library), and the
# Python and Node examples, over a unix: socket and over mutual TLS, with
# certificates made by openssl here: actserver serves mutual TLS and listens
# on a unix: path (--unix_socket) itself.
#   tools_tls_unix_test.sh ACTSERVER ACTCTL ACTLOAD
set -euo pipefail
actserver=$(realpath "$1") actctl=$(realpath "$2") actload=$(realpath "$3")
repo=$(realpath "$(dirname "$0")/../..")
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts "$@" in the background, logging to $work/$name; echoes the TCP
# address of its start-up line, "actserver: listening on 127.0.0.1:PORT[,
# unix:PATH], N compute threads, ...".
start() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do
    local address
    address=$(sed -n 's/.*listening on \([^ ,]*\).*/\1/p' "$work/$name.log" | head -1)
    if [ -n "$address" ]; then echo "$address"; return; fi
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$work/$name.log" >&2
  return 1
}

# The unix: target a started server names in its start-up line.
unix_of() {
  sed -n 's/.*listening on [^ ,]*, \(unix:[^ ,]*\), .*/\1/p' "$work/$1.log" | head -1
}

# Two servers, each on TCP and a socket of its own; b is reached by the
# unix:///ABSOLUTE form of its path.
server_a=$(start a "$actserver" --port=0 --address=127.0.0.1 --threads=1 \
  --unix_socket="$work/a.sock")
server_b=$(start b "$actserver" --port=0 --address=127.0.0.1 --threads=1 \
  --unix_socket="$work/b.sock")
unix_a=$(unix_of a)
unix_b="unix://$work/b.sock"
for name in a b; do
  if [ "$(unix_of $name)" != "unix:$work/$name.sock" ]; then
    echo "FAIL: server $name's start-up line does not name unix:$work/$name.sock:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
done
if ! [[ "$server_a" =~ ^127\.0\.0\.1:[0-9]+$ && "$server_b" =~ ^127\.0\.0\.1:[0-9]+$ ]]; then
  echo "FAIL: TCP addresses read as '$server_a' and '$server_b'" >&2
  exit 1
fi

cd "$work"
for ca in ca other_ca; do
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=test $ca" \
    -keyout $ca.key -out $ca.pem 2>/dev/null
done
echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
echo "extendedKeyUsage=clientAuth" > client.ext
for name in server client; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=test $name" \
    -keyout $name.key -out $name.csr 2>/dev/null
  openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 1 -extfile $name.ext -out $name.pem 2>/dev/null
done
tls=$(start tls "$actserver" --port=0 --address=127.0.0.1 --threads=2 \
  --tls_cert=server.pem --tls_key=server.key --tls_client_ca=ca.pem)
port=${tls##*:}

expect() {  # expect EXIT_CODE PATTERN COMMAND...: runs it, checks both
  local want=$1 pattern=$2
  shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != "$want" ] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL (exit $rc, wanted $want and /$pattern/): $*" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "ok: $*"
}

mtls=(--tls_roots=ca.pem --tls_cert=client.pem --tls_key=client.key)
# unix: sockets, one and a round-robin list over both servers; TCP still
# served beside them.
expect 0 "0.731058598" "$actctl" compute sigmoid --values 1 --target="$unix_a"
expect 0 SERVING "$actctl" health --target="$server_a"
expect 0 SERVING "$actctl" health --target="$unix_b"
expect 0 "0.5" "$actctl" compute sigmoid --values 0 --target="$unix_a,$unix_b"
expect 0 " 0 errors, 0 wrong" "$actload" --target="$unix_a" --duration=500ms --warmup=0s \
  --concurrency=2 --verify --quiet
expect 0 '"threads":2' "$actload" --target="$unix_a" --target="$server_b" --duration=300ms \
  --warmup=0s --concurrency=4 --threads=2 --verify --quiet --output=json
expect 2 "outside \\[1, 64\\]" "$actload" --target="$unix_a" --threads=0 --duration=100ms
expect 0 " 0 errors" "$actload" --target="$unix_a" --target="$unix_b" --duration=300ms \
  --warmup=0s --rpc=stream --quiet
# Mutual TLS: by IP (the certificate names 127.0.0.1) and by name.
expect 0 "0.731058598" "$actctl" compute sigmoid --values 1 --target="$tls" "${mtls[@]}"
expect 0 SERVING "$actctl" health --target="localhost:$port" "${mtls[@]}"
expect 0 SERVING "$actctl" health --target="$tls" --tls_server_name=localhost "${mtls[@]}"
expect 0 " 0 errors, 0 wrong" "$actload" --target="$tls" "${mtls[@]}" --duration=500ms \
  --warmup=0s --concurrency=2 --rpc=batch --verify --quiet
# What must fail: no client certificate, an untrusted server, a wrong name,
# plaintext to a TLS port, half a key pair, a missing file.
expect 1 UNAVAILABLE "$actctl" health --target="$tls" --tls_roots=ca.pem --timeout=5s
expect 1 UNAVAILABLE "$actctl" health --target="$tls" --tls_roots=other_ca.pem \
  --tls_cert=client.pem --tls_key=client.key --timeout=5s
expect 1 UNAVAILABLE "$actctl" health --target="$tls" --tls_server_name=elsewhere.example \
  "${mtls[@]}" --timeout=5s
expect 1 UNAVAILABLE "$actctl" health --target="$tls" --timeout=5s
expect 1 UNAVAILABLE "$actload" --target="$tls" --tls_roots=ca.pem --duration=200ms --quiet
expect 2 "go together" "$actload" --target="$tls" --tls_cert=client.pem --duration=200ms
expect 2 "tls_roots=nope.pem" "$actctl" health --target="$tls" --tls_roots=nope.pem
# The raw-stub examples take the same targets and TLS flags.
py_example=("/usr/bin/python3" "$repo/examples/python/client.py" --stubs-dir="$work/stubs")
expect 0 "all calls behaved as expected" "${py_example[@]}" --target="$unix_a"
expect 0 "all calls behaved as expected" "${py_example[@]}" --target="$tls" "${mtls[@]}"
expect 1 "" "${py_example[@]}" --target="$tls" --tls_roots=ca.pem
if command -v node >/dev/null && [ -d "$repo/examples/node/node_modules/@grpc/grpc-js" ]; then
  expect 0 "all calls OK" node "$repo/examples/node/client.js" --target="$unix_b"
  expect 0 "all calls OK" node "$repo/examples/node/client.js" --target="$tls" "${mtls[@]}" \
    --tls_server_name=localhost
else
  echo "examples/node not checked: node or its node_modules (npm ci --prefix examples/node) missing"
fi
echo "tools and examples over unix: and mutual TLS: all OK"
