// VM record routes (issue 9): placement on trusted hosts, launch tickets, isolation.
#include <gtest/gtest.h>

#include "protocol/ticket.h"
#include "service/api/testing/release_world.h"

namespace attest::service::api {
namespace {

using std::chrono::seconds;
using testing::ReleaseWorld;

TEST(ApiVmTest, CreateBuildsTheTicketTheHostBindsIntoTheTee) {
  ReleaseWorld w;
  const std::string host = w.AddHost();
  const std::string v1 = w.NewVolume(w.acme, "a"), v2 = w.NewVolume(w.acme, "b");
  for (const std::string tee : {"snp", "tdx"}) {
    SCOPED_TRACE(tee);
    auto r = w.NewVm(w.acme, tee, {v2, v1});
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id = r.json["vm_id"];
    EXPECT_EQ(id.size(), 3u + 32u);
    EXPECT_EQ(id.rfind("vm-", 0), 0u);
    EXPECT_EQ(r.json["tee"], tee);
    EXPECT_EQ(r.json["host_id"], host);
    EXPECT_EQ(r.json["policy"]["name"], tee + "-prod");
    EXPECT_EQ(r.json["policy"]["version"], 1);
    EXPECT_EQ(r.json["volume_ids"], (std::vector<std::string>{v2, v1}));
    const Bytes ticket = Base64Decode(r.json["ticket"].get<std::string>()).value();
    auto parsed = protocol::ParseTicket(ticket);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->vm_id, id);
    EXPECT_EQ(parsed->tenant_id, w.acme_tenant);
    EXPECT_EQ(parsed->host_id, host);
    EXPECT_EQ(parsed->policy_sha256, r.json["policy"]["sha256"]);
    EXPECT_EQ(parsed->volume_ids, (std::vector<std::string>{v2, v1}));
    EXPECT_EQ(parsed->created_at, w.h.now());
    const Sha256Digest host_data = protocol::TicketHostData(ticket);
    const Sha384Digest mr_config_id = protocol::TicketMrConfigId(ticket);
    EXPECT_EQ(r.json["host_data"], Base64Encode(ByteSpan(host_data.data(), host_data.size())));
    EXPECT_EQ(r.json["mr_config_id"],
              Base64Encode(ByteSpan(mr_config_id.data(), mr_config_id.size())));

    auto got = w.h.Call("GET", "/v1/vms/" + id, "", &w.acme);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(got.json["ticket"], r.json["ticket"]);
    EXPECT_EQ(got.json["deleted_at"], nullptr);
    EXPECT_EQ(got.json["host_untrusted_at"], nullptr);
    EXPECT_EQ(got.json["host_trusted"], true);
  }
  EXPECT_EQ(w.h.Call("GET", "/v1/vms", "", &w.acme).json["vms"].size(), 2u);
  // A policy's next version is pinned by new VMs only.
  std::string v2_doc = testing::kSnpPolicy;
  v2_doc.replace(v2_doc.find("3600"), 4, "1800");
  ASSERT_EQ(w.h.Call("PUT", "/v1/policies/snp-prod", v2_doc, &w.acme).status, 200);
  EXPECT_EQ(w.NewVm(w.acme, "snp", {}).json["policy"]["version"], 2);
}

TEST(ApiVmTest, PlacementNeedsATrustedFreshHostWithTheTee) {
  struct Case {
    std::string name;
    std::function<void(ReleaseWorld&)> hosts;
    std::string tee = "snp";
  };
  const std::vector<Case> cases = {
      {"no host", [](ReleaseWorld&) {}},
      {"untrusted host", [](ReleaseWorld& w) { w.AddHost({"snp"}, seconds(60), "untrusted"); }},
      {"activated, never quoted",
       [](ReleaseWorld& w) { w.AddHost({"snp"}, seconds(60), "activated"); }},
      {"trust expired", [](ReleaseWorld& w) { w.AddHost({"snp"}, seconds(3601)); }},
      {"stale quote for the policy",
       [](ReleaseWorld& w) {
         const std::string id = w.AddHost({"snp"});
         // Trusted until later, but the last good quote is older than the policy's 3600 s.
         auto db = w.h.pool().Acquire();
         ASSERT_TRUE((*db)
                         ->UpdateHostState(w.h.operator_tenant(), id, store::HostState::kTrusted,
                                           "{}", w.h.now() + seconds(7200),
                                           w.h.now() - seconds(4000))
                         .ok());
       }},
      {"wrong TEE",
       [](ReleaseWorld& w) {
         w.AddHost({"tdx", "sev"});
       }},
      {"wrong TEE for tdx", [](ReleaseWorld& w) { w.AddHost({"snp"}); }, "tdx"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ReleaseWorld w;
    c.hosts(w);
    const std::string vol = w.NewVolume(w.acme);
    auto r = w.NewVm(w.acme, c.tee, {vol});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json["code"], "launcher.no_trusted_host") << r.body;
    EXPECT_EQ(w.h.Call("GET", "/v1/vms", "", &w.acme).json["vms"].size(), 0u);
  }
}

TEST(ApiVmTest, VolumesMustBeTheCallersAndLive) {
  ReleaseWorld w;
  w.AddHost();
  const sigv4::Credentials evil = w.h.CreateTenant("evil");
  const std::string mine = w.NewVolume(w.acme);
  const std::string theirs = w.NewVolume(evil);
  const std::string gone = w.NewVolume(w.acme, "gone");
  ASSERT_EQ(w.h.Call("DELETE", "/v1/volumes/" + gone, "", &w.acme).status, 204);
  const std::string nobody = "vol-" + std::string(32, '0');
  auto missing = w.NewVm(w.acme, "snp", {mine, nobody});
  ASSERT_EQ(missing.status, 404) << missing.body;
  for (const std::string& id : {theirs, gone}) {
    SCOPED_TRACE(id);
    auto r = w.NewVm(w.acme, "snp", {mine, id});
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.json["code"], "store.not_found");
    std::string want = missing.body;
    want.replace(want.find(nobody), nobody.size(), id);
    EXPECT_EQ(r.body, want);  // another tenant's volume looks exactly missing
  }
  EXPECT_EQ(w.h.Call("GET", "/v1/vms", "", &w.acme).json["vms"].size(), 0u);
}

