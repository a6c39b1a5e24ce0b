// The generated documents against the installed libvirt itself (11.3 from bookworm-backports),
// without a daemon: the test driver (test:///default, in-process) parses and round-trips domains,
// and virt-xml-validate checks every document against libvirt's RelaxNG schemas. 11.3 knows
// sev-snp (10.5) but not tdx (11.6): the TDX document is expected to fail its schema until the
// installed libvirt reaches 11.6, and its structure is checked in domain_xml_test.cc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "launcher/domain_xml.h"
#include "launcher/libvirt_hypervisor.h"
#include "launcher/network.h"
#include "launcher/nwfilter.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

LaunchSpec SevSpec() {
  LaunchSpec s;
  s.uuid = "6a0e4c1b-9f7d-4e2a-8b3c-5d1f0a9e7c42";
  s.name = "sev-roundtrip";
  s.tenant = "tenant-a";
  s.tee = TeeType::kSevEs;
  s.memory_mib = 512;
  s.vcpus = 2;
  s.firmware = Firmware{"/usr/share/OVMF/OVMF_CODE_4M.fd", "", ""};
  s.direct_boot = DirectKernelBoot{"/var/lib/libvirt/images/vmlinuz",
                                   "/var/lib/libvirt/images/initrd", "console=ttyS0"};
  s.sev.policy = 0x37;
  s.sev.cbitpos = 51;
  s.sev.reduced_phys_bits = 1;
  s.sev.dh_cert.assign(2084, 0x42);
  s.sev.session.assign(128, 0x24);
  s.interfaces.push_back({"default",
                          "attest-vm-6a0e4c1b-9f7d-4e2a-8b3c-5d1f0a9e7c42",
                          {{"IP", "10.0.0.7"}},
                          "52:54:00:12:34:56"});
  s.disks.push_back({"/var/lib/libvirt/images/vol.img", "tenant-a", "vda", "raw", false});
  s.vtpm = true;
  return s;
}

