// Guest key release routes (issue 9) with SoftwareTee evidence: successful releases for SNP and
// TDX, every attack of the issue refused with its code and no key bytes, hostile bodies, and the
// rate limits.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "attest/snp/cert_table.h"
#include "policy/token.h"
#include "service/api/testing/release_world.h"

namespace attest::service::api {
namespace {

using std::chrono::seconds;
using testing::Guest;
using testing::ReleaseWorld;

std::set<std::string> Failures(const nlohmann::json& body) {
  std::set<std::string> out;
  if (!body.contains("failures")) {
    return out;
  }
  for (const auto& f : body["failures"]) {
    out.insert(f["check"].get<std::string>() + ":" + f["code"].get<std::string>());
  }
  return out;
}

void ExpectNoKeyIn(const std::string& body, const Bytes& key) {
  ASSERT_EQ(key.size(), 32u);
  EXPECT_EQ(body.find(HexEncode(key)), std::string::npos);
  EXPECT_EQ(body.find(Base64Encode(key)), std::string::npos);
  EXPECT_EQ(body.find(Base64UrlEncode(key)), std::string::npos);
}

nlohmann::json LastAudit(ReleaseWorld& w) {
  auto r = w.h.Call("GET", "/v1/audit", "", &w.acme);
  return r.json["entries"].empty() ? nlohmann::json() : r.json["entries"].back();
}

TEST(ApiAttestTest, ReleasesEachVolumeKeyToTheAttestedGuest) {
  for (const std::string tee : {"snp", "tdx"}) {
    SCOPED_TRACE(tee);
    ReleaseWorld w;
    w.AddHost();
    const std::string v1 = w.NewVolume(w.acme, "root"), v2 = w.NewVolume(w.acme, "data");
    auto vm = w.NewVm(w.acme, tee, {v1, v2});
    ASSERT_EQ(vm.status, 201) << vm.body;
    const std::string vm_id = vm.json["vm_id"];
    Guest guest;
    const std::string nonce = w.Challenge(vm_id);
    ASSERT_EQ(nonce.size(), 64u);
    auto r = w.Attest(ReleaseWorld::AttestBody(
        vm_id, nonce, guest,
        ReleaseWorld::Evidence(tee, ReleaseWorld::Launch(vm.json, nonce, guest))));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["vm_id"], vm_id);
    EXPECT_EQ(r.json["policy"], tee + "-prod@1");
    ASSERT_EQ(r.json["keys"].size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      const std::string id = i == 0 ? v1 : v2;
      EXPECT_EQ(r.json["keys"][i]["volume_id"], id);
      auto opened = protocol::DecryptFromService(r.json["keys"][i]["jwe"].get<std::string>(),
                                                 guest.private_jwk);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      const Bytes stored = w.StoredKey(w.acme_tenant, id);
      EXPECT_EQ(*opened, stored);
      ExpectNoKeyIn(r.body, stored);  // only inside the JWE
      // Another key cannot open it.
      EXPECT_FALSE(protocol::DecryptFromService(r.json["keys"][i]["jwe"].get<std::string>(),
                                                Guest().private_jwk)
                       .ok());
    }
    auto payload =
        policy::VerifyResultToken(r.json["token"].get<std::string>(), w.h.token_key(), w.h.now());
    ASSERT_TRUE(payload.ok()) << payload.status().ToString();
    EXPECT_EQ((*payload)["sub"], vm_id);
    EXPECT_EQ((*payload)["eat_nonce"], nonce);
    // Bound to the attested guest's key (RFC 7800 cnf, RFC 7638 thumbprint).
    EXPECT_EQ((*payload)["cnf"]["jkt"], protocol::JwkThumbprint(guest.key));
    EXPECT_NE((*payload)["cnf"]["jkt"], protocol::JwkThumbprint(Guest().key));

    const nlohmann::json audit = LastAudit(w);
    EXPECT_EQ(audit["action"], "vm.release");
    EXPECT_EQ(audit["actor"], "guest");
    EXPECT_EQ(audit["outcome"], "released");
    EXPECT_EQ(audit["policy_version"], tee + "-prod@1");
    const std::string metrics = w.h.metrics().Render();
    EXPECT_NE(metrics.find(R"(attestd_decisions_total{kind="release",outcome="released"} 1)"),
              std::string::npos);
    EXPECT_NE(
        metrics.find("attestd_verification_duration_seconds_count{evidence=\"" + tee + "\"} 1"),
        std::string::npos)
        << metrics;
  }
}

TEST(ApiAttestTest, SnpCertificatesFromTheExtendedReportTable) {
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  Guest guest;
  const std::string nonce = w.Challenge(vm.json["vm_id"]);
  nlohmann::json evidence =
      ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, nonce, guest));
  evidence.erase("vcek");
  const Bytes table =
      snp::BuildCertTable({{snp::ParseGuid("63da758d-e664-4564-adc5-f4b93be8accd").value(),
                            ReleaseWorld::tee().SnpCollateral().endorsement_cert}});
  evidence["auxblob"] = Base64Encode(table);
  auto r = w.Attest(ReleaseWorld::AttestBody(vm.json["vm_id"], nonce, guest, evidence));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(ApiAttestTest, TdxCollateralFromTheOperatorsCache) {
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "tdx", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  auto attest = [&] {
    Guest guest;
    const std::string nonce = w.Challenge(vm_id);
    nlohmann::json e = ReleaseWorld::Evidence("tdx", ReleaseWorld::Launch(vm.json, nonce, guest));
    e.erase("collateral");
    return w.Attest(ReleaseWorld::AttestBody(vm_id, nonce, guest, e));
  };
  auto r = attest();
  // Nothing cached yet: the quote verifies, but without TCB info no TCB status exists for the
  // policy's accepted_tcb_statuses.
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Failures(r.json), std::set<std::string>{"policy:tdx.no_tcb_status"}) << r.body;

  auto imported = w.h.Call("POST", "/v1/collateral",
                           testing::CollateralJson(ReleaseWorld::tee().TdxCollateral()).dump(),
                           &w.h.operator_credentials());
  ASSERT_EQ(imported.status, 201) << imported.body;
  r = attest();
  EXPECT_EQ(r.status, 200) << r.body;
}

