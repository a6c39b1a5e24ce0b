// Launching VMs through POST /v1/vms (issue 10): on the placed host's hypervisor (a fake here:
// this machine has no SNP/TDX), with the tenant's nets, addresses and security groups, and
// nothing left anywhere when a launch fails.
#include "service/api/vm_launch.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "service/api/testing/launch_world.h"

namespace attest::service::api {
namespace {

using attest::testing::FakeHypervisor;
using nlohmann::json;
using testing::kImageBytes;
using testing::LaunchWorld;

TEST(VmLaunchTest, LaunchesOnThePlacedHostBoundToTheTicketAndStopsOnDelete) {
  LaunchWorld t;
  auto& w_ = t.w_;
  auto& fake_ = t.fake_;
  const std::string image_ = t.image_, host_ = t.host_;
  auto Launch = [&](const json& l, const std::vector<std::string>& v) { return t.Launch(l, v); };
  auto Standard = [&] { return t.Standard(); };
  auto NewImage = [&](const std::string& n) { return t.NewImage(n); };
  auto r = Launch(Standard(), {image_});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["vm_id"];
  EXPECT_EQ(r.json["host_id"], host_);
  EXPECT_EQ(r.json["launch"]["domain"], "attest-" + id);
  EXPECT_EQ(r.json["launch"]["state"], "running");
  ASSERT_EQ(r.json["launch"]["interfaces"].size(), 1u);
  EXPECT_EQ(r.json["launch"]["interfaces"][0]["address"], "10.20.0.2");
  // The domain carries the ticket's SHA-256 as HOST_DATA, the tenant's image, and the filter.
  const std::string& xml = fake_->domains().at("attest-" + id).xml;
  EXPECT_NE(xml.find("sev-snp"), std::string::npos);
  EXPECT_NE(xml.find(r.json["host_data"].template get<std::string>()), std::string::npos) << xml;
  EXPECT_NE(xml.find(image_ + ".img"), std::string::npos);
  EXPECT_NE(xml.find("10.20.0.2"), std::string::npos);
  EXPECT_EQ(
      fake_->nwfilters().count("attest-vm-" + id.substr(3, 8) + "-" + id.substr(11, 4) + "-" +
                               id.substr(15, 4) + "-" + id.substr(19, 4) + "-" + id.substr(23)),
      1u);

  auto got = w_.h.Call("GET", "/v1/vms/" + id, "", &w_.acme);
  EXPECT_EQ(got.json["domain"], "attest-" + id);
  EXPECT_EQ(got.json["interfaces"][0]["address"], "10.20.0.2");

  // A second VM on the same net gets the next address; after a delete the address is free again.
  auto second = Launch(Standard(), {NewImage("disk2")});
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.json["launch"]["interfaces"][0]["address"], "10.20.0.3");
  ASSERT_EQ(w_.h.Call("DELETE", "/v1/vms/" + id, "", &w_.acme).status, 204);
  EXPECT_EQ(fake_->domains().count("attest-" + id), 0u);
  auto third = Launch(Standard(), {NewImage("disk3")});
  ASSERT_EQ(third.status, 201) << third.body;
  EXPECT_EQ(third.json["launch"]["interfaces"][0]["address"], "10.20.0.2");
  ASSERT_EQ(w_.h.Call("DELETE", "/v1/vms/" + second.json["vm_id"].template get<std::string>(), "",
                      &w_.acme)
                .status,
            204);
}

TEST(VmLaunchTest, AFailedLaunchLeavesNoRecordAndNothingOnTheHost) {
  struct Case {
    std::string name;
    json launch;
    bool key_only_volume;
    std::function<void(LaunchWorld&)> arrange;
    int want_status;
    std::string want_code;
  };
  const json standard = LaunchWorld::Standard();
  const std::vector<Case> cases = {
      {"unknown net", {{"nets", {"nope"}}}, false, nullptr, 404, "store.not_found"},
      {"unknown group", {{"security_groups", {"nope"}}}, false, nullptr, 404, "store.not_found"},
      {"a key without an image", standard, true, nullptr, 400, "launcher.invalid_spec"},
      {"no SNP firmware configured", standard, false,
       [](LaunchWorld& t) { t.w_.h.api().service().launch.snp_firmware.clear(); }, 400,
       "launcher.invalid_spec"},
      {"the host refuses the domain", standard, false,
       [](LaunchWorld& t) { t.fake_->FailNext(FakeHypervisor::Op::kDefineDomain); }, 503,
       "launcher.hypervisor_error"},
      {"the domain does not start", standard, false,
       [](LaunchWorld& t) { t.fake_->FailNext(FakeHypervisor::Op::kStartDomain); }, 503,
       "launcher.hypervisor_error"},
      {"the host lacks the TEE", standard, false,
       [](LaunchWorld& t) {
         t.fake_->domain_capabilities_xml =
             "<domainCapabilities><domain>kvm</domain><features><sev supported='no'/>"
             "</features></domainCapabilities>";
       },
       422, "launcher.tee_unavailable"},
      {"the host cannot be reached", standard, false,
       [](LaunchWorld& t) {
         t.w_.SetHostState(t.host_, "untrusted");
         t.AddLaunchableHost("qemu+tls://host-2.example/system");
       },
       503, "launcher.hypervisor_error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LaunchWorld t;
    if (c.arrange) {
      c.arrange(t);
    }
    const std::string volume = c.key_only_volume ? t.w_.NewVolume(t.w_.acme, "key") : t.image_;
    auto r = t.Launch(c.launch, {volume});
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
    EXPECT_EQ(t.w_.h.Call("GET", "/v1/vms", "", &t.w_.acme).json["vms"].size(), 0u);
    t.ExpectNothingOnTheHost();
  }
  // The address of a failed launch went back to the net.
  LaunchWorld t;
  t.fake_->FailNext(FakeHypervisor::Op::kStartDomain);
  ASSERT_EQ(t.Launch(standard, {t.image_}).status, 503);
  auto ok = t.Launch(standard, {t.image_});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json["launch"]["interfaces"][0]["address"], "10.20.0.2");
}

// A libvirt URI stored before attestd checked them (here written straight into the database) is
// checked again before every connection: the launch fails like an unreachable host, is audited,
// and the connector never sees the URI.
TEST(VmLaunchTest, AStoredLibvirtUriThatFailsTheCheckIsNeverUsed) {
  for (const std::string uri :
       {"qemu+ext:///system?command=/bin/sh", "qemu+tls://host-2.example/system?no_verify=1",
        "test:///default"}) {
    SCOPED_TRACE(uri);
    LaunchWorld t;
    t.w_.SetHostState(t.host_, "untrusted");
    t.AddLaunchableHost(uri);
    auto r = t.Launch(t.Standard(), {t.image_});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json["code"], "launcher.hypervisor_error") << r.body;
    EXPECT_EQ(t.connections_.count(uri), 0u);
    EXPECT_EQ(t.w_.h.Call("GET", "/v1/vms", "", &t.w_.acme).json["vms"].size(), 0u);
    const json audit = t.w_.h.Call("GET", "/v1/audit", "", &t.w_.acme).json["entries"];
    ASSERT_FALSE(audit.empty());
    EXPECT_EQ(audit.back()["action"], "vm.launch");
    EXPECT_EQ(audit.back()["outcome"], "failed");
    t.ExpectNothingOnTheHost();
  }
}

