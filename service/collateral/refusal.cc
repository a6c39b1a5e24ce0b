#include "service/collateral/refusal.h"

#include <string>

namespace attest::service::collateral {

Status AsRefusal(const Status& status, std::string_view what) {
  if (status.ok() || status.reason_id().starts_with("collateral.")) {
    return status;
  }
  Reason reason = reasons::kCollateralMalformed;
  switch (status.code()) {
    case ErrorCode::kSignatureInvalid:
      reason = reasons::kCollateralSignatureInvalid;
      break;
    case ErrorCode::kChainUntrusted:
      reason = reasons::kCollateralChainUntrusted;
      break;
    case ErrorCode::kExpired:
      reason = reasons::kCollateralExpired;
      break;
    case ErrorCode::kRevoked:
      reason = reasons::kCollateralRevoked;
      break;
    case ErrorCode::kMismatch:
      reason = reasons::kCollateralMismatch;
      break;
    default:
      break;
  }
  return Status(
      reason, std::string(what) + ": " + std::string(status.reason_id()) + ": " + status.message());
}

}  // namespace attest::service::collateral
