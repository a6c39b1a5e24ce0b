// The host platform identity document through the host API: enrolled with the host (POST
// /v1/enroll), carried and bound by every quote, a change refused (host.platform_changed) and
// latched until re-enrollment, malformed documents refused with host.platform_invalid. Quotes come
// from FakeTpm over the binding digest (protocol::QuoteQualifyingData), as the agent makes them.
#include <gtest/gtest.h>

#include <set>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/pcr_json.h"
#include "protocol/host_platform.h"
#include "service/api/testing/api_harness.h"
#include "service/api/testing/host_enrollment.h"
#include "tests/testing/fake_tpm.h"
#include "tests/testing/vectors.h"

namespace attest::service::api {
namespace {

using attest::testing::FakeTpm;
using nlohmann::json;
using testing::ApiHarness;

constexpr char kDevPolicy[] =
    R"({"name": "dev", "any_firmware": true, "any_boot_application": true})";

// PlatformJson is a host with two SNP sockets (every byte of each chip id `a` / `b`) and, when
// with_tdx, a TDX PCK identity.
json PlatformJson(uint8_t a, uint8_t b, bool with_tdx = false) {
  json tdx = nullptr;
  if (with_tdx) {
    tdx = {{"ppid", std::string(32, 'a')}, {"pce_id", "0000"}, {"fmspc", "b0c06f000000"}};
  }
  return {
      {"v", 1}, {"snp_chip_ids", {HexEncode(Bytes(64, a)), HexEncode(Bytes(64, b))}}, {"tdx", tdx}};
}

class HostPlatformApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    op_ = h_.operator_credentials();
    ASSERT_EQ(h_.Call("PUT", "/v1/host-policies/dev", kDevPolicy, &op_).status, 201);
    log_ = ReadFileBytes("attest/tpm/testdata/swtpm/bench-100/eventlog.bin").value();
    auto replay = tpm::ReplayEventLog(*tpm::ParseEventLog(log_));
    ASSERT_TRUE(replay.ok());
    pcrs_[tpm::kAlgSha256] = (*replay)[tpm::kAlgSha256];
  }

  // Redeem redeems a fresh enrollment token with this TPM and `platform` (null: none sent),
  // without activating: the answer of POST /v1/enroll.
  ApiHarness::Reply Redeem(const json& platform) {
    json body = {{"token", testing::CreateEnrollmentToken(h_, {{"host_policy", "dev"}})},
                 {"ek_public", Base64Encode(tpm_.ek_public())},
                 {"ak_public", Base64Encode(tpm_.ak_public())}};
    if (!platform.is_null()) {
      body["platform"] = platform;
    }
    return h_.CallJson("POST", "/v1/enroll", body, nullptr);
  }

  // Enroll enrolls this TPM reporting `platform` and keeps the host's own credential.
  std::string Enroll(const json& platform) {
    testing::EnrolledHost host = testing::RedeemAndActivate(
        h_, tpm_, testing::CreateEnrollmentToken(h_, {{"host_policy", "dev"}}), {}, platform);
    host_ = host.credentials;
    return host.id;
  }

  // Quote submits a quote carrying `sent` whose TPM qualifying data binds `bound`.
  ApiHarness::Reply Quote(const std::string& id, const json& sent, const json& bound) {
    auto c = h_.Call("POST", "/v1/hosts/" + id + "/challenge", "", &host_);
    const std::string nonce_hex = c.json.value("nonce", "");
    const std::string canonical =
        protocol::SerializeHostPlatform(protocol::HostPlatformFromJson(bound).value()).value();
    const Sha256Digest qualifying = protocol::QuoteQualifyingData(*HexDecode(nonce_hex), canonical);
    const FakeTpm::SignedQuote q = tpm_.Quote(qualifying, pcrs_);
    json body = {{"nonce", nonce_hex},
                 {"quote", Base64Encode(q.attest)},
                 {"signature", Base64Encode(q.signature)},
                 {"pcrs", {{"banks", tpm::PcrBanksToJson(pcrs_)}}},
                 {"eventlog", Base64Encode(log_)}};
    if (!sent.is_null()) {
      body["platform"] = sent;
    }
    return h_.CallJson("POST", "/v1/hosts/" + id + "/quote", body, &host_);
  }

  json Host(const std::string& id) { return h_.Call("GET", "/v1/hosts/" + id, "", &op_).json; }

  ApiHarness h_;
  sigv4::Credentials op_;
  sigv4::Credentials host_;  // the enrolled host's own credential
  FakeTpm tpm_ = FakeTpm::Create();
  Bytes log_;
  tpm::PcrBanks pcrs_;
};

