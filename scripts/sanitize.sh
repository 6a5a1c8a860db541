#!/usr/bin/env bash
# Sanitizer and fuzzing runs: the same targets as the normal build, instrumented (clang 14).
#
#   scripts/sanitize.sh ci [SECONDS]              what CI runs (scripts/test.sh): `address` on
#                                                 the sanitizer_suite targets (the library, the
#                                                 server, its unit and integration tests, the
#                                                 fuzz targets; CMakeLists.txt), then `fuzz` for
#                                                 SECONDS per target (default 60), then
#                                                 `thread-ci`
#   scripts/sanitize.sh thread-ci                 TSan on what it can check: the tsan_suite
#                                                 targets (the server's own concurrent parts
#                                                 raced by plain threads) in build/tsan, their
#                                                 tests only
#   scripts/sanitize.sh address [CTEST_ARGS...]   ASan + UBSan build in build/asan (with the fuzz
#                                                 targets); runs the unit and integration tests
#                                                 and replays every fuzz corpus
#   scripts/sanitize.sh thread [CTEST_ARGS...]    TSan build in build/tsan; runs the unit and
#                                                 integration tests (all of them: not in CI, false
#                                                 positives from Debian's uninstrumented gRPC and
#                                                 oneTBB)
#   scripts/sanitize.sh fuzz [SECONDS] [TARGET...]  each fuzz target (default: all) for SECONDS
#                                                 (default 60) in build/asan, from its corpus
#
# CTEST_ARGS narrow the run, e.g. `-R 'Server|Stream'` (not -E: the script sets it). Any
# sanitizer report fails the test that triggered it (halt_on_error; UBSan does not recover),
# and a fuzz finding fails `fuzz`.
# What is suppressed, and why, is in tests/sanitizers/*.supp. The tests that need the Docker
# engine or measure throughput (labels docker, deploy) are left out: they exercise the image,
# not the code. Only the tests whose programs were built run (ACTSVC_SANITIZE_TARGETS).
# Environment: ACTSVC_SANITIZE_JOBS (build and test parallelism, default nproc);
# ACTSVC_SANITIZE_TARGETS (what to build, default all; `ci` sets sanitizer_suite);
# ACTSVC_SANITIZE_TSAN=0 leaves thread-ci out of `ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=${1:-}
shift || true
jobs=${ACTSVC_SANITIZE_JOBS:-$(nproc)}
read -ra build_targets <<<"${ACTSVC_SANITIZE_TARGETS:-all}"

scripts/install-deps.sh --test --sanitize

configure_and_build() {  # DIR SANITIZER
  local dir=$1 sanitizer=$2 fuzzers=OFF
  [[ $sanitizer == address ]] && fuzzers=ON
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # -O1 with line tables: readable stacks at a fraction of -O0's slowdown. No -DNDEBUG, so the
  # asserts of our code and of the headers we include are checked too.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -gline-tables-only" \
    -DACTSVC_SANITIZE="$sanitizer" -DACTSVC_BUILD_FUZZERS="$fuzzers" \
    -DACTSVC_BUILD_TESTS=ON -DACTSVC_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
  local start=$SECONDS
  cmake --build "$dir" -j"$jobs" --target "${build_targets[@]}"
  echo "sanitize.sh: built $dir (${build_targets[*]}) in $((SECONDS - start)) s" >&2
}

supp=$root/tests/sanitizers
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:abort_on_error=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$supp/tsan.supp:print_suppressions=0"
# Symbolized stacks in the reports.
if command -v llvm-symbolizer-14 >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer-14)
  export TSAN_OPTIONS="$TSAN_OPTIONS:external_symbolizer_path=$ASAN_SYMBOLIZER_PATH"
fi

# Tests left out of the sanitizer runs, each with its reason (a regular expression of names):
#  - MallocPolicyTest.*: the sanitizers' allocators replace glibc's malloc, which refuses mallopt;
#  - IdleReclaimerTest.FreesThePoolOnceWhenIdleAndNotWhileBusy: 50 ms sleeps against a 200 ms
#    idle period; under a sanitizer's slowdown "busy" looks idle (the normal build runs it);
#  - ServerTest.ConcurrentClientsAllGetTheirOwnAnswers: clang's code for gelu_tanh's float64
#    backward reaches 11.3 ULP against the 10 ULP bound GCC's code meets (kernels' bound, not a
#    memory or thread finding);
#  - client_install_find_package: builds a separate consumer project against the installed
#    client library with plain flags, which cannot link instrumented objects (it tests the
#    packaging, which the normal build covers).
skipped='^(MallocPolicyTest\..*|IdleReclaimerTest\.FreesThePoolOnceWhenIdleAndNotWhileBusy|ServerTest\.ConcurrentClientsAllGetTheirOwnAnswers|client_install_find_package)$'

