// CollateralSource: where the verifiers' collateral comes from. Verifiers never fetch (STYLE.md
// "Verify, then appraise"); collateral is put somewhere ahead of need and looked up here by the
// platform the evidence names. Implementations: the store cache (store_source.h, what `attestctl
// collateral import` fills) and an offline bundle the operator ships (bundle_source.h); fetchers
// for Intel PCS and AMD KDS come behind the same seam.
#pragma once

#include <optional>
#include <string>

#include "attest/core/status.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/wire.h"

namespace attest::service::collateral {

class CollateralSource {
 public:
  virtual ~CollateralSource() = default;

  // TdxCollateral returns the DCAP collateral (TCB info, QE identity, CRLs) for the platform of
  // quote, a TDX or SGX quote parsed once by the caller: the one kept under
  // DcapCollateralKey(quote). nullopt when the source has none for that platform, or the quote's
  // PCK certificate does not name one (the verifier then reports the collateral missing). The
  // collateral is returned as stored: its signatures, validity windows and fit to the quote are
  // the verifier's to check. Fails only when the source itself fails (reasons::kStoreDatabase).
  virtual Result<std::optional<tdx::Collateral>> TdxCollateral(const tdx::Quote& quote) = 0;
};

// DcapCollateralKey names the collateral a DCAP quote needs: "dcap/TDX/<fmspc hex>" for a TDX
// quote, "dcap/SGX/<fmspc hex>" for an SGX one, the FMSPC read from the quote's PCK certificate
// (Intel PCS API v4: TCB info is per FMSPC and per TEE). nullopt when the quote carries no PCK
// chain or its leaf has no readable SGX extension.
std::optional<std::string> DcapCollateralKey(const tdx::Quote& quote);

// DcapCollateralKey names the collateral a TCB info document is for: "dcap/<id>/<fmspc hex>",
// the same key the quote's side computes when they match.
std::string DcapCollateralKey(const tdx::TcbInfo& tcb_info);

}  // namespace attest::service::collateral
