// Tenant private networks ("Nets") -> isolated libvirt networks (libvirt docs/formatnetwork.rst).
//
// Each Net gets its own libvirt network and its own bridge; without an internet gateway it has no
// <forward> (isolated: guests reach only each other and the host's gateway address), with one it
// gets NAT forwarding. CIDRs of different tenants may overlap: every Net is its own L2 segment,
// and bridge names are derived from the Net's id, not its CIDR.
#pragma once

#include <string>

#include "attest/core/status.h"
#include "launcher/nwfilter.h"
#include "launcher/reasons.h"

namespace attest::launcher {

struct TenantNet {
  std::string id;  // ValidName shape, at most 48 characters; unique across tenants
  std::string tenant;
  std::string cidr;  // IPv4, prefix 8..29 (room for the gateway and guests)
  bool internet_gateway = false;
};

// NetworkName is the libvirt network name: "attest-net-<id>".
std::string NetworkName(const TenantNet& net);

// BridgeName is "vbr" + the first 12 hex digits of SHA-256(id): 15 characters, the Linux
// interface name limit, unique per Net id for all practical purposes and never shared between
// tenants with equal CIDRs.
std::string BridgeName(const TenantNet& net);

// GatewayAddress is the first host address of the CIDR, which the host bridge takes.
Result<std::string> GatewayAddress(const TenantNet& net);

// BuildNetworkXml renders the <network>. Fails with launcher.invalid_name or
// launcher.invalid_cidr (not a CIDR, or prefix outside 8..29).
Result<std::string> BuildNetworkXml(const TenantNet& net);

}  // namespace attest::launcher
