// Guest key release routes (issue 9) with SoftwareTee evidence: successful releases for SNP and
// TDX, every attack of the issue refused with its code and no key bytes nor detail in the public
// answer (the detail goes to the tenant's audit log), hostile bodies, the rate limits, and the
// issue 17 orderings: bad nonces refused before any verification, a bounded number of
// verifications at once, deleted VMs answering like unknown ones.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "attest/snp/cert_table.h"
#include "attest/snp/wire.h"
#include "policy/token.h"
#include "service/api/testing/release_world.h"
#include "service/collateral/cache_items.h"
#include "service/collateral/kds.h"

namespace attest::service::api {
namespace {

using std::chrono::seconds;
using testing::ApiHarness;
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

// LastAudit is acme's newest audit entry (following next_after: a page holds 100 entries).
nlohmann::json LastAudit(ReleaseWorld& w) {
  nlohmann::json last;
  std::string after = "0";
  for (;;) {
    auto r = w.h.Call("GET", "/v1/audit?limit=1000&after=" + after, "", &w.acme);
    if (!r.json["entries"].empty()) {
      last = r.json["entries"].back();
    }
    if (!r.json.contains("next_after")) {
      return last;
    }
    after = std::to_string(r.json["next_after"].get<int64_t>());
  }
}

TEST(ApiAttestTest, ReleasesEachVolumeKeyToTheAttestedGuest) {
  for (const std::string tee : {"snp", "tdx"}) {
    SCOPED_TRACE(tee);
    ReleaseWorld w;
    w.AddHost();
    w.h.ephemeral_keys().WaitFull();  // so this release's one key comes from the pool
    const std::string v1 = w.NewVolume(w.acme, "root"), v2 = w.NewVolume(w.acme, "data");
    auto vm = w.NewVm(w.acme, tee, {v1, v2});
    ASSERT_EQ(vm.status, 201) << vm.body;
    const std::string vm_id = vm.json["vm_id"];
    Guest guest;
    const std::string nonce = w.Challenge(vm_id);
    ASSERT_EQ(nonce.size(), 64u);
    auto r = w.AttestGood(vm.json, nonce, guest);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["vm_id"], vm_id);
    EXPECT_EQ(r.json["policy"], tee + "-prod@1");
    ASSERT_EQ(r.json["keys"].size(), 2u);
    EXPECT_EQ(w.h.ephemeral_keys().served_from_pool(), 1u);  // one ephemeral key for both volumes
    EXPECT_EQ(w.h.ephemeral_keys().generated_on_demand(), 0u);
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

// PutCached stores value in the shared collateral cache as the refresher would, fetched at.
void PutCached(ReleaseWorld& w, std::string_view kind, const std::string& key, Bytes value,
               TimePoint fetched_at) {
  auto db = w.h.pool().Acquire();
  ASSERT_TRUE(db.ok());
  store::CachedCollateral item;
  item.kind = std::string(kind);
  item.key = key;
  item.value = std::move(value);
  item.origin = "fetch";
  item.fetched_at = fetched_at;
  item.issued_at = fetched_at;
  item.next_update = fetched_at + seconds(30 * 86400);
  ASSERT_TRUE((*db)->PutCachedCollateral(item).ok());
}

TEST(ApiAttestTest, SnpVcekAndCrlFromTheSharedCache) {
  namespace col = service::collateral;
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  std::string report_b64;
  auto attest = [&](bool send_vcek) {
    Guest guest;
    const std::string nonce = w.Challenge(vm_id);
    nlohmann::json e = ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, nonce, guest));
    report_b64 = e["report"];
    if (!send_vcek) {
      e.erase("vcek");
    }
    return w.Attest(ReleaseWorld::AttestBody(vm_id, nonce, guest, e));
  };
  // No VCEK from the guest and none cached: the report cannot be verified (and it is now wanted).
  auto r = attest(false);
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Failures(r.json).count("evidence:snp.signing_key_missing"), 1u) << r.body;

