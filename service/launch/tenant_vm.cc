#include "service/launch/tenant_vm.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "launcher/network.h"
#include "launcher/nwfilter.h"

namespace attest::service::launch {
namespace {

Status Invalid(const std::string& what) {
  return Status(reasons::kLauncherInvalidSpec, "launch: " + what);
}

uint32_t ToHostOrder(const std::array<uint8_t, 4>& a) {
  return (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
}

std::string FormatIpv4(uint32_t v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xff) + "." +
         std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
}

Result<launcher::Protocol> ProtocolOf(const std::string& name) {
  for (launcher::Protocol p : {launcher::Protocol::kTcp, launcher::Protocol::kUdp,
                               launcher::Protocol::kIcmp, launcher::Protocol::kAll}) {
    if (name == launcher::ProtocolName(p)) {
      return p;
    }
  }
  return Invalid("stored rule protocol \"" + name.substr(0, 16) + "\" is unknown");
}

// GroupOf rebuilds a launcher group from its stored canonical rules (service/api/
// network_routes.cc wrote them; source groups are named, and become ids via id_of).
Result<launcher::SecurityGroup> GroupOf(const store::SecurityGroupRecord& record,
                                        const std::map<std::string, std::string>& id_of) {
  launcher::SecurityGroup group;
  group.id = record.id;
  group.tenant = record.tenant_id;
  const nlohmann::json rules = nlohmann::json::parse(record.rules, nullptr, false);
  if (!rules.is_array()) {
    return Invalid("security group " + record.id + " has no rule list");
  }
  for (const nlohmann::json& r : rules) {
    if (!r.is_object() || !r.contains("protocol") || !r["protocol"].is_string()) {
      return Invalid("security group " + record.id + " has a malformed rule");
    }
    launcher::SecurityGroupRule rule;
    ATTEST_ASSIGN_OR_RETURN(rule.protocol, ProtocolOf(r["protocol"].get<std::string>()));
    const auto port = [&](const char* key) -> uint16_t {
      const nlohmann::json& v = r.contains(key) ? r[key] : nlohmann::json(0);
      return v.is_number_unsigned() && v.get<uint64_t>() <= 65535 ? v.get<uint16_t>() : 0;
    };
    rule.port_from = port("from_port");
    rule.port_to = port("to_port");
    if (r.contains("source_cidr") && r["source_cidr"].is_string()) {
      rule.source_cidr = r["source_cidr"].get<std::string>();
    }
    if (r.contains("source_group") && r["source_group"].is_string()) {
      auto it = id_of.find(r["source_group"].get<std::string>());
      // A source group deleted since (the API refuses that, but a race is possible) is unknown
      // to the launcher, which refuses the rule.
      rule.source_group = it == id_of.end() ? "unknown" : it->second;
    }
    group.rules.push_back(std::move(rule));
  }
  return group;
}

}  // namespace

Result<std::string> PickAddress(const std::string& cidr, const std::vector<std::string>& taken) {
  ATTEST_ASSIGN_OR_RETURN(launcher::Cidr net, launcher::ParseCidr(cidr));
  if (net.prefix > 30) {
    return Invalid("net " + cidr + " has no room for guests");
  }
  const uint32_t base = ToHostOrder(net.address);
  const uint32_t size = uint32_t{1} << (32 - net.prefix);
  // base + 0: network, base + 1: the host's gateway, base + size - 1: broadcast.
  for (uint32_t offset = 2; offset + 1 < size; ++offset) {
    const std::string candidate = FormatIpv4(base + offset);
    if (std::find(taken.begin(), taken.end(), candidate) == taken.end()) {
      return candidate;
    }
  }
  return Status(reasons::kStoreAlreadyExists, "net " + cidr + " has no free address");
}

Result<std::string> DomainUuid(const std::string& vm_id) {
  if (vm_id.size() != 35 || vm_id.rfind("vm-", 0) != 0) {
    return Invalid("VM id \"" + vm_id.substr(0, 40) + "\" is not vm-<32 hex digits>");
  }
  const std::string hex = vm_id.substr(3);
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c))) {
      return Invalid("VM id \"" + vm_id + "\" is not vm-<32 lower-case hex digits>");
    }
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<launcher::LaunchRequest> BuildTenantLaunch(
    const store::Vm& vm, const std::vector<store::Volume>& volumes, const VmShape& shape,
    const std::vector<store::SecurityGroupRecord>& all_groups,
    const launcher::GroupMembers& members, const LaunchSettings& settings) {
  launcher::LaunchRequest req;
  launcher::LaunchSpec& spec = req.spec;
  ATTEST_ASSIGN_OR_RETURN(spec.uuid, DomainUuid(vm.id));
  spec.name = "attest-" + vm.id;
  spec.tenant = vm.tenant_id;
  spec.domain_type = settings.domain_type;
  if (shape.memory_mib < kMinMemoryMib || shape.memory_mib > kMaxMemoryMib) {
    return Invalid("memory_mib must be " + std::to_string(kMinMemoryMib) + ".." +
                   std::to_string(kMaxMemoryMib));
  }
  if (shape.vcpus < 1 || shape.vcpus > kMaxVcpus) {
    return Invalid("vcpus must be 1.." + std::to_string(kMaxVcpus));
  }
  spec.memory_mib = shape.memory_mib;
  spec.vcpus = shape.vcpus;
  // The launcher validates the paths and measures the kernel (kernelHashes / TDVF).
  if (shape.boot) {
    spec.direct_boot = launcher::DirectKernelBoot{shape.boot->kernel_path, shape.boot->initrd_path,
                                                  shape.boot->cmdline};
  }
  spec.user_network = settings.user_network;

  // The TEE's binding: the ticket digests the VM record holds.
  if (vm.tee_type == "snp") {
    spec.tee = launcher::TeeType::kSevSnp;
    Result<Bytes> digest = HexDecode(vm.ticket_sha256);
    if (!digest.ok() || digest->size() != 32) {
      return Invalid("VM ticket SHA-256 is not 32 bytes");
    }
    std::array<uint8_t, 32> host_data{};
    std::copy(digest->begin(), digest->end(), host_data.begin());
    spec.snp.host_data = host_data;
    if (settings.snp_firmware.empty()) {
      return Invalid("no SEV-SNP firmware is configured");
    }
    spec.firmware = launcher::Firmware{settings.snp_firmware, "", ""};
  } else if (vm.tee_type == "tdx") {
    spec.tee = launcher::TeeType::kTdx;
    Result<Bytes> digest = HexDecode(vm.ticket_sha384);
    if (!digest.ok() || digest->size() != 48) {
      return Invalid("VM ticket SHA-384 is not 48 bytes");
    }
    std::array<uint8_t, 48> mr_config_id{};
    std::copy(digest->begin(), digest->end(), mr_config_id.begin());
    spec.tdx.mr_config_id = mr_config_id;
    if (settings.tdx_firmware.empty()) {
      return Invalid("no TDX firmware is configured");
    }
    spec.firmware = launcher::Firmware{settings.tdx_firmware, "", ""};
  } else if (vm.tee_type == "sev" || vm.tee_type == "sev-es") {
    // No ticket field in legacy SEV: the binding is the owner's launch secret, which the caller
    // adds with the session (service/api/vm_sev_owner.h). The AmdSev OVMF serves SEV too.
    spec.tee = vm.tee_type == "sev" ? launcher::TeeType::kSev : launcher::TeeType::kSevEs;
    if (settings.snp_firmware.empty()) {
      return Invalid("no AMD SEV firmware is configured (launch_snp_firmware)");
    }
    spec.firmware = launcher::Firmware{settings.snp_firmware, "", ""};
  } else {
    return Invalid("the API launches SNP, TDX, SEV and SEV-ES VMs only, not \"" + vm.tee_type +
                   "\"");
  }

  // Disks: the VM's volumes in ticket order, each an image of the VM's own tenant.
  if (volumes.size() != vm.volume_ids.size()) {
    return Invalid("volume list does not match the VM");
  }
  for (size_t i = 0; i < volumes.size(); ++i) {
    const store::Volume& v = volumes[i];
    if (v.id != vm.volume_ids[i]) {
      return Invalid("volume list does not match the VM");
    }
    if (v.image_path.empty()) {
      return Invalid("volume " + v.id + " is a key without an image: nothing to attach");
    }
    if (i >= 26) {
      return Invalid("at most 26 disks");
    }
    spec.disks.push_back(
        {v.image_path, v.tenant_id, std::string("vd") + char('a' + i), "raw", false});
  }

  // Security groups: every interface carries the VM's filter, which references each group.
  std::map<std::string, std::string> id_of;
  for (const store::SecurityGroupRecord& g : all_groups) {
    id_of[g.name] = g.id;
  }
  for (const store::SecurityGroupRecord& g : shape.groups) {
    ATTEST_ASSIGN_OR_RETURN(launcher::SecurityGroup group, GroupOf(g, id_of));
    req.groups.push_back(std::move(group));
  }
  req.members = members;

  // One interface per net, with the address the VM record holds for it.
  if (vm.interfaces.size() != shape.nets.size()) {
    return Invalid("interface list does not match the VM's nets");
  }
  for (size_t i = 0; i < shape.nets.size(); ++i) {
    const store::NetRecord& n = shape.nets[i];
    if (vm.interfaces[i].net_id != n.id) {
      return Invalid("interface list does not match the nets");
    }
    launcher::TenantNet net{n.id, n.tenant_id, n.cidr, n.internet_gateway};
    launcher::Interface itf;
    itf.network = launcher::NetworkName(net);
    itf.filter_params["IP"] = vm.interfaces[i].address;
    spec.interfaces.push_back(std::move(itf));
    req.nets.push_back(std::move(net));
  }
  return req;
}

}  // namespace attest::service::launch
