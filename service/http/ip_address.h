// IP addresses and networks (CIDRs) as attestd's configuration and its client address resolution
// read them: literals only, never names, so nothing here touches a resolver.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"

namespace attest::service::http {

struct IpAddress {
  bool v4 = false;
  std::array<uint8_t, 16> bytes{};  // v4: the first 4 bytes

  // ToString is the canonical text (inet_ntop): one spelling per address, so "2001:db8::1" and
  // "2001:0db8:0:0::1" are one rate-limit key.
  std::string ToString() const;
  bool operator==(const IpAddress& o) const { return v4 == o.v4 && bytes == o.bytes; }
};

// ParseIpAddress reads a bare IPv4 (dotted quad) or IPv6 literal: no brackets, port, zone id or
// surrounding space. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket
// reports for an IPv4 peer) is returned as the IPv4 address. nullopt for anything else.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

struct IpNetwork {
  IpAddress base;  // host bits zero
  int prefix_bits = 0;

  bool Contains(const IpAddress& address) const;
  std::string ToString() const;
};

// ParseCidr reads "ADDRESS/PREFIX" (IPv4 0..32, IPv6 0..128) or a bare address (one host).
// Strict: the host bits must be zero ("10.0.0.1/8" is refused rather than widened, since it
// is most likely a typo) and an IPv4-mapped IPv6 network is refused (write the IPv4 one).
// Fails with reasons::kApiConfig.
Result<IpNetwork> ParseCidr(std::string_view text);

// InAnyNetwork reports whether address is inside one of networks.
bool InAnyNetwork(const IpAddress& address, const std::vector<IpNetwork>& networks);

}  // namespace attest::service::http
