// Host attestation through the API: registration, activation, challenges and quotes, over a real
// SQLite store with SigV4-signed requests. Quotes come from FakeTpm (software EK + AK), so each
// one carries the nonce the service issued; the event log is a real-size firmware log measured by
// a swtpm (attest/tpm/testdata/swtpm/bench-100).
// Longer than 500 lines on purpose: one fixture drives the whole host lifecycle (register,
// activate, challenge, quote, re-quote) and each step's refusals, which read best in order.
#include <gtest/gtest.h>

#include <fstream>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/pcr_json.h"
#include "service/api/testing/api_harness.h"
#include "service/hosts/ek_trust.h"
#include "tests/testing/fake_tpm.h"
#include "tests/testing/test_pki.h"

namespace attest::service::api {
namespace {

using attest::testing::FakeTpm;
using nlohmann::json;
using testing::ApiHarness;

constexpr char kDevPolicy[] =
    R"({"name": "dev", "any_firmware": true, "any_boot_application": true})";
constexpr char kSecureBootPolicy[] = R"({"name": "sb", "any_firmware": true,
    "any_boot_application": true, "require_secure_boot": true})";

Bytes EventLog() {
  auto bytes = ReadFileBytes("attest/tpm/testdata/swtpm/bench-100/eventlog.bin");
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes{};
}

// QuotedPcrs is what a TPM that measured log reports: the replayed SHA-256 bank.
tpm::PcrBanks QuotedPcrs(ByteSpan log) {
  auto parsed = tpm::ParseEventLog(log);
  EXPECT_TRUE(parsed.ok());
  auto replay = tpm::ReplayEventLog(*parsed);
  EXPECT_TRUE(replay.ok());
  tpm::PcrBanks quoted;
  quoted[tpm::kAlgSha256] = (*replay)[tpm::kAlgSha256];
  return quoted;
}

std::string B64(ByteSpan b) { return Base64Encode(b); }

// Fixture: an API with the two host policies, trusting one test TPM vendor's EK CA (and
// requiring EK certificates, the default), and software TPMs.
class HostApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ek_ca_key_ = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
    ek_ca_ = attest::testing::IssueCertificate(
        {"test tpm vendor ek ca", h_.now() - std::chrono::hours(1),
         h_.now() + std::chrono::days(365), true},
        ek_ca_key_.get(), nullptr, ek_ca_key_.get());
    SetEkTrust(/*allow_hosts_without_ek_cert=*/false);
    op_ = h_.operator_credentials();
    ASSERT_EQ(h_.Call("PUT", "/v1/host-policies/dev", kDevPolicy, &op_).status, 201);
    ASSERT_EQ(h_.Call("PUT", "/v1/host-policies/sb", kSecureBootPolicy, &op_).status, 201);
    log_ = EventLog();
  }

  // SetEkTrust replaces the service's EK trust: the vendor bundle, the test vendor's CA.
  void SetEkTrust(bool allow_hosts_without_ek_cert) {
    const std::string pem = attest::testing::PemOf(ek_ca_.get());
    auto trust = hosts::EkTrust::Make(AsBytes(pem), allow_hosts_without_ek_cert);
    ASSERT_TRUE(trust.ok()) << trust.status().ToString();
    h_.api().service().ek_trust = *trust;
  }

  // EkCert is the test vendor's EK certificate for tpm's EK (DER).
  Bytes EkCert(const FakeTpm& tpm, long serial = 2) {
    attest::testing::CertSpec spec{"ek", h_.now() - std::chrono::hours(1),
                                   h_.now() + std::chrono::days(30), false, serial};
    return attest::testing::DerOf(
        attest::testing::IssueCertificate(spec, tpm.ek_key(), ek_ca_.get(), ek_ca_key_.get())
            .get());
  }

  json RegisterBody(const FakeTpm& tpm, const std::string& policy = "dev") {
    return {{"ek_public", B64(tpm.ek_public())},
            {"ek_cert", B64(EkCert(tpm))},
            {"ak_public", B64(tpm.ak_public())},
            {"host_policy", policy}};
  }

  // Enroll registers and activates tpm; returns the host id.
  std::string Enroll(const FakeTpm& tpm, const std::string& policy = "dev") {
    auto r = h_.CallJson("POST", "/v1/hosts", RegisterBody(tpm, policy), &op_);
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = r.json.value("host_id", "");
    auto secret =
        tpm.ActivateCredential(*Base64Decode(r.json["credential_blob"].get<std::string>()),
                               *Base64Decode(r.json["encrypted_secret"].get<std::string>()));
    EXPECT_TRUE(secret.ok()) << secret.status().ToString();
    r = h_.CallJson("POST", "/v1/hosts/" + id + "/activate", {{"secret", B64(*secret)}}, &op_);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["state"], "activated");
    return id;
  }

  std::string Challenge(const std::string& id) {
    auto r = h_.Call("POST", "/v1/hosts/" + id + "/challenge", "", &op_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("nonce", "");
  }

  // QuoteBody is what the agent sends for nonce_hex with log (PCRs as the JSON object form).
  json QuoteBody(const FakeTpm& tpm, const std::string& nonce_hex, ByteSpan log) {
    const tpm::PcrBanks pcrs = QuotedPcrs(log_);
    const Bytes nonce = *HexDecode(nonce_hex);
    FakeTpm::SignedQuote q = tpm.Quote(nonce, pcrs);
    return {{"nonce", nonce_hex},
            {"quote", B64(q.attest)},
            {"signature", B64(q.signature)},
            {"pcrs", {{"banks", tpm::PcrBanksToJson(pcrs)}}},
            {"eventlog", B64(log)}};
  }

  ApiHarness::Reply Quote(const std::string& id, const json& body) {
    return h_.CallJson("POST", "/v1/hosts/" + id + "/quote", body, &op_);
  }

  ApiHarness h_;
  sigv4::Credentials op_;
  Bytes log_;
  EvpPkeyPtr ek_ca_key_;
  X509Ptr ek_ca_;
};

