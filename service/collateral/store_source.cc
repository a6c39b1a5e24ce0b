#include "service/collateral/store_source.h"

namespace attest::service::collateral {

Result<std::optional<tdx::Collateral>> StoreCollateralSource::TdxCollateral(
    const tdx::Quote& quote) {
  const std::optional<std::string> key = DcapCollateralKey(quote);
  if (!key) {
    return std::optional<tdx::Collateral>();
  }
  Result<store::CollateralEntry> entry = store_.GetCollateral(tenant_, *key);
  if (!entry.ok()) {
    if (entry.status().code() == ErrorCode::kNotFound) {
      return std::optional<tdx::Collateral>();
    }
    return entry.status();
  }
  Result<tdx::Collateral> parsed =
      tdx::ParseCollateralJson(std::string(entry->value.begin(), entry->value.end()));
  if (!parsed.ok()) {
    return std::optional<tdx::Collateral>();
  }
  return std::optional<tdx::Collateral>(std::move(parsed).value());
}

}  // namespace attest::service::collateral
