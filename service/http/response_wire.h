// The bytes of an HTTP/1.1 response (RFC 9112 4 and 6): status line, the handler's headers, then
// the framing the server owns (Content-Type, Content-Length, Connection). Pure, like the parser.
#pragma once

#include <string>
#include <string_view>

#include "service/http/response.h"

namespace attest::service::http {

struct ResponseFraming {
  bool head = false;   // the request was HEAD: the length is sent, the body is not
  bool close = false;  // the server closes the connection after this response
};

// SerializeResponse writes response with its body. Framing headers the handler set itself
// (Content-Length, Transfer-Encoding, Connection) are dropped: only the server frames; so is a
// header with a line break in it. 1xx, 204
// and 304 responses carry no body and no Content-Length (RFC 9110 8.6).
std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing);

// ReasonPhrase is the standard phrase of status ("Unknown" for codes it does not list).
std::string_view ReasonPhrase(int status);

}  // namespace attest::service::http
