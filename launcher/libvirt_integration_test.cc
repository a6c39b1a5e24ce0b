// Against a real libvirtd (qemu:///system, started by scripts/services.sh; ATTEST_LIBVIRT_URI):
// the security-group nwfilters and an isolated tenant network are defined, a plain TCG guest with
// a DAC sVirt label, a vTPM (swtpm), a <filterref> and a tenant disk is started paused (no OS is
// booted: the test is about isolation plumbing, not the guest), the filter's rules are checked in
// the host's iptables/ebtables, and everything is removed again, including the empty chains
// libvirt leaves behind. SEV/SNP/TDX cannot start here (no hardware; LIBVIRT-SEV.md): the test
// checks that the host is refused for them instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "launcher/capabilities.h"
#include "launcher/domain_xml.h"
#include "launcher/integration_util.h"
#include "launcher/launch.h"
#include "launcher/libvirt_hypervisor.h"
#include "launcher/network.h"
#include "launcher/nwfilter.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

using itest::RunCommand;

// Chains libvirt's nwfilter driver creates on first use and leaves, empty, after the last
// interface is gone (LIBVIRT-SEV.md §4), with the table and the built-in chain that jumps to each.
// It re-creates them on each instantiation. The network driver's LIBVIRT_* chains are different:
// libvirtd creates them once per run, so they may only go once the daemon is stopped
// (scripts/services-stop.sh does that).
struct LeftoverChain {
  const char* table;
  const char* chain;
  const char* from;
};
const LeftoverChain kLeftoverChains[] = {
    {"filter", "libvirt-in", "FORWARD"},
    {"filter", "libvirt-out", "FORWARD"},
    {"filter", "libvirt-in-post", "FORWARD"},
    {"filter", "libvirt-host-in", "INPUT"},
};

// RemoveEmptyChain deletes a chain and the jumps to it, only when the chain has no rules (another
// VM or network on this host may still use it).
void RemoveEmptyChain(const LeftoverChain& c) {
  auto rules = RunCommand({"iptables", "-t", c.table, "-S", c.chain});
  if (rules.exit_code != 0) {
    return;  // not there
  }
  if (rules.output != "-N " + std::string(c.chain) + "\n") {
    return;
  }
  while (RunCommand({"iptables", "-t", c.table, "-D", c.from, "-j", c.chain}).exit_code == 0) {
  }
  static_cast<void>(RunCommand({"iptables", "-t", c.table, "-X", c.chain}));
}

class LibvirtIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* uri = std::getenv("ATTEST_LIBVIRT_URI");
    if (uri == nullptr || ::geteuid() != 0) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL() << "under CI=true this test needs root and ATTEST_LIBVIRT_URI (scripts/services.sh)";
      }
      GTEST_SKIP() << "no libvirtd: run scripts/services.sh start DIR as root and source DIR/env";
    }
    auto hv = LibvirtHypervisor::Open(uri);
    ASSERT_TRUE(hv.ok()) << hv.status().ToString();
    hv_ = std::move(hv).value();
    suffix_ = itest::RandomSuffix();
  }

  // TearDown removes whatever a failed run left, best effort, in dependency order.
  void TearDown() override {
    if (hv_ == nullptr) {
      return;
    }
    if (!domain_.empty()) {
      static_cast<void>(StopVm(*hv_, domain_, uuid_));
    }
    if (!group_filter_.empty()) {
      static_cast<void>(hv_->UndefineNwFilter(group_filter_));
    }
    if (!network_.empty()) {
      static_cast<void>(hv_->DestroyNetwork(network_));
    }
    if (!disk_.empty()) {
      std::filesystem::remove(disk_);
    }
    for (const auto& c : kLeftoverChains) {
      RemoveEmptyChain(c);
    }
  }

  std::unique_ptr<LibvirtHypervisor> hv_;
  std::string suffix_;
  std::string domain_, uuid_, group_filter_, network_, disk_;
};

