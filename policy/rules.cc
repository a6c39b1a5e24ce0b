#include "policy/rules.h"

#include <algorithm>
#include <cctype>

namespace attest::policy {

std::string Lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& hex) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& v) { return Lowered(v) == hex; });
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::string out;
  for (const auto& v : list) {
    out += (out.empty() ? "" : ", ") + Lowered(v);
  }
  return out.empty() ? "(none)" : out;
}

Appraisal TeeAppraisal(std::string evidence) {
  Appraisal a = HostAppraisal(std::move(evidence));
  a.trust.runtime_opaque = TrustTier::kAffirming;
  return a;
}

Appraisal HostAppraisal(std::string evidence) {
  Appraisal a;
  a.evidence = std::move(evidence);
  TrustVector& t = a.trust;
  t.instance_identity = t.configuration = t.executables = t.hardware = TrustTier::kAffirming;
  return a;
}

void RuleRecorder::Fail(TrustTier* member, Reason reason, std::string field, std::string got,
                        std::string want) {
  *member = TrustTier::kContraindicated;
  out_->failures.push_back({reason, std::move(field), std::move(got), std::move(want)});
}

}  // namespace attest::policy
