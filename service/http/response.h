// HttpResponse: what a handler returns; the HTTP layer writes it to the wire unchanged.
//
// Every error the API sends has one shape, a JSON object {"code": ..., "message": ...}: code is a
// stable identifier clients branch on (our dotted reason, or the AWS error code for
// authentication failures), message is for people.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attest/core/status.h"
#include "service/http/reasons.h"
#include "sigv4/http_request.h"

namespace attest::service::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<HttpHeader> headers;  // extra headers (Location, Retry-After...)
  std::string body;
};

// JsonResponse serialises body (compact) with the given status.
HttpResponse JsonResponse(int status, const nlohmann::json& body);

// NoContentResponse is a 204 with no body and no Content-Type.
HttpResponse NoContentResponse();

// ErrorResponse is {"code": code, "message": message} with the given status.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);

// HttpStatusFor maps a Status's ErrorCode to the HTTP status the API answers with: not found 404,
// conflict 409, invalid argument / malformed 400, policy denied 403, unavailable 503, internal 500,
// and verification failures (signature, chain, expiry, mismatch...) 422: the request was well
// formed but its evidence was refused.
int HttpStatusFor(const Status& status);

// ErrorFromStatus is ErrorResponse(HttpStatusFor(status), status.reason_id(), status.message()).
// Internal errors keep their reason but not their message, which may name files or SQL. A 503
// says when to retry (Retry-After: retry_after_seconds; nothing was committed).
HttpResponse ErrorFromStatus(const Status& status, int retry_after_seconds = 1);

}  // namespace attest::service::http
