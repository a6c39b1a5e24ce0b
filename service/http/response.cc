#include "service/http/response.h"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

namespace attest::service::http {

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  // Invalid UTF-8 from a stored string must not throw here: replace it.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse NoContentResponse() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return JsonResponse(status, {{"code", code}, {"message", message}});
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformedEvidence:
      return 400;
    case ErrorCode::kPolicyDenied:
      return 403;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kUnsupported:
    case ErrorCode::kSignatureInvalid:
    case ErrorCode::kChainUntrusted:
    case ErrorCode::kExpired:
    case ErrorCode::kRevoked:
    case ErrorCode::kMismatch:
      return 422;
  }
  return 500;
}

HttpResponse ErrorFromStatus(const Status& status, int retry_after_seconds) {
  int code = HttpStatusFor(status);
  if (code == 503) {
    // Nothing was committed (a database down, restarting or out of space; a host unreachable):
    // the client may retry, and every 503 says when, so clients back off together rather than
    // storm a database that is coming back (issue 21).
    HttpResponse r =
        ErrorResponse(code, status.reason_id(), "a backing service is unavailable; retry later");
    r.headers.push_back({"Retry-After", std::to_string(std::max(1, retry_after_seconds))});
    return r;
  }
  if (code >= 500) {
    return ErrorResponse(code, status.reason_id(), "internal error");
  }
  return ErrorResponse(code, status.reason_id(), status.message());
}

}  // namespace attest::service::http