// RunOnXml writes xml to a temporary file, runs argv (quietly) with each "{}" replaced by the
// file's path, and returns the exit code.
int RunOnXml(const std::string& xml, std::vector<std::string> argv) {
  auto dir = std::filesystem::temp_directory_path();
  const std::string path =
      (dir / ("attest-launcher-" + std::to_string(::getpid()) + "-doc.xml")).string();
  {
    std::ofstream f(path);
    f << xml;
  }
  std::vector<char*> args;
  for (std::string& a : argv) {
    if (a == "{}") {
      a = path;
    }
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::filesystem::remove(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Validate runs virt-xml-validate (libvirt-clients) on xml as schema `type`; returns its exit code.
int Validate(const std::string& xml, const char* type) {
  return RunOnXml(xml, {"virt-xml-validate", "{}", type});
}

// TdxSchemaDir is where launcher/fetch_libvirt_schemas.sh put the domain schemas of a libvirt that
// knows TDX (ATTEST_LIBVIRT_SCHEMAS, else build/libvirt-schemas from the repository root).
std::filesystem::path TdxSchemaDir() {
  const char* env = std::getenv("ATTEST_LIBVIRT_SCHEMAS");
  return env != nullptr ? std::filesystem::path(env)
                        : std::filesystem::path("build/libvirt-schemas");
}

TEST(LibvirtSchema, EveryDocumentValidates) {
  auto sev = BuildDomainXml(SevSpec(), LibvirtVersion(9, 0, 0));
  ASSERT_TRUE(sev.ok()) << sev.status().ToString();
  EXPECT_EQ(Validate(*sev, "domain"), 0) << *sev;

  LaunchSpec plain = SevSpec();
  plain.tee = TeeType::kNone;
  plain.domain_type = "qemu";
  plain.direct_boot.reset();
  plain.seclabel = {SecLabelModel::kDac, SecLabelType::kDynamic, ""};
  plain.serial_log = "/tmp/console.log";
  auto plain_xml = BuildDomainXml(plain, LibvirtVersion(9, 0, 0));
  ASSERT_TRUE(plain_xml.ok());
  EXPECT_EQ(Validate(*plain_xml, "domain"), 0) << *plain_xml;

  SecurityGroup g{"web",
                  "tenant-a",
                  {{Protocol::kTcp, 22, 22, "10.0.0.0/8", ""},
                   {Protocol::kUdp, 53, 53, "", "dns"},
                   {Protocol::kIcmp, 0, 0, "0.0.0.0/0", ""},
                   {Protocol::kAll, 0, 0, "192.168.0.0/16", ""}}};
  auto group = BuildNwFilterXml(g, {{"dns", {"10.0.0.53"}}});
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(Validate(*group, "nwfilter"), 0) << *group;
  auto vm = BuildVmFilterXml(plain.uuid, {FilterName(g)});
  ASSERT_TRUE(vm.ok());
  EXPECT_EQ(Validate(*vm, "nwfilter"), 0) << *vm;

  for (bool nat : {false, true}) {
    auto net = BuildNetworkXml({"net-1", "tenant-a", "10.20.0.0/24", nat});
    ASSERT_TRUE(net.ok());
    EXPECT_EQ(Validate(*net, "network"), 0) << *net;
  }
  // The validator is not a rubber stamp: a broken launchSecurity is rejected.
  std::string broken = *sev;
  broken.replace(broken.find("<cbitpos>"), 9, "<cbitpoz>");
  broken.replace(broken.find("</cbitpos>"), 10, "</cbitpoz>");
  EXPECT_NE(Validate(broken, "domain"), 0);
}

// DefineAndReadBack defines xml on hv and parses the definition libvirt dumps back; null (with a
// test failure) when either step fails.
XmlDocPtr DefineAndReadBack(Hypervisor& hv, const std::string& xml, const std::string& name) {
  Status defined = hv.DefineDomain(xml);
  EXPECT_TRUE(defined.ok()) << defined.ToString();
  auto back = hv.GetDomainXml(name);
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  if (!defined.ok() || !back.ok()) {
    return nullptr;
  }
  auto doc = ParseXml(*back, reasons::kLauncherXml);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? std::move(doc).value() : nullptr;
}

uint64_t InstalledLibvirt() {
  auto hv = LibvirtHypervisor::Open("test:///default");
  EXPECT_TRUE(hv.ok());
  if (!hv.ok()) {
    return 0;
  }
  auto version = (*hv)->LibVersion();
  return version.ok() ? *version : 0;
}

LaunchSpec SnpSpec() {
  LaunchSpec s = SevSpec();
  s.name = "snp-roundtrip";
  s.tee = TeeType::kSevSnp;
  s.sev = {};
  s.snp.cbitpos = 51;
  s.snp.reduced_phys_bits = 1;
  std::array<uint8_t, 32> host_data{};
  host_data.fill(0x5a);
  s.snp.host_data = host_data;
  s.snp.id_block.assign(96, 0x1d);
  s.snp.id_auth.assign(4096, 0x2e);
  s.snp.author_key = true;
  return s;
}

// The SNP document with direct boot (kernelHashes='yes'), the plain TCG guest with direct boot and
// the user-mode NIC, and TDX, against the installed libvirt's schemas.
TEST(LibvirtSchema, DirectBootDocumentsValidate) {
  const uint64_t installed = InstalledLibvirt();
  ASSERT_GE(installed, kLibvirtSevSnp) << "scripts/deps.sh installs libvirt from backports";

  auto snp = BuildDomainXml(SnpSpec(), installed);
  ASSERT_TRUE(snp.ok()) << snp.status().ToString();
  EXPECT_NE(snp->find("kernelHashes=\"yes\""), std::string::npos);
  EXPECT_EQ(Validate(*snp, "domain"), 0) << *snp;
  LaunchSpec snp_disk_boot = SnpSpec();
  snp_disk_boot.direct_boot.reset();
  auto snp_disk = BuildDomainXml(snp_disk_boot, installed);
  ASSERT_TRUE(snp_disk.ok());
  EXPECT_EQ(Validate(*snp_disk, "domain"), 0) << *snp_disk;

  LaunchSpec tcg = SevSpec();
  tcg.tee = TeeType::kNone;
  tcg.domain_type = "qemu";
  tcg.firmware.reset();
  tcg.interfaces.clear();
  tcg.user_network = true;
  tcg.seclabel = {SecLabelModel::kDac, SecLabelType::kDynamic, ""};
  tcg.serial_log = "/tmp/console.log";
  auto tcg_xml = BuildDomainXml(tcg, installed);
  ASSERT_TRUE(tcg_xml.ok()) << tcg_xml.status().ToString();
  EXPECT_EQ(Validate(*tcg_xml, "domain"), 0) << *tcg_xml;

  LaunchSpec tdx = SnpSpec();
  tdx.tee = TeeType::kTdx;
  std::array<uint8_t, 48> mr{};
  mr.fill(0x3c);
  tdx.tdx.mr_config_id = mr;
  tdx.tdx.quote_generation_socket = "/var/run/tdx-qgs/qgs.socket";
  auto tdx_xml = BuildDomainXml(tdx, kLibvirtTdx);
  ASSERT_TRUE(tdx_xml.ok()) << tdx_xml.status().ToString();
  EXPECT_EQ(Validate(*tdx_xml, "domain") == 0, installed >= kLibvirtTdx) << *tdx_xml;

  // Not a rubber stamp for SNP either: a policy that is not hex, and an unknown element.
  std::string bad_policy = *snp;
  bad_policy.replace(bad_policy.find("0x00030000"), 10, "0xzz030000");
  EXPECT_NE(Validate(bad_policy, "domain"), 0);
  std::string bad_element = *snp;
  bad_element.replace(bad_element.find("<hostData>"), 10, "<hostDate>");
  bad_element.replace(bad_element.find("</hostData>"), 11, "</hostDate>");
  EXPECT_NE(Validate(bad_element, "domain"), 0);
}

// libvirt 11.3's own domain parser and formatter keep every SNP element the launcher writes (the
// test driver does not check the host's QEMU, so the document gets past define here).
TEST(LibvirtTestDriver, SnpDirectBootDomainRoundTrips) {
  auto hv = LibvirtHypervisor::Open("test:///default");
  ASSERT_TRUE(hv.ok()) << hv.status().ToString();
  LaunchSpec spec = SnpSpec();
  spec.interfaces.clear();
  spec.seclabel = {SecLabelModel::kDac, SecLabelType::kStatic, "+0:+0"};
  auto version = (*hv)->LibVersion();
  ASSERT_TRUE(version.ok());
  auto xml = BuildDomainXml(spec, *version);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  XmlDocPtr doc = DefineAndReadBack(**hv, *xml, spec.name);
  ASSERT_NE(doc, nullptr);
  xmlDoc* d = doc.get();
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/@type"), "sev-snp");
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/@kernelHashes"), "yes");
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/@authorKey"), "yes");
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/@vcek"), "yes");
  EXPECT_EQ(ParseUint(XPathString(d, "/domain/launchSecurity/policy").value_or("")), 0x30000u);
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/hostData"), Base64Encode(Bytes(32, 0x5a)));
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/idBlock"), Base64Encode(Bytes(96, 0x1d)));
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/idAuth"), Base64Encode(Bytes(4096, 0x2e)));
  EXPECT_EQ(XPathString(d, "/domain/os/kernel"), "/var/lib/libvirt/images/vmlinuz");
  EXPECT_EQ(XPathString(d, "/domain/os/initrd"), "/var/lib/libvirt/images/initrd");
  EXPECT_EQ(XPathString(d, "/domain/os/cmdline"), "console=ttyS0");
  EXPECT_EQ(XPathString(d, "/domain/os/loader/@type"), "rom");
  EXPECT_EQ(XPathCount(d, "/domain/os/nvram"), 0u);
  ASSERT_TRUE((*hv)->UndefineDomain(spec.name).ok());
}

TEST(LibvirtTestDriver, SevDomainRoundTrips) {
  auto hv = LibvirtHypervisor::Open("test:///default");
  ASSERT_TRUE(hv.ok()) << hv.status().ToString();
  LaunchSpec spec = SevSpec();
  spec.interfaces.clear();  // the test driver has no nwfilter (PLATFORM.md §3)
  spec.seclabel = {SecLabelModel::kDac, SecLabelType::kStatic, "+0:+0"};
  auto xml = BuildDomainXml(spec, LibvirtVersion(9, 0, 0));
  ASSERT_TRUE(xml.ok());
  XmlDocPtr doc = DefineAndReadBack(**hv, *xml, spec.name);
  ASSERT_NE(doc, nullptr);
  xmlDoc* d = doc.get();
  EXPECT_EQ(XPathString(d, "/domain/uuid"), spec.uuid);
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/@type"), "sev");
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/@kernelHashes"), "yes");
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/cbitpos"), "51");
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/reducedPhysBits"), "1");
  EXPECT_EQ(ParseUint(XPathString(d, "/domain/launchSecurity/policy").value_or("")), 0x37u);
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/dhCert"), Base64Encode(Bytes(2084, 0x42)));
  EXPECT_EQ(XPathString(d, "/domain/launchSecurity/session"), Base64Encode(Bytes(128, 0x24)));
  EXPECT_EQ(XPathString(d, "/domain/memoryBacking/locked"), "");
  EXPECT_EQ(XPathCount(d, "/domain/memoryBacking/locked"), 1u);
  EXPECT_EQ(XPathString(d, "/domain/devices/disk/driver/@iommu"), "on");
  EXPECT_EQ(XPathString(d, "/domain/os/kernel"), "/var/lib/libvirt/images/vmlinuz");
  EXPECT_EQ(XPathString(d, "/domain/on_reboot"), "destroy");

  // The test driver refuses VIR_DOMAIN_START_PAUSED ("unsupported flags (0x1)"), and cannot
  // report a measurement (PLATFORM.md §3): the paused SEV flow runs against the fake hypervisor.
  EXPECT_EQ((*hv)->StartDomain(spec.name, /*paused=*/true).reason_id(),
            "launcher.hypervisor_error");
  Status started = (*hv)->StartDomain(spec.name, /*paused=*/false);
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ((*hv)->GetDomainState(spec.name).value(), DomainState::kRunning);
  EXPECT_EQ((*hv)->GetSevLaunchInfo(spec.name).status().reason_id(), "launcher.hypervisor_error");
  // Nor the host's SEV certificates (virNodeGetSEVInfo): an error, never an empty chain.
  EXPECT_EQ((*hv)->GetSevPlatformInfo().status().reason_id(), "launcher.hypervisor_error");
  ASSERT_TRUE((*hv)->DestroyDomain(spec.name).ok());
  ASSERT_TRUE((*hv)->UndefineDomain(spec.name).ok());
  EXPECT_EQ((*hv)->GetDomainState(spec.name).status().reason_id(), "launcher.not_found");
  EXPECT_EQ((*hv)->DestroyDomain("no-such-domain").reason_id(), "launcher.not_found");
}

TEST(LibvirtTestDriver, RejectsBadXmlWithReason) {
  auto hv = LibvirtHypervisor::Open("test:///default");
  ASSERT_TRUE(hv.ok());
  EXPECT_EQ((*hv)->DefineDomain("<domain type='test'><name>x</name></domain>").reason_id(),
            "launcher.hypervisor_error");
  EXPECT_EQ(LibvirtHypervisor::Open("nosuchdriver:///x").status().reason_id(),
            "launcher.hypervisor_error");
  auto v = (*hv)->LibVersion();
  ASSERT_TRUE(v.ok());
  EXPECT_GE(*v, LibvirtVersion(4, 4, 0));
}

// The installed libvirt (11.3) predates TDX (11.6): the TDX document, and the SNP one beside it,
// are validated against the domain schema of a libvirt that has it, fetched from Debian's newest
// suite by launcher/fetch_libvirt_schemas.sh (.ci/run does). Not a rubber stamp: an element libvirt
// does not know, a policy that is not hex and a MRCONFIGID that is not base64 are refused.
TEST(LibvirtSchema, TdxDocumentValidatesAgainstALibvirtThatKnowsTdx) {
  const std::filesystem::path rng = TdxSchemaDir() / "domain.rng";
  if (!std::filesystem::exists(rng)) {
    if (std::getenv("CI") != nullptr) {
      FAIL() << rng << " is missing: run launcher/fetch_libvirt_schemas.sh";
    }
    GTEST_SKIP() << rng << " is missing: run launcher/fetch_libvirt_schemas.sh";
  }
  const std::vector<std::string> xmllint = {"xmllint", "--noout", "--relaxng", rng.string(), "{}"};
  LaunchSpec tdx = SnpSpec();
  tdx.tee = TeeType::kTdx;
  std::array<uint8_t, 48> mr{};
  mr.fill(0x3c);
  tdx.tdx.mr_config_id = mr;
  tdx.tdx.mr_owner = mr;
  tdx.tdx.quote_generation_socket = "/var/run/tdx-qgs/qgs.socket";
  auto tdx_xml = BuildDomainXml(tdx, kLibvirtTdx);
  ASSERT_TRUE(tdx_xml.ok()) << tdx_xml.status().ToString();
  ASSERT_NE(tdx_xml->find("<launchSecurity type=\"tdx\""), std::string::npos) << *tdx_xml;
  EXPECT_EQ(RunOnXml(*tdx_xml, xmllint), 0) << *tdx_xml;

  LaunchSpec tdx_disk_boot = tdx;
  tdx_disk_boot.direct_boot.reset();
  auto tdx_disk = BuildDomainXml(tdx_disk_boot, kLibvirtTdx);
  ASSERT_TRUE(tdx_disk.ok());
  EXPECT_EQ(RunOnXml(*tdx_disk, xmllint), 0) << *tdx_disk;

  auto snp = BuildDomainXml(SnpSpec(), kLibvirtTdx);
  ASSERT_TRUE(snp.ok());
  EXPECT_EQ(RunOnXml(*snp, xmllint), 0) << *snp;

  auto edited = [&](const std::string& from, const std::string& to) {
    std::string doc = *tdx_xml;
    size_t at = doc.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    while (at != std::string::npos) {
      doc.replace(at, from.size(), to);
      at = doc.find(from, at + to.size());
    }
    return doc;
  };
  EXPECT_NE(RunOnXml(edited("mrConfigId>", "mrConfigID>"), xmllint), 0);
  EXPECT_NE(RunOnXml(edited("<policy>0x", "<policy>zz"), xmllint), 0);
  EXPECT_NE(RunOnXml(edited("type=\"tdx\"", "type=\"tdx2\""), xmllint), 0);
}

}  // namespace
}  // namespace attest::launcher
