// ParseJsonText: request bodies through the project's strict JSON reader (attest/core/json.h),
// with the API's reason and wording.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "attest/core/json.h"
#include "attest/core/status.h"
#include "service/http/reasons.h"

namespace attest::service::http {

// kMaxJsonDepth bounds the nesting of objects and arrays in a request body.
inline constexpr int kMaxJsonDepth = attest::kMaxJsonDepth;

// ParseJsonText parses text as one JSON value by the rules of ReadJson (attest/core/json.h).
// Fails with reasons::kApiMalformedJson: "duplicate key "<key>"" for a key repeated in one object,
// else "body is not valid JSON: <what> at byte <offset>" (also for nesting deeper than max_depth).
Result<nlohmann::json> ParseJsonText(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace attest::service::http
