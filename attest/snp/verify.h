// Verification of SEV-SNP reports: endorsement chain to a pinned ARK, report against the
// endorsement certificate, and the report signature.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/snp/chain_cache.h"
#include "attest/snp/endorsement.h"
#include "attest/snp/reasons.h"
#include "attest/snp/report.h"
#include "attest/snp/trust.h"

namespace attest::snp {

// SnpCollateral: what the verifier needs beside the report, all as untrusted bytes.
struct SnpCollateral {
  // The VCEK or VLEK, DER or PEM. A PEM bundle may continue with ASK/ASVK and ARK.
  Bytes endorsement_cert;
  // Extra intermediates (ASK/ASVK) and optionally an ARK (which must equal the pinned one), each a
  // DER certificate or PEM bundle.
  std::vector<Bytes> chain;
  // AMD CRLs (DER or PEM), signed by the ARK; optional.
  std::vector<Bytes> crls;
};

// VerifiedSnpReport: a report whose signature, endorsement chain and consistency with its
// certificate were checked at a given time. Only VerifySnpReport can make one.
class VerifiedSnpReport {
 public:
  const SnpReport& report() const { return report_; }
  const EndorsementInfo& endorsement() const { return endorsement_; }
  TimePoint verified_at() const { return verified_at_; }

 private:
  friend Result<VerifiedSnpReport> VerifySnpReport(const SnpReport&, const SnpCollateral&,
                                                   const SnpTrustRoots&, TimePoint, SnpChainCache*);
  VerifiedSnpReport(SnpReport report, EndorsementInfo endorsement, TimePoint at)
      : report_(report), endorsement_(std::move(endorsement)), verified_at_(at) {}

  SnpReport report_;
  EndorsementInfo endorsement_;
  TimePoint verified_at_;
};

// VerifySnpReport checks, at time now:
//  1. the endorsement certificate chains VCEK -> ASK -> ARK or VLEK -> ASVK -> ARK to the pinned
//  ARK
//     of its product (snp.chain_untrusted, snp.cert_expired, snp.signing_key_missing), and is not
//     revoked by any supplied CRL (snp.revoked, x509.crl_*);
//  2. the report agrees with the certificate: signing key kind (snp.signing_key_kind_mismatch),
//     product vs CPUID (snp.product_mismatch), REPORTED_TCB (snp.tcb_mismatch), CHIP_ID vs hwID
//     for a VCEK (snp.chip_id_mismatch);
//  3. the ECDSA P-384 signature over bytes 0x0..0x29F (snp.signature_invalid).
// cache may be null; with one, a chain validated before is not validated again while now stays
// inside its validity windows. The caller still appraises the claims (measurement, policy...).
Result<VerifiedSnpReport> VerifySnpReport(const SnpReport& report, const SnpCollateral& collateral,
                                          const SnpTrustRoots& roots, TimePoint now,
                                          SnpChainCache* cache = nullptr);

// VerifyEndorsementChain runs step 1 of VerifySnpReport alone, with no report: the endorsement
// certificate chains to the pinned ARK of its product at now and no supplied CRL revokes it. For
// a VCEK fetched from AMD KDS or uploaded by a host agent before any report needs it. Returns the
// certificate's AMD extensions (kind, product, hwID, TCB). Fails like VerifySnpReport's step 1.
Result<EndorsementInfo> VerifyEndorsementChain(const SnpCollateral& collateral,
                                               const SnpTrustRoots& roots, TimePoint now);

}  // namespace attest::snp
