#!/bin/sh
# The driver's per-vector code (activations/kernels.cc: Loop's step and put,
# RunKernel's op and slope lambdas, marked ACTIVATIONS_PER_VECTOR) must be
# inlined into its loop on every Highway target. GCC 12 left some of them as
# a function called once per vector, vectors passed through memory, and
# which ones flipped with unrelated edits anywhere in the file: session 25's
# swish float32 forward_and_derivative at 0.80x session 24's, same bits
# (docs/benchmarks.md, "Session 26: swish's forward_and_derivative
# regression is an inlining flip"). Main 6e2846a had 260 such functions in
# its certify binary; this test fails on any.
#   per_vector_inlined_test.sh NM LIBRARY_OR_BINARY
set -eu
nm_tool=$1
file=$2
symbols=$(mktemp)
trap 'rm -f "$symbols"' EXIT
"$nm_tool" -C "$file" 2>/dev/null | sed 's/^[0-9a-f]* *[A-Za-z] //' > "$symbols"
# Not vacuous: the kernels of every target are there to be read.
for target in AVX3 AVX2 SSE4; do
  if ! grep -q "^activations::N_$target::" "$symbols"; then
    echo "no activations::N_$target:: symbols in $file (stripped?)" >&2
    exit 1
  fi
done
# A function whose own name is a lambda of Loop or RunKernel.
pattern='^(auto |decltype \(.*\) )?activations::N_[A-Z0-9_]+::(Loop|RunKernel)<.*::\{lambda\('
count=$(grep -cE "$pattern" "$symbols" || true)
if [ "$count" -ne 0 ]; then
  echo "$count per-vector lambdas of the driver compiled out of line in $file:" >&2
  grep -E "$pattern" "$symbols" | cut -c1-300 | head -20 >&2
  exit 1
fi
echo "per-vector code inlined on every target ($file)"