  // The operator's cache has the chip's VCEK (a host agent's upload, or a fetch): released.
  Result<snp::SnpReport> report = snp::ParseSnpReport(Base64Decode(report_b64).value());
  ASSERT_TRUE(report.ok());
  Result<col::VcekId> id = col::VcekIdForReport(*report, std::nullopt);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  PutCached(w, col::kKindVcek, col::VcekCacheKey(*id),
            ReleaseWorld::tee().SnpCollateral().endorsement_cert, w.h.now());
  r = attest(false);
  EXPECT_EQ(r.status, 200) << r.body;

  // The operator's CRL applies whatever the guest sends: here one that has expired.
  const std::string hierarchy = col::HierarchyKey(snp::EndorsementKind::kVcek, id->product);
  PutCached(
      w, col::kKindCrl, hierarchy,
      ReleaseWorld::tee().SnpCrlDer(w.h.now() - seconds(2 * 86400), w.h.now() - seconds(86400)),
      w.h.now());
  r = attest(true);
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Failures(r.json).count("evidence:x509.crl_expired"), 1u) << r.body;

  // A current CRL fetched longer ago than max_collateral_age_seconds (7 days) is stale.
  const TimePoint long_ago = w.h.now() - seconds(8 * 86400);
  auto db = w.h.pool().Acquire();
  ASSERT_TRUE(db.ok());
  store::CachedCollateral crl;
  crl.kind = std::string(col::kKindCrl);
  crl.key = hierarchy;
  crl.value = ReleaseWorld::tee().SnpCrlDer(long_ago, w.h.now() + seconds(86400));
  crl.origin = "fetch";
  crl.fetched_at = long_ago;
  crl.issued_at = w.h.now();  // newer than the expired one, so it replaces it
  crl.next_update = w.h.now() + seconds(86400);
  ASSERT_TRUE(*(*db)->PutCachedCollateral(crl));
  r = attest(true);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json["code"], "collateral.stale");
}

TEST(ApiAttestTest, AGuestsTdxCollateralNeverReplacesNewerCachedCollateral) {
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "tdx", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  auto imported = w.h.Call("POST", "/v1/collateral",
                           testing::CollateralJson(ReleaseWorld::tee().TdxCollateral()).dump(),
                           &w.h.operator_credentials());
  ASSERT_EQ(imported.status, 201) << imported.body;
  auto attest = [&](const std::function<void(nlohmann::json&)>& edit) {
    Guest guest;
    const std::string nonce = w.Challenge(vm_id);
    nlohmann::json e = ReleaseWorld::Evidence("tdx", ReleaseWorld::Launch(vm.json, nonce, guest));
    edit(e["collateral"]);
    return w.Attest(ReleaseWorld::AttestBody(vm_id, nonce, guest, e));
  };
  // The guest's collateral claims the cached evaluation but does not verify: the cached one is
  // used in its place, and the key is released.
  auto r = attest([](nlohmann::json& c) {
    std::string sig = c["tcb_info_signature"];
    sig[0] = sig[0] == '0' ? '1' : '0';
    c["tcb_info_signature"] = sig;
  });
  EXPECT_EQ(r.status, 200) << r.body;
  // Claiming a newer evaluation, it is the guest's that is verified, and refused.
  r = attest([](nlohmann::json& c) {
    nlohmann::json tcb = nlohmann::json::parse(c["tcb_info"].get<std::string>());
    tcb["tcbEvaluationDataNumber"] = tcb["tcbEvaluationDataNumber"].get<int64_t>() + 1;
    c["tcb_info"] = tcb.dump();
  });
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Failures(r.json).count("evidence:tdx.tcb_info_signature_invalid"), 1u) << r.body;
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
// world, the launch, the body; want is a failure that must be listed. secrets (after the edit)
// are what the failure's detail tells: absent from the public answer, present in the tenant's
// audit entry.
using Secrets = std::function<std::vector<std::string>(ReleaseWorld&, const nlohmann::json& vm,
                                                       const attest::testing::TeeLaunch&)>;
struct Attack {
  std::string name;
  std::string tee = "snp";
  std::function<void(ReleaseWorld&, nlohmann::json& vm, attest::testing::TeeLaunch&,
                     nlohmann::json& body)>
      edit;
  std::string want;
  Secrets secrets;
};

std::string DigestHex(const nlohmann::json& vm, const char* field) {
  return HexEncode(Base64Decode(vm[field].get<std::string>()).value());
}

