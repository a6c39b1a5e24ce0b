#include "launcher/domain_xml.h"

#include <gtest/gtest.h>

#include <functional>

#include "attest/core/encoding.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

constexpr uint64_t kNewest = LibvirtVersion(11, 6, 0);

LaunchSpec BaseSpec(TeeType tee) {
  LaunchSpec s;
  s.uuid = "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01";
  s.name = "vm-3f1c9a52";
  s.tenant = "tenant-a";
  s.tee = tee;
  s.memory_mib = 2048;
  s.vcpus = 2;
  s.firmware = Firmware{"/usr/share/OVMF/OVMF.amdsev.fd", "", ""};
  s.seclabel = {SecLabelModel::kSelinux, SecLabelType::kDynamic, ""};
  s.interfaces.push_back({"tn-0123456789abcdef", "sg-web", {{"IP", "10.0.0.5"}}, ""});
  s.disks.push_back({"/var/lib/attest/volumes/vol-1.img", "tenant-a", "vda", "raw", false});
  s.sev.cbitpos = 51;
  s.sev.reduced_phys_bits = 1;
  s.sev.dh_cert.assign(2084, 0xd1);
  s.sev.session.assign(128, 0x5e);
  if (tee == TeeType::kSevEs) {
    s.sev.policy = 0x37;
  }
  s.snp.cbitpos = 51;
  s.snp.reduced_phys_bits = 1;
  std::array<uint8_t, 32> hd{};
  hd.fill(0xab);
  s.snp.host_data = hd;
  std::array<uint8_t, 48> mr{};
  mr.fill(0xcd);
  s.tdx.mr_config_id = mr;
  s.tdx.quote_generation_socket = "/var/run/tdx-qgs/qgs.socket";
  return s;
}

XmlDocPtr Parse(const std::string& xml) {
  auto doc = ParseXml(xml, reasons::kLauncherXml);
  EXPECT_TRUE(doc.ok()) << xml;
  return doc.ok() ? std::move(doc).value() : nullptr;
}

std::string Str(xmlDoc* doc, const char* expr) { return XPathString(doc, expr).value_or("<none>"); }

TEST(DomainXml, SevDocumentHasEveryElement) {
  auto xml = BuildDomainXml(BaseSpec(TeeType::kSev), kNewest);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  xmlDoc* d = doc.get();
  EXPECT_EQ(Str(d, "/domain/@type"), "kvm");
  EXPECT_EQ(Str(d, "/domain/name"), "vm-3f1c9a52");
  EXPECT_EQ(Str(d, "/domain/uuid"), "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01");
  EXPECT_EQ(Str(d, "/domain/memory[@unit='MiB']"), "2048");
  EXPECT_EQ(Str(d, "/domain/vcpu"), "2");
  EXPECT_EQ(XPathCount(d, "/domain/memoryBacking/locked"), 1u);
  EXPECT_EQ(Str(d, "/domain/os/type/@machine"), "q35");
  EXPECT_EQ(Str(d, "/domain/os/loader[@readonly='yes'][@type='rom']"),
            "/usr/share/OVMF/OVMF.amdsev.fd");
  EXPECT_EQ(Str(d, "/domain/on_reboot"), "destroy");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/@type"), "sev");
  EXPECT_EQ(XPathCount(d, "/domain/launchSecurity/@kernelHashes"), 0u);
  EXPECT_EQ(Str(d, "/domain/launchSecurity/cbitpos"), "51");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/reducedPhysBits"), "1");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/policy"), "0x0033");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/dhCert"), Base64Encode(Bytes(2084, 0xd1)));
  EXPECT_EQ(Str(d, "/domain/launchSecurity/session"), Base64Encode(Bytes(128, 0x5e)));
  EXPECT_EQ(Str(d, "/domain/devices/disk/driver/@iommu"), "on");
  EXPECT_EQ(Str(d, "/domain/devices/disk/source/@file"), "/var/lib/attest/volumes/vol-1.img");
  EXPECT_EQ(Str(d, "/domain/devices/disk/target/@dev"), "vda");
  EXPECT_EQ(Str(d, "/domain/devices/interface[@type='network']/source/@network"),
            "tn-0123456789abcdef");
  EXPECT_EQ(Str(d, "/domain/devices/interface/driver/@iommu"), "on");
  EXPECT_EQ(Str(d, "/domain/devices/interface/filterref/@filter"), "sg-web");
  EXPECT_EQ(Str(d, "/domain/devices/interface/filterref/parameter[@name='IP']/@value"), "10.0.0.5");
  EXPECT_EQ(Str(d, "/domain/devices/memballoon/@model"), "none");
  EXPECT_EQ(Str(d, "/domain/seclabel[@type='dynamic'][@relabel='yes']/@model"), "selinux");
  EXPECT_EQ(XPathCount(d, "/domain/devices/tpm"), 0u);
}

