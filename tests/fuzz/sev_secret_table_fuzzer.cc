// Fuzzes the SEV launch secret table reader (attest/sev/secret.h); a table that parses rebuilds
// to the same entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/sev/secret.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entries = attest::sev::ParseSecretTable(attest::ByteSpan(data, size));
  if (entries.ok() && !entries->empty()) {
    auto rebuilt = attest::sev::BuildSecretTable(*entries);
    if (rebuilt.ok()) {
      auto again = attest::sev::ParseSecretTable(*rebuilt);
      if (!again.ok() || again->size() != entries->size()) {
        std::abort();
      }
    }
  }
  return 0;
}