// ExpectNothingButCodes checks a public refusal: each failure is exactly {check, code}, and the
// text names no host, no launch-ticket digest and no time.
void ExpectNothingButCodes(const ApiHarness::Reply& r, const nlohmann::json& vm) {
  ASSERT_TRUE(r.json.contains("failures")) << r.body;
  for (const auto& f : r.json["failures"]) {
    EXPECT_EQ(f.size(), 2u) << f;
    EXPECT_TRUE(f.contains("check") && f.contains("code")) << f;
  }
  EXPECT_EQ(r.body.find("\"detail\""), std::string::npos) << r.body;
  for (const std::string& secret :
       {vm["host_id"].get<std::string>(), DigestHex(vm, "host_data"), DigestHex(vm, "mr_config_id"),
        vm["vm_id"].get<std::string>()}) {
    EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " in " << r.body;
  }
  EXPECT_FALSE(std::regex_search(r.body, std::regex(R"(\d{4}-\d{2}-\d{2}T)"))) << r.body;
}

TEST(ApiAttestTest, EveryAttackIsRefusedWithItsCodeAndNoKey) {
  const std::vector<Attack> attacks = {
      {"replayed nonce", "snp",
       [](ReleaseWorld& w, nlohmann::json&, attest::testing::TeeLaunch&, nlohmann::json& body) {
         ASSERT_EQ(w.Attest(body).status, 200);  // the first use releases
       },
       "nonce:release.nonce_rejected",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"already used"};
       }},
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
       "nonce:release.nonce_rejected",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"already used"};
       }},
      {"wrong REPORT_DATA", "snp",
       [](ReleaseWorld&, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         launch.report_data = ReleaseWorld::Launch(vm, body["nonce"], Guest()).report_data;
       },
       "report_data:release.report_data_mismatch",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch& launch) {
         return std::vector<std::string>{HexEncode(launch.report_data)};
       }},
      {"wrong HOST_DATA (another VM's ticket)", "snp",
       [](ReleaseWorld& w, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         auto other = w.NewVm(w.acme, "snp", {});
         launch.launch_digest = Base64Decode(other.json["host_data"].get<std::string>()).value();
       },
       "launch_ticket:release.ticket_mismatch",
       [](ReleaseWorld&, const nlohmann::json& vm, const attest::testing::TeeLaunch& launch) {
         return std::vector<std::string>{HexEncode(launch.launch_digest),
                                         DigestHex(vm, "host_data")};
       }},
      {"wrong MRCONFIGID (another VM's ticket)", "tdx",
       [](ReleaseWorld& w, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         auto other = w.NewVm(w.acme, "tdx", {});
         launch.launch_digest = Base64Decode(other.json["mr_config_id"].get<std::string>()).value();
       },
       "launch_ticket:release.ticket_mismatch",
       [](ReleaseWorld&, const nlohmann::json& vm, const attest::testing::TeeLaunch& launch) {
         return std::vector<std::string>{HexEncode(launch.launch_digest),
                                         DigestHex(vm, "mr_config_id")};
       }},
      {"evidence of another TEE", "tdx",
       [](ReleaseWorld&, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         // A TDX VM's ticket, presented in an SNP report (HOST_DATA holds the ticket's SHA-256).
         launch.launch_digest = Base64Decode(vm["host_data"].get<std::string>()).value();
         body["evidence"]["tee"] = "snp-later";  // replaced below by SNP evidence
       },
       "launch_ticket:release.tee_type_mismatch",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"launched as tdx"};
       }},
      {"host turned untrusted", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         w.SetHostState(vm["host_id"], "untrusted");
       },
       "host:release.host_untrusted",
       [](ReleaseWorld&, const nlohmann::json& vm, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"host " + vm["host_id"].get<std::string>() +
                                         " is untrusted"};
       }},
      {"host failed a quote while the VM ran, then was trusted again", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         w.SetHostState(vm["host_id"], "untrusted");
         w.SetHostState(vm["host_id"], "trusted");
         auto got = w.h.Call("GET", "/v1/vms/" + vm["vm_id"].get<std::string>(), "", &w.acme);
         EXPECT_NE(got.json["host_untrusted_at"], nullptr) << got.body;
         EXPECT_EQ(got.json["host_trusted"], true);
       },
       "host:release.host_untrusted",
       [](ReleaseWorld&, const nlohmann::json& vm, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{vm["host_id"].get<std::string>(), "failed attestation at"};
       }},
      {"host trust expired", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         w.SetHostState(vm["host_id"], "trusted", seconds(3600));  // trusted_until == now
       },
       "host:release.host_untrusted",
       [](ReleaseWorld& w, const nlohmann::json& vm, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"host " + vm["host_id"].get<std::string>() +
                                         " trust expired at " + FormatRfc3339(w.h.now())};
       }},
      {"host quote older than the policy allows", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         auto db = w.h.pool().Acquire();
         ASSERT_TRUE((*db)
                         ->UpdateHostState(w.h.operator_tenant(), vm["host_id"],
                                           store::HostState::kTrusted, "{}",
                                           w.h.now() + seconds(7200), w.h.now() - seconds(4000))
                         .ok());
       },
       "host:release.host_quote_too_old",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"older than 3600 s"};
       }},
      {"policy with another measurement", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         const std::string doc = R"({"name": "strict", "snp": {"measurements": [")" +
                                 std::string(96, 'e') + R"("], "host_data_launch_ticket": true}})";
         ASSERT_EQ(w.h.Call("PUT", "/v1/policies/strict", doc, &w.acme).status, 201);
         vm = w.NewVm(w.acme, "snp", vm["volume_ids"], "strict").json;
         Rechallenge(w, vm, launch, body);
       },
       "policy:snp.measurement_rejected",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{std::string(96, 'e')};  // the value the policy wants
       }},
      {"debug-enabled guest", "snp",
       [](ReleaseWorld&, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         launch.debug = true;
       },
       "policy:snp.debug_forbidden",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"got "};
       }},
      {"debug-enabled TD", "tdx",
       [](ReleaseWorld&, nlohmann::json&, attest::testing::TeeLaunch& launch, nlohmann::json&) {
         launch.debug = true;
       },
       "policy:tdx.debug_forbidden",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"got "};
       }},
      {"expired collateral", "tdx",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch& launch,
          nlohmann::json& body) {
         // 45 days on: the host is quoted again, the guest gets a fresh challenge, but the
         // TDX CRLs and TCB info have passed their nextUpdate.
         w.h.set_now(w.h.now() + seconds(86400 * 45));
         w.SetHostState(vm["host_id"], "trusted");
         Rechallenge(w, vm, launch, body);
       },
       "evidence:x509.crl_expired",
       [](ReleaseWorld&, const nlohmann::json&, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"nextUpdate"};
       }},
      {"volume deleted after the VM was made", "snp",
       [](ReleaseWorld& w, nlohmann::json& vm, attest::testing::TeeLaunch&, nlohmann::json&) {
         ASSERT_EQ(w.h.Call("DELETE", "/v1/volumes/" + vm["volume_ids"][0].get<std::string>(), "",
                            &w.acme)
                       .status,
                   204);
       },
       "volume:release.volume_unavailable",
       [](ReleaseWorld&, const nlohmann::json& vm, const attest::testing::TeeLaunch&) {
         return std::vector<std::string>{"volume " + vm["volume_ids"][0].get<std::string>() +
                                         " was deleted"};
       }},
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
    // Issue 17: the stranger learns the failed checks' names and codes, nothing else.
    ExpectNothingButCodes(r, vm);
    const nlohmann::json audit = LastAudit(w);
    if (a.want == "nonce:release.nonce_rejected") {
      // Refused before any check: counted, not audited (issue 17 #2).
      EXPECT_NE(audit["outcome"], "denied") << audit;
      continue;
    }
    EXPECT_EQ(audit["action"], "vm.release");
    EXPECT_EQ(audit["outcome"], "denied");
    const std::string detail = audit["detail"].get<std::string>();
    // The tenant's entry has the check, its code, and what the check saw.
    EXPECT_NE(detail.find(a.want + " ("), std::string::npos) << detail;
    const std::vector<std::string> secrets = a.secrets(w, vm, launch);
    ASSERT_FALSE(secrets.empty());
    for (const std::string& secret : secrets) {
      SCOPED_TRACE(secret);
      EXPECT_NE(detail.find(secret), std::string::npos) << detail;
      EXPECT_EQ(r.body.find(secret), std::string::npos) << r.body;
    }
  }
}

