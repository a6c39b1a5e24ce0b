#include "launcher/nwfilter.h"

#include <charconv>

#include "launcher/domain_xml.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

Status BadCidr(std::string_view text, std::string why) {
  std::string shown(text.substr(0, 64));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return Status(reasons::kLauncherInvalidCidr, "cidr '" + shown + "': " + std::move(why));
}

// ParseDecimal reads 1..max_digits decimal digits without a leading zero (except "0").
std::optional<unsigned> ParseDecimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) {
    return std::nullopt;
  }
  if (s.size() > 1 && s[0] == '0') {
    return std::nullopt;
  }
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

uint32_t ToU32(const std::array<uint8_t, 4>& a) {
  return (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
}

}  // namespace

std::string Cidr::AddressString() const {
  return std::to_string(address[0]) + "." + std::to_string(address[1]) + "." +
         std::to_string(address[2]) + "." + std::to_string(address[3]);
}

std::string Cidr::ToString() const { return AddressString() + "/" + std::to_string(prefix); }

Result<Cidr> ParseCidr(std::string_view text) {
  if (text.size() > 18) {
    return BadCidr(text, "too long");
  }
  std::string_view addr = text;
  Cidr out;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    auto prefix = ParseDecimal(text.substr(slash + 1), 2);
    if (!prefix || *prefix > 32) {
      return BadCidr(text, "prefix must be 0..32");
    }
    out.prefix = static_cast<uint8_t>(*prefix);
  }
  for (int i = 0; i < 4; ++i) {
    size_t dot = addr.find('.');
    std::string_view part = i < 3 ? addr.substr(0, dot) : addr;
    if (i < 3 && dot == std::string_view::npos) {
      return BadCidr(text, "not a dotted IPv4 address");
    }
    auto octet = ParseDecimal(part, 3);
    if (!octet || *octet > 255) {
      return BadCidr(text, "octet must be 0..255 without leading zeros");
    }
    out.address[i] = static_cast<uint8_t>(*octet);
    if (i < 3) {
      addr.remove_prefix(dot + 1);
    }
  }
  uint32_t mask = out.prefix == 0 ? 0 : ~uint32_t{0} << (32 - out.prefix);
  if ((ToU32(out.address) & ~mask) != 0) {
    return BadCidr(text, "host bits are not zero");
  }
  return out;
}

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kIcmp:
      return "icmp";
    case Protocol::kAll:
      return "all";
  }
  return "all";
}

Result<std::vector<ResolvedRule>> ResolveRules(const SecurityGroup& group,
                                               const GroupMembers& members) {
  if (!ValidName(group.id) || group.id.size() > 48 || !ValidName(group.tenant)) {
    return Status(reasons::kLauncherInvalidName,
                  "security group: id or tenant has the wrong shape");
  }
  if (group.rules.size() > kMaxRules) {
    return Status(reasons::kLauncherInvalidSpec,
                  "security group: more than " + std::to_string(kMaxRules) + " rules");
  }
  std::vector<ResolvedRule> out;
  for (size_t i = 0; i < group.rules.size(); ++i) {
    const SecurityGroupRule& r = group.rules[i];
    const std::string where = "security group rule " + std::to_string(i) + ": ";
    bool ports = r.protocol == Protocol::kTcp || r.protocol == Protocol::kUdp;
    if (ports ? (r.port_from == 0 || r.port_from > r.port_to)
              : (r.port_from != 0 || r.port_to != 0)) {
      return Status(reasons::kLauncherInvalidPortRange,
                    where + (ports ? "port range must be 1..65535 with from <= to"
                                   : "icmp/all rules take no ports"));
    }
    if (r.source_cidr.empty() == r.source_group.empty()) {
      return Status(reasons::kLauncherInvalidSpec,
                    where + "give exactly one of source CIDR or group");
    }
    std::vector<Cidr> sources;
    if (!r.source_cidr.empty()) {
      ATTEST_ASSIGN_OR_RETURN(Cidr c, ParseCidr(r.source_cidr));
      sources.push_back(c);
    } else {
      auto it = members.find(r.source_group);
      if (!ValidName(r.source_group) || it == members.end()) {
        return Status(reasons::kLauncherUnknownSourceGroup,
                      where + "source group is not a security group of this tenant");
      }
      for (const auto& ip : it->second) {
        ATTEST_ASSIGN_OR_RETURN(Cidr c, ParseCidr(ip));
        if (c.prefix != 32) {
          return BadCidr(ip, "a group member must be one address");
        }
        sources.push_back(c);
      }
    }
    for (const Cidr& c : sources) {
      if (out.size() == kMaxResolvedRules) {
        return Status(reasons::kLauncherInvalidSpec, "security group: more than " +
                                                         std::to_string(kMaxResolvedRules) +
                                                         " rules after expanding source groups");
      }
      out.push_back({r.protocol, r.port_from, r.port_to, c});
    }
  }
  return out;
}

