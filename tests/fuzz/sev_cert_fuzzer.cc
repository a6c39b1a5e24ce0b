// Fuzzes the legacy SEV certificate parsers (attest/sev/wire.h), and the public-key construction
// that follows a successful parse. A successful parse consumed the whole input and re-encodes to
// it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/sev/crypto.h"
#include "attest/sev/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const attest::ByteSpan input(data, size);
  auto sev_cert = attest::sev::ParseSevCert(input);
  if (sev_cert.ok()) {
    const attest::Bytes again = attest::sev::SerializeSevCert(*sev_cert);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
      std::abort();
    }
    (void)attest::sev::SevCertPublicKey(*sev_cert);
  }
  auto amd_cert = attest::sev::ParseAmdCert(input);
  if (amd_cert.ok()) {
    if (amd_cert->signed_bytes.size() + amd_cert->signature_be.size() != size) {
      std::abort();
    }
    (void)attest::sev::RsaPublicKey(amd_cert->modulus_be, amd_cert->pubexp_be,
                                    attest::reasons::kSevCertMalformed);
  }
  return 0;
}
