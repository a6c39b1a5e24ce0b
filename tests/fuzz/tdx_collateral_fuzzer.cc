// Fuzz target: the DCAP collateral loaders (attest/tdx/collateral.h): the collateral JSON file,
// the exact-span extraction from PCS responses and the TCB info / QE identity parsers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "attest/tdx/collateral.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)attest::tdx::ParseCollateralJson(text);
  for (const char* key : {"tcbInfo", "enclaveIdentity"}) {
    auto span = attest::tdx::TopLevelMemberSpan(text, key);
    if (span.ok()) {
      // The span is a substring of the input, never a copy of something else.
      if (span->data() < text.data() || span->data() + span->size() > text.data() + text.size()) {
        std::abort();
      }
      (void)attest::tdx::ParseTcbInfo(*span);
      (void)attest::tdx::ParseQeIdentity(*span);
    }
  }
  (void)attest::tdx::ParseTcbInfo(text);
  (void)attest::tdx::ParseQeIdentity(text);
  return 0;
}
