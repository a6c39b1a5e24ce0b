// Fuzzes what a guest key release handles from the other side: the guest's JWK (first byte 0)
// and a compact JWE opened with a fixed guest key (first byte 1).
#include <cstddef>
#include <cstdint>
#include <string>
#include "tests/fuzz/fuzz_check.h"

#include "protocol/jwe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  if (size < 1) {
    return 0;
  }
  static const std::string* guest = new std::string(protocol::GenerateGuestKey().value());
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] == 0) {
    auto key = protocol::ParseGuestJwk(text);
    if (key.ok()) {
      FUZZ_CHECK(key->point.size() == 97 && key->point[0] == 0x04);
    }
  } else {
    (void)protocol::DecryptFromService(text, *guest);
  }
  return 0;
}
