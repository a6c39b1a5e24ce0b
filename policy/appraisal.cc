#include "policy/appraisal.h"

namespace attest::policy {

std::string_view TrustTierName(TrustTier tier) {
  switch (tier) {
    case TrustTier::kNone:
      return "none";
    case TrustTier::kAffirming:
      return "affirming";
    case TrustTier::kWarning:
      return "warning";
    case TrustTier::kContraindicated:
      return "contraindicated";
  }
  return "none";
}

TrustTier Appraisal::Status() const {
  if (!failures.empty()) {
    return TrustTier::kContraindicated;
  }
  // Nothing failed: a warning (e.g. an accepted but not up-to-date TCB) still shows.
  TrustTier worst = TrustTier::kAffirming;
  for (TrustTier t :
       {trust.instance_identity, trust.configuration, trust.executables, trust.file_system,
        trust.hardware, trust.runtime_opaque, trust.storage_opaque, trust.sourced_data}) {
    if (static_cast<int>(t) > static_cast<int>(worst)) {
      worst = t;
    }
  }
  return worst;
}

}  // namespace attest::policy