// Rechallenge starts the attempt again for vm after an attack changed the world: a fresh
// challenge and guest key, the TEE launched over them, the body rebuilt with the same evidence
// kind.
void Rechallenge(ReleaseWorld& w, const nlohmann::json& vm, attest::testing::TeeLaunch& launch,
                 nlohmann::json& body) {
  const std::string nonce = w.Challenge(vm["vm_id"]);
  Guest g;
  launch = ReleaseWorld::Launch(vm, nonce, g);
  body = ReleaseWorld::AttestBody(vm["vm_id"], nonce, g, body["evidence"]);
}

// Attack: one way the release must fail. edit runs before the guest attests and may change the
// world, the launch, the body; want is a failure that must be listed.
struct Attack {
  std::string name;
  std::string tee = "snp";
  std::function<void(ReleaseWorld&, nlohmann::json& vm, attest::testing::TeeLaunch&,
                     nlohmann::json& body)>
      edit;
  std::string want;
};

TEST(ApiAttestTest, EveryAttackIsRefusedWithItsCodeAndNoKey) {
  const std::vector<Attack> attacks = {
      {"replayed nonce", "snp",
       [](ReleaseWorld& w, nlohmann::json&, attest::testing::TeeLaunch&, nlohmann::json& body) {
         ASSERT_EQ(w.Attest(body).status, 200);  // the first use releases
       },
       "nonce:release.nonce_rejected"},
      {"other VM's nonce", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         auto other = w.NewVm(w.acme, "snp", {});
         const std::string nonce = w.Challenge(other.json["vm_id"]);
         Guest g;
         launch = ReleaseWorld::Launch(vm, nonce, g);
         body["nonce"] = nonce;
         body["guest_key"] = nlohmann::json::parse(g.public_jwk);
       },
       "nonce:release.nonce_rejected"},
      {"wrong REPORT_DATA", "snp",
       [](ReleaseWorld&, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         launch.report_data = ReleaseWorld::Launch(vm, body["nonce"], Guest()).report_data;
       },
       "report_data:release.report_data_mismatch"},
      {"wrong HOST_DATA (another VM's ticket)", "snp",
       [](ReleaseWorld& w, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         auto other = w.NewVm(w.acme, "snp", {});
         launch.launch_digest = Base64Decode(other.json["host_data"].get<std::string>()).value();
       },
       "launch_ticket:release.ticket_mismatch"},
      {"wrong MRCONFIGID (another VM's ticket)", "tdx",
       [](ReleaseWorld& w, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         auto other = w.NewVm(w.acme, "tdx", {});
         launch.launch_digest = Base64Decode(other.json["mr_config_id"].get<std::string>()).value();
       },
       "launch_ticket:release.ticket_mismatch"},
      {"evidence of another TEE", "tdx",
       [](ReleaseWorld&, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         // A TDX VM's ticket, presented in an SNP report (HOST_DATA holds the ticket's SHA-256).
         launch.launch_digest = Base64Decode(vm["host_data"].get<std::string>()).value();
         body["evidence"]["tee"] = "snp-later";  // replaced below by SNP evidence
       },
       "launch_ticket:release.tee_type_mismatch"},
      {"deleted VM", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         ASSERT_EQ(
             w.h.Call("DELETE", "/v1/vms/" + vm["vm_id"].get<std::string>(), "", &w.acme).status,
             204);
       },
       "vm:release.vm_deleted"},
      {"host turned untrusted", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         w.SetHostState(vm["host_id"], "untrusted");
       },
       "host:release.host_untrusted"},
      {"host failed a quote while the VM ran, then was trusted again", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         w.SetHostState(vm["host_id"], "untrusted");
         w.SetHostState(vm["host_id"], "trusted");
         auto got = w.h.Call("GET", "/v1/vms/" + vm["vm_id"].get<std::string>(), "", &w.acme);
         EXPECT_NE(got.json["host_untrusted_at"], nullptr) << got.body;
         EXPECT_EQ(got.json["host_trusted"], true);
       },
       "host:release.host_untrusted"},
      {"host trust expired", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         w.SetHostState(vm["host_id"], "trusted", seconds(3600));  // trusted_until == now
       },
       "host:release.host_untrusted"},
      {"host quote older than the policy allows", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         auto db = w.h.pool().Acquire();
         ASSERT_TRUE((*db)
                         ->UpdateHostState(w.h.operator_tenant(), vm["host_id"],
                                           store::HostState::kTrusted, "{}",
                                           w.h.now() + seconds(7200), w.h.now() - seconds(4000))
                         .ok());
       },
       "host:release.host_quote_too_old"},
      {"policy with another measurement", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         const std::string doc = R"({"name": "strict", "snp": {"measurements": [")" +
                                 std::string(96, 'e') + R"("], "host_data_launch_ticket": true}})";
         ASSERT_EQ(w.h.Call("PUT", "/v1/policies/strict", doc, &w.acme).status, 201);
         vm = w.NewVm(w.acme, "snp", vm["volume_ids"], "strict").json;
         Rechallenge(w, vm, launch, body);
       },
       "policy:snp.measurement_rejected"},
      {"debug-enabled guest", "snp",
       [](ReleaseWorld&, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         launch.debug = true;
       },
       "policy:snp.debug_forbidden"},
      {"debug-enabled TD", "tdx",
       [](ReleaseWorld&, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         launch.debug = true;
       },
       "policy:tdx.debug_forbidden"},
      {"expired collateral", "tdx",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         // 45 days on: the host is quoted again, the guest gets a fresh challenge, but the
         // TDX CRLs and TCB info have passed their nextUpdate.
         w.h.set_now(w.h.now() + seconds(86400 * 45));
         w.SetHostState(vm["host_id"], "trusted");
         Rechallenge(w, vm, launch, body);
       },
       "evidence:x509.crl_expired"},
      {"volume deleted after the VM was made", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         ASSERT_EQ(w.h.Call("DELETE", "/v1/volumes/" + vm["volume_ids"][0].get<std::string>(), "",
                            &w.acme)
                       .status,
                   204);
       },
       "volume:release.volume_unavailable"},
  };
  for (const Attack& a : attacks) {
    SCOPED_TRACE(a.name);
    ReleaseWorld w;
    w.AddHost();
    const std::string v1 = w.NewVolume(w.acme, "root"), v2 = w.NewVolume(w.acme, "data");
    const Bytes k1 = w.StoredKey(w.acme_tenant, v1), k2 = w.StoredKey(w.acme_tenant, v2);
    nlohmann::json vm = w.NewVm(w.acme, a.tee, {v1, v2}).json;
    ASSERT_TRUE(vm.contains("vm_id")) << vm.dump();
    Guest guest;
    const std::string nonce = w.Challenge(vm["vm_id"]);
    attest::testing::TeeLaunch launch = ReleaseWorld::Launch(vm, nonce, guest);
    nlohmann::json body =
        ReleaseWorld::AttestBody(vm["vm_id"], nonce, guest, ReleaseWorld::Evidence(a.tee, launch));
    a.edit(w, vm, launch, body);
    // The evidence is produced after the edit, from the (possibly edited) launch.
    const bool other_tee = body["evidence"]["tee"] == "snp-later";
    body["evidence"] = ReleaseWorld::Evidence(other_tee ? "snp" : a.tee, launch);
    auto r = w.Attest(body);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json["code"], "release.denied");
    EXPECT_TRUE(Failures(r.json).count(a.want)) << r.body;
    EXPECT_FALSE(r.json.contains("keys"));
    EXPECT_FALSE(r.json.contains("token"));
    ExpectNoKeyIn(r.body, k1);
    ExpectNoKeyIn(r.body, k2);
    const nlohmann::json audit = LastAudit(w);
    EXPECT_EQ(audit["action"], "vm.release");
    EXPECT_EQ(audit["outcome"], "denied");
    EXPECT_NE(audit["detail"].get<std::string>().find(a.want), std::string::npos) << audit;
  }
}

