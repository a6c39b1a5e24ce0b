// Parsing the SigV4 authentication parameters a client sends (header or presigned query).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "sigv4/reasons.h"

namespace attest::sigv4 {

// Caps on client-supplied sizes, checked before anything is built from them.
inline constexpr size_t kMaxAuthorizationBytes = 8192;
inline constexpr size_t kMaxAccessKeyIdBytes = 128;
inline constexpr size_t kMaxSignedHeaders = 64;

struct CredentialScopeParts {
  std::string access_key_id;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
};

struct AuthorizationParams {
  std::string algorithm;
  CredentialScopeParts credential;
  std::vector<std::string> signed_headers;  // lower-case, strictly ascending
  std::string signature;                    // 64 lower-case hex digits
};

// ParseCredential parses "AKID/YYYYMMDD/region/service/aws4_request". Fails with `reason`.
Result<CredentialScopeParts> ParseCredential(std::string_view text, Reason reason);

// ParseSignedHeaders parses "host;x-amz-date": lower-case token names, strictly ascending (as
// every signer emits them), at most kMaxSignedHeaders. Fails with `reason`.
Result<std::vector<std::string>> ParseSignedHeaders(std::string_view text, Reason reason);

// ParseSignatureHex checks 64 lower-case hex digits. Fails with `reason`.
Status CheckSignatureHex(std::string_view text, Reason reason);

// ParseAuthorizationHeader parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." (the three parts in any order, each once, separated by ',' and optional spaces).
// An algorithm other than AWS4-HMAC-SHA256 fails with reasons::kSigv4UnsupportedAlgorithm;
// anything else malformed with reasons::kSigv4AuthorizationMalformed.
Result<AuthorizationParams> ParseAuthorizationHeader(std::string_view value);

}  // namespace attest::sigv4
