// Fuzzes what a KDS or PCCS answer (or a cache row) feeds the collateral fetchers before anything
// is stored: CRL, certificate-chain and VCEK bodies verified against the pinned AMD roots, PCCS
// hex CRL bodies, and the cache keys read back from the database. The first byte picks the reader;
// a VCEK input is split into VCEK | chain | CRL by two more length bytes. Every refusal must be a
// Status (no crash, no read outside the input); nothing here may accept a body the pinned roots
// did not sign, which the fuzzer cannot forge.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attest/core/time.h"
#include "service/collateral/kds.h"
#include "service/collateral/pcs.h"

namespace {

namespace collateral = attest::service::collateral;
namespace snp = attest::snp;

constexpr snp::Product kProducts[] = {snp::Product::kMilan, snp::Product::kGenoa,
                                      snp::Product::kTurin};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) {
    return 0;
  }
  const uint8_t selector = data[0];
  const snp::Product product = kProducts[data[1] % 3];
  const attest::ByteSpan body(data + 2, size - 2);
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  const snp::SnpTrustRoots& roots = snp::SnpTrustRoots::BuiltIn();
  const attest::TimePoint now = attest::FromUnixSeconds(1764000000);
  switch (selector % 6) {
    case 0:
      (void)collateral::VerifyKdsCrl(body, product, roots, now);
      break;
    case 1:
      (void)collateral::VerifyKdsCertChain(
          body, data[1] & 0x80 ? snp::EndorsementKind::kVlek : snp::EndorsementKind::kVcek, product,
          roots, now);
      break;
    case 2: {
      const size_t vcek_len = std::min<size_t>(body.size(), size_t{body[0]} * 8);
      const attest::ByteSpan rest = body.subspan(vcek_len);
      const size_t chain_len =
          rest.empty() ? 0 : std::min<size_t>(rest.size(), size_t{rest[0]} * 16);
      collateral::VcekId id;
      id.product = product;
      id.hw_id = attest::Bytes(product == snp::Product::kTurin ? 8 : 64, 0x5a);
      id.tcb = 0x1400000000000003;
      (void)collateral::VerifyKdsVcek(body.first(vcek_len), id, rest.first(chain_len),
                                      rest.subspan(chain_len), roots, now);
      break;
    }
    case 3:
      (void)collateral::DecodeCrlBody(attest::Bytes(body.begin(), body.end()));
      break;
    case 4:
      (void)collateral::ParseVcekCacheKey(text);
      (void)collateral::ParseHierarchyKey(text);
      break;
    default:
      (void)collateral::ParseDcapCacheKey(text);
      break;
  }
  return 0;
}
