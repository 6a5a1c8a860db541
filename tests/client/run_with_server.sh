#!/bin/bash
# Starts actserver on a kernel-chosen loopback port, runs a command against
# it with every "{TARGET}" argument replaced by host:port, stops the server
# with SIGTERM and exits with the command's status.
#   run_with_server.sh ACTSERVER COMMAND [ARG...]
set -u
actserver=$1
shift
log=$(mktemp)
"$actserver" --port=0 --address=127.0.0.1 --threads=2 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
# The start-up line names the address: "listening on 127.0.0.1:PORT".
target=
for _ in $(seq 100); do
  target=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -1)
  [ -n "$target" ] && break
  kill -0 $server 2>/dev/null || break
  sleep 0.1
done
if [ -z "$target" ]; then
  echo "run_with_server.sh: actserver did not start:" >&2
  cat "$log" >&2
  exit 1
fi
args=()
for a in "$@"; do args+=("${a//\{TARGET\}/$target}"); done
"${args[@]}"