// The series the verification histogram keeps per evidence type: absent until a verification ran.
bool Verified(ReleaseWorld& w) {
  return w.h.metrics().Render().find("attestd_verification_duration_seconds_count{") !=
         std::string::npos;
}

// Issue 17: a nonce that is unknown, spent, expired or another VM's is refused with that one
// failure before any signature is checked; it is counted, not audited.
TEST(ApiAttestTest, BadNoncesAreRefusedBeforeAnyVerification) {
  struct Case {
    std::string name;
    // nonce returns the nonce the guest sends (its evidence is otherwise good for the VM).
    std::function<std::string(ReleaseWorld&, const std::string& vm_id)> nonce;
  };
  const Case cases[] = {
      {"unknown", [](ReleaseWorld&, const std::string&) { return std::string(64, 'a'); }},
      {"spent",
       [](ReleaseWorld& w, const std::string& vm_id) {
         std::string n = w.Challenge(vm_id);
         auto db = w.h.pool().Acquire();
         EXPECT_TRUE((*db)->ConsumeNonce(w.acme_tenant, vm_id, n, w.h.now()).ok());
         return n;
       }},
      {"expired",
       [](ReleaseWorld& w, const std::string& vm_id) {
         std::string n = w.Challenge(vm_id);
         w.h.set_now(w.h.now() + w.h.api().service().config.nonce_ttl);
         return n;
       }},
      {"another VM's",
       [](ReleaseWorld& w, const std::string&) {
         return w.Challenge(w.NewVm(w.acme, "snp", {}).json["vm_id"]);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ReleaseWorld w;
    w.AddHost();
    auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
    ASSERT_EQ(vm.status, 201) << vm.body;
    const std::string vm_id = vm.json["vm_id"];
    Guest guest;
    auto r = w.AttestGood(vm.json, c.nonce(w, vm_id), guest);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json["code"], "release.denied");
    // Only the nonce: no other check ran.
    EXPECT_EQ(Failures(r.json), std::set<std::string>{"nonce:release.nonce_rejected"}) << r.body;
    EXPECT_FALSE(Verified(w)) << w.h.metrics().Render();
    const std::string metrics = w.h.metrics().Render();
    EXPECT_NE(metrics.find(R"(attestd_decisions_total{kind="release",outcome="nonce_refused"} 1)"),
              std::string::npos)
        << metrics;
    // Counted, not audited: anyone can send these by the million (issue 17 #2).
    EXPECT_NE(LastAudit(w)["action"], "vm.release") << LastAudit(w);

    // The same world verifies a good attempt (the metric above could have moved).
    const std::string good = w.Challenge(vm_id);
    r = w.AttestGood(vm.json, good, guest);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(Verified(w));
  }
}

// Issue 17: beyond max_concurrent_verifications, 503 api.verifications_busy with Retry-After: 1,
// nothing verified, nothing recorded, the nonce untouched; a bad nonce is still refused at once.
TEST(ApiAttestTest, FullVerificationGateAnswers503AndKeepsTheNonce) {
  ReleaseWorld w;
  w.AddHost();
  ServiceConfig config = w.h.api().service().config;
  config.max_concurrent_verifications = 2;
  w.h.api().service().release_limits = std::make_shared<ReleaseLimits>(config);
  http::ConcurrencyGate& gate = w.h.api().service().release_limits->verifications;
  ASSERT_EQ(gate.max(), 2u);
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  Guest guest;
  const std::string nonce = w.Challenge(vm_id);
  const nlohmann::json body = ReleaseWorld::GoodBody(vm.json, nonce, guest);

  // Two verifications in flight (held here, as two request threads would).
  ASSERT_TRUE(gate.TryEnter());
  ASSERT_TRUE(gate.TryEnter());
  auto busy = w.Attest(body);
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(busy.json["code"], "api.verifications_busy");
  ASSERT_EQ(busy.headers.size(), 2u);
  EXPECT_EQ(busy.headers[0].name, "Retry-After");
  EXPECT_EQ(busy.headers[0].value, "1");
  EXPECT_FALSE(Verified(w));
  EXPECT_NE(LastAudit(w)["action"], "vm.release");
  EXPECT_NE(w.h.metrics().Render().find("attestd_verifications_busy_total 1"), std::string::npos)
      << w.h.metrics().Render();
  // A bad nonce needs no place: refused as such, not as busy.
  nlohmann::json bad = body;
  bad["nonce"] = std::string(64, 'b');
  auto refused = w.Attest(bad);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Failures(refused.json), std::set<std::string>{"nonce:release.nonce_rejected"});
  EXPECT_EQ(gate.inside(), 2u);

  // One verification ends: the same request, same nonce, releases, and gives its place back.
  gate.Leave();
  auto r = w.Attest(body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Verified(w));
  EXPECT_EQ(gate.inside(), 1u);
  // A refusal after the verification gives it back too.
  const std::string again = w.Challenge(vm_id);
  auto denied = w.Attest(ReleaseWorld::AttestBody(
      vm_id, again, guest,
      ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, nonce, guest))));
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_TRUE(Failures(denied.json).count("report_data:release.report_data_mismatch"));
  EXPECT_EQ(gate.inside(), 1u);
  gate.Leave();
}

