#include "bench/bench_vectors.h"

#include <cstdio>
#include <cstdlib>

#include "attest/core/file_io.h"

namespace attest::bench {

Bytes ReadVector(const std::string& relative) {
  const char* env = std::getenv("ATTEST_VECTORS");
  const std::string root = env != nullptr ? env : ATTEST_SOURCE_DIR "/../shared/vectors";
  auto bytes = ReadFileBytes(root + "/" + relative);
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s\n", bytes.status().ToString().c_str());
    std::exit(2);
  }
  return std::move(bytes).value();
}

}  // namespace attest::bench
