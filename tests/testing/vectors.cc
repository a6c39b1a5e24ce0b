#include "tests/testing/vectors.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "attest/core/file_io.h"

namespace attest::testing {

std::string VectorPath(const std::string& relative) {
  const char* env = std::getenv("ATTEST_VECTORS");
  const std::string root = env != nullptr ? env : ATTEST_SOURCE_DIR "/../shared/vectors";
  return root + "/" + relative;
}

Bytes ReadVector(const std::string& relative) {
  auto bytes = ReadFileBytes(VectorPath(relative));
  if (!bytes.ok()) {
    ADD_FAILURE() << "vector missing: " << bytes.status().ToString();
    return {};
  }
  return std::move(bytes).value();
}

std::string ReadVectorText(const std::string& relative) {
  const Bytes bytes = ReadVector(relative);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace attest::testing