TEST(ApiAttestTest, RefusesHostileBodies) {
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  Guest guest;
  const std::string nonce = w.Challenge(vm_id);
  const nlohmann::json good = ReleaseWorld::AttestBody(
      vm_id, nonce, guest,
      ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, nonce, guest)));
  using Edit = std::function<void(nlohmann::json&)>;
  struct Case {
    std::string name;
    Edit edit;
    std::string want;
    int status = 400;
  };
  nlohmann::json private_jwk = nlohmann::json::parse(guest.private_jwk);
  nlohmann::json p256 = nlohmann::json::parse(guest.public_jwk);
  p256["crv"] = "P-256";
  const std::vector<Case> cases = {
      {"no vm_id", [](nlohmann::json& b) { b.erase("vm_id"); }, "api.invalid_field"},
      {"vm_id with a slash", [](nlohmann::json& b) { b["vm_id"] = "../vm"; }, "api.invalid_field"},
      {"unknown vm", [](nlohmann::json& b) { b["vm_id"] = "vm-" + std::string(32, '0'); },
       "api.not_found", 404},
      {"nonce short", [](nlohmann::json& b) { b["nonce"] = "abcd"; }, "api.invalid_field"},
      {"nonce not hex", [](nlohmann::json& b) { b["nonce"] = std::string(64, 'z'); },
       "api.invalid_field"},
      {"nonce a number", [](nlohmann::json& b) { b["nonce"] = 7; }, "api.invalid_field"},
      {"guest_key a string", [](nlohmann::json& b) { b["guest_key"] = "x"; }, "api.invalid_field"},
      {"guest_key private", [&](nlohmann::json& b) { b["guest_key"] = private_jwk; },
       "release.guest_key_invalid"},
      {"guest_key P-256", [&](nlohmann::json& b) { b["guest_key"] = p256; },
       "release.guest_key_invalid"},
      {"guest_key empty", [](nlohmann::json& b) { b["guest_key"] = nlohmann::json::object(); },
       "release.guest_key_invalid"},
      {"evidence missing", [](nlohmann::json& b) { b.erase("evidence"); }, "api.invalid_field"},
      {"evidence an array", [](nlohmann::json& b) { b["evidence"] = nlohmann::json::array(); },
       "api.invalid_field"},
      {"evidence tee sev", [](nlohmann::json& b) { b["evidence"]["tee"] = "sev"; },
       "api.invalid_field"},
      {"report not base64", [](nlohmann::json& b) { b["evidence"]["report"] = "!!"; },
       "api.invalid_field"},
      {"report too large",
       [](nlohmann::json& b) { b["evidence"]["report"] = Base64Encode(Bytes(5000, 1)); },
       "api.invalid_field"},
      {"vcek and auxblob",
       [](nlohmann::json& b) { b["evidence"]["auxblob"] = Base64Encode(Bytes(24, 0)); },
       "api.invalid_field"},
      {"neither vcek nor auxblob", [](nlohmann::json& b) { b["evidence"].erase("vcek"); },
       "api.invalid_field"},
      {"auxblob malformed",
       [](nlohmann::json& b) {
         b["evidence"].erase("vcek");
         b["evidence"]["auxblob"] = Base64Encode(Bytes(30, 0xff));
       },
       "api.invalid_field"},
      {"unknown evidence member", [](nlohmann::json& b) { b["evidence"]["quote"] = "AAAA"; },
       "api.unknown_field"},
      {"unknown member", [](nlohmann::json& b) { b["keys"] = nlohmann::json::array(); },
       "api.unknown_field"},
      {"tdx collateral not an object",
       [](nlohmann::json& b) {
         b["evidence"] = {{"tee", "tdx"}, {"quote", "AAAA"}, {"collateral", "x"}};
       },
       "api.invalid_field"},
      {"tdx collateral malformed",
       [](nlohmann::json& b) {
         b["evidence"] = {{"tee", "tdx"}, {"quote", "AAAA"}, {"collateral", {{"tcb_info", 1}}}};
       },
       "api.invalid_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json body = good;
    c.edit(body);
    auto r = w.Attest(body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.want) << r.body;
  }
  EXPECT_EQ(w.h.Call("POST", "/v1/attest", "{", nullptr).json["code"], "api.malformed_json");
  EXPECT_EQ(w.h.Call("POST", "/v1/attest", good.dump(), nullptr, "text/plain").json["code"],
            "api.unsupported_media_type");
  EXPECT_EQ(w.h.Call("GET", "/v1/attest", "", nullptr).status, 405);
  // None of it was a decision: no audit entry, and the nonce is still good.
  EXPECT_NE(LastAudit(w)["action"], "vm.release");
  EXPECT_EQ(w.Attest(good).status, 200);
}