TEST_F(HostApiTest, EnrolledHostQuotesAndBecomesTrusted) {
  const FakeTpm tpm = FakeTpm::Create();
  const std::string id = Enroll(tpm);
  const json body = QuoteBody(tpm, Challenge(id), log_);
  auto r = Quote(id, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], true);
  EXPECT_EQ(r.json["verified"], true);
  EXPECT_EQ(r.json["policy"], "dev@1");
  EXPECT_EQ(r.json["reasons"], json::array());
  EXPECT_EQ(r.json["trusted_until"], FormatRfc3339(h_.now() + std::chrono::seconds(600)));
  EXPECT_EQ(r.json["claims"]["quote"]["nonce_checked"], true) << r.body;

  r = h_.Call("GET", "/v1/hosts/" + id, "", &op_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["state"], "trusted");
  EXPECT_EQ(r.json["trusted"], true);
  EXPECT_EQ(r.json["host_policy"], "dev");
  EXPECT_EQ(r.json["last_good_quote"], FormatRfc3339(h_.now()));
  EXPECT_EQ(r.json["tees"], json::array());
  EXPECT_EQ(r.json["libvirt_uri"], "");
  EXPECT_EQ(r.json["last_quote_result"]["policy"], "dev@1");
  EXPECT_FALSE(r.json["last_quote_result"].contains("claims"));
  // Past trusted_until the host no longer counts as trusted, without another write.
  h_.set_now(h_.now() + std::chrono::seconds(601));
  r = h_.Call("GET", "/v1/hosts", "", &op_);
  ASSERT_EQ(r.json["hosts"].size(), 1u);
  EXPECT_EQ(r.json["hosts"][0]["trusted"], false);
  h_.set_now(h_.now() - std::chrono::seconds(601));

  // The decision is audited with the evidence digest (SHA-256 of the submitted body) and the
  // policy version; the metrics count it.
  r = h_.Call("GET", "/v1/audit", "", &op_);
  const json& last = r.json["entries"].back();
  EXPECT_EQ(last["action"], "host.quote");
  EXPECT_EQ(last["outcome"], "accepted");
  EXPECT_EQ(last["policy_version"], "dev@1");
  EXPECT_EQ(last["evidence_digest"], "sha256:" + HexEncode(Sha256(AsBytes(body.dump()))));
  const std::string metrics = h_.Call("GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(attestd_decisions_total{kind="host",outcome="accepted"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(attestd_verification_duration_seconds_count{evidence="tpm"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find("attestd_trusted_hosts 1"), std::string::npos);
}

