// The PROXY protocol version 2 header a load balancer (HAProxy "send-proxy-v2") puts in front of
// a connection to say whom it accepted it from (haproxy doc/proxy-protocol.txt, section 2.2).
// Read only from trusted proxies: from anyone else these bytes are just a malformed request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "attest/core/status.h"

namespace attest::service::http {

inline constexpr size_t kProxyV2FixedBytes = 16;
// The header's own length field allows 64 KiB of addresses and TLVs; a proxy sends a few hundred
// bytes at most, so more is refused rather than buffered.
inline constexpr size_t kProxyV2MaxAddressBytes = 1024;

// ProxyV2Length reads the 16-byte fixed part and returns how many bytes follow it (addresses and
// TLVs). Fails with api.bad_request when the signature or version is wrong or the length is over
// kProxyV2MaxAddressBytes.
Result<size_t> ProxyV2Length(std::string_view fixed);

// ParseProxyV2 reads a whole header (the fixed part and what ProxyV2Length said follows). Returns
// the original client's address text, or nullopt when the proxy speaks for itself (LOCAL, as in
// its health checks) or for a family other than TCP over IPv4/IPv6 (UNSPEC, UNIX sockets): the
// connection's own peer address is then the one to use. Fails with api.bad_request when the
// address block is shorter than its family needs or the command is unknown.
Result<std::optional<std::string>> ParseProxyV2(std::string_view header);

}  // namespace attest::service::http
