#include "sigv4/verifier.h"

#include <algorithm>
#include <charconv>

#include "attest/core/bytes.h"
#include "attest/core/encoding.h"
#include "attest/core/wipe.h"
#include "sigv4/authorization.h"
#include "sigv4/canonical.h"
#include "sigv4/crypto.h"
#include "sigv4/signer.h"

namespace attest::sigv4 {
namespace {

// Used in place of an unknown key's secret so that an unknown key costs the same HMAC work as a
// known one: the answer must not reveal through timing which keys exist.
constexpr std::string_view kDummySecret = "attestd-sigv4-unknown-key-dummy-secret-0000";

// HeaderValues returns the values of every header named lower_name.
std::vector<std::string_view> HeaderValues(const HttpRequest& req, std::string_view lower_name) {
  std::vector<std::string_view> out;
  for (const HttpHeader& h : req.headers) {
    if (h.name.size() == lower_name.size() && ToLower(h.name) == lower_name) {
      out.push_back(h.value);
    }
  }
  return out;
}

// Fields gathered from either form before the common checks.
struct Presented {
  bool presigned = false;
  AuthorizationParams auth;
  std::string amz_date;
  int64_t expires_seconds = 0;
  std::optional<std::string> token;
};

Result<Presented> FromHeader(const HttpRequest& req, std::string_view authorization) {
  Presented p;
  ATTEST_ASSIGN_OR_RETURN(p.auth, ParseAuthorizationHeader(authorization));
  const auto dates = HeaderValues(req, "x-amz-date");
  if (dates.size() != 1) {
    return Status(reasons::kSigv4BadDate,
                  "want exactly one X-Amz-Date header, got " + std::to_string(dates.size()));
  }
  p.amz_date = TrimAll(dates[0]);
  bool date_signed = false;
  for (const std::string& n : p.auth.signed_headers) {
    date_signed |= n == "x-amz-date";
  }
  if (!date_signed) {
    return Status(reasons::kSigv4AuthorizationMalformed, "x-amz-date is not a signed header");
  }
  const auto tokens = HeaderValues(req, "x-amz-security-token");
  if (tokens.size() > 1) {
    return Status(reasons::kSigv4AuthorizationMalformed, "repeated X-Amz-Security-Token header");
  }
  if (tokens.size() == 1) {
    p.token = TrimAll(tokens[0]);
  }
  return p;
}

Result<Presented> FromQuery(const std::vector<QueryParam>& params) {
  const Reason bad = reasons::kSigv4QueryMalformed;
  std::optional<std::string> algorithm, credential, date, signed_headers, signature, expires, token;
  for (const QueryParam& q : params) {
    std::optional<std::string>* slot = nullptr;
    if (q.key == "X-Amz-Algorithm") {
      slot = &algorithm;
    }
    if (q.key == "X-Amz-Credential") {
      slot = &credential;
    }
    if (q.key == "X-Amz-Date") {
      slot = &date;
    }
    if (q.key == "X-Amz-SignedHeaders") {
      slot = &signed_headers;
    }
    if (q.key == "X-Amz-Signature") {
      slot = &signature;
    }
    if (q.key == "X-Amz-Expires") {
      slot = &expires;
    }
    if (q.key == "X-Amz-Security-Token") {
      slot = &token;
    }
    if (slot == nullptr) {
      continue;
    }
    if (slot->has_value()) {
      return Status(bad, "repeated query parameter " + q.key);
    }
    *slot = q.value;
  }
  if (!algorithm || !credential || !date || !signed_headers || !signature || !expires) {
    return Status(bad,
                  "X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Expires and -Signature "
                  "are all required");
  }
  Presented p;
  p.presigned = true;
  p.auth.algorithm = *algorithm;
  if (p.auth.algorithm != kAlgorithm) {
    return Status(reasons::kSigv4UnsupportedAlgorithm,
                  "algorithm \"" + p.auth.algorithm.substr(0, 32) + "\", want AWS4-HMAC-SHA256");
  }
  ATTEST_ASSIGN_OR_RETURN(p.auth.credential, ParseCredential(*credential, bad));
  ATTEST_ASSIGN_OR_RETURN(p.auth.signed_headers, ParseSignedHeaders(*signed_headers, bad));
  ATTEST_RETURN_IF_ERROR(CheckSignatureHex(*signature, bad));
  p.auth.signature = *signature;
  p.amz_date = *date;
  const char* first = expires->data();
  const char* last = first + expires->size();
  const auto [end, ec] = std::from_chars(first, last, p.expires_seconds);
  if (expires->empty() || ec != std::errc() || end != last || p.expires_seconds < 1 ||
      p.expires_seconds > kMaxExpiresSeconds) {
    return Status(bad, "X-Amz-Expires must be 1.." + std::to_string(kMaxExpiresSeconds));
  }
  p.token = token;
  return p;
}

}  // namespace

Result<VerifiedRequest> VerifyRequest(const HttpRequest& req, const VerifierConfig& config,
                                      const CredentialLookup& lookup, TimePoint now,
                                      VerifyDiagnostics* diagnostics) {
  const auto authorizations = HeaderValues(req, "authorization");
  const std::vector<QueryParam> params = ParseQuery(req.query);
  bool query_auth = false;
  for (const QueryParam& q : params) {
    query_auth |= q.key == "X-Amz-Algorithm";
  }
  if (authorizations.size() > 1) {
    return Status(reasons::kSigv4AuthorizationMalformed, "repeated Authorization header");
  }
  if (authorizations.size() == 1 && query_auth) {
    return Status(reasons::kSigv4AuthorizationMalformed,
                  "both an Authorization header and X-Amz-Algorithm in the query");
  }
  if (authorizations.empty() && !query_auth) {
    return Status(reasons::kSigv4MissingAuthentication,
                  "no Authorization header and no X-Amz-Algorithm query parameter");
  }
  ATTEST_ASSIGN_OR_RETURN(Presented p,
                          query_auth ? FromQuery(params) : FromHeader(req, authorizations[0]));
  const Reason malformed =
      p.presigned ? reasons::kSigv4QueryMalformed : reasons::kSigv4AuthorizationMalformed;
  bool host_signed = false;
  for (const std::string& n : p.auth.signed_headers) {
    host_signed |= n == "host";
  }
  if (!host_signed) {
    return Status(malformed, "host is not a signed header");
  }
  if (p.presigned && !config.presigned_methods.empty() &&
      std::find(config.presigned_methods.begin(), config.presigned_methods.end(), req.method) ==
          config.presigned_methods.end()) {
    std::string allowed;
    for (const std::string& m : config.presigned_methods) {
      allowed += (allowed.empty() ? "" : ", ") + m;
    }
    return Status(reasons::kSigv4PresignedMethodRefused,
                  "presigned URLs are accepted for " + allowed + " only; sign a " +
                      req.method.substr(0, 16) + " request in the Authorization header");
  }
  if (p.presigned && p.expires_seconds > config.max_presign_expires.count()) {
    return Status(reasons::kSigv4QueryMalformed,
                  "X-Amz-Expires " + std::to_string(p.expires_seconds) +
                      " exceeds this server's limit of " +
                      std::to_string(config.max_presign_expires.count()) + " s");
  }

  ATTEST_ASSIGN_OR_RETURN(const TimePoint request_time, ParseAmzDate(p.amz_date));
  const CredentialScopeParts& scope = p.auth.credential;
  if (scope.date != p.amz_date.substr(0, 8)) {
    return Status(reasons::kSigv4ScopeMismatch,
                  "credential date " + scope.date + " is not the date of X-Amz-Date " + p.amz_date);
  }
  if (scope.region != config.region || scope.service != config.service) {
    return Status(reasons::kSigv4ScopeMismatch, "credential scope " + scope.region + "/" +
                                                    scope.service + ", this server is " +
                                                    config.region + "/" + config.service);
  }
  const auto skew = request_time > now ? request_time - now : now - request_time;
  if ((!p.presigned || request_time > now) && skew > config.max_skew) {
    return Status(reasons::kSigv4TimeTooSkewed,
                  "request time " + p.amz_date + " is " + std::to_string(skew.count()) +
                      " s from server time " + FormatAmzDate(now) + ", limit " +
                      std::to_string(config.max_skew.count()) + " s");
  }
  if (p.presigned && now > request_time + std::chrono::seconds(p.expires_seconds)) {
    return Status(reasons::kSigv4Expired,
                  "presigned request expired at " +
                      FormatAmzDate(request_time + std::chrono::seconds(p.expires_seconds)));
  }

  // Payload hash: the client's declared x-amz-content-sha256 when present, else the body's hash.
  const std::string body_hash = HexSha256(req.body);
  std::string payload_hash = body_hash;
  bool payload_signed = true;
  bool body_mismatch = false;
  const auto declared = HeaderValues(req, "x-amz-content-sha256");
  if (declared.size() > 1) {
    return Status(malformed, "repeated x-amz-content-sha256 header");
  }
  if (config.body_streamed && declared.empty()) {
    return Status(malformed, "a streamed body needs its x-amz-content-sha256 declared");
  }
  if (declared.size() == 1) {
    payload_hash = TrimAll(declared[0]);
    if (payload_hash == kUnsignedPayload) {
      if (!config.allow_unsigned_payload) {
        return Status(reasons::kSigv4UnsignedPayloadRefused,
                      "UNSIGNED-PAYLOAD is not accepted by this server");
      }
      payload_signed = false;
    } else {
      ATTEST_RETURN_IF_ERROR(CheckSignatureHex(payload_hash, malformed));
      body_mismatch = !config.body_streamed && payload_hash != body_hash;
    }
  }

  ATTEST_ASSIGN_OR_RETURN(const std::string canonical_headers,
                          CanonicalHeaders(req, p.auth.signed_headers));
  const std::string signed_headers = JoinSignedHeaders(p.auth.signed_headers);
  const std::string canonical_request = CanonicalRequest(
      req.method, CanonicalUri(req.path, config.normalize_path, config.double_encode_path),
      CanonicalQuery(params, p.presigned ? "X-Amz-Signature" : ""), canonical_headers,
      signed_headers, payload_hash);
  const std::string string_to_sign = StringToSign(
      p.amz_date, CredentialScope(scope.date, scope.region, scope.service), canonical_request);
  if (diagnostics != nullptr) {
    diagnostics->canonical_request = canonical_request;
    diagnostics->string_to_sign = string_to_sign;
  }

  std::optional<StoredCredential> credential = lookup(scope.access_key_id);
  const std::string_view secret =
      credential ? std::string_view(credential->secret_access_key) : kDummySecret;
  const Wiped<Sha256Digest> key(DeriveSigningKey(secret, scope.date, scope.region, scope.service));
  if (credential) {
    Wipe(credential->secret_access_key);  // not needed again (issue 17 #12)
  }
  const std::string expected = HexEncode(HmacSha256(key.get(), AsBytes(string_to_sign)));
  const bool signature_ok = ConstantTimeEquals(AsBytes(expected), AsBytes(p.auth.signature));
  if (!credential) {
    return Status(reasons::kSigv4InvalidAccessKeyId,
                  "the access key id does not exist in our records");
  }
  if (!signature_ok) {
    return Status(reasons::kSigv4SignatureDoesNotMatch,
                  "the request signature we calculated does not match the signature you "
                  "provided; check your key and signing method");
  }
  const std::string want_token = credential->session_token.value_or("");
  const std::string got_token = p.token.value_or("");
  if (credential->session_token.has_value() != p.token.has_value() ||
      !ConstantTimeEquals(AsBytes(want_token), AsBytes(got_token))) {
    return Status(reasons::kSigv4InvalidToken,
                  "the security token included in the request is "
                  "invalid");
  }
  if (body_mismatch) {
    return Status(
        reasons::kSigv4ContentSha256Mismatch,
        "x-amz-content-sha256 " + payload_hash + " is not the body's SHA-256 " + body_hash);
  }
  VerifiedRequest out;
  out.access_key_id = scope.access_key_id;
  out.principal = credential->principal;
  out.presigned = p.presigned;
  out.payload_signed = payload_signed;
  out.body_sha256 = body_hash;
  out.declared_sha256 = payload_signed && !declared.empty() ? payload_hash : "";
  out.signed_headers = p.auth.signed_headers;
  out.signature = p.auth.signature;
  out.signed_at = request_time;
  return out;
}

std::string_view AwsErrorCode(const Status& status) {
  const std::string_view id = status.reason_id();
  if (id == reasons::kSigv4SignatureDoesNotMatch.id) {
    return "SignatureDoesNotMatch";
  }
  if (id == reasons::kSigv4TimeTooSkewed.id) {
    return "RequestTimeTooSkewed";
  }
  if (id == reasons::kSigv4InvalidAccessKeyId.id) {
    return "InvalidAccessKeyId";
  }
  if (id == reasons::kSigv4ContentSha256Mismatch.id) {
    return "XAmzContentSHA256Mismatch";
  }
  if (id == reasons::kSigv4InvalidToken.id) {
    return "InvalidToken";
  }
  if (id == reasons::kSigv4MissingAuthentication.id) {
    return "MissingAuthenticationToken";
  }
  if (id == reasons::kSigv4AuthorizationMalformed.id || id == reasons::kSigv4BadDate.id ||
      id == reasons::kSigv4ScopeMismatch.id) {
    return "AuthorizationHeaderMalformed";
  }
  if (id == reasons::kSigv4QueryMalformed.id) {
    return "AuthorizationQueryParametersError";
  }
  if (id == reasons::kSigv4UnsupportedAlgorithm.id) {
    return "IncompleteSignature";
  }
  if (id == reasons::kSigv4RequestMalformed.id) {
    return "InvalidRequest";
  }
  return "AccessDenied";  // request_expired, unsigned_payload_refused, anything else
}

}  // namespace attest::sigv4
