// Fuzzes the host platform identity document reader: every refusal has its one reason, and what
// parses has one canonical form, which parses back to the same value (the quote binding hashes
// that form, so two readers must never see two documents in one text).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include "tests/fuzz/fuzz_check.h"

#include "protocol/host_platform.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto platform = protocol::ParseHostPlatform(text);
  if (!platform.ok()) {
    FUZZ_CHECK(platform.status().reason_id() == reasons::kHostPlatformInvalid.id);
    return 0;
  }
  auto canonical = protocol::SerializeHostPlatform(*platform);
  FUZZ_CHECK(canonical.ok());
  auto again = protocol::ParseHostPlatform(*canonical);
  FUZZ_CHECK(again.ok() && *again == *platform);
  FUZZ_CHECK(protocol::SerializeHostPlatform(*again).value() == *canonical);
  return 0;
}