TEST(VmLaunchTest, PlacementForALaunchSkipsHostsAttestdCannotReach) {
  LaunchWorld t;
  auto& w_ = t.w_;
  const std::string image_ = t.image_, host_ = t.host_;
  // A trusted host without a libvirt URI is fine for a record, not for a launch.
  w_.SetHostState(host_, "untrusted");
  w_.AddHost();
  auto record = w_.NewVm(w_.acme, "snp", {image_});
  EXPECT_EQ(record.status, 201) << record.body;
  // A record-only VM has nothing to stop: deleting it twice is a 404 the second time.
  const std::string record_id = record.json["vm_id"];
  EXPECT_EQ(w_.h.Call("DELETE", "/v1/vms/" + record_id, "", &w_.acme).status, 204);
  EXPECT_EQ(w_.h.Call("DELETE", "/v1/vms/" + record_id, "", &w_.acme).status, 404);
  auto r = t.Launch(t.Standard(), {image_});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json["code"], "launcher.no_trusted_host");
  // Without a connector attestd launches nowhere.
  w_.SetHostState(host_, "trusted");
  w_.h.api().service().connect_hypervisor = nullptr;
  r = t.Launch(t.Standard(), {image_});
  EXPECT_EQ(r.json["code"], "launcher.no_trusted_host") << r.body;
}

