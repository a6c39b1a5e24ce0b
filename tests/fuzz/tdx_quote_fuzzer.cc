// Fuzz target: the DCAP quote parser (attest/tdx/wire.h), the PCK SGX extension reader and the
// CCEL reader. A successful quote parse must account for every byte (quote + zero padding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/tdx/ccel.h"
#include "attest/tdx/pck.h"
#include "attest/tdx/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const attest::ByteSpan input(data, size);
  auto quote = attest::tdx::ParseQuote(input);
  if (quote.ok()) {
    size_t consumed = quote->signed_data.size() + 4 + 128 + quote->qe_report_bytes.size() + 64 + 2 +
                      quote->qe_auth_data.size() + 6 + quote->pck_chain_pem.size() +
                      quote->trailing_padding + (quote->header.version == 3 ? 0 : 6);
    if (consumed != size) {
      std::abort();
    }
  }
  (void)attest::tdx::ParseSgxExtensionValue(input);
  (void)attest::tdx::ReplayCcel(input);
  return 0;
}
