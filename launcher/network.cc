#include "launcher/network.h"

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "launcher/domain_xml.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

Result<Cidr> NetCidr(const TenantNet& net) {
  if (!ValidName(net.id) || net.id.size() > 48 || !ValidName(net.tenant)) {
    return Status(reasons::kLauncherInvalidName, "net: id or tenant has the wrong shape");
  }
  ATTEST_ASSIGN_OR_RETURN(Cidr c, ParseCidr(net.cidr));
  if (c.prefix < 8 || c.prefix > 29) {
    return Status(reasons::kLauncherInvalidCidr, "net: prefix must be 8..29, got " + c.ToString());
  }
  return c;
}

std::string Netmask(uint8_t prefix) {
  uint32_t m = ~uint32_t{0} << (32 - prefix);
  return std::to_string(m >> 24) + "." + std::to_string((m >> 16) & 0xff) + "." +
         std::to_string((m >> 8) & 0xff) + "." + std::to_string(m & 0xff);
}

}  // namespace

std::string NetworkName(const TenantNet& net) { return "attest-net-" + net.id; }

std::string BridgeName(const TenantNet& net) {
  auto digest = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(net.id.data()), net.id.size()));
  return "vbr" + HexEncode(ByteSpan(digest.data(), digest.size())).substr(0, 12);
}

Result<std::string> GatewayAddress(const TenantNet& net) {
  ATTEST_ASSIGN_OR_RETURN(Cidr c, NetCidr(net));
  c.address[3] = static_cast<uint8_t>(c.address[3] + 1);  // prefix <= 29: no carry
  return c.AddressString();
}

Result<std::string> BuildNetworkXml(const TenantNet& net) {
  ATTEST_ASSIGN_OR_RETURN(Cidr c, NetCidr(net));
  ATTEST_ASSIGN_OR_RETURN(std::string gateway, GatewayAddress(net));
  XmlBuilder xml("network");
  xml.Child(xml.root(), "name", NetworkName(net));
  xmlNode* bridge = xml.Child(xml.root(), "bridge");
  XmlBuilder::Attr(bridge, "name", BridgeName(net));
  XmlBuilder::Attr(bridge, "stp", "on");
  XmlBuilder::Attr(bridge, "delay", "0");
  if (net.internet_gateway) {
    XmlBuilder::Attr(xml.Child(xml.root(), "forward"), "mode", "nat");
  }
  // No host DNS (nor DHCP) service on a tenant net: the host offers tenants nothing to talk to
  // but the gateway route, and libvirt then starts no dnsmasq for the net.
  XmlBuilder::Attr(xml.Child(xml.root(), "dns"), "enable", "no");
  xmlNode* ip = xml.Child(xml.root(), "ip");
  XmlBuilder::Attr(ip, "address", gateway);
  XmlBuilder::Attr(ip, "netmask", Netmask(c.prefix));
  return xml.Serialize();
}

}  // namespace attest::launcher