TEST_F(HostApiTest, RegistrationKeepsTheTeesAndLibvirtUri) {
  const FakeTpm tpm = FakeTpm::Create();
  json body = RegisterBody(tpm);
  body["tees"] = json::array({"snp", "sev-es"});
  body["libvirt_uri"] = "qemu+tls://host-1.example/system";
  auto r = h_.CallJson("POST", "/v1/hosts", body, &op_);
  ASSERT_EQ(r.status, 201) << r.body;
  r = h_.Call("GET", "/v1/hosts/" + r.json["host_id"].get<std::string>(), "", &op_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["tees"], json::array({"snp", "sev-es"}));
  EXPECT_EQ(r.json["libvirt_uri"], "qemu+tls://host-1.example/system");
  EXPECT_TRUE(r.json["last_good_quote"].is_null());
}

TEST_F(HostApiTest, ResponsesNeverCarryTheActivationSecretOrItsDigest) {
  const FakeTpm tpm = FakeTpm::Create();
  auto r = h_.CallJson("POST", "/v1/hosts", RegisterBody(tpm), &op_);
  ASSERT_EQ(r.status, 201);
  const std::string id = r.json["host_id"];
  const Bytes secret =
      *tpm.ActivateCredential(*Base64Decode(r.json["credential_blob"].get<std::string>()),
                              *Base64Decode(r.json["encrypted_secret"].get<std::string>()));
  EXPECT_EQ(secret.size(), 32u);
  for (const std::string& path :
       {std::string("/v1/hosts"), "/v1/hosts/" + id, std::string("/v1/audit")}) {
    const std::string body = h_.Call("GET", path, "", &op_).body;
    EXPECT_EQ(body.find(HexEncode(Sha256(secret))), std::string::npos) << path;
    EXPECT_EQ(body.find(HexEncode(secret)), std::string::npos) << path;
    EXPECT_EQ(body.find(B64(secret)), std::string::npos) << path;
  }
}

TEST_F(HostApiTest, PolicyDenialIsA200DecisionAndMarksTheHostUntrusted) {
  const FakeTpm tpm = FakeTpm::Create();
  const std::string id = Enroll(tpm, "sb");
  auto r = Quote(id, QuoteBody(tpm, Challenge(id), log_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], false);
  EXPECT_EQ(r.json["verified"], true);
  EXPECT_EQ(r.json["policy"], "sb@1");
  ASSERT_FALSE(r.json["reasons"].empty());
  EXPECT_EQ(r.json["reasons"][0]["code"], "host.secure_boot_off");
  r = h_.Call("GET", "/v1/hosts/" + id, "", &op_);
  EXPECT_EQ(r.json["state"], "untrusted");
  EXPECT_TRUE(r.json["trusted_until"].is_null());
  EXPECT_NE(h_.Call("GET", "/metrics")
                .body.find(R"(attestd_decisions_total{kind="host",outcome="rejected"} 1)"),
            std::string::npos);
}

