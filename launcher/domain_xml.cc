// Longer than 500 lines on purpose: every value that reaches the domain XML is validated in the
// same file that writes it, so no unchecked field can slip between the two.
#include "launcher/domain_xml.h"

#include <cstdio>

#include "attest/core/encoding.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

Status Invalid(std::string message) {
  return Status(reasons::kLauncherInvalidSpec, "launch spec: " + std::move(message));
}

std::string Hex(uint64_t value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%0*llx", width, static_cast<unsigned long long>(value));
  return buf;
}

bool ValidUuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') {
        return false;
      }
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool ValidMac(std::string_view s) {
  if (s.size() != 17) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (i % 3 == 2 ? s[i] != ':' : !hex) {
      return false;
    }
  }
  // A multicast MAC (bit 0 of the first octet) cannot be a NIC address.
  int first = std::stoi(std::string(s.substr(0, 2)), nullptr, 16);
  return (first & 1) == 0;
}

bool Printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool ValidParamName(std::string_view s) {
  if (s.empty() || s.size() > 32) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool ValidTarget(std::string_view s) {
  if (s.size() < 3 || s.size() > 8) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

bool IsTee(TeeType tee) { return tee != TeeType::kNone; }

Status RequireVersion(uint64_t have, uint64_t need, std::string_view what) {
  if (have >= need) {
    return Status::Ok();
  }
  auto fmt = [](uint64_t v) {
    return std::to_string(v / 1000000) + "." + std::to_string(v / 1000 % 1000) + "." +
           std::to_string(v % 1000);
  };
  return Status(reasons::kLauncherLibvirtTooOld,
                std::string(what) + " needs libvirt " + fmt(need) + ", host has " + fmt(have));
}

Status ValidateCommon(const LaunchSpec& spec) {
  if (!ValidUuid(spec.uuid)) {
    return Invalid("uuid is not a canonical lower-case UUID");
  }
  if (!ValidName(spec.name)) {
    return Status(reasons::kLauncherInvalidName, "launch spec: domain name has the wrong shape");
  }
  if (!ValidName(spec.tenant)) {
    return Status(reasons::kLauncherInvalidName, "launch spec: tenant has the wrong shape");
  }
  if (spec.memory_mib < 64 || spec.memory_mib > kMaxMemoryMib) {
    return Invalid("memory_mib " + std::to_string(spec.memory_mib) + " outside 64.." +
                   std::to_string(kMaxMemoryMib));
  }
  if (spec.vcpus < 1 || spec.vcpus > kMaxVcpus) {
    return Invalid("vcpus " + std::to_string(spec.vcpus) + " outside 1.." +
                   std::to_string(kMaxVcpus));
  }
  if (spec.domain_type != "kvm" && spec.domain_type != "qemu") {
    return Invalid("domain type must be kvm or qemu");
  }
  if (spec.firmware) {
    if (!ValidHostPath(spec.firmware->loader)) {
      return Invalid("firmware loader path");
    }
    if (!spec.firmware->nvram.empty() && !ValidHostPath(spec.firmware->nvram)) {
      return Invalid("firmware nvram path");
    }
    if (!spec.firmware->nvram_template.empty() &&
        (spec.firmware->nvram.empty() || !ValidHostPath(spec.firmware->nvram_template))) {
      return Invalid("nvram template needs an nvram path and must be a valid path");
    }
  }
  if (spec.direct_boot) {
    const auto& b = *spec.direct_boot;
    if (!ValidHostPath(b.kernel)) {
      return Invalid("kernel path");
    }
    if (!b.initrd.empty() && !ValidHostPath(b.initrd)) {
      return Invalid("initrd path");
    }
    if (b.cmdline.size() > kMaxCmdlineBytes || !Printable(b.cmdline)) {
      return Invalid("kernel command line too long or with control characters");
    }
  }
  if (spec.interfaces.size() > kMaxInterfaces) {
    return Invalid("too many interfaces");
  }
  for (const auto& i : spec.interfaces) {
    if (!ValidName(i.network) || !ValidName(i.filter)) {
      return Status(reasons::kLauncherInvalidName,
                    "launch spec: interface network or filter name has the wrong shape");
    }
    if (!i.mac.empty() && !ValidMac(i.mac)) {
      return Invalid("interface MAC address");
    }
    if (i.filter_params.size() > 16) {
      return Invalid("too many filter parameters");
    }
    for (const auto& [k, v] : i.filter_params) {
      if (!ValidParamName(k) || v.empty() || v.size() > 256 || !Printable(v)) {
        return Invalid("filter parameter name or value");
      }
    }
  }
  if (spec.disks.size() > kMaxDisks) {
    return Invalid("too many disks");
  }
  for (const auto& d : spec.disks) {
    if (!ValidHostPath(d.path)) {
      return Invalid("disk path");
    }
    if (!ValidTarget(d.target)) {
      return Invalid("disk target device");
    }
    if (d.format != "raw" && d.format != "qcow2") {
      return Invalid("disk format must be raw or qcow2");
    }
  }
  ATTEST_RETURN_IF_ERROR(CheckDiskOwnership(spec));
  if (spec.seclabel.type == SecLabelType::kStatic &&
      (spec.seclabel.label.empty() || spec.seclabel.label.size() > 256 ||
       !Printable(spec.seclabel.label))) {
    return Invalid("a static security label needs a label");
  }
  if (spec.seclabel.type == SecLabelType::kDynamic && !spec.seclabel.label.empty()) {
    return Invalid("a dynamic security label is chosen by libvirt, not given");
  }
  if (!spec.serial_log.empty() && !ValidHostPath(spec.serial_log)) {
    return Invalid("serial log path");
  }
  return Status::Ok();
}

Status ValidateTee(const LaunchSpec& spec, uint64_t version) {
  if (!IsTee(spec.tee)) {
    return Status::Ok();
  }
  // Every TEE here encrypts guest memory under KVM and boots UEFI firmware.
  if (spec.domain_type != "kvm") {
    return Invalid("a TEE guest needs domain type kvm");
  }
  if (!spec.firmware) {
    return Invalid("a TEE guest needs UEFI firmware (loader)");
  }
  switch (spec.tee) {
    case TeeType::kSev:
    case TeeType::kSevEs: {
      const SevLaunch& s = spec.sev;
      ATTEST_RETURN_IF_ERROR(RequireVersion(version, kLibvirtSev, "launchSecurity type='sev'"));
      if (spec.direct_boot) {
        ATTEST_RETURN_IF_ERROR(
            RequireVersion(version, kLibvirtSevKernelHashes, "launchSecurity kernelHashes"));
      }
      bool es = (s.policy & (1u << 2)) != 0;
      if (es != (spec.tee == TeeType::kSevEs)) {
        return Invalid("SEV policy bit 2 (ES) must be set exactly for sev-es");
      }
      if ((s.policy & 1u) == 0) {
        return Invalid("SEV policy allows debugging (NODBG clear)");
      }
      if (s.dh_cert.size() != 2084) {
        return Invalid("SEV dhCert must be 2084 bytes");
      }
      if (s.session.size() != 128) {
        return Invalid("SEV session must be 128 bytes");
      }
      if (s.cbitpos < 1 || s.cbitpos > 63 || s.reduced_phys_bits > 63) {
        return Invalid("SEV cbitpos/reducedPhysBits out of range");
      }
      break;
    }
    case TeeType::kSevSnp: {
      const SnpLaunch& s = spec.snp;
      ATTEST_RETURN_IF_ERROR(
          RequireVersion(version, kLibvirtSevSnp, "launchSecurity type='sev-snp'"));
      if ((s.policy & (1ull << 17)) == 0) {
        return Invalid("SNP policy bit 17 must be one");
      }
      if ((s.policy & (1ull << 19)) != 0) {
        return Invalid("SNP policy allows debugging (bit 19)");
      }
      if (s.cbitpos < 1 || s.cbitpos > 63 || s.reduced_phys_bits > 63) {
        return Invalid("SNP cbitpos/reducedPhysBits out of range");
      }
      if (!s.id_block.empty() && s.id_block.size() != 96) {
        return Invalid("SNP idBlock must be 96 bytes");
      }
      if (!s.id_auth.empty() && s.id_auth.size() != 4096) {
        return Invalid("SNP idAuth must be 4096 bytes");
      }
      if (s.id_block.empty() != s.id_auth.empty()) {
        return Invalid("SNP idBlock and idAuth go together");
      }
      if (s.author_key && s.id_auth.empty()) {
        return Invalid("SNP authorKey needs idAuth");
      }
      if (!spec.firmware->nvram.empty()) {
        return Invalid("SNP needs stateless firmware (no nvram)");
      }
      break;
    }
    case TeeType::kTdx: {
      const TdxLaunch& t = spec.tdx;
      ATTEST_RETURN_IF_ERROR(RequireVersion(version, kLibvirtTdx, "launchSecurity type='tdx'"));
      if ((t.policy & 1ull) != 0) {
        return Invalid("TDX attributes allow debugging (bit 0)");
      }
      if (!t.quote_generation_socket.empty() && !ValidHostPath(t.quote_generation_socket)) {
        return Invalid("TDX quote generation socket path");
      }
      if (!spec.firmware->nvram.empty()) {
        return Invalid("TDX needs stateless firmware (no nvram)");
      }
      break;
    }
    case TeeType::kNone:
      break;
  }
  return Status::Ok();
}

void AddLaunchSecurity(XmlBuilder& xml, const LaunchSpec& spec) {
  xmlNode* ls = xml.Child(xml.root(), "launchSecurity");
  auto yes_no = [](bool b) { return b ? "yes" : "no"; };
  switch (spec.tee) {
    case TeeType::kSev:
    case TeeType::kSevEs: {
      const SevLaunch& s = spec.sev;
      XmlBuilder::Attr(ls, "type", "sev");
      if (spec.direct_boot) {
        XmlBuilder::Attr(ls, "kernelHashes", "yes");
      }
      xml.Child(ls, "cbitpos", std::to_string(s.cbitpos));
      xml.Child(ls, "reducedPhysBits", std::to_string(s.reduced_phys_bits));
      xml.Child(ls, "policy", Hex(s.policy, 4));
      xml.Child(ls, "dhCert", Base64Encode(s.dh_cert));
      xml.Child(ls, "session", Base64Encode(s.session));
      break;
    }
    case TeeType::kSevSnp: {
      const SnpLaunch& s = spec.snp;
      XmlBuilder::Attr(ls, "type", "sev-snp");
      XmlBuilder::Attr(ls, "kernelHashes", yes_no(spec.direct_boot.has_value()));
      XmlBuilder::Attr(ls, "authorKey", yes_no(s.author_key));
      XmlBuilder::Attr(ls, "vcek", yes_no(s.vcek));
      xml.Child(ls, "cbitpos", std::to_string(s.cbitpos));
      xml.Child(ls, "reducedPhysBits", std::to_string(s.reduced_phys_bits));
      xml.Child(ls, "policy", Hex(s.policy, 8));
      if (!s.id_block.empty()) {
        xml.Child(ls, "idBlock", Base64Encode(s.id_block));
        xml.Child(ls, "idAuth", Base64Encode(s.id_auth));
      }
      if (s.host_data) {
        xml.Child(ls, "hostData", Base64Encode(*s.host_data));
      }
      break;
    }
    case TeeType::kTdx: {
      const TdxLaunch& t = spec.tdx;
      XmlBuilder::Attr(ls, "type", "tdx");
      xml.Child(ls, "policy", Hex(t.policy, 16));
      if (t.mr_config_id) {
        xml.Child(ls, "mrConfigId", Base64Encode(*t.mr_config_id));
      }
      if (t.mr_owner) {
        xml.Child(ls, "mrOwner", Base64Encode(*t.mr_owner));
      }
      if (t.mr_owner_config) {
        xml.Child(ls, "mrOwnerConfig", Base64Encode(*t.mr_owner_config));
      }
      if (!t.quote_generation_socket.empty()) {
        xmlNode* q = xml.Child(ls, "quoteGenerationService");
        XmlBuilder::Attr(q, "path", t.quote_generation_socket);
      }
      break;
    }
    case TeeType::kNone:
      break;
  }
}

}  // namespace

std::string_view SecLabelModelName(SecLabelModel model) {
  switch (model) {
    case SecLabelModel::kSelinux:
      return "selinux";
    case SecLabelModel::kApparmor:
      return "apparmor";
    case SecLabelModel::kDac:
      return "dac";
  }
  return "dac";
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (i == 0 ? !alnum : !(alnum || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool ValidHostPath(std::string_view path) {
  if (path.size() < 2 || path.size() > 4096 || path[0] != '/' || !Printable(path)) {
    return false;
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

Status CheckDiskOwnership(const LaunchSpec& spec) {
  for (const auto& d : spec.disks) {
    if (d.owner_tenant != spec.tenant) {
      return Status(reasons::kLauncherDiskNotOwned,
                    "launch spec: disk " + d.target + " belongs to another tenant");
    }
  }
  return Status::Ok();
}

Result<std::string> BuildDomainXml(const LaunchSpec& spec, uint64_t libvirt_version) {
  ATTEST_RETURN_IF_ERROR(ValidateCommon(spec));
  ATTEST_RETURN_IF_ERROR(ValidateTee(spec, libvirt_version));
  const bool tee = IsTee(spec.tee);

  XmlBuilder xml("domain");
  xmlNode* root = xml.root();
  XmlBuilder::Attr(root, "type", spec.domain_type);
  xml.Child(root, "name", spec.name);
  xml.Child(root, "uuid", spec.uuid);
  XmlBuilder::Attr(xml.Child(root, "memory", std::to_string(spec.memory_mib)), "unit", "MiB");
  xml.Child(root, "vcpu", std::to_string(spec.vcpus));
  if (tee) {
    // Encrypted guest memory cannot be swapped or moved by the host: lock it
    // (libvirt kbase launch_security_sev "Memory"; Nova hardware.py does the same).
    xml.Child(xml.Child(root, "memoryBacking"), "locked");
  }

  xmlNode* os = xml.Child(root, "os");
  xmlNode* type = xml.Child(os, "type", "hvm");
  XmlBuilder::Attr(type, "arch", "x86_64");
  XmlBuilder::Attr(type, "machine", "q35");  // SEV/SNP/TDX need q35 (PCIe, SMM-free OVMF)
  if (spec.firmware) {
    xmlNode* loader = xml.Child(os, "loader", spec.firmware->loader);
    XmlBuilder::Attr(loader, "readonly", "yes");
    XmlBuilder::Attr(loader, "type", tee && spec.firmware->nvram.empty() ? "rom" : "pflash");
    if (!spec.firmware->nvram.empty()) {
      xmlNode* nvram = xml.Child(os, "nvram", spec.firmware->nvram);
      if (!spec.firmware->nvram_template.empty()) {
        XmlBuilder::Attr(nvram, "template", spec.firmware->nvram_template);
      }
    }
  }
  if (spec.direct_boot) {
    xml.Child(os, "kernel", spec.direct_boot->kernel);
    if (!spec.direct_boot->initrd.empty()) {
      xml.Child(os, "initrd", spec.direct_boot->initrd);
    }
    if (!spec.direct_boot->cmdline.empty()) {
      xml.Child(os, "cmdline", spec.direct_boot->cmdline);
    }
  }
  xmlNode* features = xml.Child(root, "features");
  xml.Child(features, "acpi");
  xml.Child(features, "apic");
  if (spec.domain_type == "kvm") {
    XmlBuilder::Attr(xml.Child(root, "cpu"), "mode", "host-passthrough");
  }
  xml.Child(root, "on_poweroff", "destroy");
  // A TEE guest cannot be reset in place: its launch (and measurement) would have to be redone.
  xml.Child(root, "on_reboot", tee ? "destroy" : "restart");
  xml.Child(root, "on_crash", "destroy");

  xmlNode* devices = xml.Child(root, "devices");
  for (const auto& d : spec.disks) {
    xmlNode* disk = xml.Child(devices, "disk");
    XmlBuilder::Attr(disk, "type", "file");
    XmlBuilder::Attr(disk, "device", "disk");
    xmlNode* driver = xml.Child(disk, "driver");
    XmlBuilder::Attr(driver, "name", "qemu");
    XmlBuilder::Attr(driver, "type", d.format);
    // virtio DMA must go through the (unencrypted) bounce buffers of the guest's IOMMU path.
    if (tee) {
      XmlBuilder::Attr(driver, "iommu", "on");
    }
    XmlBuilder::Attr(xml.Child(disk, "source"), "file", d.path);
    xmlNode* target = xml.Child(disk, "target");
    XmlBuilder::Attr(target, "dev", d.target);
    XmlBuilder::Attr(target, "bus", "virtio");
    if (d.read_only) {
      xml.Child(disk, "readonly");
    }
  }
  for (const auto& i : spec.interfaces) {
    xmlNode* iface = xml.Child(devices, "interface");
    XmlBuilder::Attr(iface, "type", "network");
    XmlBuilder::Attr(xml.Child(iface, "source"), "network", i.network);
    if (!i.mac.empty()) {
      XmlBuilder::Attr(xml.Child(iface, "mac"), "address", i.mac);
    }
    XmlBuilder::Attr(xml.Child(iface, "model"), "type", "virtio");
    if (tee) {
      XmlBuilder::Attr(xml.Child(iface, "driver"), "iommu", "on");
    }
    xmlNode* ref = xml.Child(iface, "filterref");
    XmlBuilder::Attr(ref, "filter", i.filter);
    for (const auto& [k, v] : i.filter_params) {
      xmlNode* p = xml.Child(ref, "parameter");
      XmlBuilder::Attr(p, "name", k);
      XmlBuilder::Attr(p, "value", v);
    }
  }
  if (spec.user_network) {
    xmlNode* iface = xml.Child(devices, "interface");
    XmlBuilder::Attr(iface, "type", "user");
    XmlBuilder::Attr(xml.Child(iface, "model"), "type", "virtio");
    if (tee) {
      XmlBuilder::Attr(xml.Child(iface, "driver"), "iommu", "on");
    }
  }
  if (spec.vtpm) {
    xmlNode* tpm = xml.Child(devices, "tpm");
    XmlBuilder::Attr(tpm, "model", "tpm-crb");
    xmlNode* backend = xml.Child(tpm, "backend");
    XmlBuilder::Attr(backend, "type", "emulator");
    XmlBuilder::Attr(backend, "version", "2.0");
  }
  if (!spec.serial_log.empty()) {
    xmlNode* serial = xml.Child(devices, "serial");
    XmlBuilder::Attr(serial, "type", "file");
    XmlBuilder::Attr(xml.Child(serial, "source"), "path", spec.serial_log);
    XmlBuilder::Attr(xml.Child(serial, "target"), "port", "0");
  }
  // A balloon lets the host reclaim guest pages: meaningless for encrypted memory, and one more
  // device the guest would have to trust; tenant VMs get none.
  XmlBuilder::Attr(xml.Child(devices, "memballoon"), "model", "none");

  xmlNode* sec = xml.Child(root, "seclabel");
  XmlBuilder::Attr(sec, "type",
                   spec.seclabel.type == SecLabelType::kDynamic ? "dynamic" : "static");
  XmlBuilder::Attr(sec, "model", SecLabelModelName(spec.seclabel.model));
  XmlBuilder::Attr(sec, "relabel", "yes");
  if (spec.seclabel.type == SecLabelType::kStatic) {
    xml.Child(sec, "label", spec.seclabel.label);
  }

  if (tee) {
    AddLaunchSecurity(xml, spec);
  }
  return xml.Serialize();
}

}  // namespace attest::launcher
