#include "attest/core/status.h"

namespace attest {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kMalformedEvidence:
      return "MALFORMED_EVIDENCE";
    case ErrorCode::kUnsupported:
      return "UNSUPPORTED";
    case ErrorCode::kSignatureInvalid:
      return "SIGNATURE_INVALID";
    case ErrorCode::kChainUntrusted:
      return "CHAIN_UNTRUSTED";
    case ErrorCode::kExpired:
      return "EXPIRED";
    case ErrorCode::kRevoked:
      return "REVOKED";
    case ErrorCode::kPolicyDenied:
      return "POLICY_DENIED";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kMismatch:
      return "MISMATCH";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kConflict:
      return "CONFLICT";
    case ErrorCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) {
    return "ok";
  }
  std::string out(reason_.id);
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) {
    return *this;
  }
  std::string message(context);
  message += ": ";
  message += message_;
  return Status(reason_, std::move(message));
}

}  // namespace attest
