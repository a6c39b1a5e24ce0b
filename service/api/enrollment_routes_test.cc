// Hosts as principals through the API: enrollment tokens, enrollment with a software TPM,
// activation into the host's own credential, what that credential may do, and deletion.
#include <gtest/gtest.h>

#include <tuple>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "protocol/host_credential.h"
#include "service/api/testing/api_harness.h"
#include "service/api/testing/host_enrollment.h"
#include "tests/testing/fake_tpm.h"
#include "tests/testing/test_pki.h"

namespace attest::service::api {
namespace {

using attest::testing::FakeTpm;
using nlohmann::json;
using testing::ApiHarness;
using testing::EnrolledHost;

constexpr char kDevPolicy[] =
    R"({"name": "dev", "any_firmware": true, "any_boot_application": true})";

std::string B64(ByteSpan b) { return Base64Encode(b); }

class EnrollmentApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    op_ = h_.operator_credentials();
    ASSERT_EQ(h_.Call("PUT", "/v1/host-policies/dev", kDevPolicy, &op_).status, 201);
  }

  std::string Token(const json& options = {{"host_policy", "dev"}}) {
    return testing::CreateEnrollmentToken(h_, options);
  }

  json EnrollBody(const FakeTpm& tpm, const std::string& token) {
    return {{"token", token},
            {"ek_public", B64(tpm.ek_public())},
            {"ek_cert", B64(h_.IssueEkCertificate(tpm.ek_key()))},
            {"ak_public", B64(tpm.ak_public())}};
  }

  ApiHarness::Reply Redeem(const json& body) {
    return h_.CallJson("POST", "/v1/enroll", body, nullptr);
  }

  ApiHarness h_;
  sigv4::Credentials op_;
};

TEST_F(EnrollmentApiTest, AnEnrollmentIsAOneTimeTokenThatOnlyItsDigestRemembers) {
  auto r = h_.CallJson("POST", "/v1/host-enrollments",
                       {{"host_policy", "dev"}, {"expires_in_seconds", 120}}, &op_);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string token = r.json["token"];
  EXPECT_EQ(token.rfind("aht_", 0), 0u);
  EXPECT_GE(token.size(), 4u + 43u);  // 32 random bytes
  EXPECT_EQ(r.json["enrollment_id"].get<std::string>().rfind("en-", 0), 0u);
  EXPECT_EQ(r.json["expires_at"], FormatRfc3339(h_.now() + std::chrono::seconds(120)));
  // The token appears nowhere the operator can read later; its digest is stored only.
  const std::string audit = h_.Call("GET", "/v1/audit", "", &op_).body;
  EXPECT_EQ(audit.find(token), std::string::npos);
  EXPECT_EQ(audit.find(HexEncode(Sha256(AsBytes(token)))), std::string::npos);
  EXPECT_NE(audit.find("host.enrollment.create"), std::string::npos);

  const FakeTpm tpm = FakeTpm::Create();
  const EnrolledHost host = testing::RedeemAndActivate(h_, tpm, token);
  ASSERT_FALSE(host.id.empty());
  EXPECT_EQ(host.credentials.access_key_id.rfind("AKIH", 0), 0u);

  // Used once: a second TPM (or the same) cannot redeem it again.
  const FakeTpm other = FakeTpm::Create();
  r = Redeem(EnrollBody(other, token));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json["code"], "store.enrollment_token_used");
  // Forged or mistyped tokens; an expired one.
  for (const std::string& forged : {std::string("aht_") + std::string(43, 'A'), std::string("x"),
                                    std::string(200, 'a'), std::string("")}) {
    r = Redeem(EnrollBody(other, forged));
    EXPECT_EQ(r.status, 403) << forged;
    EXPECT_EQ(r.json["code"], "store.enrollment_token_invalid");
  }
  const std::string late = Token({{"host_policy", "dev"}, {"expires_in_seconds", 60}});
  h_.set_now(h_.now() + std::chrono::seconds(60));
  r = Redeem(EnrollBody(other, late));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json["code"], "store.enrollment_token_expired");
}

