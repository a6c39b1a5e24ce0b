// The VCEK / VLEK endorsement certificate and its AMD extensions.
//
// AMD "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface Specification" (pub.
// 57230), section "VCEK Certificate Extensions": OIDs 1.3.6.1.4.1.3704.1.*. The VLEK
// specification (pub. 58369) uses the same TCB OIDs, no hwID, and adds the CSP id.
#pragma once

#include <optional>
#include <string>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/snp/product.h"
#include "attest/snp/reasons.h"

namespace attest::snp {

enum class EndorsementKind : uint8_t { kVcek, kVlek };

struct EndorsementInfo {
  EndorsementKind kind = EndorsementKind::kVcek;
  Product product = Product::kMilan;
  std::string product_name;  // extension .2, e.g. "Milan-B0", "Turin"
  TcbParts tcb;              // from the SPL extensions .3.*
  Bytes hw_id;               // extension .4 (VCEK only): 64 bytes (Milan, Genoa) or 8 (Turin)
  std::string csp_id;        // extension .5 (VLEK only)
};

// ParseEndorsementCert reads the kind (subject CN SEV-VCEK / SEV-VLEK), the product (issuer CN
// SEV-<product> / SEV-VLEK-<product>) and the AMD extensions of cert. It does not verify the
// chain. Fails with snp.unknown_product or snp.cert_extension_invalid.
Result<EndorsementInfo> ParseEndorsementCert(X509* cert);

// EndorsementKindName is "vcek" or "vlek".
std::string_view EndorsementKindName(EndorsementKind kind);

}  // namespace attest::snp
