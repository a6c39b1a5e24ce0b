// SigV4 verifier: authenticates a request signed with AWS Signature Version 4, in the header form
// (Authorization header) or the presigned query form.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "sigv4/http_request.h"
#include "sigv4/reasons.h"

namespace attest::sigv4 {

// StoredCredential is what the credential store knows about an access key id.
struct StoredCredential {
  std::string secret_access_key;
  std::optional<std::string> session_token;  // set: the request must present exactly this token
  std::string principal;                     // who the key belongs to (tenant, operator), opaque
};

// CredentialLookup returns the credential of an access key id, or nullopt when unknown.
using CredentialLookup =
    std::function<std::optional<StoredCredential>(std::string_view access_key_id)>;

struct VerifierConfig {
  std::string region;
  std::string service;
  bool normalize_path = true;
  bool double_encode_path = true;
  std::chrono::seconds max_skew{300};
  // allow_unsigned_payload accepts "x-amz-content-sha256: UNSIGNED-PAYLOAD" (body not covered).
  bool allow_unsigned_payload = false;
  // body_streamed verifies a request whose body has not arrived yet (a streamed upload): the
  // request must declare x-amz-content-sha256 (64 hex digits; UNSIGNED-PAYLOAD only with
  // allow_unsigned_payload), the signature covers that declaration, and the caller compares it
  // with the body's hash once the last byte is in (VerifiedRequest::declared_sha256).
  bool body_streamed = false;
  // Presigned (query) signatures: the longest X-Amz-Expires accepted, and the methods they may
  // sign (empty: any). A presigned URL can be used again until it expires, so a server that
  // cannot afford a replay restricts it to methods that change nothing.
  std::chrono::seconds max_presign_expires{604800};  // AWS's own limit: 7 days
  std::vector<std::string> presigned_methods;
};

struct VerifiedRequest {
  std::string access_key_id;
  std::string principal;
  bool presigned = false;       // query form
  bool payload_signed = false;  // the body is covered by the signature
  std::string body_sha256;      // hex SHA-256 of the body as received, computed for the check
  // declared_sha256: the signed x-amz-content-sha256 ("" when absent or UNSIGNED-PAYLOAD).
  std::string declared_sha256;
  std::vector<std::string> signed_headers;
  std::string signature;  // the request's signature (64 hex digits): what a replay repeats
  TimePoint signed_at;    // X-Amz-Date
};

// VerifyDiagnostics receives the server's canonical request and string to sign once they have been
// built, so that a SignatureDoesNotMatch answer can show them (as AWS does). They hold no secret.
struct VerifyDiagnostics {
  std::string canonical_request;
  std::string string_to_sign;
};

// VerifyRequest authenticates req at time now. Fails with (reasons::kSigv4...):
// - MissingAuthentication: neither an Authorization header nor X-Amz-Algorithm in the query;
// - AuthorizationMalformed / QueryMalformed / UnsupportedAlgorithm / BadDate: unparsable
//   parameters, host or the date header not signed, a signed header absent;
// - ScopeMismatch: credential date, region or service not this server's / the request's;
// - TimeTooSkewed: X-Amz-Date further than max_skew from now (presigned: in the future);
// - Expired: a presigned URL past X-Amz-Date + X-Amz-Expires;
// - QueryMalformed also: X-Amz-Expires over config.max_presign_expires;
// - PresignedMethodRefused: a presigned request whose method is not in config.presigned_methods;
// - InvalidAccessKeyId: lookup knows no such key (after the same HMAC work as a known key);
// - SignatureDoesNotMatch: the signature differs (compared in constant time);
// - InvalidToken: the session token presented differs from the stored one, or one is missing;
// - ContentSha256Mismatch: the signed x-amz-content-sha256 is not the body's hash;
// - UnsignedPayloadRefused: UNSIGNED-PAYLOAD while config.allow_unsigned_payload is false.
Result<VerifiedRequest> VerifyRequest(const HttpRequest& req, const VerifierConfig& config,
                                      const CredentialLookup& lookup, TimePoint now,
                                      VerifyDiagnostics* diagnostics = nullptr);

// AwsErrorCode returns the AWS/S3 error code name for a sigv4 failure ("SignatureDoesNotMatch",
// "RequestTimeTooSkewed", "InvalidAccessKeyId", ...), for the HTTP layer's answer; "AccessDenied"
// for any other reason.
std::string_view AwsErrorCode(const Status& status);

}  // namespace attest::sigv4