// Issue 17: a deleted VM answers exactly like one that never existed, on both routes, echoing no
// id, recording nothing, and spending the same per-VM rate limit.
TEST(ApiAttestTest, DeletedAndUnknownVmsAnswerAlike) {
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string doomed = vm.json["vm_id"];
  std::string unknown = doomed;
  unknown.back() = unknown.back() == '0' ? '1' : '0';
  Guest guest;
  const std::string nonce = w.Challenge(doomed);
  const nlohmann::json evidence =
      ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, nonce, guest));
  ASSERT_EQ(w.h.Call("DELETE", "/v1/vms/" + doomed, "", &w.acme).status, 204);

  auto deleted_attest = w.Attest(ReleaseWorld::AttestBody(doomed, nonce, guest, evidence));
  auto unknown_attest = w.Attest(ReleaseWorld::AttestBody(unknown, nonce, guest, evidence));
  EXPECT_EQ(deleted_attest.status, 404) << deleted_attest.body;
  EXPECT_EQ(deleted_attest.status, unknown_attest.status);
  EXPECT_EQ(deleted_attest.json["code"], "api.not_found");
  EXPECT_EQ(deleted_attest.body, unknown_attest.body);
  auto deleted_challenge =
      w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", doomed}}, nullptr);
  auto unknown_challenge =
      w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", unknown}}, nullptr);
  EXPECT_EQ(deleted_challenge.status, 404);
  EXPECT_EQ(deleted_challenge.body, unknown_challenge.body);
  for (const auto* r : {&deleted_attest, &unknown_attest, &deleted_challenge, &unknown_challenge}) {
    EXPECT_EQ(r->body.find(doomed), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find(unknown), std::string::npos) << r->body;
  }
  EXPECT_NE(LastAudit(w)["action"], "vm.release");
  EXPECT_FALSE(Verified(w));

  // The per-VM limit counts both alike: two attempts per minute each, then 429.
  ServiceConfig config = w.h.api().service().config;
  config.release_rate_per_vm_per_minute = 2;
  w.h.api().service().release_limits = std::make_shared<ReleaseLimits>(config);
  for (const std::string& id : {doomed, unknown}) {
    SCOPED_TRACE(id);
    const nlohmann::json body = ReleaseWorld::AttestBody(id, nonce, guest, evidence);
    EXPECT_EQ(w.Attest(body).status, 404);
    EXPECT_EQ(w.Attest(body).status, 404);
    auto limited = w.Attest(body);
    EXPECT_EQ(limited.status, 429) << limited.body;
    EXPECT_EQ(limited.json["code"], "api.rate_limited");
  }
}

