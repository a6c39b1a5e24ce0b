// Raw HTTP request files, as in the AWS SigV4 test suites: a request line, header lines and an
// optional body after an empty line.
#pragma once

#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "sigv4/http_request.h"
#include "sigv4/reasons.h"

namespace attest::sigv4 {

// Hostile-input caps: a request file (or the HTTP layer's request head) larger than this is refused
// before any allocation proportional to it.
inline constexpr size_t kMaxRequestFileBytes = 1u << 20;
inline constexpr size_t kMaxHeaderCount = 256;

// ParseRequestFile parses "METHOD target HTTP/x.y" then "Name:value" lines, then an empty line and
// the body. Lines end in LF or CRLF. The target may contain spaces (the suites' "/example space/"),
// so the method ends at the first space and the version starts after the last one. A header line
// that starts with a space or tab continues the previous value (RFC 9112 obs-fold), joined with a
// single space. Header values are kept as sent; the body is every byte after the empty line.
// Fails with reasons::kSigv4RequestMalformed naming the line.
Result<HttpRequest> ParseRequestFile(std::string_view text);

// SerializeRequest writes req back in the same format: request line "METHOD path[?query]
// HTTP/1.1", each header as "Name:value", an empty line, then the body (every line LF-terminated).
std::string SerializeRequest(const HttpRequest& req);

}  // namespace attest::sigv4