TEST_F(EnrollmentApiTest, TheEnrollmentDecidesPolicyTeesAndLibvirtUri) {
  const FakeTpm tpm = FakeTpm::Create();
  const EnrolledHost host =
      testing::EnrollHost(h_, tpm,
                          {{"host_policy", "dev"},
                           {"tees", json::array({"snp", "sev-es"})},
                           {"libvirt_uri", "qemu+tls://host-1.example/system"}});
  auto r = h_.Call("GET", "/v1/hosts/" + host.id, "", &op_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "activated");
  EXPECT_EQ(r.json["host_policy"], "dev");
  EXPECT_EQ(r.json["tees"], json::array({"snp", "sev-es"}));
  EXPECT_EQ(r.json["libvirt_uri"], "qemu+tls://host-1.example/system");
  EXPECT_TRUE(r.json["last_good_quote"].is_null());
}

TEST_F(EnrollmentApiTest, TheTestDriverNeedsTheConfigurationSwitch) {
  const json body = {{"host_policy", "dev"}, {"libvirt_uri", "test:///default"}};
  auto r = h_.CallJson("POST", "/v1/host-enrollments", body, &op_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["code"], "api.libvirt_uri_refused");
  EXPECT_NE(r.json["message"].get<std::string>().find("allow_test_libvirt_uris"), std::string::npos)
      << r.body;
  h_.api().service().config.allow_test_libvirt_uris = true;
  r = h_.CallJson("POST", "/v1/host-enrollments", body, &op_);
  EXPECT_EQ(r.status, 201) << r.body;
  // ssh with host key checking left on is one of the allowed forms.
  r = h_.CallJson(
      "POST", "/v1/host-enrollments",
      {{"host_policy", "dev"}, {"libvirt_uri", "qemu+ssh://virt@host-1.example/system?no_tty=1"}},
      &op_);
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(EnrollmentApiTest, HostileEnrollmentRequestsAreRefused) {
  const struct {
    std::string name;
    json body;
    std::string want_code;
  } cases[] = {
      {"policy missing", {{"host_policy", "nope"}}, "api.invalid_field"},
      {"policy bad name", {{"host_policy", "../dev"}}, "api.invalid_field"},
      {"policy a number", {{"host_policy", 1}}, "api.invalid_field"},
      {"no policy", json::object(), "api.invalid_field"},
      {"tees not a list", {{"host_policy", "dev"}, {"tees", "snp"}}, "api.invalid_field"},
      {"tees unknown", {{"host_policy", "dev"}, {"tees", {"sgx"}}}, "api.invalid_field"},
      {"tees repeated", {{"host_policy", "dev"}, {"tees", {"snp", "snp"}}}, "api.invalid_field"},
      {"tees a number", {{"host_policy", "dev"}, {"tees", {1}}}, "api.invalid_field"},
      {"uri without scheme",
       {{"host_policy", "dev"}, {"libvirt_uri", "/var/run/libvirt"}},
       "api.libvirt_uri_refused"},
      {"uri with a space",
       {{"host_policy", "dev"}, {"libvirt_uri", "qemu:///sys tem"}},
       "api.libvirt_uri_refused"},
      {"uri scheme upper case",
       {{"host_policy", "dev"}, {"libvirt_uri", "QEMU:///system"}},
       "api.libvirt_uri_refused"},
      {"uri too long",
       {{"host_policy", "dev"}, {"libvirt_uri", "qemu:///" + std::string(250, 'a')}},
       "api.libvirt_uri_refused"},
      // Accepted by libvirt, refused by attestd (service/api/libvirt_uri_test.cc has the rest).
      {"uri runs a program",
       {{"host_policy", "dev"}, {"libvirt_uri", "qemu+ext:///system?command=/bin/sh"}},
       "api.libvirt_uri_refused"},
      {"uri skips certificate checks",
       {{"host_policy", "dev"}, {"libvirt_uri", "qemu+tls://host-1.example/system?no_verify=1"}},
       "api.libvirt_uri_refused"},
      {"uri skips host key checks",
       {{"host_policy", "dev"},
        {"libvirt_uri", "qemu+ssh://host-1.example/system?known_hosts_verify=ignore"}},
       "api.libvirt_uri_refused"},
      {"uri test driver not allowed",
       {{"host_policy", "dev"}, {"libvirt_uri", "test:///default"}},
       "api.libvirt_uri_refused"},
      {"expiry too short",
       {{"host_policy", "dev"}, {"expires_in_seconds", 59}},
       "api.invalid_field"},
      {"expiry too long",
       {{"host_policy", "dev"}, {"expires_in_seconds", 86401}},
       "api.invalid_field"},
      {"expiry a string",
       {{"host_policy", "dev"}, {"expires_in_seconds", "60"}},
       "api.invalid_field"},
      {"expiry a fraction",
       {{"host_policy", "dev"}, {"expires_in_seconds", 60.5}},
       "api.invalid_field"},
      {"unknown field", {{"host_policy", "dev"}, {"token", "mine"}}, "api.unknown_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h_.CallJson("POST", "/v1/host-enrollments", c.body, &op_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  // Only the operator creates enrollments.
  const sigv4::Credentials tenant = h_.CreateTenant("acme");
  EXPECT_EQ(h_.CallJson("POST", "/v1/host-enrollments", {{"host_policy", "dev"}}, &tenant).status,
            403);
  EXPECT_EQ(h_.CallJson("POST", "/v1/host-enrollments", {{"host_policy", "dev"}}, nullptr).status,
            403);
}

TEST_F(EnrollmentApiTest, HostileRedemptionsAreRefusedWithoutSpendingTheToken) {
  const FakeTpm tpm = FakeTpm::Create();
  const FakeTpm unrestricted = FakeTpm::Create(attest::testing::kFakeAkAttributes & ~0x00010000u);
  const FakeTpm decrypting = FakeTpm::Create(attest::testing::kFakeAkAttributes | 0x00020000u);
  const FakeTpm exportable = FakeTpm::Create(attest::testing::kFakeAkAttributes & ~0x00000002u);
  const std::string token = Token();
  auto with = [&](const std::string& key, json value) {
    json b = EnrollBody(tpm, token);
    b[key] = std::move(value);
    return b;
  };
  auto without = [&](const std::string& key) {
    json b = EnrollBody(tpm, token);
    b.erase(key);
    return b;
  };
  auto ca_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
  attest::testing::CertSpec spec{"not the ek", h_.now() - std::chrono::hours(1),
                                 h_.now() + std::chrono::hours(1)};
  auto foreign_cert = attest::testing::IssueCertificate(spec, ca_key.get(), nullptr, ca_key.get());
  const struct {
    std::string name;
    json body;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"token missing", without("token"), 400, "api.invalid_field"},
      {"token a number", with("token", 5), 400, "api.invalid_field"},
      {"ek not base64", with("ek_public", "%%%%"), 400, "api.invalid_field"},
      {"ek with a space", with("ek_public", "AAAA AAAA"), 400, "api.invalid_field"},
      {"ek empty", with("ek_public", ""), 400, "api.invalid_field"},
      {"ek a number", with("ek_public", 12), 400, "api.invalid_field"},
      {"ek null", with("ek_public", nullptr), 400, "api.invalid_field"},
      {"ek huge", with("ek_public", B64(Bytes(4096, 1))), 400, "api.invalid_field"},
      {"ek garbage", with("ek_public", B64(Bytes(64, 1))), 400, "tpm.public_malformed"},
      {"ek is a signing key", with("ek_public", B64(tpm.ak_public())), 400,
       "tpm.unsupported_algorithm"},
      {"ak missing", without("ak_public"), 400, "api.invalid_field"},
      {"ak an array", with("ak_public", json::array()), 400, "api.invalid_field"},
      {"ak garbage", with("ak_public", B64(Bytes(100, 0))), 400, "tpm.public_malformed"},
      {"ak not restricted", with("ak_public", B64(unrestricted.ak_public())), 400,
       "tpm.ak_attributes_invalid"},
      {"ak decrypts too", with("ak_public", B64(decrypting.ak_public())), 400,
       "tpm.ak_attributes_invalid"},
      {"ak may leave the tpm", with("ak_public", B64(exportable.ak_public())), 400,
       "tpm.ak_attributes_invalid"},
      {"ak is the ek", with("ak_public", B64(tpm.ek_public())), 400, "tpm.ak_attributes_invalid"},
      {"ak as pem", with("ak_public", B64(AsBytes(attest::testing::PemOf(foreign_cert.get())))),
       400, "tpm.public_malformed"},
      {"ek cert garbage", with("ek_cert", B64(Bytes(40, 0x30))), 400, "tpm.ek_cert_malformed"},
      {"ek cert missing", without("ek_cert"), 403, "tpm.ek_cert_required"},
      {"ek cert not base64", with("ek_cert", "%%"), 400, "api.invalid_field"},
      {"ek chain garbage", with("ek_chain", B64(Bytes(40, 0x30))), 400, "tpm.ek_cert_malformed"},
      {"ek chain huge", with("ek_chain", B64(Bytes(size_t{65} * 1024, 0x30))), 400,
       "api.invalid_field"},
      {"ek chain a number", with("ek_chain", 7), 400, "api.invalid_field"},
      {"ek cert of another key", with("ek_cert", B64(attest::testing::DerOf(foreign_cert.get()))),
       422, "tpm.ek_public_mismatch"},
      {"host policy chosen by the host", with("host_policy", "dev"), 400, "api.unknown_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Redeem(c.body);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  for (const auto& [body, type, code] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"{", "application/json", "api.malformed_json"},
           {"[1]", "application/json", "api.malformed_json"},
           {R"({"token":"a","token":"b"})", "application/json", "api.malformed_json"},
           {EnrollBody(tpm, token).dump(), "text/plain", "api.unsupported_media_type"}}) {
    SCOPED_TRACE(body);
    auto r = h_.Call("POST", "/v1/enroll", body, nullptr, type);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json["code"], code);
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts", "", &op_).json["hosts"], json::array());
  // Nothing above spent the token.
  EXPECT_FALSE(testing::RedeemAndActivate(h_, tpm, token).id.empty());
}

TEST_F(EnrollmentApiTest, ActivationNeedsTheProofOnlyTheTpmMakesPossible) {
  const FakeTpm tpm = FakeTpm::Create();
  auto r = Redeem(EnrollBody(tpm, Token()));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["host_id"];
  EXPECT_EQ(r.json["state"], "registered");
  const Bytes blob = *Base64Decode(r.json["credential_blob"].get<std::string>());
  const Bytes wrapped = *Base64Decode(r.json["encrypted_secret"].get<std::string>());
  // Another TPM (another EK) cannot open the blob.
  EXPECT_FALSE(FakeTpm::Create().ActivateCredential(blob, wrapped).ok());
  const Bytes secret = *tpm.ActivateCredential(blob, wrapped);
  const std::string key = *protocol::DeriveHostSecretKey(secret, id);
  const std::string proof = protocol::HostActivationProof(key, id);

  const struct {
    std::string name;
    json body;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"a guessed key",
       {{"host_id", id}, {"proof", protocol::HostActivationProof("guess", id)}},
       403,
       "api.activation_invalid"},
      {"the secret itself",
       {{"host_id", id}, {"proof", HexEncode(secret)}},
       403,
       "api.activation_invalid"},
      {"the key itself", {{"host_id", id}, {"proof", key}}, 403, "api.activation_invalid"},
      {"another host id",
       {{"host_id", "h-0000000000000000"}, {"proof", proof}},
       403,
       "api.activation_invalid"},
      {"a bad host id", {{"host_id", "../x"}, {"proof", proof}}, 403, "api.activation_invalid"},
      {"empty proof", {{"host_id", id}, {"proof", ""}}, 403, "api.activation_invalid"},
      {"proof a number", {{"host_id", id}, {"proof", 5}}, 400, "api.invalid_field"},
      {"extra field",
       {{"host_id", id}, {"proof", proof}, {"secret", "x"}},
       400,
       "api.unknown_field"},
      {"missing proof", {{"host_id", id}}, 400, "api.invalid_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    r = h_.CallJson("POST", "/v1/enroll/activate", c.body, nullptr);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + id, "", &op_).json["state"], "registered");
  r = h_.CallJson("POST", "/v1/enroll/activate", {{"host_id", id}, {"proof", proof}}, nullptr);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "activated");
  // The derived key is the credential: it signs the host's requests.
  const sigv4::Credentials creds{r.json["access_key_id"], key, ""};
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + id, "", &creds).status, 200);
  // Activation happens once.
  r = h_.CallJson("POST", "/v1/enroll/activate", {{"host_id", id}, {"proof", proof}}, nullptr);
  EXPECT_EQ(r.json["code"], "api.activation_invalid");
  // Nothing any answer or the audit log carries gives the secret or the key away.
  for (const std::string& path :
       {std::string("/v1/hosts"), "/v1/hosts/" + id, std::string("/v1/audit")}) {
    const std::string body = h_.Call("GET", path, "", &op_).body;
    for (const std::string& leak :
         {HexEncode(Sha256(secret)), HexEncode(secret), B64(secret), key}) {
      EXPECT_EQ(body.find(leak), std::string::npos) << path;
    }
  }
}

TEST_F(EnrollmentApiTest, ActivationAfterTheEnrollmentExpiredIsRefused) {
  const FakeTpm tpm = FakeTpm::Create();
  auto r = Redeem(EnrollBody(tpm, Token({{"host_policy", "dev"}, {"expires_in_seconds", 60}})));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["host_id"];
  const Bytes secret =
      *tpm.ActivateCredential(*Base64Decode(r.json["credential_blob"].get<std::string>()),
                              *Base64Decode(r.json["encrypted_secret"].get<std::string>()));
  const std::string key = *protocol::DeriveHostSecretKey(secret, id);
  h_.set_now(h_.now() + std::chrono::seconds(61));
  r = h_.CallJson("POST", "/v1/enroll/activate",
                  {{"host_id", id}, {"proof", protocol::HostActivationProof(key, id)}}, nullptr);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json["code"], "api.activation_invalid");
}

