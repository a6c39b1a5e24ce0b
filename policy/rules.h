// Helpers shared by the per-evidence appraisal functions: list membership over hex values, and the
// recording of failures into an Appraisal's failure list and trust vector.
#pragma once

#include <google/protobuf/repeated_field.h>

#include <string>

#include "attest/core/bytes.h"
#include "policy/appraisal.h"

namespace attest::policy {

// Lowered returns text in lower case (policy hex may be upper case; claims are lower).
std::string Lowered(std::string text);

// Listed is true when hex (lower case) equals one of list's values, case-insensitively.
bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& hex);

// Join renders list for a failure's "want" ("(none)" when empty).
std::string Join(const google::protobuf::RepeatedPtrField<std::string>& list);

// TeeAppraisal starts the appraisal of confidential-computing evidence: the members a TEE's
// evidence speaks for (instance identity, configuration, executables, hardware, runtime-opaque:
// memory encryption) start affirming and rules contraindicate them. HostAppraisal does the same
// for a measured host, which has no opaque runtime.
Appraisal TeeAppraisal(std::string evidence);
Appraisal HostAppraisal(std::string evidence);

// RuleRecorder appends failures to an Appraisal and contraindicates the trust-vector member.
class RuleRecorder {
 public:
  explicit RuleRecorder(Appraisal* out) : out_(out) {}
  void Fail(TrustTier* member, Reason reason, std::string field, std::string got, std::string want);

 private:
  Appraisal* out_;
};

}  // namespace attest::policy
