#!/usr/bin/env bash
# Runs ctest in DIR with CTEST_ARGS; the tests that fail are run once more,
# alone (`ctest --rerun-failed`, one at a time), and the script fails only if
# one of them fails again. Used by scripts/test.sh and scripts/sanitize.sh
# for CI, where two cores run client and server of the integration tests side
# by side and a timing-dependent test can lose once to the machine.
#
#   scripts/ctest-once-more.sh DIR CTEST_ARGS...
#
# A first failure with a sanitizer's report in its output (ASan, UBSan, LSan,
# TSan) is not run again: such a report fails the run whatever happens next.
# Nothing is hidden: every test that failed its first run is named at the end
# of the output, as FLAKY (failed, then passed alone) or FAILED (failed
# twice), and appended to DIR/ctest-failures.txt, which scripts/test.sh prints
# again as the last lines of a CI run. Exit status: ctest's (0 or 8).
set -uo pipefail
dir=$1
shift
cd "$dir" || exit 2
status=0
ctest --output-log ctest-first-run.log "$@" || status=$?
((status == 0)) && exit 0
failed_log=Testing/Temporary/LastTestsFailed.log
if [[ ! -s $failed_log ]]; then
  echo "ctest-once-more: ctest failed ($status) with no failed test listed in $dir" >&2
  exit "$status"
fi
# Lines are "NUMBER:NAME".
mapfile -t first < <(cut -d: -f2- "$failed_log")
if grep -qE '(ERROR|WARNING|SUMMARY): (Address|Leak|Thread|UndefinedBehavior|Memory)Sanitizer|runtime error:' \
     ctest-first-run.log; then
  for name in "${first[@]}"; do
    echo "FAILED $dir $name (a sanitizer report in the run: not run again)" | tee -a ctest-failures.txt >&2
  done
  exit "$status"
fi
echo "ctest-once-more: ${#first[@]} test(s) failed in $dir; running them once more, alone:" >&2
printf '  %s\n' "${first[@]}" >&2
again=0
ctest --rerun-failed --output-on-failure --timeout 900 -j1 || again=$?
failed_again=()
if ((again != 0)) && [[ -s $failed_log ]]; then
  mapfile -t failed_again < <(cut -d: -f2- "$failed_log")
fi
for name in "${first[@]}"; do
  verdict=FLAKY
  for f in "${failed_again[@]}"; do [[ $f == "$name" ]] && verdict=FAILED; done
  echo "$verdict $dir $name" | tee -a ctest-failures.txt >&2
done
if ((again != 0)); then
  exit "$again"
fi
exit 0