TEST_F(EnrollmentApiTest, AHostCredentialOpensOnlyItsOwnHostRoutes) {
  const FakeTpm a_tpm = FakeTpm::Create(), b_tpm = FakeTpm::Create();
  const EnrolledHost a = testing::EnrollHost(h_, a_tpm, {{"host_policy", "dev"}});
  const EnrolledHost b = testing::EnrollHost(h_, b_tpm, {{"host_policy", "dev"}});
  // Its own record and its own challenge.
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + a.id, "", &a.credentials).status, 200);
  EXPECT_EQ(h_.Call("POST", "/v1/hosts/" + a.id + "/challenge", "", &a.credentials).status, 201);
  // Another host answers as a missing one, on every host route.
  for (const auto& [method, suffix] : std::vector<std::pair<std::string, std::string>>{
           {"GET", ""}, {"POST", "/challenge"}, {"POST", "/quote"}}) {
    for (const std::string& target : {b.id, std::string("h-0000000000000000")}) {
      auto r = h_.Call(method, "/v1/hosts/" + target + suffix, method == "POST" ? "{}" : "",
                       &a.credentials);
      EXPECT_EQ(r.status, 404) << method << suffix << " " << r.body;
      EXPECT_EQ(r.json["code"], "store.not_found");
      EXPECT_EQ(r.json["message"], "host \"" + target + "\" not found");
    }
  }
  // Every operator and tenant route is refused: a compromised host can change nothing else.
  const std::vector<std::tuple<std::string, std::string, std::string>> refused = {
      {"GET", "/v1/hosts", ""},
      {"DELETE", "/v1/hosts/" + a.id, ""},
      {"DELETE", "/v1/hosts/" + b.id, ""},
      {"POST", "/v1/host-enrollments", R"({"host_policy":"dev"})"},
      {"PUT", "/v1/host-policies/dev", kDevPolicy},
      {"DELETE", "/v1/host-policies/dev", ""},
      {"POST", "/v1/tenants", R"({"name":"evil"})"},
      {"POST", "/v1/collateral", "{}"},
      {"GET", "/v1/audit", ""},
      {"POST", "/v1/credentials", ""},
      {"GET", "/v1/vms", ""},
      {"GET", "/v1/volumes", ""},
      {"PUT", "/v1/policies/p", "{}"},
  };
  for (const auto& [method, path, body] : refused) {
    auto r = h_.Call(method, path, body, &a.credentials);
    EXPECT_EQ(r.status, 403) << method << " " << path << " " << r.body;
    EXPECT_EQ(r.json["code"], "AccessDenied") << method << " " << path;
  }
  // The host routes need a host's own credential: the operator and tenants cannot quote.
  const sigv4::Credentials tenant = h_.CreateTenant("acme");
  for (const sigv4::Credentials* who : std::vector<const sigv4::Credentials*>{&op_, &tenant}) {
    EXPECT_EQ(h_.Call("POST", "/v1/hosts/" + a.id + "/challenge", "", who).status, 403);
    EXPECT_EQ(h_.Call("POST", "/v1/hosts/" + a.id + "/quote", "{}", who).status, 403);
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + a.id, "", &tenant).status, 403);
}

