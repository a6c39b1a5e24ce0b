// Reading the shared test vectors from a benchmark (exits with a message when one is missing:
// a benchmark without its input has nothing to measure).
#pragma once

#include <string>

#include "attest/core/bytes.h"

namespace attest::bench {

// ReadVector reads <repo>/../shared/vectors/<relative>, or $ATTEST_VECTORS/<relative>.
Bytes ReadVector(const std::string& relative);

}  // namespace attest::bench
