// FUZZ_CHECK: a property every input must keep; a violation aborts, so libFuzzer
// reports it as a crash and writes the input out (like a sanitizer finding).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                     \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__,      \
                   __LINE__, #cond, what);                                         \
      std::abort();                                                                \
    }                                                                              \
  } while (0)
