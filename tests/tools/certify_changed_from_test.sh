#!/bin/sh
# certify --changed-from: a build's chunk hashes (--fingerprint
# --chunk-hashes) against the same build find no chunk changed; a chunk whose
# recorded hash differs is the only one checked, and its function's rows are
# the only ones reported; hashes of other inputs or another target are
# refused.
#   certify_changed_from_test.sh CERTIFY
set -eu
certify=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
flags="--dtype=float32 --stride=4099 --functions=softsign,relu6"
"$certify" $flags --fingerprint --chunk-hashes="$dir/old.tsv" > /dev/null
"$certify" $flags --changed-from="$dir/old.tsv" --check > "$dir/same.md" 2> "$dir/same.err"
grep -q '^certify: 0 of 32 chunks (0 inputs) differ' "$dir/same.err"
if grep -q '^| softsign\|^| relu6' "$dir/same.md"; then
  echo "rows reported with nothing changed:" >&2
  cat "$dir/same.md" >&2
  exit 1
fi
# softsign's chunk 5 recorded with another hash: that chunk alone is checked.
awk -F '\t' 'BEGIN { OFS = "\t" } $1 == "softsign" && $3 == "5" { $4 = "0000000000000000" } { print }' \
  "$dir/old.tsv" > "$dir/tampered.tsv"
"$certify" $flags --changed-from="$dir/tampered.tsv" --check > "$dir/one.md" 2> "$dir/one.err"
grep -q '^certify: 1 of 32 chunks (65536 inputs) differ' "$dir/one.err"
grep -q '^| softsign | defaults | forward |' "$dir/one.md"
if grep -q '^| relu6' "$dir/one.md"; then
  echo "relu6 reported though none of its chunks changed:" >&2
  cat "$dir/one.md" >&2
  exit 1
fi
grep -q 'only the 65536 inputs (1 of 32 chunks' "$dir/one.md"
# Hashes of other inputs: refused, exit 2.
status=0
"$certify" --dtype=float32 --stride=4097 --functions=softsign,relu6 \
  --changed-from="$dir/old.tsv" > /dev/null 2> "$dir/other.err" || status=$?
test "$status" = 2
grep -q 'is not the chunk hashes of this run' "$dir/other.err"
echo "certify --changed-from: OK"
