#!/bin/sh
# The exhaustive float32 certificate (every one of the 2^32 inputs, every
# row, default and non-default parameters), one function at a time, each in
# 16 pieces written to DIR/<function>/ as they finish (tools/certify_main.cc:
# --shards, --shard-dir). A function's table, once all its pieces are there,
# is DIR/<function>.md. Stopped, it continues where it stopped when run
# again; several copies may run at once (a piece being run is locked).
#
#   nice -n 19 tools/certify_exhaustive.sh DIR [FUNCTION...]
#
# FUNCTION...: the order to run them in (default: the catalogue's, from
# certify --list-functions). CERTIFY: the binary (default
# build/test/tools/certify). Then one table of the finished functions:
#   certify --merge=DIR/relu,DIR/tanh,... --section=float32-exhaustive --write=docs/accuracy.md
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [FUNCTION...]" >&2
  exit 2
fi
dir=$1
shift
certify=${CERTIFY:-build/test/tools/certify}
if [ $# -eq 0 ]; then
  set -- $("$certify" --list-functions)
fi
mkdir -p "$dir"
for f in "$@"; do
  "$certify" --dtype=float32 --functions="$f" --shards=16 --shard-dir="$dir/$f" > "$dir/$f.md.tmp"
  if [ -s "$dir/$f.md.tmp" ]; then
    mv "$dir/$f.md.tmp" "$dir/$f.md"
  else
    rm -f "$dir/$f.md.tmp"
  fi
done