TEST_F(LibvirtIntegrationTest, HostWithoutTeeIsRefused) {
  auto caps_xml = hv_->DomainCapabilities("kvm");
  ASSERT_TRUE(caps_xml.ok()) << caps_xml.status().ToString();
  auto caps = ParseDomainCapabilities(*caps_xml);
  ASSERT_TRUE(caps.ok()) << caps.status().ToString();
  EXPECT_FALSE(caps->sev.supported);  // this machine (PLATFORM.md §3)
  for (TeeType tee : {TeeType::kSev, TeeType::kSevEs, TeeType::kSevSnp, TeeType::kTdx}) {
    EXPECT_EQ(CheckTeeSupported(*caps, tee).reason_id(), "launcher.tee_unavailable");
  }
  auto host_xml = hv_->HostCapabilities();
  ASSERT_TRUE(host_xml.ok());
  auto host = ParseHostCapabilities(*host_xml);
  ASSERT_TRUE(host.ok());
  // Only DAC here: a production launch (no DAC-only allowance) is refused.
  EXPECT_EQ(ChooseSecLabelModel(*host, false).status().reason_id(),
            "launcher.security_driver_unavailable");
  EXPECT_EQ(ChooseSecLabelModel(*host, true).value(), SecLabelModel::kDac);
  auto version = hv_->LibVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_GE(*version, LibvirtVersion(9, 0, 0));
}

TEST_F(LibvirtIntegrationTest, PlainTcgGuestWithFilterNetworkTpmAndDisk) {
  const std::string uuid = suffix_ + "-0d4e-4b7a-9c61-2a8e5b7d9f01";
  // A /24 in 10.233.0.0/16 picked from the suffix, so parallel runs rarely collide.
  const int octet = std::stoi(suffix_.substr(0, 2), nullptr, 16);
  const std::string vm_ip = "10.233." + std::to_string(octet) + ".5";
  TenantNet net{"it-" + suffix_, "tenant-it", "10.233." + std::to_string(octet) + ".0/24", false};
  SecurityGroup group{"it-" + suffix_, "tenant-it", {{Protocol::kTcp, 22, 22, "10.0.0.0/8", ""}}};
  const std::string disk = "/var/lib/libvirt/images/attest-it-" + suffix_ + ".img";
  domain_ = "attest-it-" + suffix_;
  uuid_ = uuid;
  group_filter_ = FilterName(group);
  network_ = NetworkName(net);
  disk_ = disk;
  {
    std::ofstream f(disk, std::ios::binary);
    f.seekp((1 << 20) - 1);
    f.put('\0');
  }

  LaunchSpec spec;
  spec.uuid = uuid;
  spec.name = "attest-it-" + suffix_;
  spec.tenant = "tenant-it";
  spec.tee = TeeType::kNone;
  spec.domain_type = "qemu";  // TCG: KVM is unusable here
  spec.memory_mib = 128;
  spec.vcpus = 1;
  spec.seclabel = {SecLabelModel::kDac, SecLabelType::kDynamic, ""};
  spec.interfaces.push_back({NetworkName(net), VmFilterName(uuid), {{"IP", vm_ip}}, ""});
  spec.disks.push_back({disk, "tenant-it", "vda", "raw", false});
  spec.vtpm = true;

  auto group_xml = BuildNwFilterXml(group, {});
  auto vm_filter_xml = BuildVmFilterXml(uuid, {FilterName(group)});
  auto net_xml = BuildNetworkXml(net);
  auto version = hv_->LibVersion();
  ASSERT_TRUE(group_xml.ok() && vm_filter_xml.ok() && net_xml.ok() && version.ok());
  auto domain_xml = BuildDomainXml(spec, *version);
  ASSERT_TRUE(domain_xml.ok()) << domain_xml.status().ToString();

  ASSERT_TRUE(hv_->DefineNwFilter(*group_xml).ok());
  ASSERT_TRUE(hv_->DefineNwFilter(*vm_filter_xml).ok());
  Status net_ok = hv_->DefineNetwork(*net_xml);
  ASSERT_TRUE(net_ok.ok()) << net_ok.ToString();
  Status defined = hv_->DefineDomain(*domain_xml);
  ASSERT_TRUE(defined.ok()) << defined.ToString();
  Status started = hv_->StartDomain(spec.name, /*paused=*/true);
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(hv_->GetDomainState(spec.name).value(), DomainState::kPaused);

  auto live = hv_->GetDomainXml(spec.name);
  ASSERT_TRUE(live.ok());
  auto doc = ParseXml(*live, reasons::kLauncherXml);
  ASSERT_TRUE(doc.ok());
  const std::string vnet = XPathString(doc->get(), "//interface/target/@dev").value_or("");
  ASSERT_FALSE(vnet.empty()) << *live;
  EXPECT_EQ(XPathString(doc->get(), "/domain/seclabel[@model='dac']/@type"), "dynamic");
  EXPECT_FALSE(
      XPathString(doc->get(), "/domain/seclabel[@model='dac']/label").value_or("").empty());
  EXPECT_EQ(XPathCount(doc->get(), "/domain/devices/tpm/backend[@type='emulator']"), 1u);
  EXPECT_TRUE(std::filesystem::exists("/var/lib/libvirt/swtpm/" + uuid)) << "no swtpm state";
  EXPECT_EQ(XPathString(doc->get(), "//interface/source/@bridge"), BridgeName(net));

  // The security group's rule and the final drop, instantiated for this interface.
  auto ipt = RunCommand({"iptables-save", "-t", "filter"});
  ASSERT_EQ(ipt.exit_code, 0);
  const std::string fo = "-A FO-" + vnet + " ";
  EXPECT_NE(ipt.output.find(fo + "-s 10.0.0.0/8 -p tcp -m tcp --dport 22"), std::string::npos)
      << ipt.output;
  EXPECT_NE(ipt.output.find(fo + "-j DROP"), std::string::npos) << ipt.output;
  // clean-traffic's anti-spoofing: only the VM's own IP may leave it.
  auto ebt = RunCommand({"ebtables", "-t", "nat", "-L"});
  EXPECT_NE(ebt.output.find("--ip-src " + vm_ip), std::string::npos) << ebt.output;
  auto bindings = RunCommand({"virsh", "-c", "qemu:///system", "nwfilter-binding-list"});
  EXPECT_NE(bindings.output.find(vnet), std::string::npos);

  ASSERT_TRUE(hv_->ResumeDomain(spec.name).ok());
  EXPECT_EQ(hv_->GetDomainState(spec.name).value(), DomainState::kRunning);
  // A group filter in use cannot be removed (libvirt guards it).
  EXPECT_FALSE(hv_->UndefineNwFilter(VmFilterName(uuid)).ok());

  ASSERT_TRUE(StopVm(*hv_, spec.name, uuid).ok());
  EXPECT_EQ(hv_->GetDomainState(spec.name).status().reason_id(), "launcher.not_found");
  EXPECT_EQ(RunCommand({"iptables-save", "-t", "filter"}).output.find("FO-" + vnet + " "),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists("/var/lib/libvirt/swtpm/" + uuid));
  ASSERT_TRUE(hv_->UndefineNwFilter(FilterName(group)).ok());
  group_filter_.clear();
  ASSERT_TRUE(hv_->DestroyNetwork(NetworkName(net)).ok());
  network_.clear();
  EXPECT_EQ(hv_->NetworkExists(NetworkName(net)).value(), false);
  TearDown();
  // Nothing of this test is left in the host's firewall.
  auto after = RunCommand({"iptables-save"});
  EXPECT_EQ(after.output.find(vnet), std::string::npos) << after.output;
  EXPECT_EQ(after.output.find("libvirt-in"), std::string::npos) << after.output;
  EXPECT_EQ(after.output.find(BridgeName(net)), std::string::npos) << after.output;
}