# The tests this build cannot run: a test is left out when a program of the build directory on
# its command line (a path into it without an extension) was not built, e.g. actload's and
# actctl's outside sanitizer_suite, or has none (gtest's <target>_NOT_BUILT placeholder, the
# script-only tests). Printed as one anchored regular expression of names, with `skipped`.
unrunnable_tests() {  # DIR
  (cd "$1" && ctest --show-only=json-v1) | /usr/bin/python3 -c '
import json, os, re, sys
build = os.path.realpath(sys.argv[1])
names = []
for test in json.load(sys.stdin)["tests"]:
    # Paths into the build directory anywhere in the arguments (also inside `sh -c "..."`).
    paths = [p for a in test.get("command", [])
             for p in re.findall(re.escape(build) + r"/[^\s\"\x27;&|]+", os.path.realpath(a)
                                 if os.path.exists(a) else a)]
    programs = [p for p in paths if not os.path.splitext(p)[1]]
    if not programs or not all(os.access(p, os.X_OK) for p in programs):
        names.append(re.escape(test["name"]))
print("^(" + "|".join(names) + ")$" if names else "^$")
' "$1"
}

run_ctest() {  # DIR CTEST_ARGS...
  local dir=$1 start=$SECONDS status=0
  shift
  local exclude
  exclude="$(unrunnable_tests "$dir")|$skipped"
  # A failing test gets one more run, alone (scripts/ctest-once-more.sh).
  "$root/scripts/ctest-once-more.sh" "$dir" --output-on-failure --timeout 900 -j"$jobs" \
    -L 'unit|integration' -LE 'docker|deploy' -E "$exclude" "$@" || status=$?
  echo "sanitize.sh: tests of $dir took $((SECONDS - start)) s" >&2
  return $status
}

run_fuzzers() {  # SECONDS [TARGET...]
  local seconds=$1 target failed=""
  shift
  local targets=("$@")
  if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cd tests/fuzz && ls -- *_fuzz.cc | sed 's/_fuzz\.cc$//')
  fi
  for target in "${targets[@]}"; do
    corpus=tests/fuzz/${target}_corpus
    # New inputs go to a scratch folder; the committed corpus only gets what is minimised
    # and added by hand (a crash, with its regression test).
    work=build/asan/fuzz-work/$target
    artifacts=build/asan/fuzz-artifacts/$target/
    mkdir -p "$work" "$artifacts"
    echo "sanitize.sh: fuzzing $target for ${seconds}s" >&2
    # One process, several workers would need the cores the CI machine does not have.
    build/asan/tests/fuzz/${target}_fuzz -max_total_time="$seconds" -timeout=25 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$corpus" \
      || failed=$target
  done
  if [[ -n $failed ]]; then
    echo "sanitize.sh: fuzzing found a crash (first: $failed); the input is in" \
         "build/asan/fuzz-artifacts/" >&2
    return 1
  fi
}

# The tests of tsan_suite (CMakeLists.txt): nothing in them crosses gRPC's or oneTBB's threads.
tsan_checkable='^(ConcurrencyTest|MemoryBudgetTest|BufferPoolTest|AdmissionTest|IdleReclaimerTest|ServerMetricsTest|HistogramTest)\.'

run_thread_ci() {
  local start=$SECONDS status=0
  build_targets=(tsan_suite)
  configure_and_build build/tsan thread
  run_ctest build/tsan -R "$tsan_checkable" || status=$?
  echo "sanitize.sh: thread-ci took $((SECONDS - start)) s" >&2
  return $status
}

case "$mode" in
  address)
    configure_and_build build/asan address
    # The Node example's dependencies, as scripts/test.sh installs them.
    npm ci --prefix examples/node --no-audit --no-fund >/dev/null
    run_ctest build/asan "$@"
    ;;
  thread)
    configure_and_build build/tsan thread
    npm ci --prefix examples/node --no-audit --no-fund >/dev/null
    run_ctest build/tsan "$@"
    ;;
  thread-ci)
    run_thread_ci
    ;;
  fuzz)
    seconds=${1:-60}
    shift || true
    fuzz_targets=("$@")
    if ((${#fuzz_targets[@]} == 0)); then
      mapfile -t fuzz_targets < <(cd tests/fuzz && ls -- *_fuzz.cc | sed 's/_fuzz\.cc$//')
    fi
    [[ -n ${ACTSVC_SANITIZE_TARGETS:-} ]] || build_targets=("${fuzz_targets[@]/%/_fuzz}")
    configure_and_build build/asan address
    run_fuzzers "$seconds" "${fuzz_targets[@]}"
    ;;
  ci)
    # Every step runs, and the first failure's status is the script's: one report shows all.
    # TSan runs only on what it can check (thread-ci): with Debian's uninstrumented gRPC and
    # oneTBB it reports their lock-free hand-offs as races (docs/reliability.md, "TSan");
    # `thread` runs it on everything, by hand.
    seconds=${1:-60}
    build_targets=(sanitizer_suite)
    status=0
    start=$SECONDS
    configure_and_build build/asan address
    npm ci --prefix examples/node --no-audit --no-fund >/dev/null
    run_ctest build/asan || status=${status/#0/$?}
    run_fuzzers "$seconds" || status=${status/#0/$?}
    echo "sanitize.sh: address + fuzz took $((SECONDS - start)) s" >&2
    if [[ ${ACTSVC_SANITIZE_TSAN:-1} != 0 ]]; then
      run_thread_ci || status=${status/#0/$?}
    fi
    exit "$status"
    ;;
  *)
    sed -n '2,32p' "$0" >&2
    exit 2
    ;;
esac
