// JSON forms of an Appraisal: for CLI/API output and as the body of the signed result token.
#pragma once

#include <nlohmann/json.hpp>

#include "policy/appraisal.h"

namespace attest::policy {

// AppraisalToJson: {"policy","status","failures":[{"code","field","got","want"}],
// "trust_vector":{...}}; key order fixed, so equal appraisals serialise to equal bytes.
nlohmann::ordered_json AppraisalToJson(const Appraisal& appraisal);

// TrustVectorToJson uses the AR4SI claim names and tier values (e.g. "executables": 2).
nlohmann::ordered_json TrustVectorToJson(const TrustVector& vector);

}  // namespace attest::policy