// libvirt 11.3 knows sev-snp, so the SNP document is not refused as XML (its schema and parser
// accept it: libvirt_test_driver_test.cc). The qemu driver refuses it at define on this TEE-less
// host, and only for that: its domain validation wants QEMU's sev-snp-guest capability, which the
// capability probe drops when query-sev-capabilities fails (here: "KVM not enabled"). On an SNP
// host the same document must define, and the QEMU command line must carry the binding.
TEST_F(LibvirtIntegrationTest, SnpDomainIsRefusedOnlyForTheHostsMissingSnp) {
  auto version = hv_->LibVersion();
  ASSERT_TRUE(version.ok());
  ASSERT_GE(*version, kLibvirtSevSnp) << "scripts/deps.sh installs libvirt from backports";
  auto caps_xml = hv_->DomainCapabilities("kvm");
  ASSERT_TRUE(caps_xml.ok());
  auto caps = ParseDomainCapabilities(*caps_xml);
  ASSERT_TRUE(caps.ok());
  const bool host_has_snp = CheckTeeSupported(*caps, TeeType::kSevSnp).ok();

  LaunchSpec spec;
  spec.uuid = suffix_ + "-5e1f-4c2b-9a7d-3b6e8f0c1d24";
  spec.name = "attest-it-snp-" + suffix_;
  spec.tenant = "tenant-it";
  spec.tee = TeeType::kSevSnp;
  spec.memory_mib = 512;
  spec.firmware = Firmware{"/usr/share/OVMF/OVMF_CODE_4M.fd", "", ""};
  spec.direct_boot = DirectKernelBoot{"/var/lib/libvirt/images/attest-it-vmlinuz",
                                      "/var/lib/libvirt/images/attest-it-initrd", "console=ttyS0"};
  spec.snp.cbitpos = 51;
  spec.snp.reduced_phys_bits = 1;
  std::array<uint8_t, 32> host_data{};
  host_data.fill(0x5a);
  spec.snp.host_data = host_data;
  spec.seclabel = {SecLabelModel::kDac, SecLabelType::kDynamic, ""};
  auto xml = BuildDomainXml(spec, *version);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  const std::string path = "/tmp/attest-it-snp-" + suffix_ + ".xml";
  {
    std::ofstream f(path);
    f << *xml;
  }
  auto argv = RunCommand({"virsh", "-c", "qemu:///system", "domxml-to-native", "qemu-argv", path});
  std::filesystem::remove(path);
  Status defined = hv_->DefineDomain(*xml);
  if (defined.ok()) {
    domain_ = spec.name;
    uuid_ = spec.uuid;
  }
  if (host_has_snp) {
    EXPECT_TRUE(defined.ok()) << defined.ToString();
    ASSERT_EQ(argv.exit_code, 0) << argv.output;
    for (const char* want : {"sev-snp-guest", "host-data", "kernel-hashes", "policy"}) {
      EXPECT_NE(argv.output.find(want), std::string::npos) << want << " in " << argv.output;
    }
    return;
  }
  const std::string refusal = "'sev-snp' launch security is not supported with this QEMU binary";
  ASSERT_FALSE(defined.ok());
  EXPECT_EQ(defined.reason_id(), "launcher.hypervisor_error");
  EXPECT_NE(defined.message().find(refusal), std::string::npos) << defined.ToString();
  EXPECT_NE(argv.exit_code, 0);
  EXPECT_NE(argv.output.find(refusal), std::string::npos) << argv.output;
  EXPECT_EQ(hv_->GetDomainState(spec.name).status().reason_id(), "launcher.not_found");
  // QEMU 10 itself has the object libvirt would create (since QEMU 9.1).
  auto objects = RunCommand({"qemu-system-x86_64", "-object", "help"});
  EXPECT_NE(objects.output.find("sev-snp-guest"), std::string::npos) << objects.output;
}

