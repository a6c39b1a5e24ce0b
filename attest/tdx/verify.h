// DCAP quote verification, step two of ParseQuote (wire.h) -> QuoteVerifier::Verify -> ToClaims
// (claims.h): PCK chain to the pinned Intel SGX Root CA, QE report signature and
// binding, quote signature, collateral (TCB info, QE identity, CRLs) and the TCB status.
//
// Steps follow Intel's Quote Verification Library "Verify Quote" (4.1.2.4.x), with one ordering
// difference on purpose: every signature is checked before any TCB/identity comparison, so a
// forged quote always reports a signature reason and a genuine but unmatched one reports its TCB.
//
// QuoteVerifier caches what does not depend on the quote: validated collateral (keyed by the
// SHA-256 of all its bytes) and validated PCK chains (keyed by the chain's bytes and the
// collateral), each with the time window in which the cached checks hold. A warm verification
// costs the two P-256 verifies (QE report, quote) plus hashing and parsing.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tdx/claims.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/pck.h"
#include "attest/tdx/reasons.h"
#include "attest/tdx/tcb.h"
#include "attest/tdx/wire.h"

namespace attest::tdx {

// VerifiedQuote: a quote whose signatures and PCK chain verified at a time (and, when collateral
// was given, whose collateral verified too). Only QuoteVerifier makes one.
class VerifiedQuote {
 public:
  const Quote& quote() const { return quote_; }
  const PckExtensions& pck() const { return pck_; }
  // collateral_checked: collateral was given and verified; then dates() is set and tcb() is set
  // unless the TCB matched no level (the verification status then says so).
  bool collateral_checked() const { return dates_.has_value(); }
  const std::optional<CollateralDates>& dates() const { return dates_; }
  const std::optional<TcbEvaluation>& tcb() const { return tcb_; }

 private:
  friend class QuoteVerifier;
  friend Claims ToClaims(VerifiedQuote&& verified);
  VerifiedQuote() = default;
  Quote quote_;
  PckExtensions pck_;
  std::optional<CollateralDates> dates_;
  std::optional<TcbEvaluation> tcb_;
};

// Verification: the outcome of QuoteVerifier::Verify. status is the first failure (OK when every
// check passed); verified is set when every signature and chain check passed, so claims can be
// shown for a genuine quote whose collateral does not fit it (status is then a TCB failure:
// tdx.tcb_level_not_found, tdx.qe_identity_mismatch, tdx.tdx_module_mismatch...). Only a status
// that is OK makes the quote acceptable.
struct Verification {
  Status status;
  std::optional<VerifiedQuote> verified;
};

class QuoteVerifier {
 public:
  // QuoteVerifier trusts exactly the given roots; Default() trusts the embedded Intel SGX Root CA.
  explicit QuoteVerifier(std::vector<X509Ptr> roots);
  static QuoteVerifier Default();

  // Verify checks a parsed quote (ParseQuote) at now; collateral may be null (then only the
  // quote's signatures and PCK chain are checked, without revocation or TCB status).
  // The built-in TCB policy is not applied here: see ApplyDefaultTcbPolicy.
  Verification Verify(const Quote& quote, const Collateral* collateral, TimePoint now);

  // VerifyCollateral checks collateral on its own, with no quote, at now: what CheckCollateral
  // checks for a quote (root CA CRL by a pinned root, TCB info and QE identity signatures over
  // their exact bytes by a TCB Signing chain to a pinned root, windows), plus the PCK CRL against
  // its own issuer chain (pck_crl_issuer_chain: a PCK Platform or Processor CA issued by a pinned
  // root and not on the root CRL). For collateral fetched or imported before any quote needs it.
  // Returns the verified dates and tcbEvaluationDataNumber (the lower of TCB info's and QE
  // identity's). Fails with the reasons Verify reports, or tdx.collateral_missing when the PCK
  // CRL issuer chain is absent. Nothing is cached.
  Result<CollateralDates> VerifyCollateral(const Collateral& collateral, TimePoint now);

  // ClearCaches drops every cached collateral and chain (benchmarks measure cold this way).
  void ClearCaches();

 private:
  struct VerifiedCollateral;
  struct VerifiedPck;

  Result<std::shared_ptr<const VerifiedCollateral>> CheckCollateral(const Collateral& c,
                                                                    TimePoint now);
  Result<std::shared_ptr<const VerifiedPck>> CheckPck(const Quote& q,
                                                      const VerifiedCollateral* collateral,
                                                      TimePoint now);

  std::vector<X509Ptr> roots_;
  std::vector<Bytes> roots_der_;
  std::mutex mu_;
  std::map<std::array<uint8_t, 32>, std::shared_ptr<const VerifiedCollateral>> collateral_cache_;
  std::map<std::array<uint8_t, 32>, std::shared_ptr<const VerifiedPck>> pck_cache_;
};

// ApplyDefaultTcbPolicy is the built-in policy without a tenant policy: it fails with
// tdx.tcb_status_rejected for OutOfDate*, Revoked and TDRelaunchAdvised*, OK otherwise (and OK
// when no collateral was checked; a policy decides whether that is acceptable).
Status ApplyDefaultTcbPolicy(const VerifiedQuote& verified);

}  // namespace attest::tdx