TEST(ApiAttestTest, ChallengeRefusesHostileBodies) {
  ReleaseWorld w;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "api.malformed_json"},
      {"{}", "api.invalid_field"},
      {R"({"vm_id": 1})", "api.invalid_field"},
      {R"({"vm_id": "a b"})", "api.invalid_field"},
      {R"({"vm_id": "vm-1", "x": 1})", "api.unknown_field"},
  };
  for (const auto& [body, want] : cases) {
    SCOPED_TRACE(body);
    auto r = w.h.Call("POST", "/v1/attest/challenge", body, nullptr);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json["code"], want);
  }
  auto r = w.h.Call("POST", "/v1/attest/challenge", R"({"vm_id": "vm-1"})", nullptr);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json["code"], "api.not_found");
}

TEST(ApiAttestTest, RateLimitsPerVmAndAddressThenRecover) {
  ReleaseWorld w;
  w.AddHost();
  ServiceConfig config = w.h.api().service().config;
  config.release_rate_per_vm_per_minute = 2;
  config.release_rate_per_address_per_minute = 5;
  w.h.api().service().release_limits = std::make_shared<ReleaseLimits>(config);
  const std::string a = w.NewVm(w.acme, "snp", {}).json["vm_id"];
  const std::string b = w.NewVm(w.acme, "snp", {}).json["vm_id"];
  auto challenge = [&](const std::string& vm) {
    return w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", vm}}, nullptr);
  };
  EXPECT_EQ(challenge(a).status, 201);
  EXPECT_EQ(challenge(a).status, 201);
  auto limited = challenge(a);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.json["code"], "api.rate_limited");
  // Retry-After, then the X-Request-Id every response carries.
  ASSERT_EQ(limited.headers.size(), 2u);
  EXPECT_EQ(limited.headers[0].name, "Retry-After");
  EXPECT_EQ(limited.headers[0].value, "30");  // 2 per minute: one token every 30 s
  EXPECT_EQ(limited.headers[1].name, "X-Request-Id");
  EXPECT_EQ(challenge(b).status, 201);  // another VM has its own bucket
  // The attest route has its own buckets.
  Guest g;
  auto attest = w.Attest(ReleaseWorld::AttestBody(
      a, std::string(64, '0'), g, {{"tee", "snp"}, {"report", "AAAA"}, {"vcek", "AAAA"}}));
  EXPECT_EQ(attest.status, 403) << attest.body;
  // Per address: 5 per minute over every VM id (4 spent: 3 challenges of a, 1 of b; attest
  // counts separately).
  EXPECT_EQ(challenge(b).status, 201);
  auto by_address = challenge("vm-" + std::string(32, '1'));
  EXPECT_EQ(by_address.status, 429);
  const std::string metrics = w.h.metrics().Render();
  EXPECT_NE(
      metrics.find(R"(attestd_rate_limited_total{route="/v1/attest/challenge",scope="vm"} 1)"),
      std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find(R"(attestd_rate_limited_total{route="/v1/attest/challenge",scope="address"} 1)"),
      std::string::npos);
  // Recovery when the clock moves on.
  w.h.set_now(w.h.now() + seconds(30));
  EXPECT_EQ(challenge(a).status, 201);
  EXPECT_EQ(challenge(a).status, 429);
  w.h.set_now(w.h.now() + seconds(60));
  EXPECT_EQ(challenge(a).status, 201);
}

