#include "service/http/ip_address.h"

#include <arpa/inet.h>

#include <charconv>

#include "service/http/reasons.h"

namespace attest::service::http {
namespace {

constexpr size_t kMaxLiteral = 64;  // longer than any IPv6 literal inet_pton accepts

bool IsV4Mapped(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) {
      return false;
    }
  }
  return b[10] == 0xff && b[11] == 0xff;
}

std::optional<IpAddress> ParseLiteral(std::string_view text, bool unmap) {
  // inet_pton wants a terminated string; an embedded NUL would silently cut the text short.
  if (text.empty() || text.size() > kMaxLiteral || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string s(text);
  IpAddress out;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), out.bytes.data()) != 1) {
      return std::nullopt;
    }
    out.v4 = true;
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.bytes.data()) != 1) {
    return std::nullopt;
  }
  if (unmap && IsV4Mapped(out.bytes)) {
    IpAddress v4;
    v4.v4 = true;
    for (int i = 0; i < 4; ++i) {
      v4.bytes[i] = out.bytes[12 + i];
    }
    return v4;
  }
  return out;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf)) == nullptr) {
    return "";
  }
  return buf;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  return ParseLiteral(text, /*unmap=*/true);
}

bool IpNetwork::Contains(const IpAddress& address) const {
  if (address.v4 != base.v4) {
    return false;
  }
  int bits = prefix_bits;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address.bytes[i] & mask) != base.bytes[i]) {
      return false;
    }
  }
  return true;
}

std::string IpNetwork::ToString() const {
  return base.ToString() + "/" + std::to_string(prefix_bits);
}

Result<IpNetwork> ParseCidr(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status(reasons::kApiConfig,
                  "network \"" + std::string(text.substr(0, kMaxLiteral)) + "\": " + why);
  };
  const size_t slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  std::optional<IpAddress> base = ParseLiteral(addr, /*unmap=*/false);
  if (!base) {
    return bad("not an IPv4 or IPv6 address");
  }
  if (!base->v4 && IsV4Mapped(base->bytes)) {
    return bad("an IPv4-mapped IPv6 network; write the IPv4 network");
  }
  const int max_bits = base->v4 ? 32 : 128;
  IpNetwork out{*base, max_bits};
  if (slash != std::string_view::npos) {
    const std::string_view prefix = text.substr(slash + 1);
    int bits = -1;
    const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
    if (prefix.empty() || prefix.size() > 3 || ec != std::errc() ||
        end != prefix.data() + prefix.size() || (prefix.size() > 1 && prefix[0] == '0') ||
        bits < 0 || bits > max_bits) {
      return bad("prefix length must be 0.." + std::to_string(max_bits));
    }
    out.prefix_bits = bits;
  }
  IpAddress masked = out.base;
  for (int i = 0; i < 16; ++i) {
    const int keep = out.prefix_bits - i * 8;
    masked.bytes[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
  }
  if (!(masked == out.base)) {
    return bad("host bits are set; the network is " +
               IpNetwork{masked, out.prefix_bits}.ToString());
  }
  return out;
}

bool InAnyNetwork(const IpAddress& address, const std::vector<IpNetwork>& networks) {
  for (const IpNetwork& n : networks) {
    if (n.Contains(address)) {
      return true;
    }
  }
  return false;
}

}  // namespace attest::service::http
