// Signed attestation results: an Appraisal as a JWT (ES256 or ES384) shaped after the IETF EAR
// draft (draft-fv-rats-ear): "ear.status", per-evidence submodule with the trust vector and the
// appraisal policy id. JWS through libjose (the library behind Clevis/Tang).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "policy/appraisal.h"
#include "policy/reasons.h"

namespace attest::policy {

struct TokenFields {
  std::string issuer;   // "iss": the attestd instance
  std::string subject;  // "sub": the VM or host the evidence is about
  std::string nonce;    // "eat_nonce": hex of the challenge nonce ("" when none)
  TimePoint issued_at;
  TimePoint expires_at;
  // "cnf": {"jkt": ...} when set: the RFC 7638 SHA-256 thumbprint (base64url) of the key the
  // token is bound to, the attested guest's (the confirmation claim of RFC 7800 section 3.1 with
  // the "jkt" member RFC 9449 section 6.1 defines). A relying party accepts the token only from
  // whoever proves possession of that key.
  std::string confirmation_jkt;
};

// SignResultToken returns the compact JWS. key must be an EC P-256 (ES256) or P-384 (ES384)
// private key. Fails with core.internal on a wrong key type.
Result<std::string> SignResultToken(const Appraisal& appraisal, const TokenFields& fields,
                                    EVP_PKEY* key);

// VerifyResultToken checks the signature with public_key (the header's alg must be the one the
// key implies: no "none", no algorithm confusion), then iat <= now < exp. Returns the payload.
// Fails with policy.token_invalid or policy.token_expired.
Result<nlohmann::json> VerifyResultToken(std::string_view token, EVP_PKEY* public_key,
                                         TimePoint now);

}  // namespace attest::policy