TEST(ApiAttestTest, FloodBehindATrustedProxySpendsOnlyItsOwnBucket) {
  ReleaseWorld w;
  w.AddHost();
  ServiceContext& service = w.h.api().service();
  service.config.trusted_proxies = {*http::ParseCidr("127.0.0.0/8")};
  service.config.release_rate_per_address_per_minute = 5;
  service.release_limits = std::make_shared<ReleaseLimits>(service.config);
  const std::string flood_vm = w.NewVm(w.acme, "snp", {}).json["vm_id"];
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];

  // One client behind the proxy floods: after its 5 requests it meets its own limit. Every VM
  // id it names is another per-VM bucket, so only the per-address one stops it.
  w.h.set_peer("127.0.0.1", {{"X-Forwarded-For", "198.51.100.66"}});
  int limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = w.h.CallJson("POST", "/v1/attest/challenge",
                          {{"vm_id", flood_vm + "x" + std::to_string(i)}}, nullptr);
    limited += r.status == 429 ? 1 : 0;
  }
  EXPECT_EQ(limited, 15);
  // Spoofing the proxy's header through the proxy names the flooder again: the right-most
  // untrusted hop is what the proxy saw.
  w.h.set_peer("127.0.0.1", {{"X-Forwarded-For", "203.0.113.7, 198.51.100.66"}});
  EXPECT_EQ(w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", flood_vm}}, nullptr).status,
            429);

  // Another client behind the same proxy still gets its key (Forwarded, IPv6, with a port).
  w.h.set_peer("127.0.0.1", {{"Forwarded", "for=\"[2001:db8::7]:4711\";proto=https"}});
  Guest guest;
  const std::string nonce = w.Challenge(vm_id);
  auto r = w.Attest(ReleaseWorld::AttestBody(
      vm_id, nonce, guest,
      ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, nonce, guest))));
  EXPECT_EQ(r.status, 200) << r.body;
  // The release's audit entry names the client, not the proxy.
  const nlohmann::json audit = LastAudit(w);
  EXPECT_EQ(audit["action"], "vm.release");
  EXPECT_EQ(audit["client_address"], "2001:db8::7");

  // Without the proxy trusted, both are one address: the flood has spent it.
  service.config.trusted_proxies.clear();
  EXPECT_EQ(w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", vm_id}}, nullptr).status,
            201);  // 127.0.0.1's own bucket was untouched so far
  for (int i = 0; i < 5; ++i) {
    (void)w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", flood_vm}}, nullptr);
  }
  EXPECT_EQ(w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", vm_id}}, nullptr).status, 429);
}

TEST(ApiAttestTest, PublishesTheTokenKey) {
  ReleaseWorld w;
  auto r = w.h.Call("GET", "/v1/attest/keys", "", nullptr);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["keys"].size(), 1u);
  const nlohmann::json& jwk = r.json["keys"][0];
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-384");
  EXPECT_EQ(jwk["alg"], "ES384");
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(Base64UrlDecode(jwk["x"].get<std::string>())->size(), 48u);
  EXPECT_EQ(jwk["kid"].get<std::string>().size(), 43u);  // base64url SHA-256
  EXPECT_EQ(w.h.Call("GET", "/v1/attest/keys?x=1", "", nullptr).status, 400);
}

}  // namespace
}  // namespace attest::service::api