// Issue 17 #4: a release racing DELETE /v1/vms or DELETE /v1/volumes returns keys only if it was
// recorded before the deletion: never after the deletion answered, and never behind its audit
// entry in the chain. 100 rounds, the VM deleted on even rounds and its volume on odd ones, most
// deletions landing while the release verifies evidence.
TEST(ApiAttestTest, ReleaseRacingADeletionNeverReturnsKeysAfterIt) {
  ReleaseWorld w;
  w.AddHost();
  constexpr int kRounds = 100;
  int late = 0, released = 0, refused = 0;
  int64_t cursor = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string volume = w.NewVolume(w.acme, "v" + std::to_string(round));
    auto vm = w.NewVm(w.acme, "snp", {volume});
    ASSERT_EQ(vm.status, 201) << vm.body;
    const std::string vm_id = vm.json["vm_id"];
    Guest guest;
    const std::string nonce = w.Challenge(vm_id);
    const nlohmann::json body = ReleaseWorld::GoodBody(vm.json, nonce, guest);
    std::atomic<bool> deleted{false};
    std::barrier start(2);
    const http::ConcurrencyGate& verifying = w.h.api().service().release_limits->verifications;
    std::thread deleter([&] {
      start.arrive_and_wait();
      // Every other round, wait until the release is verifying evidence: the nonce is consumed
      // and the VM and volumes read, so only the check where the release is recorded can see
      // the deletion (the others land before the release starts, or after it).
      if (round % 2 == 1 || round % 4 == 0) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (verifying.inside() == 0 && std::chrono::steady_clock::now() < give_up) {
          std::this_thread::yield();
        }
      }
      const std::string path = round % 2 == 0 ? "/v1/vms/" + vm_id : "/v1/volumes/" + volume;
      const auto r = w.h.Call("DELETE", path, "", &w.acme);
      EXPECT_EQ(r.status, 204) << r.body;
      deleted = r.status == 204;
    });
    start.arrive_and_wait();
    std::this_thread::sleep_for(std::chrono::microseconds(100 * (round % 10)));
    const bool gone_before = deleted.load();
    const auto r = w.Attest(body);
    deleter.join();
    // This round's audit entries: a release must come before the deletion in the one chain.
    auto entries =
        w.h.Call("GET", "/v1/audit?limit=1000&after=" + std::to_string(cursor), "", &w.acme)
            .json["entries"];
    ASSERT_FALSE(entries.empty());
    cursor = entries.back()["seq"].get<int64_t>();
    int64_t release_seq = -1, delete_seq = -1;
    for (const auto& e : entries) {
      if (e["action"] == "vm.release" && e["outcome"] == "released") {
        release_seq = e["seq"].get<int64_t>();
      }
      if (e["action"] == "vm.delete" || e["action"] == "volume.delete") {
        delete_seq = e["seq"].get<int64_t>();
      }
    }
    ASSERT_GE(delete_seq, 0);
    if (r.status == 200) {
      ++released;
      late += gone_before || release_seq < 0 || release_seq > delete_seq ? 1 : 0;
    } else {
      ++refused;
      EXPECT_TRUE(r.status == 403 || r.status == 404) << r.body;
      EXPECT_FALSE(r.json.contains("keys")) << r.body;
    }
  }
  EXPECT_EQ(late, 0) << "keys returned after the deletion had answered";
  EXPECT_GT(refused, 0) << "no round saw the deletion: the race was never run";
  EXPECT_EQ(released + refused, kRounds);
}

