#!/bin/sh
# tools/certify_exhaustive.sh on a stride: a function at a time, in pieces,
# each function's table once complete, a second run skipping what is done,
# and certify --merge of the functions' directories equal to one run of both.
#   certify_exhaustive_test.sh CERTIFY SCRIPT
set -eu
certify=$1
script=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
flags=--stride=1048583
CERTIFY=$certify CERTIFY_FLAGS=$flags "$script" "$dir/run" relu tanh 2> "$dir/log"
test "$(ls "$dir/run/relu" | grep -c '\.partial$')" = 16
test -s "$dir/run/relu.md" && test -s "$dir/run/tanh.md"
CERTIFY=$certify CERTIFY_FLAGS=$flags "$script" "$dir/run" relu tanh 2> "$dir/log2"
if grep -q 'done in' "$dir/log2"; then
  echo "the second run ran pieces again:" >&2
  cat "$dir/log2" >&2
  exit 1
fi
"$certify" --merge="$dir/run/relu,$dir/run/tanh" | sed 1d > "$dir/merged.md"
"$certify" $flags --dtype=float32 --functions=relu,tanh | sed 1d > "$dir/whole.md"
diff "$dir/whole.md" "$dir/merged.md"
# A piece missing: --merge refuses, naming it.
rm "$dir/run/tanh/float32-7-of-16.partial"
if "$certify" --merge="$dir/run/tanh" > /dev/null 2> "$dir/err"; then
  echo "--merge accepted a run with a piece missing" >&2
  exit 1
fi
grep -q 'missing: 7' "$dir/err"
echo "certify_exhaustive.sh: OK"