TEST_F(HostPlatformApiTest, TheEnrolledPlatformIsBoundIntoEveryQuote) {
  const std::string id = Enroll(PlatformJson(0x22, 0x11, true));
  // Stored and shown canonically (chips sorted).
  EXPECT_EQ(Host(id)["platform"],
            protocol::HostPlatformToJson(
                protocol::HostPlatformFromJson(PlatformJson(0x11, 0x22, true)).value()));
  // The same document in another order binds and compares equal.
  auto r = Quote(id, PlatformJson(0x11, 0x22, true), PlatformJson(0x22, 0x11, true));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["trusted"], true) << r.body;
  EXPECT_TRUE(Host(id)["platform_changed_at"].is_null());
}

TEST_F(HostPlatformApiTest, AQuoteNotBoundToTheDocumentItCarriesDoesNotVerify) {
  const std::string id = Enroll(PlatformJson(0x11, 0x22));
  // The enrolled document sent, but the TPM quoted for another one (or for none).
  auto r = Quote(id, PlatformJson(0x11, 0x22), PlatformJson(0x11, 0x33));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json["code"], "tpm.nonce_mismatch");
  r = Quote(id, nullptr, PlatformJson(0x11, 0x22));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json["code"], "tpm.nonce_mismatch");
  // A quote that does not verify proves nothing: no latch.
  EXPECT_TRUE(Host(id)["platform_changed_at"].is_null());
  EXPECT_EQ(Quote(id, PlatformJson(0x11, 0x22), PlatformJson(0x11, 0x22)).json["trusted"], true);
}

TEST_F(HostPlatformApiTest, AChangedPlatformIsUntrustedUntilReEnrolled) {
  const std::string id = Enroll(PlatformJson(0x11, 0x22));
  ASSERT_EQ(Quote(id, PlatformJson(0x11, 0x22), PlatformJson(0x11, 0x22)).json["trusted"], true);
  // A measured, verified quote reporting another chip: a 200 decision, untrusted.
  auto r = Quote(id, PlatformJson(0x11, 0x33), PlatformJson(0x11, 0x33));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["verified"], true);
  EXPECT_EQ(r.json["trusted"], false);
  ASSERT_FALSE(r.json["reasons"].empty());
  EXPECT_EQ(r.json["reasons"][0]["code"], "host.platform_changed");
  json host = Host(id);
  EXPECT_EQ(host["state"], "untrusted");
  EXPECT_EQ(host["platform_changed_at"], FormatRfc3339(h_.now()));
  // Back on the enrolled document: still refused (latched) until re-enrollment.
  r = Quote(id, PlatformJson(0x11, 0x22), PlatformJson(0x11, 0x22));
  EXPECT_EQ(r.json["trusted"], false) << r.body;
  EXPECT_EQ(r.json["reasons"][0]["code"], "host.platform_changed");
  // The audit entry names the reason.
  const json entries = h_.Call("GET", "/v1/audit", "", &op_).json["entries"];
  EXPECT_EQ(entries.back()["outcome"], "rejected");
  EXPECT_NE(entries.back()["detail"].get<std::string>().find("host.platform_changed"),
            std::string::npos);
  // Re-enrollment: the operator deletes the host and the machine enrolls again with what it
  // reports now; the new host is trusted on that document.
  ASSERT_EQ(h_.Call("DELETE", "/v1/hosts/" + id, "", &op_).status, 200);
  const std::string again = Enroll(PlatformJson(0x11, 0x33));
  ASSERT_NE(again, id);
  EXPECT_TRUE(Host(again)["platform_changed_at"].is_null());
  r = Quote(again, PlatformJson(0x11, 0x33), PlatformJson(0x11, 0x33));
  EXPECT_EQ(r.json["trusted"], true) << r.body;
}

TEST_F(HostPlatformApiTest, MalformedDocumentsAreRefusedBeforeAnyWrite) {
  const json chip = HexEncode(Bytes(64, 0x11));
  const std::vector<std::pair<std::string, json>> bad = {
      {"string", "platform"},
      {"array", json::array()},
      {"empty object", json::object()},
      {"version 2", {{"v", 2}, {"snp_chip_ids", json::array()}, {"tdx", nullptr}}},
      {"upper-case chip", {{"v", 1}, {"snp_chip_ids", {std::string(128, 'A')}}, {"tdx", nullptr}}},
      {"masked chip", {{"v", 1}, {"snp_chip_ids", {std::string(128, '0')}}, {"tdx", nullptr}}},
      {"chip twice", {{"v", 1}, {"snp_chip_ids", {chip, chip}}, {"tdx", nullptr}}},
      {"tdx without ppid",
       {{"v", 1}, {"snp_chip_ids", json::array()}, {"tdx", {{"fmspc", "b0c06f000000"}}}}},
  };
  const size_t hosts_before = h_.Call("GET", "/v1/hosts", "", &op_).json["hosts"].size();
  for (const auto& [name, platform] : bad) {
    SCOPED_TRACE(name);
    auto r = Redeem(platform);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json["code"], "host.platform_invalid");
  }
  // No host was created, and the tokens were not spent on it.
  EXPECT_EQ(h_.Call("GET", "/v1/hosts", "", &op_).json["hosts"].size(), hosts_before);

  const std::string id = Enroll(PlatformJson(0x11, 0x22));
  for (const auto& [name, platform] : bad) {
    SCOPED_TRACE(name);
    auto r = Quote(id, platform, PlatformJson(0x11, 0x22));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json["code"], "host.platform_invalid");
  }
  // None of them consumed a decision: the host is untouched, and a good quote still passes.
  EXPECT_EQ(Host(id)["state"], "activated");
  EXPECT_TRUE(Host(id)["last_attempt_at"].is_null());
  EXPECT_EQ(Quote(id, PlatformJson(0x11, 0x22), PlatformJson(0x11, 0x22)).json["trusted"], true);
}