TEST_F(EnrollmentApiTest, AnotherOperatorsHostLooksMissing) {
  const FakeTpm tpm = FakeTpm::Create();
  const EnrolledHost host = testing::EnrollHost(h_, tpm, {{"host_policy", "dev"}});
  sigv4::Credentials other;
  {
    auto db = h_.pool().Acquire();
    ASSERT_TRUE(db.ok());
    auto t = (*db)->CreateTenant("second-operator", store::Role::kOperator, h_.now());
    ASSERT_TRUE(t.ok());
    auto cred = (*db)->CreateCredential(t->id, h_.now());
    ASSERT_TRUE(cred.ok());
    other = {cred->access_key_id, cred->secret_access_key, ""};
  }
  for (const char* method : {"GET", "DELETE"}) {
    auto r = h_.Call(method, "/v1/hosts/" + host.id, "", &other);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.json["message"], "host \"" + host.id + "\" not found");
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts", "", &other).json["hosts"], json::array());
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + host.id, "", &op_).json["state"], "activated");
}

TEST_F(EnrollmentApiTest, DeletingAHostRevokesItsCredentialAtOnceAndKeepsTheRecord) {
  const FakeTpm tpm = FakeTpm::Create();
  const EnrolledHost host = testing::EnrollHost(h_, tpm, {{"host_policy", "dev"}});
  ASSERT_EQ(h_.Call("POST", "/v1/hosts/" + host.id + "/challenge", "", &host.credentials).status,
            201);
  auto r = h_.Call("DELETE", "/v1/hosts/" + host.id, "", &op_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "revoked");
  EXPECT_EQ(r.json["trusted"], false);
  EXPECT_EQ(r.json["revoked_at"], FormatRfc3339(h_.now()));
  // The very next request with the host's credential is refused.
  r = h_.Call("POST", "/v1/hosts/" + host.id + "/challenge", "", &host.credentials);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json["code"], "InvalidAccessKeyId");
  // The record stays for the audit trail, and a second delete finds nothing to revoke.
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + host.id, "", &op_).json["state"], "revoked");
  EXPECT_EQ(h_.Call("DELETE", "/v1/hosts/" + host.id, "", &op_).status, 404);
  const std::string audit = h_.Call("GET", "/v1/audit", "", &op_).body;
  EXPECT_NE(audit.find("host.delete"), std::string::npos);
  // The same EK comes back only through a new enrollment.
  const EnrolledHost again = testing::EnrollHost(h_, tpm, {{"host_policy", "dev"}});
  EXPECT_NE(again.id, host.id);
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + again.id, "", &again.credentials).status, 200);
}

