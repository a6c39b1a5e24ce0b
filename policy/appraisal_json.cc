#include "policy/appraisal_json.h"

namespace attest::policy {

nlohmann::ordered_json TrustVectorToJson(const TrustVector& v) {
  nlohmann::ordered_json out;
  const std::pair<const char*, TrustTier> members[] = {{"instance-identity", v.instance_identity},
                                                       {"configuration", v.configuration},
                                                       {"executables", v.executables},
                                                       {"file-system", v.file_system},
                                                       {"hardware", v.hardware},
                                                       {"runtime-opaque", v.runtime_opaque},
                                                       {"storage-opaque", v.storage_opaque},
                                                       {"sourced-data", v.sourced_data}};
  for (const auto& [name, tier] : members) {
    if (tier != TrustTier::kNone) {
      out[name] = static_cast<int>(tier);
    }
  }
  return out;
}

nlohmann::ordered_json AppraisalToJson(const Appraisal& a) {
  nlohmann::ordered_json out;
  out["policy"] = a.policy_identity;
  out["status"] = std::string(TrustTierName(a.Status()));
  out["failures"] = nlohmann::ordered_json::array();
  for (const RuleFailure& f : a.failures) {
    out["failures"].push_back(
        {{"code", std::string(f.reason.id)}, {"field", f.field}, {"got", f.got}, {"want", f.want}});
  }
  out["trust_vector"] = TrustVectorToJson(a.trust);
  return out;
}

}  // namespace attest::policy