// A running TCG guest with the test hosts' user-mode NIC and no OS: the power button goes
// unanswered, so ShutdownVm destroys it after the grace period; it stays defined, shut off.
TEST_F(LibvirtIntegrationTest, ShutdownDestroysAGuestThatIgnoresThePowerButton) {
  LaunchSpec spec;
  spec.uuid = suffix_ + "-7c3d-4e5f-8a9b-0c1d2e3f4a5b";
  spec.name = "attest-it-stop-" + suffix_;
  spec.tenant = "tenant-it";
  spec.tee = TeeType::kNone;
  spec.domain_type = "qemu";
  spec.memory_mib = 128;
  spec.seclabel = {SecLabelModel::kDac, SecLabelType::kDynamic, ""};
  spec.user_network = true;
  auto version = hv_->LibVersion();
  ASSERT_TRUE(version.ok());
  auto xml = BuildDomainXml(spec, *version);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  ASSERT_TRUE(hv_->DefineDomain(*xml).ok());
  domain_ = spec.name;
  uuid_ = spec.uuid;
  EXPECT_EQ(VmState(*hv_, spec.name).value(), DomainState::kShutoff);
  Status started = hv_->StartDomain(spec.name, /*paused=*/false);
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(VmState(*hv_, spec.name).value(), DomainState::kRunning);
  auto live = hv_->GetDomainXml(spec.name);
  ASSERT_TRUE(live.ok());
  auto doc = ParseXml(*live, reasons::kLauncherXml);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(XPathString(doc->get(), "/domain/devices/interface/@type"), "user");

  Status stopped = ShutdownVm(*hv_, spec.name, std::chrono::milliseconds(1500));
  ASSERT_TRUE(stopped.ok()) << stopped.ToString();
  EXPECT_EQ(VmState(*hv_, spec.name).value(), DomainState::kShutoff);
  // Already off: nothing to do. A domain nobody defined: not found.
  EXPECT_TRUE(ShutdownVm(*hv_, spec.name, std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(ShutdownVm(*hv_, "attest-it-none-" + suffix_, std::chrono::milliseconds(0)).reason_id(),
            "launcher.not_found");
  EXPECT_EQ(hv_->ShutdownDomain(spec.name).reason_id(), "launcher.hypervisor_error");

  ASSERT_TRUE(StopVm(*hv_, spec.name, spec.uuid).ok());
  domain_.clear();
  EXPECT_EQ(VmState(*hv_, spec.name).status().reason_id(), "launcher.not_found");
}

}  // namespace
}  // namespace attest::launcher