TEST_F(EnrollmentApiTest, AnEkAlreadyEnrolledNeedsItsHostDeletedFirst) {
  const FakeTpm tpm = FakeTpm::Create();
  testing::EnrollHost(h_, tpm, {{"host_policy", "dev"}});
  auto r = Redeem(EnrollBody(tpm, Token()));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json["code"], "store.already_exists");
}

TEST_F(EnrollmentApiTest, EkCertificatesAreRequiredAndMustChain) {
  const FakeTpm tpm = FakeTpm::Create();
  attest::testing::CertSpec ca_spec{"test tpm vendor ek ca", h_.now() - std::chrono::hours(1),
                                    h_.now() + std::chrono::hours(24), true};
  auto rogue_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
  auto rogue =
      attest::testing::IssueCertificate(ca_spec, rogue_key.get(), nullptr, rogue_key.get());
  attest::testing::CertSpec ek_spec{"ek", h_.now() - std::chrono::hours(1),
                                    h_.now() + std::chrono::hours(24), false, 2};
  auto rogue_ek =
      attest::testing::IssueCertificate(ek_spec, tpm.ek_key(), rogue.get(), rogue_key.get());
  // An issuing CA below the trusted one, as a TPM keeps it in its EK chain NV indices.
  auto issuing_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP384);
  attest::testing::CertSpec issuing_spec{"test tpm vendor issuing ca",
                                         h_.now() - std::chrono::hours(1),
                                         h_.now() + std::chrono::hours(24), true, 3};
  auto issuing = attest::testing::IssueCertificate(issuing_spec, issuing_key.get(), h_.ek_ca(),
                                                   h_.ek_ca_key());
  auto chained_ek =
      attest::testing::IssueCertificate(ek_spec, tpm.ek_key(), issuing.get(), issuing_key.get());

  json body = EnrollBody(tpm, Token());
  body.erase("ek_cert");
  auto r = Redeem(body);
  EXPECT_EQ(r.status, 403) << r.body;  // required by default
  EXPECT_EQ(r.json["code"], "tpm.ek_cert_required");
  body["ek_cert"] = B64(attest::testing::DerOf(rogue_ek.get()));
  r = Redeem(body);
  EXPECT_EQ(r.status, 422) << r.body;  // a root the service does not trust
  EXPECT_EQ(r.json["code"], "tpm.ek_chain_untrusted");
  body["ek_cert"] = B64(attest::testing::DerOf(chained_ek.get()));
  r = Redeem(body);
  EXPECT_EQ(r.json["code"], "tpm.ek_chain_untrusted") << r.body;  // the intermediate is missing
  body["ek_chain"] = B64(AsBytes(attest::testing::PemOf(issuing.get())));
  r = Redeem(body);
  ASSERT_EQ(r.status, 201) << r.body;  // with the TPM's NV chain it verifies
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + r.json["host_id"].get<std::string>(), "", &op_)
                .json["ek_certificate"],
            true);
}

