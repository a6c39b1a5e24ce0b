// StoreCollateralSource: the collateral cache in the database (store::CollateralStore), as
// `attestctl collateral import` (POST /v1/collateral) fills it: per operator tenant, one DCAP
// collateral document (the JSON form attest/tdx/collateral.h reads) per DcapCollateralKey.
#pragma once

#include <string>

#include "service/collateral/source.h"
#include "service/store/collateral_store.h"

namespace attest::service::collateral {

class StoreCollateralSource final : public CollateralSource {
 public:
  // store must outlive this source; tenant is whose cache is read (the host's operator: hosts
  // and their collateral belong to the operator who registered them).
  StoreCollateralSource(store::CollateralStore& store, std::string tenant)
      : store_(store), tenant_(std::move(tenant)) {}

  // TdxCollateral returns the tenant's cached collateral for the quote's platform; nullopt also
  // when the cached document no longer parses (the verifier reports the collateral missing).
  Result<std::optional<tdx::Collateral>> TdxCollateral(const tdx::Quote& quote) override;

 private:
  store::CollateralStore& store_;
  std::string tenant_;
};

}  // namespace attest::service::collateral