// Issue 17 #6: revoking the policy version a VM's ticket pins, or deleting the policy, stops every
// release to it; a later version does not bring it back (the ticket pins the version).
TEST(ApiAttestTest, ARevokedOrDeletedPolicyVersionReleasesNothing) {
  for (const std::string how : {"revoke", "delete"}) {
    SCOPED_TRACE(how);
    ReleaseWorld w;
    w.AddHost();
    auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
    ASSERT_EQ(vm.status, 201) << vm.body;
    const std::string vm_id = vm.json["vm_id"];
    Guest guest;
    auto attempt = [&] { return w.AttestGood(vm.json, w.Challenge(vm_id), guest); };
    ASSERT_EQ(attempt().status, 200);
    if (how == "revoke") {
      auto r = w.h.Call("POST", "/v1/policies/snp-prod/versions/1/revoke", "", &w.acme);
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.json["version"], 1);
      EXPECT_TRUE(r.json.contains("revoked_at")) << r.body;
      EXPECT_EQ(LastAudit(w)["action"], "policy.revoke");
      EXPECT_EQ(LastAudit(w)["subject"], "snp-prod@1");
    } else {
      ASSERT_EQ(w.h.Call("DELETE", "/v1/policies/snp-prod", "", &w.acme).status, 204);
    }
    // A new version of the same name does not help a VM pinned to the old one.
    ASSERT_EQ(w.h.Call("PUT", "/v1/policies/snp-prod", testing::kSnpPolicy, &w.acme).status, 200);
    auto r = attempt();
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(Failures(r.json), std::set<std::string>{"policy:release.policy_revoked"}) << r.body;
    EXPECT_FALSE(r.json.contains("keys"));
  }
}

