// LaunchWorld: the key release world (release_world.h) plus a launchable AMD/TDX host behind a
// fake hypervisor, for the tests of launching VMs through POST /v1/vms.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "launcher/domain_xml.h"
#include "protocol/host_platform.h"
#include "service/api/testing/release_world.h"
#include "tests/testing/fake_hypervisor.h"

namespace attest::service::api::testing {

// kImageBytes: the size of the LUKS image volumes the world creates.
inline constexpr uint64_t kImageBytes = 32ull << 20;

// LaunchWorld: the key release world plus a launchable SNP/TDX host behind a fake hypervisor,
// a tenant net "lan" and a security group "web", and one LUKS image volume.
class LaunchWorld {
 public:
  LaunchWorld() {
    fake_ = std::make_shared<attest::testing::FakeHypervisor>();
    fake_->lib_version = launcher::kLibvirtTdx;
    fake_->host_capabilities_xml = attest::testing::kSelinuxHostCapabilities;
    fake_->domain_capabilities_xml = attest::testing::kSnpTdxDomainCapabilities;
    ServiceContext& service = w_.h.api().service();
    service.launch.snp_firmware = "/usr/share/ovmf/OVMF.amdsev.fd";
    service.launch.tdx_firmware = "/usr/share/ovmf/OVMF.tdx.fd";
    service.connect_hypervisor =
        [this](const std::string& uri) -> Result<std::shared_ptr<launcher::Hypervisor>> {
      ++connections_[uri];
      if (uri != kUri) {
        return Status(reasons::kLauncherHypervisor, "no such host " + uri);
      }
      return std::shared_ptr<launcher::Hypervisor>(fake_);
    };
    host_ = AddLaunchableHost(kUri);
    auto net = w_.h.CallJson("PUT", "/v1/nets/lan", {{"cidr", "10.20.0.0/24"}}, &w_.acme);
    EXPECT_EQ(net.status, 201) << net.body;
    net_id_ = net.json.value("id", "");
    EXPECT_EQ(w_.h.CallJson("PUT", "/v1/security-groups/web",
                            {{"rules", nlohmann::json::array(
                                           {{{"protocol", "tcp"},
                                             {"from_port", 443},
                                             {"to_port", 443},
                                             {"source_cidr", "0.0.0.0/0"}},
                                            {{"protocol", "all"}, {"source_group", "web"}}})}},
                            &w_.acme)
                  .status,
              201);
    image_ = NewImage("disk");
  }

  std::string AddLaunchableHost(const std::string& uri) {
    auto db = w_.h.pool().Acquire();
    store::HostRegistration reg;
    reg.ek_public = {1, 2, 3};
    reg.ak_public = {4, 5, 6};
    reg.host_policy = "hosts";
    reg.tees = {"snp", "tdx", "sev", "sev-es"};
    reg.libvirt_uri = uri;
    // The software TEE's machine 0, so evidence from launched VMs matches the placed host.
    reg.platform =
        protocol::SerializeHostPlatform(attest::testing::SoftwareTee::SimulatedPlatform(0)).value();
    auto host = (*db)->RegisterHost(w_.h.operator_tenant(), reg, w_.h.now());
    EXPECT_TRUE(host.ok());
    w_.SetHostState(host->id, "trusted");
    return host->id;
  }

  std::string NewImage(const std::string& name) {
    auto r = w_.h.CallJson("POST", "/v1/volumes", {{"name", name}, {"size_bytes", kImageBytes}},
                           &w_.acme);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("volume_id", "");
  }

  testing::ApiHarness::Reply Launch(const nlohmann::json& launch,
                                    const std::vector<std::string>& volumes,
                                    const std::string& tee = "snp") {
    return w_.h.CallJson(
        "POST", "/v1/vms",
        {{"tee", tee}, {"policy", tee + "-prod"}, {"volume_ids", volumes}, {"launch", launch}},
        &w_.acme);
  }

  static nlohmann::json Standard() {
    return {{"memory_mib", 1024}, {"vcpus", 1}, {"nets", {"lan"}}, {"security_groups", {"web"}}};
  }

  // ExpectNothingOnTheHost: no domain, no network, no VM filter (the group filter is a tenant
  // resource replicated to hosts; it may stay).
  void ExpectNothingOnTheHost() {
    EXPECT_TRUE(fake_->domains().empty());
    EXPECT_TRUE(fake_->networks().empty());
    for (const auto& [name, xml] : fake_->nwfilters()) {
      EXPECT_EQ(name.rfind("attest-vm-", 0), std::string::npos) << name;
    }
  }

  static constexpr char kUri[] = "qemu+tls://host-1.example/system";
  ReleaseWorld w_;  // declared first: the fake outlives nothing that uses it
  std::shared_ptr<attest::testing::FakeHypervisor> fake_;
  std::map<std::string, int> connections_;
  std::string host_, image_, net_id_;
};

}  // namespace attest::service::api::testing
