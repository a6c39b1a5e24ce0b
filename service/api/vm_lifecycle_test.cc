// POST /v1/vms/{id}/start, /stop, /reboot and the domain state GET shows (issue 20), on the fake
// hypervisor: tenant-scoped, audited, and only for VMs attestd launched.
#include "service/api/vm_lifecycle.h"

#include <gtest/gtest.h>

#include "service/api/testing/launch_world.h"

namespace attest::service::api {
namespace {

using nlohmann::json;
using testing::LaunchWorld;

std::vector<std::string> AuditActions(LaunchWorld& t, const std::string& vm_id) {
  std::vector<std::string> out;
  auto r = t.w_.h.Call("GET", "/v1/audit?limit=1000", "", &t.w_.acme);
  for (const json& e : r.json["entries"]) {
    if (e["subject"] == vm_id) {
      out.push_back(e["action"].get<std::string>() + ":" + e["outcome"].get<std::string>());
    }
  }
  return out;
}

TEST(VmLifecycleTest, StopStartAndRebootALaunchedVm) {
  LaunchWorld t;
  auto vm = t.Launch(LaunchWorld::Standard(), {t.image_});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string id = vm.json["vm_id"];
  const std::string path = "/v1/vms/" + id;
  EXPECT_EQ(t.w_.h.Call("GET", path, "", &t.w_.acme).json["domain_state"], "running");

  auto stopped = t.w_.h.Call("POST", path + "/stop", "", &t.w_.acme);
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(stopped.json["state"], "shutoff");
  EXPECT_EQ(stopped.json["domain"], "attest-" + id);
  EXPECT_EQ(t.fake_->domains().count("attest-" + id), 1u);  // still defined
  EXPECT_EQ(t.w_.h.Call("GET", path, "", &t.w_.acme).json["domain_state"], "shutoff");
  // Stopping a stopped VM is no error.
  EXPECT_EQ(t.w_.h.Call("POST", path + "/stop", "", &t.w_.acme).status, 200);

  auto started = t.w_.h.Call("POST", path + "/start", "", &t.w_.acme);
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.json["state"], "running");
  EXPECT_EQ(t.w_.h.Call("GET", path, "", &t.w_.acme).json["domain_state"], "running");

  auto rebooted = t.w_.h.Call("POST", path + "/reboot", "", &t.w_.acme);
  ASSERT_EQ(rebooted.status, 200) << rebooted.body;
  EXPECT_EQ(rebooted.json["state"], "running");
  EXPECT_EQ(AuditActions(t, id),
            (std::vector<std::string>{"vm.create:ok", "vm.launch:ok", "vm.shutdown:ok",
                                      "vm.shutdown:ok", "vm.start:ok", "vm.reboot:ok"}));
}

TEST(VmLifecycleTest, OnlyTheOwnersLaunchedLiveVm) {
  LaunchWorld t;
  auto launched = t.Launch(LaunchWorld::Standard(), {t.image_});
  ASSERT_EQ(launched.status, 201) << launched.body;
  const std::string id = launched.json["vm_id"];
  auto record_only = t.w_.NewVm(t.w_.acme, "snp", {});
  ASSERT_EQ(record_only.status, 201) << record_only.body;
  auto deleted = t.Launch(LaunchWorld::Standard(), {t.NewImage("gone")});
  ASSERT_EQ(deleted.status, 201) << deleted.body;
  const std::string deleted_id = deleted.json["vm_id"];
  ASSERT_EQ(t.w_.h.Call("DELETE", "/v1/vms/" + deleted_id, "", &t.w_.acme).status, 204);
  const sigv4::Credentials other = t.w_.h.CreateTenant("globex");
  const struct {
    const char* name;
    std::string id;
    const sigv4::Credentials* who;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"another tenant's VM", id, &other, 404, "store.not_found"},
      {"no such VM", "vm-" + std::string(32, '0'), &t.w_.acme, 404, "store.not_found"},
      {"a deleted VM", deleted_id, &t.w_.acme, 404, "store.not_found"},
      {"a VM attestd never launched", record_only.json["vm_id"], &t.w_.acme, 409,
       "api.vm_not_launched"},
  };
  for (const auto& c : cases) {
    for (const char* action : {"start", "stop", "reboot"}) {
      SCOPED_TRACE(std::string(c.name) + " " + action);
      auto r = t.w_.h.Call("POST", "/v1/vms/" + c.id + "/" + action, "", c.who);
      EXPECT_EQ(r.status, c.want_status) << r.body;
      EXPECT_EQ(r.json.value("code", ""), c.want_code);
    }
  }
  // Nothing was done to the launched VM, and the deleted one stays gone from the host.
  EXPECT_EQ(t.w_.h.Call("GET", "/v1/vms/" + id, "", &t.w_.acme).json["domain_state"], "running");
  EXPECT_EQ(t.fake_->domains().count("attest-" + deleted_id), 0u);
  EXPECT_TRUE(
      t.w_.h.Call("GET", "/v1/vms/" + record_only.json["vm_id"].get<std::string>(), "", &t.w_.acme)
          .json["domain_state"]
          .is_null());
}

TEST(VmLifecycleTest, AnUnreachableHostFailsTheCallAndIsAudited) {
  LaunchWorld t;
  auto vm = t.Launch(LaunchWorld::Standard(), {t.image_});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string id = vm.json["vm_id"];
  t.w_.h.api().service().connect_hypervisor =
      [](const std::string&) -> Result<std::shared_ptr<launcher::Hypervisor>> {
    return Status(reasons::kLauncherHypervisor, "host down");
  };
  auto r = t.w_.h.Call("POST", "/v1/vms/" + id + "/stop", "", &t.w_.acme);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json.value("code", ""), "launcher.hypervisor_error");
  EXPECT_EQ(AuditActions(t, id).back(), "vm.shutdown:failed");
  // GET still answers, with the state unknown.
  auto got = t.w_.h.Call("GET", "/v1/vms/" + id, "", &t.w_.acme);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.json["domain_state"], "unknown");
}

}  // namespace
}  // namespace attest::service::api