TEST(DomainXml, SevEsKernelHashesAndDirectBoot) {
  LaunchSpec s = BaseSpec(TeeType::kSevEs);
  s.direct_boot = DirectKernelBoot{"/var/lib/attest/k/vmlinuz", "/var/lib/attest/k/initrd",
                                   "console=ttyS0 root=/dev/vda1"};
  s.vtpm = true;
  auto xml = BuildDomainXml(s, kNewest);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  EXPECT_EQ(Str(doc.get(), "/domain/launchSecurity/@kernelHashes"), "yes");
  EXPECT_EQ(Str(doc.get(), "/domain/launchSecurity/policy"), "0x0037");
  EXPECT_EQ(Str(doc.get(), "/domain/os/kernel"), "/var/lib/attest/k/vmlinuz");
  EXPECT_EQ(Str(doc.get(), "/domain/os/initrd"), "/var/lib/attest/k/initrd");
  EXPECT_EQ(Str(doc.get(), "/domain/os/cmdline"), "console=ttyS0 root=/dev/vda1");
  EXPECT_EQ(Str(doc.get(), "/domain/devices/tpm[@model='tpm-crb']/backend/@version"), "2.0");
}

TEST(DomainXml, SnpDocument) {
  LaunchSpec s = BaseSpec(TeeType::kSevSnp);
  s.snp.id_block.assign(96, 0x1b);
  s.snp.id_auth.assign(4096, 0x2a);
  s.snp.author_key = true;
  s.snp.vcek = false;
  auto xml = BuildDomainXml(s, kLibvirtSevSnp);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  xmlDoc* d = doc.get();
  EXPECT_EQ(Str(d, "/domain/launchSecurity/@type"), "sev-snp");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/@authorKey"), "yes");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/@vcek"), "no");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/@kernelHashes"), "no");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/policy"), "0x00030000");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/hostData"), Base64Encode(Bytes(32, 0xab)));
  EXPECT_EQ(Str(d, "/domain/launchSecurity/idBlock"), Base64Encode(Bytes(96, 0x1b)));
  EXPECT_EQ(Str(d, "/domain/launchSecurity/idAuth"), Base64Encode(Bytes(4096, 0x2a)));
  EXPECT_EQ(XPathCount(d, "/domain/launchSecurity/dhCert"), 0u);
  EXPECT_EQ(XPathCount(d, "/domain/launchSecurity/session"), 0u);
  // The SNP element set of libvirt 10.5 (go-xml-module DomainLaunchSecuritySEVSNP): nothing else.
  EXPECT_EQ(XPathCount(d,
                       "/domain/launchSecurity/*[not(self::cbitpos or self::reducedPhysBits or "
                       "self::policy or self::guestVisibleWorkarounds or self::idBlock or "
                       "self::idAuth or self::hostData)]"),
            0u);
  EXPECT_EQ(XPathCount(d, "/domain/os/nvram"), 0u);
}

TEST(DomainXml, TdxDocument) {
  auto xml = BuildDomainXml(BaseSpec(TeeType::kTdx), kLibvirtTdx);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  xmlDoc* d = doc.get();
  EXPECT_EQ(Str(d, "/domain/launchSecurity/@type"), "tdx");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/policy"), "0x0000000010000000");
  EXPECT_EQ(Str(d, "/domain/launchSecurity/mrConfigId"), Base64Encode(Bytes(48, 0xcd)));
  EXPECT_EQ(XPathCount(d, "/domain/launchSecurity/mrOwner"), 0u);
  EXPECT_EQ(Str(d, "/domain/launchSecurity/quoteGenerationService/@path"),
            "/var/run/tdx-qgs/qgs.socket");
  EXPECT_EQ(XPathCount(d,
                       "/domain/launchSecurity/*[not(self::policy or self::mrConfigId or "
                       "self::mrOwner or self::mrOwnerConfig or self::quoteGenerationService)]"),
            0u);
}