TEST(ApiVmTest, DeleteAndIsolation) {
  ReleaseWorld w;
  w.AddHost();
  const sigv4::Credentials evil = w.h.CreateTenant("evil");
  auto vm = w.NewVm(w.acme, "snp", {w.NewVolume(w.acme)});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string id = vm.json["vm_id"];
  const std::string nobody = "vm-" + std::string(32, '0');
  for (const std::string method : {"GET", "DELETE"}) {
    SCOPED_TRACE(method);
    auto theirs = w.h.Call(method, "/v1/vms/" + id, "", &evil);
    auto missing = w.h.Call(method, "/v1/vms/" + nobody, "", &evil);
    EXPECT_EQ(theirs.status, 404);
    std::string want = missing.body;
    want.replace(want.find(nobody), nobody.size(), id);
    EXPECT_EQ(theirs.body, want);
  }
  EXPECT_EQ(w.h.Call("GET", "/v1/vms", "", &evil).json["vms"].size(), 0u);
  // The tenant's policies are its own too.
  EXPECT_EQ(w.NewVm(evil, "snp", {}).json["code"], "store.not_found");

  const std::string nonce = w.Challenge(id);
  ASSERT_EQ(w.h.Call("DELETE", "/v1/vms/" + id, "", &w.acme).status, 204);
  EXPECT_EQ(w.h.Call("DELETE", "/v1/vms/" + id, "", &w.acme).status, 404);
  auto got = w.h.Call("GET", "/v1/vms/" + id, "", &w.acme);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json["deleted_at"], FormatRfc3339(w.h.now()));
  EXPECT_EQ(w.h.Call("GET", "/v1/vms", "", &w.acme).json["vms"].size(), 0u);
  // No new challenge for a deleted VM.
  auto r = w.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", id}}, nullptr);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json["code"], "api.not_found");
  (void)nonce;
}

TEST(ApiVmTest, RefusesHostileBodiesWithoutWriting) {
  ReleaseWorld w;
  w.AddHost();
  const std::string vol = w.NewVolume(w.acme);
  struct Case {
    std::string name, body, want;
    int status = 400;
  };
  const std::vector<Case> cases = {
      {"not json", "{", "api.malformed_json"},
      {"no tee", R"({"policy": "snp-prod", "volume_ids": []})", "api.invalid_field"},
      {"tee sev", R"({"tee": "sev", "policy": "snp-prod", "volume_ids": []})", "api.invalid_field"},
      {"tee as number", R"({"tee": 1, "policy": "snp-prod", "volume_ids": []})",
       "api.invalid_field"},
      {"bad policy name", R"({"tee": "snp", "policy": "a/b", "volume_ids": []})",
       "api.invalid_field"},
      {"unknown policy", R"({"tee": "snp", "policy": "nope", "volume_ids": []})", "store.not_found",
       404},
      {"policy without rules for the tee",
       R"({"tee": "tdx", "policy": "snp-prod", "volume_ids": []})", "api.invalid_field"},
      {"volume_ids not an array", R"({"tee": "snp", "policy": "snp-prod", "volume_ids": "x"})",
       "api.invalid_field"},
      {"volume id not a string", R"({"tee": "snp", "policy": "snp-prod", "volume_ids": [1]})",
       "api.invalid_field"},
      {"volume id with a slash", R"({"tee": "snp", "policy": "snp-prod", "volume_ids": ["../x"]})",
       "api.invalid_field"},
      {"volume twice",
       R"({"tee": "snp", "policy": "snp-prod", "volume_ids": [")" + vol + R"(", ")" + vol +
           R"("]})",
       "api.invalid_field"},
      {"too many volumes",
       R"({"tee": "snp", "policy": "snp-prod", "volume_ids": [)" +
           [] {
             std::string s;
             for (int i = 0; i < 65; ++i) {
               s += (i ? "," : "") + std::string("\"v") + std::to_string(i) + "\"";
             }
             return s;
           }() +
           "]}",
       "api.invalid_field"},
      {"unknown member",
       R"({"tee": "snp", "policy": "snp-prod", "volume_ids": [], "host_id": "h-1"})",
       "api.unknown_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = w.h.Call("POST", "/v1/vms", c.body, &w.acme);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.want) << r.body;
  }
  EXPECT_EQ(w.h.Call("POST", "/v1/vms", R"({"tee": "snp"})").status, 403);
  EXPECT_EQ(w.h.Call("GET", "/v1/vms", "", &w.acme).json["vms"].size(), 0u);
}

}  // namespace
}  // namespace attest::service::api
