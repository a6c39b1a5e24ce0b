// Fuzzes the KEK's wrapped-blob reader and AES-GCM open: hostile database contents must fail
// cleanly (keys.blob_malformed / keys.wrong_key / keys.unwrap_failed); only the authentic seed
// opens.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include "tests/fuzz/fuzz_check.h"

#include "service/keys/local_kek.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  static const auto* kek = service::keys::LocalKeyFileKek::FromKey(Bytes(32, 7)).value().release();
  (void)service::keys::ParseWrappedHeader(ByteSpan(data, size));
  auto plain = kek->Unwrap(ByteSpan(data, size), "volume:vol-1");
  if (plain.ok()) {
    // Only an authentic blob (the seed) opens: its plaintext is the ciphertext's length.
    auto header = service::keys::ParseWrappedHeader(ByteSpan(data, size));
    FUZZ_CHECK(header.ok() && plain->size() + 16 == header->ciphertext.size());
  } else {
    const std::string_view r = plain.status().reason_id();
    FUZZ_CHECK(r == "keys.blob_malformed" || r == "keys.wrong_key" || r == "keys.unwrap_failed");
  }
  return 0;
}
