// Security groups -> libvirt nwfilter (libvirt docs/formatnwfilter.rst; ../shared/LIBVIRT-SEV.md
// §4).
//
// A security group is a tenant resource: rules that ALLOW inbound flows by protocol, port range
// and source (a CIDR, or the member addresses of another of the tenant's groups). Everything else
// inbound is denied, outbound is allowed.
//
// Two kinds of filter, because a VM may be in several groups and an interface takes one
// <filterref>:
//   - one per group, "attest-sg-<id>": only that group's accept rules; shared by its VMs;
//   - one per VM, "attest-vm-<uuid>": clean-traffic (MAC/IP/ARP anti-spoofing: the VM may only
//     send from its own address, the IP parameter), a reference to each of its groups, accept
//     outbound, and an explicit final drop, because nwfilter accepts whatever no rule drops.
//     The drop has the highest priority value, so it runs after every group's accepts.
// nwfilter's connection tracking lets the replies of accepted flows through (statematch default).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "launcher/reasons.h"

namespace attest::launcher {

// Cidr is an IPv4 prefix with its host bits zero.
struct Cidr {
  std::array<uint8_t, 4> address{};
  uint8_t prefix = 32;

  std::string AddressString() const;
  std::string ToString() const;  // "10.0.0.0/8"
  bool operator==(const Cidr&) const = default;
};

// ParseCidr reads "a.b.c.d/n" (n 0..32) or a bare address (/32). Strict: decimal octets 0..255
// without leading zeros or signs, no spaces, host bits zero. IPv6 is not supported. Fails with
// launcher.invalid_cidr.
Result<Cidr> ParseCidr(std::string_view text);

enum class Protocol { kTcp, kUdp, kIcmp, kAll };
std::string_view ProtocolName(Protocol p);  // "tcp", "udp", "icmp", "all"

struct SecurityGroupRule {
  Protocol protocol = Protocol::kTcp;
  uint16_t port_from = 0;  // tcp/udp: 1..65535, port_from <= port_to; icmp/all: both 0
  uint16_t port_to = 0;
  std::string source_cidr;   // exactly one of source_cidr and source_group
  std::string source_group;  // id of another security group of the same tenant
};

struct SecurityGroup {
  std::string id;  // ValidName shape, at most 48 characters
  std::string tenant;
  std::vector<SecurityGroupRule> rules;
};

inline constexpr size_t kMaxRules = 100;
inline constexpr size_t kMaxResolvedRules = 1000;  // after expanding source groups
inline constexpr size_t kMaxVmGroups = 16;         // security groups of one VM

// GroupMembers maps a security group id of the tenant to the addresses of its member VMs. The
// caller passes only groups of the security group's own tenant: a group id missing here is
// treated as unknown, so another tenant's group can never be named as a source.
using GroupMembers = std::map<std::string, std::vector<std::string>>;

// ResolvedRule is one allow rule with a concrete source prefix.
struct ResolvedRule {
  Protocol protocol = Protocol::kTcp;
  uint16_t port_from = 0;
  uint16_t port_to = 0;
  Cidr source;
};

// ResolveRules validates the group and expands source groups. Fails with launcher.invalid_name,
// launcher.invalid_cidr, launcher.invalid_port_range, launcher.unknown_source_group or
// launcher.invalid_spec (too many rules, both or neither source given).
Result<std::vector<ResolvedRule>> ResolveRules(const SecurityGroup& group,
                                               const GroupMembers& members);

// FilterName is the nwfilter name of a group: "attest-sg-<id>".
std::string FilterName(const SecurityGroup& group);

// BuildNwFilterXml renders the group's <filter> (accept rules only). Fails as ResolveRules.
Result<std::string> BuildNwFilterXml(const SecurityGroup& group, const GroupMembers& members);

// VmFilterName is the per-VM filter name: "attest-vm-<uuid>".
std::string VmFilterName(std::string_view vm_uuid);

// BuildVmFilterXml renders the VM's filter over the given group filter names (FilterName).
// Fails with launcher.invalid_name (a name of the wrong shape) or launcher.invalid_spec (more than
// kMaxVmGroups groups).
Result<std::string> BuildVmFilterXml(std::string_view vm_uuid,
                                     const std::vector<std::string>& group_filters);

// IptablesArgv returns, for a host applying the same rules itself (the isolation test in network
// namespaces does this), the argument lists of `iptables` calls that build `chain` with the same
// semantics as the nwfilter: replies accepted, each allow rule for NEW flows, then DROP. The
// caller creates the chain and jumps to it; no shell is involved.
std::vector<std::vector<std::string>> IptablesArgv(const std::vector<ResolvedRule>& rules,
                                                   std::string_view chain);

}  // namespace attest::launcher
