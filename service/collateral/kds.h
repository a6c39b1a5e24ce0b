// KdsFetcher: AMD Key Distribution Service client (AMD pub. 57230 ch. 4; CONTRACTS.md section 1
// in the collateral vectors): VCEK certificates per chip and TCB, the ASK/ASVK + ARK chains and
// the ARK-signed CRLs, for the VCEK and VLEK hierarchies. Every answer is verified before it is
// returned: chains to the ARK pinned for the product, the CRL's signature by that ARK and its
// window, the VCEK's chain and its hwID / SPL extensions against what was asked. KDS re-issues a
// VCEK on demand, so a VCEK is identified by its URL (product, chip, TCB), never by its bytes.
#pragma once

#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/snp/endorsement.h"
#include "attest/snp/product.h"
#include "attest/snp/report.h"
#include "attest/snp/trust.h"
#include "service/collateral/http_client.h"

namespace attest::service::collateral {

// VcekId names one VCEK: the product, the chip's hwID as KDS takes it (64 bytes; Turin: the first
// 8 bytes of CHIP_ID) and the TCB it endorses.
struct VcekId {
  snp::Product product = snp::Product::kMilan;
  Bytes hw_id;
  uint64_t tcb = 0;
};

// VcekIdForReport names the VCEK that signs report. product is needed for a version 2 report
// (no CPUID); for version 3+ it must agree with CPUID when given. Fails with
// collateral.bad_request for a VLEK-signed report, an unknown CPUID, or a Turin CHIP_ID whose
// bytes 8..63 are not zero.
Result<VcekId> VcekIdForReport(const snp::SnpReport& report, std::optional<snp::Product> product);

// VcekPath is the KDS path and query of id: "/vcek/v1/Milan/<128 hex>?blSPL=2&teeSPL=0&snpSPL=5&
// ucodeSPL=68", Turin "/vcek/v1/Turin/<16 hex>?fmcSPL=..&blSPL=..", SPL values decimal.
std::string VcekPath(const VcekId& id);

// The cache names: "<Product>/<hwid hex>/<tcb as 16 hex>" for a VCEK, "<vcek|vlek>/<Product>"
// for a chain or a CRL.
std::string VcekCacheKey(const VcekId& id);
Result<VcekId> ParseVcekCacheKey(std::string_view key);
std::string HierarchyKey(snp::EndorsementKind kind, snp::Product product);
Result<std::pair<snp::EndorsementKind, snp::Product>> ParseHierarchyKey(std::string_view key);

// Verified KDS items: the exact bytes as served (a PEM chain keeps its CRLF), with the window in
// which they may be used.
struct KdsItem {
  Bytes bytes;
  TimePoint valid_from;
  TimePoint valid_until;  // CRL nextUpdate, or the earliest notAfter of a chain / VCEK chain
  TimePoint issued_at;    // CRL thisUpdate, or the certificate's notBefore (what "newer" means)
};

// VerifyKdsCrl checks a CRL body (DER or PEM) for the hierarchy: signed by the pinned ARK of
// product, inside its window at now. Fails with collateral.malformed / signature_invalid /
// chain_untrusted / expired.
Result<KdsItem> VerifyKdsCrl(ByteSpan body, snp::Product product, const snp::SnpTrustRoots& roots,
                             TimePoint now);

// VerifyKdsCertChain checks a cert_chain body: exactly two PEM certificates (LF or CRLF), the
// intermediate (ASK for VCEK, ASVK for VLEK) then the ARK, the ARK byte-identical to the pinned
// one, the intermediate signed by it and valid at now.
Result<KdsItem> VerifyKdsCertChain(ByteSpan body, snp::EndorsementKind kind, snp::Product product,
                                   const snp::SnpTrustRoots& roots, TimePoint now);

// VerifyKdsVcek checks a VCEK body (DER, or PEM as some caches keep it) with its chain and CRL:
// chain to the pinned ARK, not revoked, and its hwID and SPL extensions equal to id.
Result<KdsItem> VerifyKdsVcek(ByteSpan body, const VcekId& id, ByteSpan chain_pem, ByteSpan crl,
                              const snp::SnpTrustRoots& roots, TimePoint now);

class KdsFetcher {
 public:
  // base_url is the KDS origin ("https://kdsintf.amd.com"); client and roots must outlive this.
  KdsFetcher(HttpClient& client, std::string base_url, const snp::SnpTrustRoots& roots)
      : client_(client), base_url_(std::move(base_url)), roots_(roots) {}

  // Fetch* GET one item and verify it at now as the Verify* functions above do. FetchVcek
  // verifies against the given chain and CRL (already fetched and verified). Fail with the
  // HttpClient's reasons or the Verify* ones.
  Result<KdsItem> FetchCertChain(snp::EndorsementKind kind, snp::Product product, TimePoint now);
  Result<KdsItem> FetchCrl(snp::EndorsementKind kind, snp::Product product, TimePoint now);
  Result<KdsItem> FetchVcek(const VcekId& id, ByteSpan chain_pem, ByteSpan crl, TimePoint now);

 private:
  HttpClient& client_;
  std::string base_url_;
  const snp::SnpTrustRoots& roots_;
};

}  // namespace attest::service::collateral
