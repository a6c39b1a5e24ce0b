#include "service/launch/tenant_vm.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/testing/fake_hypervisor.h"

namespace attest::service::launch {
namespace {

using namespace std::chrono_literals;
using testing::FakeHypervisor;

const TimePoint kNow = FromUnixSeconds(1790000000);

constexpr const char* kSelinuxHost = attest::testing::kSelinuxHostCapabilities;
constexpr const char* kSnpTdxCaps = attest::testing::kSnpTdxDomainCapabilities;

constexpr char kVmId[] = "vm-3f1c9a520d4e4b7a9c612a8e5b7d9f01";

store::Vm SnpVm() {
  store::Vm vm;
  vm.id = kVmId;
  vm.tenant_id = "t-a";
  vm.tee_type = "snp";
  vm.volume_ids = {"vol-1"};
  vm.host_id = "h-1";
  vm.ticket_sha256 = std::string(64, 'a');
  vm.ticket_sha384 = std::string(96, 'b');
  vm.interfaces = {{"net-1", "10.20.0.2"}};
  vm.security_group_ids = {"sg-web"};
  return vm;
}

store::Volume Image(const std::string& id, const std::string& tenant = "t-a") {
  store::Volume v;
  v.id = id;
  v.tenant_id = tenant;
  v.image_path = "/var/lib/attestd/volumes/" + id + ".img";
  return v;
}

store::SecurityGroupRecord Group(const std::string& name, const std::string& id,
                                 const std::string& rules) {
  store::SecurityGroupRecord g;
  g.tenant_id = "t-a";
  g.name = name;
  g.id = id;
  g.rules = rules;
  return g;
}

VmShape Shape() {
  VmShape s;
  s.memory_mib = 1024;
  s.vcpus = 2;
  store::NetRecord n;
  n.tenant_id = "t-a";
  n.name = "lan";
  n.id = "net-1";
  n.cidr = "10.20.0.0/24";
  s.nets = {n};
  s.groups = {
      Group("web", "sg-web",
            R"([{"protocol":"tcp","from_port":443,"to_port":443,"source_cidr":"0.0.0.0/0"},)"
            R"({"protocol":"all","source_group":"web"}])")};
  return s;
}

LaunchSettings Settings() {
  LaunchSettings s;
  s.snp_firmware = "/usr/share/ovmf/OVMF.amdsev.fd";
  s.tdx_firmware = "/usr/share/ovmf/OVMF.tdx.fd";
  return s;
}

TEST(TenantLaunchTest, PickAddressSkipsNetworkGatewayTakenAndBroadcast) {
  const struct {
    std::string name, cidr;
    std::vector<std::string> taken;
    std::string want, want_code;
  } cases[] = {
      {"first free", "10.20.0.0/24", {}, "10.20.0.2", "ok"},
      {"skips taken", "10.20.0.0/24", {"10.20.0.2", "10.20.0.3"}, "10.20.0.4", "ok"},
      {"fills a hole", "10.20.0.0/24", {"10.20.0.3"}, "10.20.0.2", "ok"},
      {"crosses an octet", "10.20.0.0/23", {}, "10.20.0.2", "ok"},
      {"/30 has one guest", "10.20.0.0/30", {}, "10.20.0.2", "ok"},
      {"/30 full", "10.20.0.0/30", {"10.20.0.2"}, "", "store.already_exists"},
      {"/31 too small", "10.20.0.0/31", {}, "", "launcher.invalid_spec"},
      {"not a cidr", "10.20.0/24", {}, "", "launcher.invalid_cidr"},
      {"host bits set", "10.20.0.1/24", {}, "", "launcher.invalid_cidr"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = PickAddress(c.cidr, c.taken);
    EXPECT_EQ(got.ok() ? "ok" : std::string(got.status().reason_id()), c.want_code);
    if (got.ok()) {
      EXPECT_EQ(*got, c.want);
    }
  }
  std::vector<std::string> all;
  for (int i = 2; i < 255; ++i) {
    all.push_back("10.20.0." + std::to_string(i));
  }
  EXPECT_EQ(PickAddress("10.20.0.0/24", all).status().reason_id(), "store.already_exists");
}

TEST(TenantLaunchTest, DomainUuidNeedsACanonicalVmId) {
  EXPECT_EQ(*DomainUuid(kVmId), "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01");
  for (const std::string bad :
       {"", "vm-", "vm-3f1c9a520d4e4b7a9c612a8e5b7d9f0", "vm-3F1C9A520D4E4B7A9C612A8E5B7D9F01",
        "xx-3f1c9a520d4e4b7a9c612a8e5b7d9f01", "vm-3f1c9a520d4e4b7a9c612a8e5b7d9f0g",
        "vm-3f1c9a520d4e4b7a9c612a8e5b7d9f011"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(DomainUuid(bad).status().reason_id(), "launcher.invalid_spec");
  }
}

TEST(TenantLaunchTest, SnpVmBecomesARequestBoundToItsTicket) {
  const VmShape shape = Shape();
  auto req = BuildTenantLaunch(SnpVm(), {Image("vol-1")}, shape, shape.groups,
                               {{"sg-web", {"10.20.0.2"}}}, Settings());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->spec.uuid, "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01");
  EXPECT_EQ(req->spec.tee, launcher::TeeType::kSevSnp);
  ASSERT_TRUE(req->spec.snp.host_data.has_value());
  EXPECT_EQ((*req->spec.snp.host_data)[0], 0xaa);
  ASSERT_EQ(req->spec.disks.size(), 1u);
  EXPECT_EQ(req->spec.disks[0].target, "vda");
  EXPECT_EQ(req->spec.disks[0].owner_tenant, "t-a");
  ASSERT_EQ(req->spec.interfaces.size(), 1u);
  EXPECT_EQ(req->spec.interfaces[0].network, "attest-net-net-1");
  EXPECT_EQ(req->spec.interfaces[0].filter_params.at("IP"), "10.20.0.2");
  ASSERT_EQ(req->groups.size(), 1u);
  ASSERT_EQ(req->groups[0].rules.size(), 2u);
  EXPECT_EQ(req->groups[0].rules[1].source_group, "sg-web");  // name resolved to the id

  store::Vm tdx = SnpVm();
  tdx.tee_type = "tdx";
  auto tdx_req =
      BuildTenantLaunch(tdx, {Image("vol-1")}, shape, shape.groups, {{"sg-web", {}}}, Settings());
  ASSERT_TRUE(tdx_req.ok()) << tdx_req.status().ToString();
  ASSERT_TRUE(tdx_req->spec.tdx.mr_config_id.has_value());
  EXPECT_EQ((*tdx_req->spec.tdx.mr_config_id)[47], 0xbb);

  // SEV / SEV-ES: the TEE and the AMD firmware, no ticket field (the owner adds the session).
  for (const auto& [name, tee] : {std::pair{"sev", launcher::TeeType::kSev},
                                  std::pair{"sev-es", launcher::TeeType::kSevEs}}) {
    store::Vm sev = SnpVm();
    sev.tee_type = name;
    auto sev_req =
        BuildTenantLaunch(sev, {Image("vol-1")}, shape, shape.groups, {{"sg-web", {}}}, Settings());
    ASSERT_TRUE(sev_req.ok()) << sev_req.status().ToString();
    EXPECT_EQ(sev_req->spec.tee, tee);
    EXPECT_FALSE(sev_req->spec.snp.host_data.has_value());
    ASSERT_TRUE(sev_req->spec.firmware.has_value());
    EXPECT_EQ(sev_req->spec.firmware->loader, Settings().snp_firmware);
    EXPECT_FALSE(sev_req->sev.has_value());
  }
}

TEST(TenantLaunchTest, RefusesWhatCannotBeLaunched) {
  const struct {
    std::string name;
    std::function<void(store::Vm&, std::vector<store::Volume>&, VmShape&, LaunchSettings&)> edit;
    std::string want;
  } cases[] = {
      {"unknown TEE", [](auto& vm, auto&, auto&, auto&) { vm.tee_type = "sev-snp"; },
       "launcher.invalid_spec"},
      {"SEV without AMD firmware",
       [](auto& vm, auto&, auto&, auto& s) {
         vm.tee_type = "sev";
         s.snp_firmware.clear();
       },
       "launcher.invalid_spec"},
      {"SEV-ES without AMD firmware",
       [](auto& vm, auto&, auto&, auto& s) {
         vm.tee_type = "sev-es";
         s.snp_firmware.clear();
       },
       "launcher.invalid_spec"},
      {"no SNP firmware", [](auto&, auto&, auto&, auto& s) { s.snp_firmware.clear(); },
       "launcher.invalid_spec"},
      {"bad ticket digest", [](auto& vm, auto&, auto&, auto&) { vm.ticket_sha256 = "zz"; },
       "launcher.invalid_spec"},
      {"short ticket digest",
       [](auto& vm, auto&, auto&, auto&) { vm.ticket_sha256 = std::string(62, 'a'); },
       "launcher.invalid_spec"},
      {"key-only volume", [](auto&, auto& vols, auto&, auto&) { vols[0].image_path.clear(); },
       "launcher.invalid_spec"},
      {"volume list mismatch", [](auto&, auto& vols, auto&, auto&) { vols[0].id = "vol-2"; },
       "launcher.invalid_spec"},
      {"memory too small", [](auto&, auto&, auto& shape, auto&) { shape.memory_mib = 64; },
       "launcher.invalid_spec"},
      {"no vcpu", [](auto&, auto&, auto& shape, auto&) { shape.vcpus = 0; },
       "launcher.invalid_spec"},
      {"interfaces do not match nets",
       [](auto& vm, auto&, auto&, auto&) { vm.interfaces[0].net_id = "net-2"; },
       "launcher.invalid_spec"},
      {"stored rules unreadable",
       [](auto&, auto&, auto& shape, auto&) { shape.groups[0].rules = "{"; },
       "launcher.invalid_spec"},
      {"stored rule of unknown protocol",
       [](auto&, auto&, auto& shape, auto&) {
         shape.groups[0].rules = R"([{"protocol":"gre","source_cidr":"0.0.0.0/0"}])";
       },
       "launcher.invalid_spec"},
      {"bad vm id", [](auto& vm, auto&, auto&, auto&) { vm.id = "vm-1"; }, "launcher.invalid_spec"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    store::Vm vm = SnpVm();
    std::vector<store::Volume> volumes = {Image("vol-1")};
    VmShape shape = Shape();
    LaunchSettings settings = Settings();
    c.edit(vm, volumes, shape, settings);
    auto req = BuildTenantLaunch(vm, volumes, shape, shape.groups, {{"sg-web", {}}}, settings);
    ASSERT_FALSE(req.ok());
    EXPECT_EQ(req.status().reason_id(), c.want);
  }
}

TEST(TenantLaunchTest, LaunchesAnSnpVmBoundToItsTicket) {
  FakeHypervisor fake;
  fake.lib_version = launcher::kLibvirtSevSnp;
  fake.host_capabilities_xml = kSelinuxHost;
  fake.domain_capabilities_xml = kSnpTdxCaps;
  const VmShape shape = Shape();
  auto req = BuildTenantLaunch(SnpVm(), {Image("vol-1")}, shape, shape.groups,
                               {{"sg-web", {"10.20.0.2"}}}, Settings());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  auto launched = launcher::LaunchVm(fake, *req, launcher::LaunchOptions{});
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  EXPECT_EQ(launched->domain, "attest-" + std::string(kVmId));
  EXPECT_EQ(launched->state, launcher::DomainState::kRunning);
  const std::string& xml = fake.domains().at(launched->domain).xml;
  EXPECT_NE(xml.find("sev-snp"), std::string::npos);
  EXPECT_TRUE(fake.networks().count("attest-net-net-1"));
  EXPECT_TRUE(fake.nwfilters().count("attest-sg-sg-web"));
}

// The boot image's files reach the domain: SNP measures them (kernelHashes), TDX boots them.
TEST(TenantLaunchTest, BootFilesBecomeAMeasuredDirectBoot) {
  for (const std::string tee : {"snp", "tdx"}) {
    SCOPED_TRACE(tee);
    FakeHypervisor fake;
    fake.lib_version = launcher::kLibvirtTdx;
    fake.host_capabilities_xml = kSelinuxHost;
    fake.domain_capabilities_xml = kSnpTdxCaps;
    store::Vm vm = SnpVm();
    vm.tee_type = tee;
    VmShape shape = Shape();
    shape.boot = BootFiles{"/var/lib/attestd/boot/t-a/img/kernel",
                           "/var/lib/attestd/boot/t-a/img/initrd", "console=ttyS0 ro"};
    auto req =
        BuildTenantLaunch(vm, {Image("vol-1")}, shape, shape.groups, {{"sg-web", {}}}, Settings());
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    ASSERT_TRUE(req->spec.direct_boot.has_value());
    EXPECT_EQ(req->spec.direct_boot->kernel, "/var/lib/attestd/boot/t-a/img/kernel");
    EXPECT_EQ(req->spec.direct_boot->initrd, "/var/lib/attestd/boot/t-a/img/initrd");
    EXPECT_EQ(req->spec.direct_boot->cmdline, "console=ttyS0 ro");
    EXPECT_FALSE(req->spec.user_network);
    auto launched = launcher::LaunchVm(fake, *req, launcher::LaunchOptions{});
    ASSERT_TRUE(launched.ok()) << launched.status().ToString();
    const std::string& xml = fake.domains().at(launched->domain).xml;
    EXPECT_NE(xml.find("<kernel>/var/lib/attestd/boot/t-a/img/kernel</kernel>"), std::string::npos);
    EXPECT_EQ(xml.find("kernelHashes=\"yes\"") != std::string::npos, tee == "snp");
  }
}

// Boot files the launcher cannot accept stop the launch before anything exists on the host.
TEST(TenantLaunchTest, HostileBootFilesCreateNothing) {
  const std::vector<BootFiles> bad = {
      {"", "", ""},
      {"kernel", "", ""},
      {"/var/lib/attestd/boot/../../../etc/shadow", "", ""},
      {"/k", "relative/initrd", ""},
      {"/k", "", "console=ttyS0\ninit=/bin/sh"},
      {"/k", "", std::string(launcher::kMaxCmdlineBytes + 1, 'x')},
  };
  for (const BootFiles& b : bad) {
    SCOPED_TRACE(b.kernel_path + "|" + b.initrd_path + "|" + b.cmdline.substr(0, 20));
    FakeHypervisor fake;
    fake.lib_version = launcher::kLibvirtSevSnp;
    fake.host_capabilities_xml = kSelinuxHost;
    fake.domain_capabilities_xml = kSnpTdxCaps;
    VmShape shape = Shape();
    shape.boot = b;
    auto req = BuildTenantLaunch(SnpVm(), {Image("vol-1")}, shape, shape.groups, {{"sg-web", {}}},
                                 Settings());
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    auto launched = launcher::LaunchVm(fake, *req, launcher::LaunchOptions{});
    ASSERT_FALSE(launched.ok());
    EXPECT_EQ(launched.status().reason_id(), "launcher.invalid_spec");
    EXPECT_TRUE(fake.domains().empty());
    EXPECT_TRUE(fake.networks().empty());
    EXPECT_EQ(fake.nwfilters().size(), 1u);  // the host's built-in clean-traffic only
  }
}

TEST(TenantLaunchTest, UserNetworkIsTheOperatorsChoice) {
  const VmShape shape = Shape();
  LaunchSettings settings = Settings();
  for (bool on : {false, true}) {
    settings.user_network = on;
    auto req = BuildTenantLaunch(SnpVm(), {Image("vol-1")}, shape, shape.groups, {{"sg-web", {}}},
                                 settings);
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    EXPECT_EQ(req->spec.user_network, on);
    EXPECT_FALSE(req->spec.direct_boot.has_value());
  }
}

}  // namespace
}  // namespace attest::service::launch
