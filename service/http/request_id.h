// Request ids: every request gets one, echoed in the X-Request-Id response header and in its log
// lines, so a client's report and the operator's log meet. A client (or the load balancer in
// front) may choose it; anything that is not a plain token is replaced, never logged.
#pragma once

#include <string>
#include <string_view>

#include "sigv4/http_request.h"

namespace attest::service::http {

inline constexpr size_t kMaxRequestIdLength = 128;

// IsValidRequestId: 1..kMaxRequestIdLength characters of A-Z a-z 0-9 . _ : -
bool IsValidRequestId(std::string_view id);

// RequestIdFor returns the request's X-Request-Id when it is valid (the first one, when
// repeated), else a new id of 32 hex digits from the CSPRNG.
std::string RequestIdFor(const HttpRequest& request);

}  // namespace attest::service::http