TEST_F(HostPlatformApiTest, NoDocumentMeansAHostWithoutTees) {
  const std::string id = Enroll(nullptr);
  EXPECT_EQ(Host(id)["platform"],
            json({{"v", 1}, {"snp_chip_ids", json::array()}, {"tdx", nullptr}}));
  const json empty = {{"v", 1}, {"snp_chip_ids", json::array()}, {"tdx", nullptr}};
  EXPECT_EQ(Quote(id, nullptr, empty).json["trusted"], true);
  EXPECT_EQ(Quote(id, empty, empty).json["trusted"], true);
}

TEST_F(HostPlatformApiTest, HostUploadsItsOwnChipsEndorsementsVerified) {
  // The host whose chip signed shared snp/gsg-milan-v2 (CHIP_ID = the VCEK's hwID).
  const std::string chip =
      "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b"
      "564ea464cdce40c05f63c9b610c5068b006b5d";
  const std::string id = Enroll({{"v", 1}, {"snp_chip_ids", {chip}}, {"tdx", nullptr}});
  ASSERT_FALSE(id.empty());
  h_.set_now(*ParseRfc3339("2025-07-01T00:00:00Z"));  // inside the recorded KDS items' windows
  auto b64 = [](const char* file) { return Base64Encode(attest::testing::ReadVector(file)); };
  const json good = {{"vcek", b64("snp/gsg-milan-v2/vcek.der")},
                     {"cert_chain", b64("snp/certs/ask_ark_milan.pem")},
                     {"crl", b64("collateral/kds/openpcc-2025/vcek-Milan-crl.body.der")}};
  const std::string path = "/v1/hosts/" + id + "/endorsements";
  auto r = h_.CallJson("POST", path, good, &host_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["stored"], 3) << r.body;
  EXPECT_TRUE(r.json["refused"].empty());
  auto exported = h_.Call("GET", "/v1/collateral", "", &op_);
  ASSERT_EQ(exported.status, 200);
  std::set<std::string> origins;
  for (const auto& item : exported.json["items"]) {
    origins.insert(item["kind"].get<std::string>() + ":" + item["origin"].get<std::string>());
  }
  EXPECT_EQ(origins,
            (std::set<std::string>{"snp.cert_chain:agent", "snp.crl:agent", "snp.vcek:agent"}));

  struct Case {
    const char* name;
    json body;
    const sigv4::Credentials* who;
    int want_status;
    std::string_view want_code;
  };
  json other_chip = good;
  other_chip["vcek"] = b64("snp/virtee-milan-v2/vcek.der");
  json vlek = good;
  vlek["vcek"] = b64("snp/trustee-milan-vlek-v3/vlek.der");
  json garbage = good;
  garbage["vcek"] = Base64Encode(Bytes(40, 0x30));
  json extra = good;
  extra["pck_cert"] = "AAAA";
  const Case cases[] = {
      {"another chip's VCEK", other_chip, &host_, 422, "collateral.mismatch"},
      {"a VLEK", vlek, &host_, 400, "collateral.malformed"},
      {"not a certificate", garbage, &host_, 400, "collateral.malformed"},
      {"unknown member", extra, &host_, 400, "api.unknown_field"},
      {"no vcek", json{{"crl", good["crl"]}}, &host_, 400, "api.invalid_field"},
      {"the operator is not the host", good, &op_, 403, "AccessDenied"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto bad = h_.CallJson("POST", path, c.body, c.who);
    EXPECT_EQ(bad.status, c.want_status) << bad.body;
    if (!c.want_code.empty()) {
      EXPECT_EQ(bad.json["code"], c.want_code) << bad.body;
    }
  }
}

}  // namespace
}  // namespace attest::service::api