TEST(DomainXml, PlainDacGuestHasNoTeeSettings) {
  LaunchSpec s = BaseSpec(TeeType::kNone);
  s.domain_type = "qemu";
  s.firmware.reset();
  s.seclabel = {SecLabelModel::kDac, SecLabelType::kStatic, "+64055:+64055"};
  s.serial_log = "/tmp/console.log";
  auto xml = BuildDomainXml(s, LibvirtVersion(9, 0, 0));
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  xmlDoc* d = doc.get();
  EXPECT_EQ(XPathCount(d, "/domain/launchSecurity"), 0u);
  EXPECT_EQ(XPathCount(d, "/domain/memoryBacking"), 0u);
  EXPECT_EQ(XPathCount(d, "//driver[@iommu]"), 0u);
  EXPECT_EQ(XPathCount(d, "/domain/cpu"), 0u);
  EXPECT_EQ(Str(d, "/domain/seclabel[@type='static'][@model='dac']/label"), "+64055:+64055");
  EXPECT_EQ(Str(d, "/domain/devices/serial[@type='file']/source/@path"), "/tmp/console.log");
}

// Direct boot on each TEE: SEV, SEV-ES and SNP always measure the kernel through the hashes
// table (kernelHashes='yes'); TDX has no such attribute (TDVF measures into the RTMRs); without
// a kernel SNP says kernelHashes='no' and SEV leaves the attribute out.
TEST(DomainXml, DirectBootMeasuresTheKernelOnEveryTee) {
  struct Case {
    TeeType tee;
    bool boot;
    std::string hashes;  // the attribute's value, "<none>" when absent
  };
  const std::vector<Case> cases = {
      {TeeType::kSev, true, "yes"},     {TeeType::kSevEs, true, "yes"},
      {TeeType::kSevSnp, true, "yes"},  {TeeType::kTdx, true, "<none>"},
      {TeeType::kSev, false, "<none>"}, {TeeType::kSevEs, false, "<none>"},
      {TeeType::kSevSnp, false, "no"},  {TeeType::kTdx, false, "<none>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(TeeTypeName(c.tee)) + (c.boot ? " with kernel" : " without"));
    LaunchSpec s = BaseSpec(c.tee);
    if (c.boot) {
      s.direct_boot = DirectKernelBoot{"/var/lib/attest/boot/img-1/kernel",
                                       "/var/lib/attest/boot/img-1/initrd", "console=ttyS0 quiet"};
    }
    auto xml = BuildDomainXml(s, kNewest);
    ASSERT_TRUE(xml.ok()) << xml.status().ToString();
    auto doc = Parse(*xml);
    xmlDoc* d = doc.get();
    EXPECT_EQ(Str(d, "/domain/launchSecurity/@kernelHashes"), c.hashes);
    EXPECT_EQ(XPathCount(d, "/domain/os/kernel"), c.boot ? 1u : 0u);
    if (c.boot) {
      EXPECT_EQ(Str(d, "/domain/os/kernel"), "/var/lib/attest/boot/img-1/kernel");
      EXPECT_EQ(Str(d, "/domain/os/initrd"), "/var/lib/attest/boot/img-1/initrd");
      EXPECT_EQ(Str(d, "/domain/os/cmdline"), "console=ttyS0 quiet");
    }
  }
}

TEST(DomainXml, DirectBootWithoutInitrdOrCmdlineWritesNeither) {
  LaunchSpec s = BaseSpec(TeeType::kSevSnp);
  s.direct_boot = DirectKernelBoot{"/b/kernel", "", ""};
  auto xml = BuildDomainXml(s, kNewest);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  EXPECT_EQ(XPathCount(doc.get(), "/domain/os/kernel"), 1u);
  EXPECT_EQ(XPathCount(doc.get(), "/domain/os/initrd"), 0u);
  EXPECT_EQ(XPathCount(doc.get(), "/domain/os/cmdline"), 0u);
}

// The test hosts' user-mode NIC: virtio, no filterref (it is outside the tenant nets), and the
// IOMMU path on a TEE guest like every other virtio device.
TEST(DomainXml, UserNetworkIsOneUserModeNic) {
  for (TeeType tee : {TeeType::kNone, TeeType::kSevSnp}) {
    SCOPED_TRACE(TeeTypeName(tee));
    LaunchSpec s = BaseSpec(tee);
    if (tee == TeeType::kNone) {
      s.domain_type = "qemu";
      s.firmware.reset();
    }
    auto without = BuildDomainXml(s, kNewest);
    ASSERT_TRUE(without.ok());
    EXPECT_EQ(XPathCount(Parse(*without).get(), "//interface[@type='user']"), 0u);
    s.user_network = true;
    auto xml = BuildDomainXml(s, kNewest);
    ASSERT_TRUE(xml.ok()) << xml.status().ToString();
    auto doc = Parse(*xml);
    xmlDoc* d = doc.get();
    EXPECT_EQ(XPathCount(d, "/domain/devices/interface[@type='user']"), 1u);
    EXPECT_EQ(XPathCount(d, "/domain/devices/interface[@type='network']"), 1u);
    EXPECT_EQ(Str(d, "/domain/devices/interface[@type='user']/model/@type"), "virtio");
    EXPECT_EQ(XPathCount(d, "/domain/devices/interface[@type='user']/filterref"), 0u);
    EXPECT_EQ(XPathCount(d, "/domain/devices/interface[@type='user']/driver[@iommu='on']"),
              tee == TeeType::kNone ? 0u : 1u);
  }
}

TEST(DomainXml, HostileTextIsEscapedNotPasted) {
  LaunchSpec s = BaseSpec(TeeType::kSev);
  s.direct_boot = DirectKernelBoot{"/k/vmlinuz", "", "a='1' </cmdline><devices>&x; \"q\""};
  s.interfaces[0].filter_params["IP"] = "1.2.3.4'/><parameter name='X";
  auto xml = BuildDomainXml(s, kNewest);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = Parse(*xml);
  EXPECT_EQ(Str(doc.get(), "/domain/os/cmdline"), "a='1' </cmdline><devices>&x; \"q\"");
  EXPECT_EQ(XPathCount(doc.get(), "//filterref/parameter"), 1u);
  EXPECT_EQ(Str(doc.get(), "//filterref/parameter/@value"), "1.2.3.4'/><parameter name='X");
  EXPECT_EQ(XPathCount(doc.get(), "/domain/devices"), 1u);
}

struct BadCase {
  std::string name;
  TeeType tee;
  std::function<void(LaunchSpec&)> mutate;
  uint64_t version;
  std::string want;
};

TEST(DomainXml, RejectsBadSpecs) {
  const std::vector<BadCase> cases = {
      {"uuid upper case", TeeType::kSev, [](LaunchSpec& s) { s.uuid[0] = 'F'; }, kNewest,
       "launcher.invalid_spec"},
      {"uuid short", TeeType::kSev, [](LaunchSpec& s) { s.uuid.pop_back(); }, kNewest,
       "launcher.invalid_spec"},
      {"name with slash", TeeType::kSev, [](LaunchSpec& s) { s.name = "a/b"; }, kNewest,
       "launcher.invalid_name"},
      {"name empty", TeeType::kSev, [](LaunchSpec& s) { s.name = ""; }, kNewest,
       "launcher.invalid_name"},
      {"name leading dash", TeeType::kSev, [](LaunchSpec& s) { s.name = "-x"; }, kNewest,
       "launcher.invalid_name"},
      {"name too long", TeeType::kSev, [](LaunchSpec& s) { s.name = std::string(65, 'a'); },
       kNewest, "launcher.invalid_name"},
      {"memory zero", TeeType::kSev, [](LaunchSpec& s) { s.memory_mib = 0; }, kNewest,
       "launcher.invalid_spec"},
      {"memory huge", TeeType::kSev, [](LaunchSpec& s) { s.memory_mib = kMaxMemoryMib + 1; },
       kNewest, "launcher.invalid_spec"},
      {"vcpus zero", TeeType::kSev, [](LaunchSpec& s) { s.vcpus = 0; }, kNewest,
       "launcher.invalid_spec"},
      {"vcpus huge", TeeType::kSev, [](LaunchSpec& s) { s.vcpus = 513; }, kNewest,
       "launcher.invalid_spec"},
      {"domain type", TeeType::kNone, [](LaunchSpec& s) { s.domain_type = "xen"; }, kNewest,
       "launcher.invalid_spec"},
      {"relative disk", TeeType::kSev, [](LaunchSpec& s) { s.disks[0].path = "vol.img"; }, kNewest,
       "launcher.invalid_spec"},
      {"dotdot disk", TeeType::kSev,
       [](LaunchSpec& s) { s.disks[0].path = "/var/lib/../../etc/shadow"; }, kNewest,
       "launcher.invalid_spec"},
      {"disk of another tenant", TeeType::kSev,
       [](LaunchSpec& s) { s.disks[0].owner_tenant = "tenant-b"; }, kNewest,
       "launcher.disk_not_owned"},
      {"disk bad target", TeeType::kSev, [](LaunchSpec& s) { s.disks[0].target = "../x"; }, kNewest,
       "launcher.invalid_spec"},
      {"disk bad format", TeeType::kSev, [](LaunchSpec& s) { s.disks[0].format = "vmdk"; }, kNewest,
       "launcher.invalid_spec"},
      {"too many disks", TeeType::kSev,
       [](LaunchSpec& s) { s.disks.resize(kMaxDisks + 1, s.disks[0]); }, kNewest,
       "launcher.invalid_spec"},
      {"network name", TeeType::kSev, [](LaunchSpec& s) { s.interfaces[0].network = "a b"; },
       kNewest, "launcher.invalid_name"},
      {"filter name", TeeType::kSev, [](LaunchSpec& s) { s.interfaces[0].filter = ""; }, kNewest,
       "launcher.invalid_name"},
      {"multicast mac", TeeType::kSev,
       [](LaunchSpec& s) { s.interfaces[0].mac = "01:00:5e:00:00:01"; }, kNewest,
       "launcher.invalid_spec"},
      {"param with newline", TeeType::kSev,
       [](LaunchSpec& s) { s.interfaces[0].filter_params["IP"] = "1\n2"; }, kNewest,
       "launcher.invalid_spec"},
      {"cmdline control char", TeeType::kSev,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"/k", "", "a\x01"};
       },
       kNewest, "launcher.invalid_spec"},
      {"static label missing", TeeType::kSev,
       [](LaunchSpec& s) { s.seclabel.type = SecLabelType::kStatic; }, kNewest,
       "launcher.invalid_spec"},
      {"tee on tcg", TeeType::kSev, [](LaunchSpec& s) { s.domain_type = "qemu"; }, kNewest,
       "launcher.invalid_spec"},
      {"tee without firmware", TeeType::kSev, [](LaunchSpec& s) { s.firmware.reset(); }, kNewest,
       "launcher.invalid_spec"},
      {"sev with es bit", TeeType::kSev, [](LaunchSpec& s) { s.sev.policy = 0x37; }, kNewest,
       "launcher.invalid_spec"},
      {"sev-es without es bit", TeeType::kSevEs, [](LaunchSpec& s) { s.sev.policy = 0x33; },
       kNewest, "launcher.invalid_spec"},
      {"sev debug", TeeType::kSev, [](LaunchSpec& s) { s.sev.policy = 0x32; }, kNewest,
       "launcher.invalid_spec"},
      {"sev short dhcert", TeeType::kSev, [](LaunchSpec& s) { s.sev.dh_cert.pop_back(); }, kNewest,
       "launcher.invalid_spec"},
      {"sev short session", TeeType::kSev, [](LaunchSpec& s) { s.sev.session.resize(127); },
       kNewest, "launcher.invalid_spec"},
      {"sev cbitpos zero", TeeType::kSev, [](LaunchSpec& s) { s.sev.cbitpos = 0; }, kNewest,
       "launcher.invalid_spec"},
      {"kernel path relative", TeeType::kSevSnp,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"vmlinuz", "", ""};
       },
       kNewest, "launcher.invalid_spec"},
      {"kernel path empty", TeeType::kTdx,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"", "/b/initrd", ""};
       },
       kNewest, "launcher.invalid_spec"},
      {"kernel path with dotdot", TeeType::kSevSnp,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"/var/lib/../../etc/k", "", ""};
       },
       kNewest, "launcher.invalid_spec"},
      {"initrd path relative", TeeType::kSev,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"/b/k", "initrd", ""};
       },
       kNewest, "launcher.invalid_spec"},
      {"initrd path with newline", TeeType::kTdx,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"/b/k", "/b/in\nitrd", ""};
       },
       kNewest, "launcher.invalid_spec"},
      {"cmdline too long", TeeType::kSevSnp,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"/b/k", "", std::string(kMaxCmdlineBytes + 1, 'a')};
       },
       kNewest, "launcher.invalid_spec"},
      {"sev on libvirt 4.3", TeeType::kSev, [](LaunchSpec&) {}, LibvirtVersion(4, 3, 0),
       "launcher.libvirt_too_old"},
      {"sev direct boot (kernel hashes) on libvirt 7.10", TeeType::kSev,
       [](LaunchSpec& s) {
         s.direct_boot = DirectKernelBoot{"/k", "", ""};
       },
       LibvirtVersion(7, 10, 0), "launcher.libvirt_too_old"},
      {"snp on libvirt 10.4", TeeType::kSevSnp, [](LaunchSpec&) {}, LibvirtVersion(10, 4, 0),
       "launcher.libvirt_too_old"},
      {"snp on libvirt 9.0", TeeType::kSevSnp, [](LaunchSpec&) {}, LibvirtVersion(9, 0, 0),
       "launcher.libvirt_too_old"},
      {"snp debug", TeeType::kSevSnp, [](LaunchSpec& s) { s.snp.policy |= 1ull << 19; }, kNewest,
       "launcher.invalid_spec"},
      {"snp reserved bit 17 clear", TeeType::kSevSnp, [](LaunchSpec& s) { s.snp.policy = 0; },
       kNewest, "launcher.invalid_spec"},
      {"snp id block size", TeeType::kSevSnp,
       [](LaunchSpec& s) {
         s.snp.id_block.assign(95, 0);
         s.snp.id_auth.assign(4096, 0);
       },
       kNewest, "launcher.invalid_spec"},
      {"snp id block without auth", TeeType::kSevSnp,
       [](LaunchSpec& s) { s.snp.id_block.assign(96, 0); }, kNewest, "launcher.invalid_spec"},
      {"snp author key without auth", TeeType::kSevSnp,
       [](LaunchSpec& s) { s.snp.author_key = true; }, kNewest, "launcher.invalid_spec"},
      {"snp with nvram", TeeType::kSevSnp,
       [](LaunchSpec& s) { s.firmware->nvram = "/var/lib/nv.fd"; }, kNewest,
       "launcher.invalid_spec"},
      {"tdx on libvirt 11.5", TeeType::kTdx, [](LaunchSpec&) {}, LibvirtVersion(11, 5, 9),
       "launcher.libvirt_too_old"},
      {"tdx debug", TeeType::kTdx, [](LaunchSpec& s) { s.tdx.policy |= 1; }, kNewest,
       "launcher.invalid_spec"},
      {"tdx relative qgs", TeeType::kTdx,
       [](LaunchSpec& s) { s.tdx.quote_generation_socket = "qgs.sock"; }, kNewest,
       "launcher.invalid_spec"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    LaunchSpec s = BaseSpec(c.tee);
    if (c.tee == TeeType::kNone) {
      s.domain_type = "qemu";
      s.firmware.reset();
    }
    // Sanity: the unmutated spec is accepted on the newest libvirt.
    ASSERT_TRUE(BuildDomainXml(s, kNewest).ok());
    c.mutate(s);
    auto r = BuildDomainXml(s, c.version);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want) << r.status().ToString();
  }
}

TEST(DomainXml, NamesAndPaths) {
  EXPECT_TRUE(ValidName("sg-0a.b_c"));
  EXPECT_FALSE(ValidName("_x"));
  EXPECT_FALSE(ValidName("x y"));
  EXPECT_FALSE(ValidName("é"));
  EXPECT_TRUE(ValidHostPath("/a/b.img"));
  EXPECT_FALSE(ValidHostPath("/"));
  EXPECT_FALSE(ValidHostPath("/a//b"));
  EXPECT_FALSE(ValidHostPath("/a/./b"));
  EXPECT_FALSE(ValidHostPath("/a/"));
  EXPECT_FALSE(ValidHostPath(std::string("/a\0b", 4)));
  EXPECT_EQ(ParseTeeType("snp"), TeeType::kSevSnp);
  EXPECT_EQ(ParseTeeType("SEV"), std::nullopt);
}

}  // namespace
}  // namespace attest::launcher
