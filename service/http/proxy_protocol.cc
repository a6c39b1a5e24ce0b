#include "service/http/proxy_protocol.h"

#include <arpa/inet.h>

#include "service/http/ip_address.h"
#include "service/http/reasons.h"

namespace attest::service::http {
namespace {

constexpr std::string_view kSignature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr uint8_t kVersion2 = 0x20;
constexpr uint8_t kCommandLocal = 0x00;
constexpr uint8_t kCommandProxy = 0x01;
constexpr uint8_t kTcp4 = 0x11;
constexpr uint8_t kTcp6 = 0x21;

uint8_t Byte(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

Status Malformed(const std::string& why) {
  return Status(reasons::kApiBadRequest, "PROXY protocol v2 header: " + why);
}

}  // namespace

Result<size_t> ProxyV2Length(std::string_view fixed) {
  if (fixed.size() < kProxyV2FixedBytes || fixed.substr(0, kSignature.size()) != kSignature) {
    return Malformed("missing signature");
  }
  if ((Byte(fixed, 12) & 0xf0) != kVersion2) {
    return Malformed("version is not 2");
  }
  const size_t length = (size_t{Byte(fixed, 14)} << 8) | Byte(fixed, 15);
  if (length > kProxyV2MaxAddressBytes) {
    return Malformed("address block of " + std::to_string(length) + " bytes");
  }
  return length;
}

Result<std::optional<std::string>> ParseProxyV2(std::string_view header) {
  ATTEST_ASSIGN_OR_RETURN(const size_t length, ProxyV2Length(header));
  if (header.size() != kProxyV2FixedBytes + length) {
    return Malformed("length field does not match the header");
  }
  const uint8_t command = Byte(header, 12) & 0x0f;
  if (command == kCommandLocal) {
    return std::optional<std::string>();
  }
  if (command != kCommandProxy) {
    return Malformed("unknown command");
  }
  const std::string_view addresses = header.substr(kProxyV2FixedBytes);
  char text[INET6_ADDRSTRLEN] = {};
  switch (Byte(header, 13)) {
    case kTcp4:  // source, destination addresses (4 bytes each), then ports
      if (addresses.size() < 12) {
        return Malformed("IPv4 address block too short");
      }
      inet_ntop(AF_INET, addresses.data(), text, sizeof(text));
      return std::optional<std::string>(text);
    case kTcp6:  // the same with 16-byte addresses
      if (addresses.size() < 36) {
        return Malformed("IPv6 address block too short");
      }
      inet_ntop(AF_INET6, addresses.data(), text, sizeof(text));
      // An IPv4 client of a dual-stack proxy arrives IPv4-mapped: one spelling per client.
      return std::optional<std::string>(ParseIpAddress(text)->ToString());
    default:
      return std::optional<std::string>();
  }
}

}  // namespace attest::service::http