TEST(VmLaunchTest, AStopThatFailsEndsKeyReleaseAndIsFinishedByARetry) {
  LaunchWorld t;
  auto& w_ = t.w_;
  auto& fake_ = t.fake_;
  auto r = t.Launch(t.Standard(), {t.image_});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["vm_id"];
  fake_->FailNext(FakeHypervisor::Op::kDestroyDomain);
  auto del = w_.h.Call("DELETE", "/v1/vms/" + id, "", &w_.acme);
  EXPECT_EQ(del.status, 503) << del.body;
  EXPECT_EQ(del.json["code"], "launcher.hypervisor_error");
  // The record is deleted already: no challenge, no key, whatever the host does.
  auto vm = w_.h.Call("GET", "/v1/vms/" + id, "", &w_.acme);
  EXPECT_NE(vm.json["deleted_at"], nullptr);
  auto challenge = w_.h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", id}}, nullptr);
  EXPECT_EQ(challenge.status, 404) << challenge.body;
  EXPECT_EQ(fake_->domains().count("attest-" + id), 1u);
  ASSERT_EQ(w_.h.Call("DELETE", "/v1/vms/" + id, "", &w_.acme).status, 204);
  EXPECT_TRUE(fake_->domains().empty());
  // The VM's filter goes with it; the tenant's net stays for its other VMs.
  for (const auto& [name, xml] : fake_->nwfilters()) {
    EXPECT_EQ(name.rfind("attest-vm-", 0), std::string::npos) << name;
  }
  EXPECT_EQ(fake_->networks().count("attest-net-" + t.net_id_), 1u);
  // DELETE stays idempotent for a launched VM: stopping what is already gone succeeds.
  EXPECT_EQ(w_.h.Call("DELETE", "/v1/vms/" + id, "", &w_.acme).status, 204);
}

// PoolHold keeps every thread of a slow-work pool without a queue busy until it is destroyed.
class PoolHold {
 public:
  explicit PoolHold(work::SlowWork& pool) {
    thread_ = std::thread([this, &pool] {
      EXPECT_TRUE(pool.Run([this] {
                        std::unique_lock<std::mutex> lock(mu_);
                        held_ = true;
                        cv_.notify_all();
                        cv_.wait(lock, [this] { return open_; });
                      })
                      .ok());
    });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }
  ~PoolHold() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, open_ = false;
  std::thread thread_;
};

