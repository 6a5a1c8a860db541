#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors, and
# runs the whole test suite (unit and integration: real servers on free
# loopback ports, Python and Node clients, nginx scale-out); then, as CI runs
# it, the sanitizer and fuzz runs (scripts/sanitize.sh ci: the ASan + UBSan
# build of the library, the server and their tests, 60 s of fuzzing per
# target, then TSan on the server's own concurrent parts). A sanitizer report
# or a fuzz finding fails the script.
#
#   scripts/test.sh                 everything (CI)
#   scripts/test.sh CTEST_ARGS...   the normal build and only the tests CTEST_ARGS
#                                   select (e.g. -R Server -L unit), no sanitizers
# A test that fails is run once more, alone; the run fails if it fails again,
# and every such test is named in the last lines of the output.
# ACTSVC_SANITIZE_CI=0 skips the sanitizer and fuzz runs; ACTSVC_FUZZ_SECONDS
# sets the fuzzing time per target (default 60); ACTSVC_SANITIZE_TSAN=0 skips
# only the TSan step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTSVC_WERROR=ON \
  -DACTSVC_BUILD_TESTS=ON -DACTSVC_BUILD_BENCH=ON >/dev/null
cmake --build build/test -j"$(nproc)"
# The Node example's dependencies (@grpc/grpc-js, @grpc/proto-loader), pinned
# by examples/node/package-lock.json.
npm ci --prefix examples/node --no-audit --no-fund >/dev/null
# The tests that fail are run once more, alone, and named at the end either
# way (scripts/ctest-once-more.sh): FLAKY if they passed then, FAILED if not.
rm -f build/test/ctest-failures.txt build/asan/ctest-failures.txt build/tsan/ctest-failures.txt
summary() {
  local f
  for f in build/test/ctest-failures.txt build/asan/ctest-failures.txt build/tsan/ctest-failures.txt; do
    [[ -s $f ]] && sed 's/^/test.sh: /' "$f" >&2
  done
  return 0
}
trap summary EXIT
scripts/ctest-once-more.sh build/test --output-on-failure --timeout 600 "$@"
if (($# == 0)) && [[ ${ACTSVC_SANITIZE_CI:-1} != 0 ]]; then
  scripts/sanitize.sh ci "${ACTSVC_FUZZ_SECONDS:-60}"
fi
