#include "service/api/testing/host_enrollment.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "protocol/host_credential.h"

namespace attest::service::api::testing {

std::string CreateEnrollmentToken(ApiHarness& h, const nlohmann::json& options) {
  auto r = h.CallJson("POST", "/v1/host-enrollments", options, &h.operator_credentials());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json.value("token", "");
}

EnrolledHost RedeemAndActivate(ApiHarness& h, const attest::testing::FakeTpm& tpm,
                               const std::string& token, const Bytes& ek_cert,
                               const nlohmann::json& platform) {
  nlohmann::json body = {{"token", token},
                         {"ek_public", Base64Encode(tpm.ek_public())},
                         {"ak_public", Base64Encode(tpm.ak_public())}};
  body["ek_cert"] = Base64Encode(ek_cert.empty() ? h.IssueEkCertificate(tpm.ek_key()) : ek_cert);
  if (!platform.is_null()) {
    body["platform"] = platform;
  }
  auto r = h.CallJson("POST", "/v1/enroll", body, nullptr);
  EXPECT_EQ(r.status, 201) << r.body;
  EnrolledHost host;
  host.id = r.json.value("host_id", "");
  auto blob = Base64Decode(r.json.value("credential_blob", ""));
  auto wrapped = Base64Decode(r.json.value("encrypted_secret", ""));
  if (!blob.ok() || !wrapped.ok()) {
    ADD_FAILURE() << "enroll answer lacks the credential: " << r.body;
    return host;
  }
  auto secret = tpm.ActivateCredential(*blob, *wrapped);
  EXPECT_TRUE(secret.ok()) << secret.status().ToString();
  auto key = protocol::DeriveHostSecretKey(secret.ok() ? *secret : Bytes(32), host.id);
  const std::string secret_key = key.ok() ? *key : "";
  r = h.CallJson(
      "POST", "/v1/enroll/activate",
      {{"host_id", host.id}, {"proof", protocol::HostActivationProof(secret_key, host.id)}},
      nullptr);
  EXPECT_EQ(r.status, 200) << r.body;
  host.credentials.access_key_id = r.json.value("access_key_id", "");
  host.credentials.secret_access_key = secret_key;
  return host;
}

EnrolledHost EnrollHost(ApiHarness& h, const attest::testing::FakeTpm& tpm,
                        const nlohmann::json& options) {
  return RedeemAndActivate(h, tpm, CreateEnrollmentToken(h, options));
}

}  // namespace attest::service::api::testing
