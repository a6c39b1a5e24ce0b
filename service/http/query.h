// Query strings of API requests (after SigV4 has read the raw form).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "service/http/reasons.h"

namespace attest::service::http {

// ParseQuery percent-decodes raw ("a=1&b=x%20y") into a map. Keys starting with "X-Amz-" (the
// presigned SigV4 parameters) are skipped; any other key not in allowed, a repeated key, or a
// bad escape fails with reasons::kApiInvalidQuery.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view raw,
                                                      const std::vector<std::string>& allowed);

// QueryInt reads query[key] as a decimal integer in [min, max], or fallback when absent.
Result<int64_t> QueryInt(const std::map<std::string, std::string>& query, const std::string& key,
                         int64_t min, int64_t max, int64_t fallback);

}  // namespace attest::service::http