// A full slow-work pool: the launch, the stop and a LUKS volume answer 503 work.busy with
// Retry-After and leave nothing (the VM record is deleted again, no image, nothing on the host);
// routes without slow work still answer; once the pool has room the same requests succeed.
TEST(VmLaunchTest, AFullSlowWorkPoolRefusesWithRetryAfterAndLeavesNothing) {
  LaunchWorld t;
  auto& w_ = t.w_;
  auto& fake_ = t.fake_;
  auto pool = std::make_shared<work::SlowWork>(1, 0);
  w_.h.api().service().slow_work = pool;
  auto expect_busy = [](const testing::ApiHarness::Reply& r) {
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json["code"], "work.busy");
    ASSERT_EQ(r.headers.size(), 2u);  // and X-Request-Id, on every response
    EXPECT_EQ(r.headers[0].name, "Retry-After");
    EXPECT_GE(std::stoi(r.headers[0].value), 1);
  };
  const size_t images_before =
      std::distance(std::filesystem::directory_iterator(w_.h.dir() / "volumes"), {});
  std::string id;
  {
    PoolHold hold(*pool);
    expect_busy(t.Launch(t.Standard(), {t.image_}));
    EXPECT_EQ(w_.h.Call("GET", "/v1/vms", "", &w_.acme).json["vms"].size(), 0u);
    t.ExpectNothingOnTheHost();
    EXPECT_EQ(t.connections_[LaunchWorld::kUri], 0);
    expect_busy(w_.h.CallJson("POST", "/v1/volumes",
                              {{"name", "busy"}, {"size_bytes", kImageBytes}}, &w_.acme));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(w_.h.dir() / "volumes"), {}),
              static_cast<std::ptrdiff_t>(images_before));
    // Key-only volumes and reads need no slow work.
    EXPECT_EQ(w_.h.CallJson("POST", "/v1/volumes", {{"name", "key-only"}}, &w_.acme).status, 201);
    EXPECT_EQ(w_.h.Call("GET", "/v1/volumes", "", &w_.acme).json["volumes"].size(), 2u);
  }
  auto r = t.Launch(t.Standard(), {t.image_});
  ASSERT_EQ(r.status, 201) << r.body;
  id = r.json["vm_id"];
  {
    PoolHold hold(*pool);
    expect_busy(w_.h.Call("DELETE", "/v1/vms/" + id, "", &w_.acme));
    EXPECT_EQ(fake_->domains().count("attest-" + id), 1u);  // not stopped yet
  }
  EXPECT_EQ(w_.h.Call("DELETE", "/v1/vms/" + id, "", &w_.acme).status, 204);
  EXPECT_TRUE(fake_->domains().empty());
  EXPECT_EQ(pool->stats().refused, 3u);
}

TEST(VmLaunchTest, HostileLaunchMembersAreRefusedWithoutWriting) {
  LaunchWorld t;
  auto& w_ = t.w_;
  const struct {
    std::string name;
    json launch;
  } cases[] = {
      {"not an object", 5},
      {"a list", json::array()},
      {"memory too small", {{"memory_mib", 64}}},
      {"memory a string", {{"memory_mib", "1024"}}},
      {"no vcpu", {{"vcpus", 0}}},
      {"too many vcpus", {{"vcpus", 100000}}},
      {"net twice", {{"nets", {"lan", "lan"}}}},
      {"net a number", {{"nets", {1}}}},
      {"net a bad name", {{"nets", {"../lan"}}}},
      {"too many nets",
       {{"nets", json::array({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
                              "o", "p", "q"})}}},
      {"groups not a list", {{"security_groups", "web"}}},
      {"unknown member", {{"disk", "vda"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = t.Launch(c.launch, {t.image_});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(r.json["code"] == "api.invalid_field" || r.json["code"] == "api.unknown_field")
        << r.body;
  }
  EXPECT_EQ(w_.h.Call("GET", "/v1/vms", "", &w_.acme).json["vms"].size(), 0u);
  EXPECT_TRUE(t.connections_.empty());
  t.ExpectNothingOnTheHost();
}

// The placement of POST /v1/vms is the one placement model: a launch also asks for a quote no
// older than the operator's launch_max_quote_age when the tenant policy sets no maximum, while a
// record-only VM accepts any host that is trusted now.
TEST(VmLaunchTest, WithoutAPolicyMaximumTheOperatorsQuoteAgeDecides) {
  LaunchWorld t;
  auto& w_ = t.w_;
  ASSERT_EQ(w_.h.Call("PUT", "/v1/policies/snp-prod",
                      R"({"name": "snp-prod", "snp": {"any_measurement": true,
                          "host_data_launch_ticket": true, "allow_debug": false},
                          "host": {"host_policy": "hosts"}})",
                      &w_.acme)
                .status,
            200);
  const auto max_age = w_.h.api().service().launch.max_quote_age;
  w_.SetHostState(t.host_, "trusted", max_age + std::chrono::seconds(1));
  auto r = t.Launch(t.Standard(), {t.image_});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json["code"], "launcher.no_trusted_host");
  EXPECT_TRUE(t.connections_.empty());
  auto record = w_.NewVm(w_.acme, "snp", {t.image_});
  EXPECT_EQ(record.status, 201) << record.body;
  w_.SetHostState(t.host_, "trusted", max_age);
  r = t.Launch(t.Standard(), {t.image_});
  EXPECT_EQ(r.status, 201) << r.body;
}

}  // namespace
}  // namespace attest::service::api
