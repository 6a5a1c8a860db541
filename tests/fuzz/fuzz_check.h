// FUZZ_CHECK: the invariant checks of the fuzz targets. A failed check
// prints itself and aborts, which libFuzzer records as a crash together with
// the input that caused it (and which the corpus test then replays).
#ifndef TESTS_FUZZ_FUZZ_CHECK_H_
#define TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                              \
  do {                                                                     \
    if (!(condition)) {                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #condition);                                            \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

#endif  // TESTS_FUZZ_FUZZ_CHECK_H_
