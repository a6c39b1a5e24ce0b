// A fuzz target's invariant check. Fuzz builds are RelWithDebInfo (-DNDEBUG), where assert()
// compiles to nothing, so an invariant written with it could never fail: this one always traps.
#pragma once

#define FUZZ_CHECK(condition)           \
  do {                                  \
    if (!(condition)) __builtin_trap(); \
  } while (false)
