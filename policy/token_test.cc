#include "policy/token.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "tests/testing/test_pki.h"

namespace attest::policy {
namespace {

using testing::GenerateKey;
using testing::KeyKind;

const TimePoint kNow = FromUnixSeconds(1750000000);

Appraisal Sample() {
  Appraisal a;
  a.evidence = "snp";
  a.policy_identity = "p@sha256:00";
  a.trust.executables = TrustTier::kContraindicated;
  a.failures.push_back({reasons::kSnpMeasurementRejected, "snp.measurements", "aa", "bb"});
  return a;
}

TokenFields Fields() {
  return {"attestd-test", "vm-1", "abcd", kNow, kNow + std::chrono::minutes(5)};
}

TEST(TokenTest, RoundTripBothCurves) {
  for (KeyKind kind : {KeyKind::kEcP256, KeyKind::kEcP384}) {
    auto key = GenerateKey(kind);
    auto token = SignResultToken(Sample(), Fields(), key.get());
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    auto payload = VerifyResultToken(*token, key.get(), kNow + std::chrono::seconds(10));
    ASSERT_TRUE(payload.ok()) << payload.status().ToString();
    EXPECT_EQ((*payload)["sub"], "vm-1");
    EXPECT_EQ((*payload)["ear.status"], "contraindicated");
    EXPECT_EQ((*payload)["submods"]["snp"]["ear.trustworthiness-vector"]["executables"], 96);
    EXPECT_EQ((*payload)["submods"]["snp"]["attest.failures"][0]["code"],
              "snp.measurement_rejected");
    EXPECT_FALSE(payload->contains("cnf"));  // bound to no key unless asked
  }
}

TEST(TokenTest, ConfirmationClaimNamesTheBoundKey) {
  auto key = GenerateKey(KeyKind::kEcP384);
  TokenFields fields = Fields();
  fields.confirmation_jkt = "-W6Wzot_wuerYbKBVKfGEks3iY2EALna-hBqObnPuJE";
  auto token = SignResultToken(Sample(), fields, key.get());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto payload = VerifyResultToken(*token, key.get(), kNow);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ((*payload)["cnf"], nlohmann::json({{"jkt", fields.confirmation_jkt}}));
}

TEST(TokenTest, Rejections) {
  auto key = GenerateKey(KeyKind::kEcP384);
  auto other = GenerateKey(KeyKind::kEcP384);
  auto p256 = GenerateKey(KeyKind::kEcP256);
  const std::string token = *SignResultToken(Sample(), Fields(), key.get());
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.find('.', dot1 + 1);
  std::string tampered_payload = token;
  const std::string forged_body = Base64UrlEncode(AsBytes(
      R"({"iss":"x","sub":"vm-2","iat":1750000000,"exp":1750000300,"ear.status":"affirming"})"));
  tampered_payload.replace(dot1 + 1, dot2 - dot1 - 1, forged_body);
  std::string none_alg = token;
  none_alg.replace(0, dot1, Base64UrlEncode(AsBytes(R"({"alg":"none","typ":"JWT"})")));
  std::string flipped_sig = token;
  flipped_sig[dot2 + 5] = flipped_sig[dot2 + 5] == 'A' ? 'B' : 'A';
  struct Case {
    const char* name;
    std::string token;
    EVP_PKEY* key;
    TimePoint at;
    std::string_view want;
  } cases[] = {
      {"good", token, key.get(), kNow, "ok"},
      {"other key", token, other.get(), kNow, "policy.token_invalid"},
      {"key of another curve", token, p256.get(), kNow, "policy.token_invalid"},
      {"payload swapped", tampered_payload, key.get(), kNow, "policy.token_invalid"},
      {"alg none", none_alg, key.get(), kNow, "policy.token_invalid"},
      {"signature flipped", flipped_sig, key.get(), kNow, "policy.token_invalid"},
      {"two parts", token.substr(0, dot2), key.get(), kNow, "policy.token_invalid"},
      {"four parts", token + ".x", key.get(), kNow, "policy.token_invalid"},
      {"garbage", "a.b.c", key.get(), kNow, "core.bad_base64"},
      {"expired", token, key.get(), kNow + std::chrono::minutes(5), "policy.token_expired"},
      {"before issue", token, key.get(), kNow - std::chrono::seconds(1), "policy.token_expired"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(VerifyResultToken(c.token, c.key, c.at).status().reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::policy
