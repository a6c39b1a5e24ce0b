#include "policy/token.h"

// libjose's headers declare C functions without extern "C".
extern "C" {
#include <jose/jose.h>
#include <jose/openssl.h>
}

#include <memory>

#include "attest/core/encoding.h"
#include "policy/appraisal_json.h"

namespace attest::policy {
namespace {

struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

Status Invalid(const std::string& why) {
  return Status(reasons::kPolicyTokenInvalid, "token: " + why);
}

// AlgFor returns the JWS alg an EC key implies, or "" for any other key.
std::string AlgFor(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    return "";
  }
  if (EVP_PKEY_get_bits(key) == 256) {
    return "ES256";
  }
  if (EVP_PKEY_get_bits(key) == 384) {
    return "ES384";
  }
  return "";
}

Result<JsonPtr> JwkFor(EVP_PKEY* key, const std::string& alg) {
  JsonPtr jwk(jose_openssl_jwk_from_EVP_PKEY(nullptr, key));
  if (!jwk) {
    return Status(reasons::kInternalError, "token: key not convertible to a JWK");
  }
  json_object_set_new(jwk.get(), "alg", json_string(alg.c_str()));
  return jwk;
}

std::string JsonString(const json_t* object, const char* key) {
  const char* value = json_string_value(json_object_get(object, key));
  return value != nullptr ? value : "";
}

}  // namespace

Result<std::string> SignResultToken(const Appraisal& appraisal, const TokenFields& fields,
                                    EVP_PKEY* key) {
  const std::string alg = AlgFor(key);
  if (alg.empty()) {
    return Status(reasons::kInternalError, "token: signing key must be EC P-256/384");
  }
  nlohmann::ordered_json payload;
  payload["iss"] = fields.issuer;
  payload["sub"] = fields.subject;
  payload["iat"] = ToUnixSeconds(fields.issued_at);
  payload["exp"] = ToUnixSeconds(fields.expires_at);
  if (!fields.nonce.empty()) {
    payload["eat_nonce"] = fields.nonce;
  }
  if (!fields.confirmation_jkt.empty()) {
    payload["cnf"] = {{"jkt", fields.confirmation_jkt}};
  }
  payload["eat_profile"] = "tag:github.com,2023:veraison/ear";
  payload["ear.status"] = std::string(TrustTierName(appraisal.Status()));
  payload["submods"][appraisal.evidence] = {
      {"ear.status", std::string(TrustTierName(appraisal.Status()))},
      {"ear.trustworthiness-vector", TrustVectorToJson(appraisal.trust)},
      {"ear.appraisal-policy-id", appraisal.policy_identity},
      {"attest.failures", AppraisalToJson(appraisal)["failures"]}};
  const std::string payload_text = payload.dump();

  ATTEST_ASSIGN_OR_RETURN(JsonPtr jwk, JwkFor(key, alg));
  JsonPtr jws(json_pack("{s:s}", "payload", Base64UrlEncode(AsBytes(payload_text)).c_str()));
  JsonPtr sig(json_pack("{s:{s:s,s:s}}", "protected", "alg", alg.c_str(), "typ", "JWT"));
  if (!jws || !sig || !jose_jws_sig(nullptr, jws.get(), sig.get(), jwk.get())) {
    return Status(reasons::kInternalError, "token: signing failed");
  }
  return JsonString(jws.get(), "protected") + "." + JsonString(jws.get(), "payload") + "." +
         JsonString(jws.get(), "signature");
}

Result<nlohmann::json> VerifyResultToken(std::string_view token, EVP_PKEY* public_key,
                                         TimePoint now) {
  const std::string alg = AlgFor(public_key);
  if (alg.empty()) {
    return Invalid("verification key must be EC P-256/384");
  }
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Invalid("not a compact JWS (three dot-separated parts)");
  }
  const std::string header_b64(token.substr(0, dot1));
  const std::string payload_b64(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const std::string signature_b64(token.substr(dot2 + 1));
  ATTEST_ASSIGN_OR_RETURN(Bytes header_bytes, Base64UrlDecode(header_b64));
  const auto header =
      nlohmann::json::parse(header_bytes.begin(), header_bytes.end(), nullptr, false);
  if (!header.is_object() || !header.contains("alg") || header["alg"] != alg) {
    return Invalid("header alg is not " + alg);
  }
  if (header.size() != 2 || !header.contains("typ") || header["typ"] != "JWT") {
    return Invalid("unexpected protected header");
  }
  ATTEST_ASSIGN_OR_RETURN(JsonPtr jwk, JwkFor(public_key, alg));
  JsonPtr jws(json_pack("{s:s,s:s,s:s}", "protected", header_b64.c_str(), "payload",
                        payload_b64.c_str(), "signature", signature_b64.c_str()));
  if (!jws || !jose_jws_ver(nullptr, jws.get(), nullptr, jwk.get(), false)) {
    return Invalid("signature does not verify");
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes payload_bytes, Base64UrlDecode(payload_b64));
  auto payload = nlohmann::json::parse(payload_bytes.begin(), payload_bytes.end(), nullptr, false);
  if (!payload.is_object() || !payload.contains("iat") || !payload.contains("exp") ||
      !payload["iat"].is_number_integer() || !payload["exp"].is_number_integer()) {
    return Invalid("payload lacks iat/exp");
  }
  const int64_t t = ToUnixSeconds(now);
  if (t < payload["iat"].get<int64_t>() || t >= payload["exp"].get<int64_t>()) {
    return Status(reasons::kPolicyTokenExpired,
                  "token: valid " + FormatRfc3339(FromUnixSeconds(payload["iat"].get<int64_t>())) +
                      " to " + FormatRfc3339(FromUnixSeconds(payload["exp"].get<int64_t>())) +
                      ", time is " + FormatRfc3339(now));
  }
  return payload;
}

}  // namespace attest::policy