TEST_F(EnrollmentApiTest, HostsWithoutEkCertificatesOnlyWhenTheOperatorAllows) {
  const FakeTpm tpm = FakeTpm::Create();
  json body = EnrollBody(tpm, Token());
  body.erase("ek_cert");
  EXPECT_EQ(Redeem(body).json["code"], "tpm.ek_cert_required");
  h_.set_allow_hosts_without_ek_cert(true);
  auto r = Redeem(body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + r.json["host_id"].get<std::string>(), "", &op_)
                .json["ek_certificate"],
            false);
  // A certificate that is sent is still verified.
  const FakeTpm other = FakeTpm::Create();
  json bad = EnrollBody(other, Token());
  bad["ek_cert"] = B64(h_.IssueEkCertificate(tpm.ek_key()));
  EXPECT_EQ(Redeem(bad).json["code"], "tpm.ek_public_mismatch");
}

TEST_F(EnrollmentApiTest, EccEksEnrollAndActivate) {
  for (auto kind : {attest::testing::FakeEk::kEccP256, attest::testing::FakeEk::kEccP384}) {
    const FakeTpm tpm = FakeTpm::Create(attest::testing::kFakeAkAttributes, kind);
    const EnrolledHost host = testing::EnrollHost(h_, tpm, {{"host_policy", "dev"}});
    ASSERT_FALSE(host.id.empty());
    EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + host.id, "", &host.credentials).status, 200);
  }
}

}  // namespace
}  // namespace attest::service::api