std::string FilterName(const SecurityGroup& group) { return "attest-sg-" + group.id; }

Result<std::string> BuildNwFilterXml(const SecurityGroup& group, const GroupMembers& members) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<ResolvedRule> rules, ResolveRules(group, members));
  XmlBuilder xml("filter");
  XmlBuilder::Attr(xml.root(), "name", FilterName(group));
  XmlBuilder::Attr(xml.root(), "chain", "root");
  for (const ResolvedRule& r : rules) {
    xmlNode* rule = xml.Child(xml.root(), "rule");
    XmlBuilder::Attr(rule, "action", "accept");
    XmlBuilder::Attr(rule, "direction", "in");  // "in" is traffic to the VM
    XmlBuilder::Attr(rule, "priority", "500");
    xmlNode* match = xml.Child(rule, ProtocolName(r.protocol));
    XmlBuilder::Attr(match, "srcipaddr", r.source.AddressString());
    XmlBuilder::Attr(match, "srcipmask", std::to_string(r.source.prefix));
    if (r.port_from != 0) {
      XmlBuilder::Attr(match, "dstportstart", std::to_string(r.port_from));
      XmlBuilder::Attr(match, "dstportend", std::to_string(r.port_to));
    }
  }
  return xml.Serialize();
}

std::string VmFilterName(std::string_view vm_uuid) { return "attest-vm-" + std::string(vm_uuid); }

Result<std::string> BuildVmFilterXml(std::string_view vm_uuid,
                                     const std::vector<std::string>& group_filters) {
  if (!ValidName(VmFilterName(vm_uuid))) {
    return Status(reasons::kLauncherInvalidName, "vm filter: uuid has the wrong shape");
  }
  if (group_filters.size() > kMaxVmGroups) {
    return Status(reasons::kLauncherInvalidSpec,
                  "vm filter: more than " + std::to_string(kMaxVmGroups) + " security groups");
  }
  XmlBuilder xml("filter");
  XmlBuilder::Attr(xml.root(), "name", VmFilterName(vm_uuid));
  XmlBuilder::Attr(xml.root(), "chain", "root");
  XmlBuilder::Attr(xml.Child(xml.root(), "filterref"), "filter", "clean-traffic");
  for (const std::string& g : group_filters) {
    if (!ValidName(g)) {
      return Status(reasons::kLauncherInvalidName,
                    "vm filter: group filter name has the wrong shape");
    }
    XmlBuilder::Attr(xml.Child(xml.root(), "filterref"), "filter", g);
  }
  xmlNode* out = xml.Child(xml.root(), "rule");
  XmlBuilder::Attr(out, "action", "accept");
  XmlBuilder::Attr(out, "direction", "out");
  XmlBuilder::Attr(out, "priority", "500");
  xml.Child(out, "all");
  // Highest priority value runs last: everything not accepted above is dropped.
  xmlNode* drop = xml.Child(xml.root(), "rule");
  XmlBuilder::Attr(drop, "action", "drop");
  XmlBuilder::Attr(drop, "direction", "inout");
  XmlBuilder::Attr(drop, "priority", "1000");
  xml.Child(drop, "all");
  return xml.Serialize();
}

std::vector<std::vector<std::string>> IptablesArgv(const std::vector<ResolvedRule>& rules,
                                                   std::string_view chain) {
  std::string c(chain);
  std::vector<std::vector<std::string>> out;
  out.push_back({"-A", c, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"});
  for (const ResolvedRule& r : rules) {
    std::vector<std::string> a = {"-A", c, "-s", r.source.ToString()};
    if (r.protocol != Protocol::kAll) {
      a.insert(a.end(), {"-p", std::string(ProtocolName(r.protocol))});
    }
    if (r.port_from != 0) {
      a.insert(a.end(), {"--dport", std::to_string(r.port_from) + ":" + std::to_string(r.port_to)});
    }
    a.insert(a.end(), {"-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT"});
    out.push_back(std::move(a));
  }
  out.push_back({"-A", c, "-j", "DROP"});
  return out;
}

}  // namespace attest::launcher