TEST_F(HostApiTest, EvidenceThatDoesNotVerifyIs422AndDemotesATrustedHost) {
  const FakeTpm tpm = FakeTpm::Create();
  const std::string id = Enroll(tpm);
  ASSERT_EQ(Quote(id, QuoteBody(tpm, Challenge(id), log_)).json["trusted"], true);

  struct Case {
    std::string name, want_code;
    std::function<void(json&)> mutate;
  };
  const Case cases[] = {
      {"an extra PCR 7 extend the log does not show", "eventlog.pcr_mismatch",
       [&](json& b) {
         tpm::PcrBanks pcrs = QuotedPcrs(log_);
         Bytes& pcr7 = pcrs[tpm::kAlgSha256][7];
         Bytes extended = pcr7;
         const Sha256Digest event = Sha256(AsBytes(std::string("rootkit")));
         extended.insert(extended.end(), event.begin(), event.end());
         const Sha256Digest value = Sha256(extended);
         pcr7.assign(value.begin(), value.end());
         FakeTpm::SignedQuote q = tpm.Quote(*HexDecode(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"signature from another AK", "tpm.signature_invalid",
       [&](json& b) {
         const FakeTpm other = FakeTpm::Create();
         FakeTpm::SignedQuote q =
             other.Quote(*HexDecode(b["nonce"].get<std::string>()), QuotedPcrs(log_));
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
       }},
      {"PCR 4 (the boot applications) left out of the quote", "tpm.pcr_not_quoted",
       [&](json& b) {
         tpm::PcrBanks pcrs = QuotedPcrs(log_);
         pcrs[tpm::kAlgSha256].erase(4);
         FakeTpm::SignedQuote q = tpm.Quote(*HexDecode(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"PCR 14 (extended by the log) left out", "tpm.pcr_not_quoted",
       [&](json& b) {
         tpm::PcrBanks pcrs = QuotedPcrs(log_);
         pcrs[tpm::kAlgSha256].erase(14);
         FakeTpm::SignedQuote q = tpm.Quote(*HexDecode(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"only a bank the log does not have", "eventlog.bank_missing",
       [&](json& b) {
         tpm::PcrBanks pcrs;
         pcrs[tpm::kAlgSha384][0] = Bytes(48, 0);
         FakeTpm::SignedQuote q = tpm.Quote(*HexDecode(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"garbage quote", "tpm.attest_malformed", [](json& b) { b["quote"] = "AAAA"; }},
      {"malformed pcrs", "tpm.pcrs_malformed",
       [](json& b) { b["pcrs"] = B64(AsBytes(std::string("not pcrs"))); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json body = QuoteBody(tpm, Challenge(id), log_);
    c.mutate(body);
    auto r = Quote(id, body);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
    EXPECT_EQ(r.json["trusted"], false);
    EXPECT_EQ(r.json["verified"], false);
    EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + id, "", &op_).json["state"], "untrusted");
    // The host recovers with good evidence.
    ASSERT_EQ(Quote(id, QuoteBody(tpm, Challenge(id), log_)).json["trusted"], true);
  }
}

TEST_F(HostApiTest, NoncesAreSingleUseAndBoundToTheirHost) {
  const FakeTpm a = FakeTpm::Create(), b = FakeTpm::Create();
  const std::string host_a = Enroll(a), host_b = Enroll(b);
  const json body = QuoteBody(a, Challenge(host_a), log_);
  ASSERT_EQ(Quote(host_a, body).status, 200);
  auto r = Quote(host_a, body);  // replay
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json["code"], "store.nonce_rejected");

  // B's nonce, quoted by A, submitted for A: refused before any verification.
  r = Quote(host_a, QuoteBody(a, Challenge(host_b), log_));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json["code"], "store.nonce_rejected");
  // A nonce nobody issued; an expired one.
  r = Quote(host_a, QuoteBody(a, std::string(64, '0'), log_));
  EXPECT_EQ(r.json["code"], "store.nonce_rejected");
  const std::string nonce = Challenge(host_a);
  h_.set_now(h_.now() + std::chrono::seconds(301));
  r = Quote(host_a, QuoteBody(a, nonce, log_));
  EXPECT_EQ(r.json["code"], "store.nonce_rejected");
  h_.set_now(h_.now() - std::chrono::seconds(301));
  // Refused nonces change nothing: A is still trusted from its first quote.
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + host_a, "", &op_).json["state"], "trusted");
}

TEST_F(HostApiTest, ChallengeAndQuoteNeedActivationAndTheRightSecret) {
  const FakeTpm tpm = FakeTpm::Create();
  auto r = h_.CallJson("POST", "/v1/hosts", RegisterBody(tpm), &op_);
  ASSERT_EQ(r.status, 201);
  const std::string id = r.json["host_id"];
  EXPECT_EQ(r.json["state"], "registered");

  r = h_.Call("POST", "/v1/hosts/" + id + "/challenge", "", &op_);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json["code"], "api.host_not_activated");
  r = Quote(id, QuoteBody(tpm, std::string(64, 'a'), log_));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json["code"], "api.host_not_activated");

  const struct {
    std::string name;
    json body;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"wrong secret", {{"secret", B64(Bytes(32, 7))}}, 422, "tpm.credential_invalid"},
      {"short secret", {{"secret", B64(Bytes(1, 7))}}, 422, "tpm.credential_invalid"},
      {"not base64", {{"secret", "!!"}}, 400, "api.invalid_field"},
      {"too long", {{"secret", B64(Bytes(65, 7))}}, 400, "api.invalid_field"},
      {"number", {{"secret", 5}}, 400, "api.invalid_field"},
      {"extra field", {{"secret", B64(Bytes(32, 7))}, {"x", 1}}, 400, "api.unknown_field"},
      {"missing", json::object(), 400, "api.invalid_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    r = h_.CallJson("POST", "/v1/hosts/" + id + "/activate", c.body, &op_);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + id, "", &op_).json["state"], "registered");
  // A secret recovered by another TPM (another EK) cannot be produced: its blob does not open.
  const FakeTpm other = FakeTpm::Create();
  r = h_.CallJson("POST", "/v1/hosts", RegisterBody(tpm), &op_);
  EXPECT_FALSE(other
                   .ActivateCredential(*Base64Decode(r.json["credential_blob"].get<std::string>()),
                                       *Base64Decode(r.json["encrypted_secret"].get<std::string>()))
                   .ok());
}

TEST_F(HostApiTest, AnotherOperatorsHostLooksMissing) {
  const FakeTpm tpm = FakeTpm::Create();
  const std::string id = Enroll(tpm);
  const std::string nonce = Challenge(id);
  // A second operator tenant, made in the store as `attestd init` makes the first.
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
  const json quote = QuoteBody(tpm, nonce, log_);
  for (const std::string& target : {id, std::string("h-0000000000000000")}) {
    SCOPED_TRACE(target);
    std::vector<ApiHarness::Reply> replies = {
        h_.Call("GET", "/v1/hosts/" + target, "", &other),
        h_.CallJson("POST", "/v1/hosts/" + target + "/activate", {{"secret", B64(Bytes(32))}},
                    &other),
        h_.Call("POST", "/v1/hosts/" + target + "/challenge", "", &other),
        h_.CallJson("POST", "/v1/hosts/" + target + "/quote", quote, &other)};
    for (const auto& r : replies) {
      EXPECT_EQ(r.status, 404) << r.body;
      EXPECT_EQ(r.json["code"], "store.not_found");
      EXPECT_EQ(r.json["message"], "host \"" + target + "\" not found") << r.body;
    }
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts", "", &other).json["hosts"], json::array());
  // The owner's nonce survived the other operator's attempt.
  EXPECT_EQ(Quote(id, quote).status, 200);
  // Tenants (non-operators) are refused outright.
  const sigv4::Credentials tenant = h_.CreateTenant("acme");
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + id, "", &tenant).status, 403);
  EXPECT_EQ(h_.Call("POST", "/v1/hosts/" + id + "/challenge", "", &tenant).status, 403);
}

TEST_F(HostApiTest, HostileRegistrationsAreRefusedWithoutWriting) {
  const FakeTpm tpm = FakeTpm::Create();
  const FakeTpm unrestricted = FakeTpm::Create(attest::testing::kFakeAkAttributes & ~0x00010000u);
  const FakeTpm decrypting = FakeTpm::Create(attest::testing::kFakeAkAttributes | 0x00020000u);
  const FakeTpm exportable = FakeTpm::Create(attest::testing::kFakeAkAttributes & ~0x00000002u);
  auto with = [&](const std::string& key, json value) {
    json b = RegisterBody(tpm);
    b[key] = std::move(value);
    return b;
  };
  auto without = [&](const std::string& key) {
    json b = RegisterBody(tpm);
    b.erase(key);
    return b;
  };
  // A certificate for another key than the EK.
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
      {"ek chain huge", with("ek_chain", B64(Bytes(65 * 1024, 0x30))), 400, "api.invalid_field"},
      {"ek chain a number", with("ek_chain", 7), 400, "api.invalid_field"},
      {"ek cert of another key", with("ek_cert", B64(attest::testing::DerOf(foreign_cert.get()))),
       422, "tpm.ek_public_mismatch"},
      {"policy missing", with("host_policy", "nope"), 400, "api.invalid_field"},
      {"policy bad name", with("host_policy", "../dev"), 400, "api.invalid_field"},
      {"policy a number", with("host_policy", 1), 400, "api.invalid_field"},
      {"tees not a list", with("tees", "snp"), 400, "api.invalid_field"},
      {"tees unknown", with("tees", json::array({"sgx"})), 400, "api.invalid_field"},
      {"tees repeated", with("tees", json::array({"snp", "snp"})), 400, "api.invalid_field"},
      {"tees a number", with("tees", json::array({1})), 400, "api.invalid_field"},
      {"tees too many", with("tees", json::array({"snp", "tdx", "sev", "sev-es", "snp"})), 400,
       "api.invalid_field"},
      {"uri without scheme", with("libvirt_uri", "/var/run/libvirt"), 400, "api.invalid_field"},
      {"uri with a space", with("libvirt_uri", "qemu:///sys tem"), 400, "api.invalid_field"},
      {"uri scheme upper case", with("libvirt_uri", "QEMU:///system"), 400, "api.invalid_field"},
      {"uri too long", with("libvirt_uri", "qemu:///" + std::string(250, 'a')), 400,
       "api.invalid_field"},
      {"uri a number", with("libvirt_uri", 5), 400, "api.invalid_field"},
      {"unknown field", with("ek_pub", "AAAA"), 400, "api.unknown_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h_.CallJson("POST", "/v1/hosts", c.body, &op_);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  for (const auto& [body, type, code] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"{", "application/json", "api.malformed_json"},
           {"[1]", "application/json", "api.malformed_json"},
           {R"({"host_policy":"dev","host_policy":"dev"})", "application/json",
            "api.malformed_json"},
           {RegisterBody(tpm).dump(), "text/plain", "api.unsupported_media_type"}}) {
    SCOPED_TRACE(body);
    auto r = h_.Call("POST", "/v1/hosts", body, &op_, type);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json["code"], code);
  }
  EXPECT_EQ(h_.Call("GET", "/v1/hosts", "", &op_).json["hosts"], json::array());
}

TEST_F(HostApiTest, EkCertificatesAreRequiredAndMustChain) {
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
  auto issuing = attest::testing::IssueCertificate(issuing_spec, issuing_key.get(), ek_ca_.get(),
                                                   ek_ca_key_.get());
  auto chained_ek =
      attest::testing::IssueCertificate(ek_spec, tpm.ek_key(), issuing.get(), issuing_key.get());

  json body = RegisterBody(tpm);
  struct Case {
    std::string name;
    json ek_cert, ek_chain;
    int want_status;
    std::string want_code;
  };
  const Case cases[] = {
      {"no certificate", nullptr, nullptr, 403, "tpm.ek_cert_required"},
      {"a chain but no certificate", nullptr, B64(attest::testing::DerOf(issuing.get())), 400,
       "tpm.ek_cert_malformed"},
      {"wrong root", B64(attest::testing::DerOf(rogue_ek.get())), nullptr, 422,
       "tpm.ek_chain_untrusted"},
      {"nv intermediate missing", B64(attest::testing::DerOf(chained_ek.get())), nullptr, 422,
       "tpm.ek_chain_untrusted"},
      {"another tpm's certificate", B64(EkCert(FakeTpm::Create())), nullptr, 422,
       "tpm.ek_public_mismatch"},
      {"through the nv intermediate", B64(attest::testing::DerOf(chained_ek.get())),
       B64(AsBytes(attest::testing::PemOf(issuing.get()))), 201, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json b = body;
    b.erase("ek_cert");
    if (!c.ek_cert.is_null()) {
      b["ek_cert"] = c.ek_cert;
    }
    if (!c.ek_chain.is_null()) {
      b["ek_chain"] = c.ek_chain;
    }
    auto r = h_.CallJson("POST", "/v1/hosts", b, &op_);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    if (!c.want_code.empty()) {
      EXPECT_EQ(r.json["code"], c.want_code);
    }
  }
  // Only the last case registered a host, with its certificate recorded.
  auto hosts = h_.Call("GET", "/v1/hosts", "", &op_).json["hosts"];
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(hosts[0]["ek_certificate"], true);
}

TEST_F(HostApiTest, HostsWithoutEkCertificatesOnlyWhenTheOperatorAllowsThem) {
  EXPECT_NE(h_.metrics().Render().find("attestd_hosts_without_ek_cert_allowed 0"),
            std::string::npos);
  const FakeTpm tpm = FakeTpm::Create();
  json body = RegisterBody(tpm);
  body.erase("ek_cert");
  EXPECT_EQ(h_.CallJson("POST", "/v1/hosts", body, &op_).status, 403);
  SetEkTrust(/*allow_hosts_without_ek_cert=*/true);
  auto r = h_.CallJson("POST", "/v1/hosts", body, &op_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(h_.Call("GET", "/v1/hosts/" + r.json["host_id"].get<std::string>(), "", &op_)
                .json["ek_certificate"],
            false);
  // The switch covers a missing certificate only: one that is sent must still verify.
  body["ek_cert"] = B64(EkCert(FakeTpm::Create()));
  EXPECT_EQ(h_.CallJson("POST", "/v1/hosts", body, &op_).json["code"], "tpm.ek_public_mismatch");

  // attestd's configuration sets it through the Api, which shows it in /metrics.
  metrics::Registry registry;
  DefineApiMetrics(registry);
  ServiceContext service;
  service.metrics = &registry;
  service.config.allow_hosts_without_ek_cert = true;
  Api api(std::move(service));
  ASSERT_NE(api.service().ek_trust, nullptr);
  EXPECT_TRUE(api.service().ek_trust->allow_hosts_without_ek_cert());
  EXPECT_NE(registry.Render().find("attestd_hosts_without_ek_cert_allowed 1"), std::string::npos);
}

TEST_F(HostApiTest, EccEksRegisterAndActivate) {
  for (auto kind : {attest::testing::FakeEk::kEccP256, attest::testing::FakeEk::kEccP384}) {
    const FakeTpm tpm = FakeTpm::Create(attest::testing::kFakeAkAttributes, kind);
    const std::string id = Enroll(tpm);
    EXPECT_FALSE(id.empty());
  }
}

TEST_F(HostApiTest, HostileQuoteBodiesAreRefusedWithoutSpendingTheNonce) {
  const FakeTpm tpm = FakeTpm::Create();
  const std::string id = Enroll(tpm);
  const std::string nonce = Challenge(id);
  const json good = QuoteBody(tpm, nonce, log_);
  auto with = [&](const std::string& key, json value) {
    json b = good;
    b[key] = std::move(value);
    return b;
  };
  json no_quote = good;
  no_quote.erase("quote");
  const struct {
    std::string name;
    json body;
    std::string want_code;
  } cases[] = {
      {"nonce not hex", with("nonce", std::string(64, 'z')), "api.invalid_field"},
      {"nonce short", with("nonce", "00"), "api.invalid_field"},
      {"nonce a number", with("nonce", 7), "api.invalid_field"},
      {"quote missing", no_quote, "api.invalid_field"},
      {"quote not base64", with("quote", "@@@@"), "api.invalid_field"},
      {"quote huge", with("quote", B64(Bytes(5000, 0))), "api.invalid_field"},
      {"signature an object", with("signature", json::object()), "api.invalid_field"},
      {"pcrs a number", with("pcrs", 3), "api.invalid_field"},
      {"pcrs an array", with("pcrs", json::array()), "api.invalid_field"},
      {"pcrs bad base64", with("pcrs", "***"), "api.invalid_field"},
      {"eventlog huge", with("eventlog", B64(Bytes(2 * 1024 * 1024 + 1, 0))), "api.invalid_field"},
      {"drtm_log bool", with("drtm_log", true), "api.invalid_field"},
      {"unknown field", with("pcr", json::object()), "api.unknown_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Quote(id, c.body);
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    EXPECT_EQ(r.json["code"], c.want_code) << r.body.substr(0, 300);
  }
  auto r = Quote(id, good);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], true);
}

TEST_F(HostApiTest, QuoteWithoutPcrsOrLogIsProvedByTheReplay) {
  // Without "pcrs" the quoted values are taken from the log replay, so the pcrDigest alone proves
  // the log; a quote over other values then fails on the digest.
  const FakeTpm tpm = FakeTpm::Create();
  const std::string id = Enroll(tpm);
  json body = QuoteBody(tpm, Challenge(id), log_);
  body.erase("pcrs");
  auto r = Quote(id, body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], true);
  // Neither PCRs nor a log: nothing backs the quoted digest.
  body = QuoteBody(tpm, Challenge(id), log_);
  body.erase("pcrs");
  body.erase("eventlog");
  r = Quote(id, body);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json["code"], "tpm.pcr_missing") << r.body;
  // PCRs without a log: the dev policy reads nothing from the log and accepts; the secure-boot
  // policy cannot see Secure Boot without one.
  body = QuoteBody(tpm, Challenge(id), log_);
  body.erase("eventlog");
  EXPECT_EQ(Quote(id, body).json["trusted"], true);
  const std::string sb = Enroll(tpm, "sb");
  body = QuoteBody(tpm, Challenge(sb), log_);
  body.erase("eventlog");
  r = Quote(sb, body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], false);
  EXPECT_EQ(r.json["reasons"][0]["code"], "host.no_event_log") << r.body;
}

}  // namespace
}  // namespace attest::service::api
