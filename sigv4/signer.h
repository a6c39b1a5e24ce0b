// SigV4 signer: the client side, used by attestctl, tests and benchmarks.
#pragma once

#include <cstdint>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "sigv4/http_request.h"
#include "sigv4/reasons.h"

namespace attest::sigv4 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term credentials
};

enum class SignatureLocation {
  kHeader,  // Authorization header plus X-Amz-Date (and X-Amz-Security-Token)
  kQuery,   // presigned URL: X-Amz-* query parameters
};

// The presigned-URL lifetime limit AWS applies (7 days).
inline constexpr int64_t kMaxExpiresSeconds = 604800;

struct SignOptions {
  std::string region;
  std::string service;
  TimePoint time;
  SignatureLocation location = SignatureLocation::kHeader;
  bool normalize_path = true;      // false for S3-style services
  bool double_encode_path = true;  // false for S3-style services
  // sign_body adds an x-amz-content-sha256 header (header form) carrying the payload hash.
  bool sign_body = false;
  // unsigned_payload uses "UNSIGNED-PAYLOAD" as the payload hash: the body is not covered.
  bool unsigned_payload = false;
  // payload_sha256: the body's hex SHA-256 when the body is not in the request (a streamed
  // upload, hashed beforehand); empty: req.body is hashed.
  std::string payload_sha256;
  // omit_session_token adds X-Amz-Security-Token after signing, outside the signature (the
  // classic suite's post-sts-header-after); some services want it so.
  bool omit_session_token = false;
  int64_t expires_seconds = 3600;  // query form only, 1..kMaxExpiresSeconds
};

struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;        // lower-case hex
  std::string authorization;    // header form: the Authorization value; query form: empty
  std::string presigned_query;  // query form: the new raw query; header form: empty
  HttpRequest signed_request;   // the input with the headers or query parameters added
};

// SignRequest signs req: every header it carries (except Authorization) is signed, plus the
// headers the chosen form adds. An X-Amz-Date already present is overwritten in place. Fails with
// reasons::kSigv4BadOption when a credential or scope part is empty or holds '/', or the expiry is
// out of range.
Result<SigningResult> SignRequest(const HttpRequest& req, const Credentials& credentials,
                                  const SignOptions& options);

}  // namespace attest::sigv4
