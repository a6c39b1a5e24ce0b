// Fuzzes the loaders of TPM quote material: TPMS_ATTEST, TPMT_SIGNATURE, the AK public key
// (TPM2B_PUBLIC / TPMT_PUBLIC / PEM) and PCR value files; the first byte picks the reader.
#include <cstddef>
#include <cstdint>
#include "tests/fuzz/fuzz_check.h"

#include "attest/tpm/verify.h"
#include "attest/tpm/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  if (size == 0) {
    return 0;
  }
  const ByteSpan input(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto quote = tpm::ParseQuote(input);
      if (quote.ok()) {
        // A parsed quote keeps exactly the signed bytes.
        FUZZ_CHECK(quote->attest.size() == input.size());
        tpm::PcrBanks pcrs;
        (void)tpm::VerifyQuote(input, input, tpm::AkPublic{}, std::nullopt, pcrs);
      }
      break;
    }
    case 1:
      (void)tpm::ParseSignature(input);
      break;
    case 2: {
      auto ak = tpm::ParsePublicKey(input);
      if (ak.ok()) {
        (void)tpm::CheckAkAttributes(*ak);
      }
      break;
    }
    default:
      (void)tpm::ParsePcrValues(input);
  }
  return 0;
}