TEST(ApiAttestTest, RevokeRefusesBadVersionsAndOtherTenants) {
  ReleaseWorld w;
  const struct {
    std::string path;
    bool other_tenant;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"/v1/policies/snp-prod/versions/0/revoke", false, 400, "api.invalid_field"},
      {"/v1/policies/snp-prod/versions/01/revoke", false, 400, "api.invalid_field"},
      {"/v1/policies/snp-prod/versions/x/revoke", false, 400, "api.invalid_field"},
      {"/v1/policies/snp-prod/versions/9999999999999999999/revoke", false, 400,
       "api.invalid_field"},
      {"/v1/policies/snp-prod/versions/7/revoke", false, 404, "store.not_found"},
      {"/v1/policies/nope/versions/1/revoke", false, 404, "store.not_found"},
      {"/v1/policies/snp-prod/versions/1/revoke", true, 404, "store.not_found"},
  };
  const sigv4::Credentials other = w.h.CreateTenant("other");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto r = w.h.Call("POST", c.path, "", c.other_tenant ? &other : &w.acme);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  auto got = w.h.Call("GET", "/v1/policies/snp-prod", "", &w.acme);
  EXPECT_FALSE(got.json.contains("revoked_at")) << got.body;
}

// The audit entry keeps each check's detail, cut to a bound: a policy listing many values does
// not grow the log without limit.
TEST(ApiAttestTest, AuditDetailIsBounded) {
  ReleaseWorld w;
  w.AddHost();
  std::string measurements;
  for (int i = 0; i < 40; ++i) {  // "eee...e00" .. "eee...e27": none is the software TEE's
    char suffix[3];
    std::snprintf(suffix, sizeof suffix, "%02x", i);
    measurements +=
        std::string(measurements.empty() ? "" : ", ") + "\"" + std::string(94, 'e') + suffix + "\"";
  }
  const std::string doc = R"({"name": "many", "snp": {"measurements": [)" + measurements +
                          R"(], "host_data_launch_ticket": true}})";
  ASSERT_EQ(w.h.Call("PUT", "/v1/policies/many", doc, &w.acme).status, 201);
  auto vm = w.NewVm(w.acme, "snp", {}, "many");
  ASSERT_EQ(vm.status, 201) << vm.body;
  Guest guest;
  const std::string nonce = w.Challenge(vm.json["vm_id"]);
  auto r = w.AttestGood(vm.json, nonce, guest);
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Failures(r.json), std::set<std::string>{"policy:snp.measurement_rejected"});
  const std::string detail = LastAudit(w)["detail"].get<std::string>();
  EXPECT_NE(detail.find("policy:snp.measurement_rejected (snp.measurements: got "),
            std::string::npos)
      << detail;
  EXPECT_LT(detail.size(), 1024u) << detail;  // the wanted list is ~4 KiB
  EXPECT_NE(detail.find("...)"), std::string::npos) << detail;
}

TEST(ApiAttestTest, RefusesHostileBodies) {
  ReleaseWorld w;
  w.AddHost();
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  Guest guest;
  const std::string nonce = w.Challenge(vm_id);
  const nlohmann::json good = ReleaseWorld::GoodBody(vm.json, nonce, guest);
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
  auto r = w.AttestGood(vm.json, nonce, guest);
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
