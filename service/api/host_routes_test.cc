// Host attestation through the API: challenges and quotes sent by enrolled hosts with their own
// credentials, over a real SQLite store with SigV4-signed requests. Quotes come from FakeTpm
// (software EK + AK), so each one carries the nonce the service issued; the event log is a
// real-size firmware log measured by a swtpm (attest/tpm/testdata/swtpm/bench-100). Enrollment,
// roles and deletion: enrollment_routes_test.cc.
#include <gtest/gtest.h>

#include <map>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/pcr_json.h"
#include "protocol/host_platform.h"
#include "service/api/testing/api_harness.h"
#include "service/api/testing/host_enrollment.h"
#include "tests/testing/fake_tpm.h"

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

// Bound is what the agent quotes over for a challenge when it reports no platform: the binding
// digest of the nonce and the empty platform document (protocol/host_platform.h).
Bytes Bound(const std::string& nonce_hex) {
  const Sha256Digest d = protocol::QuoteQualifyingData(
      *HexDecode(nonce_hex), protocol::SerializeHostPlatform(protocol::HostPlatform{}).value());
  return Bytes(d.begin(), d.end());
}

// Fixture: an API with the two host policies and a software TPM.
class HostApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    op_ = h_.operator_credentials();
    ASSERT_EQ(h_.Call("PUT", "/v1/host-policies/dev", kDevPolicy, &op_).status, 201);
    ASSERT_EQ(h_.Call("PUT", "/v1/host-policies/sb", kSecureBootPolicy, &op_).status, 201);
    log_ = EventLog();
  }

  // Enroll enrolls tpm through an enrollment token and keeps the host's own credential; returns
  // the host id.
  std::string Enroll(const FakeTpm& tpm, const std::string& policy = "dev") {
    testing::EnrolledHost host = testing::EnrollHost(h_, tpm, {{"host_policy", policy}});
    hosts_[host.id] = host.credentials;
    return host.id;
  }

  std::string Challenge(const std::string& id) {
    auto r = h_.Call("POST", "/v1/hosts/" + id + "/challenge", "", &hosts_[id]);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("nonce", "");
  }

  // QuoteBody is what the agent sends for nonce_hex with log (PCRs as the JSON object form).
  json QuoteBody(const FakeTpm& tpm, const std::string& nonce_hex, ByteSpan log) {
    const tpm::PcrBanks pcrs = QuotedPcrs(log_);
    FakeTpm::SignedQuote q = tpm.Quote(Bound(nonce_hex), pcrs);
    return {{"nonce", nonce_hex},
            {"quote", B64(q.attest)},
            {"signature", B64(q.signature)},
            {"pcrs", {{"banks", tpm::PcrBanksToJson(pcrs)}}},
            {"eventlog", B64(log)}};
  }

  ApiHarness::Reply Quote(const std::string& id, const json& body) {
    return h_.CallJson("POST", "/v1/hosts/" + id + "/quote", body, &hosts_[id]);
  }

  ApiHarness h_;
  std::map<std::string, sigv4::Credentials> hosts_;  // each enrolled host's own credential
  sigv4::Credentials op_;
  Bytes log_;
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

TEST_F(HostApiTest, EvidenceThatDoesNotVerifyIs422AndChangesNoTrustState) {
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
         FakeTpm::SignedQuote q = tpm.Quote(Bound(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"signature from another AK", "tpm.signature_invalid",
       [&](json& b) {
         const FakeTpm other = FakeTpm::Create();
         FakeTpm::SignedQuote q =
             other.Quote(Bound(b["nonce"].get<std::string>()), QuotedPcrs(log_));
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
       }},
      {"PCR 4 (the boot applications) left out of the quote", "tpm.pcr_not_quoted",
       [&](json& b) {
         tpm::PcrBanks pcrs = QuotedPcrs(log_);
         pcrs[tpm::kAlgSha256].erase(4);
         FakeTpm::SignedQuote q = tpm.Quote(Bound(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"PCR 14 (extended by the log) left out", "tpm.pcr_not_quoted",
       [&](json& b) {
         tpm::PcrBanks pcrs = QuotedPcrs(log_);
         pcrs[tpm::kAlgSha256].erase(14);
         FakeTpm::SignedQuote q = tpm.Quote(Bound(b["nonce"].get<std::string>()), pcrs);
         b["quote"] = B64(q.attest);
         b["signature"] = B64(q.signature);
         b["pcrs"] = {{"banks", tpm::PcrBanksToJson(pcrs)}};
       }},
      {"only a bank the log does not have", "eventlog.bank_missing",
       [&](json& b) {
         tpm::PcrBanks pcrs;
         pcrs[tpm::kAlgSha384][0] = Bytes(48, 0);
         FakeTpm::SignedQuote q = tpm.Quote(Bound(b["nonce"].get<std::string>()), pcrs);
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
    EXPECT_EQ(r.json["verified"], false);
    // Only the host's own credential sends its quotes: a broken one is recorded as the last
    // attempt and changes no trust state, nor the VMs on the host.
    EXPECT_EQ(r.json["trusted"], true);
    EXPECT_EQ(r.json["state"], "trusted");
    const json host = h_.Call("GET", "/v1/hosts/" + id, "", &op_).json;
    EXPECT_EQ(host["state"], "trusted");
    EXPECT_EQ(host["last_attempt_at"], FormatRfc3339(h_.now()));
    EXPECT_EQ(host["last_quote_result"]["verified"], true);
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
  const FakeTpm sb_tpm = FakeTpm::Create();
  const std::string sb = Enroll(sb_tpm, "sb");
  body = QuoteBody(sb_tpm, Challenge(sb), log_);
  body.erase("eventlog");
  r = Quote(sb, body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], false);
  EXPECT_EQ(r.json["reasons"][0]["code"], "host.no_event_log") << r.body;
}

}  // namespace
}  // namespace attest::service::api
