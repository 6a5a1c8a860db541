#!/usr/bin/env bash
# Sanitizer and fuzzing runs: the same targets as the normal build, instrumented.
#
#   scripts/sanitize.sh address [CTEST_ARGS...]   ASan + UBSan build in build/asan (clang 14, with
#                                                 the fuzz targets); runs the unit and integration
#                                                 tests and replays every fuzz corpus
#   scripts/sanitize.sh thread [CTEST_ARGS...]    TSan build in build/tsan; runs the unit and
#                                                 integration tests
#   scripts/sanitize.sh fuzz [SECONDS] [TARGET...]  each fuzz target (default: all) for SECONDS
#                                                 (default 60) in build/asan, from its corpus
#
# CTEST_ARGS narrow the run, e.g. `-R 'Server|Stream'` (CI's TSan step does). Any sanitizer
# report fails the test that triggered it (halt_on_error; UBSan does not recover). What is
# suppressed, and why, is in tests/sanitizers/*.supp. The tests that need the Docker engine or
# measure throughput (labels docker, deploy) are left out: they exercise the image, not the code.
# Environment: ACTSVC_SANITIZE_JOBS (build and test parallelism, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=${1:-}
shift || true
jobs=${ACTSVC_SANITIZE_JOBS:-$(nproc)}

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
  cmake --build "$dir" -j"$jobs"
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

# client_install_find_package builds a separate consumer project against the installed client
# library with plain flags, which cannot link instrumented objects: it tests the packaging, which
# the normal build covers.
run_ctest() {  # DIR CTEST_ARGS...
  local dir=$1
  shift
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j"$jobs" -L 'unit|integration' \
     -LE 'docker|deploy' -E '^client_install_find_package$' "$@")
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
  fuzz)
    seconds=${1:-60}
    shift || true
    configure_and_build build/asan address
    targets=("$@")
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
      build/asan/tests/fuzz/${target}_fuzz -max_total_time="$seconds" -timeout=25 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$corpus"
    done
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
