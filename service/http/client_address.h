// The client address of a request: the TCP peer, or, when the peer is one of the operator's
// trusted proxies, the address that proxy reports (RFC 7239 Forwarded, else X-Forwarded-For).
// SECURITY.md ("Trusted proxies") explains what is trusted and why.
#pragma once

#include <string>
#include <vector>

#include "service/http/ip_address.h"
#include "sigv4/http_request.h"

namespace attest::service::http {

// kMaxForwardedHops caps how many hops are walked: a chain of more trusted proxies than this is
// not a deployment, so the peer address is used.
inline constexpr size_t kMaxForwardedHops = 32;

// ResolveClientAddress returns the canonical text of request's client address. The peer is
// request.remote_address; when it is not an IP address (tests that set none) it is returned as
// is. Only when the peer is inside trusted_proxies are the forwarding headers read: every
// `Forwarded` field if there is one (X-Forwarded-For is then ignored), else every
// `X-Forwarded-For` field, as one list in arrival order. The list is walked from the right,
// skipping hops that are themselves trusted proxies; the first other hop is the client (when
// every hop is trusted, the left-most one is). A hop that is not an address (garbage, `unknown`,
// an obfuscated `_name`, a Forwarded element without `for=`), an empty list or more than
// kMaxForwardedHops trusted hops yield the peer address. Never fails.
std::string ResolveClientAddress(const HttpRequest& request,
                                 const std::vector<IpNetwork>& trusted_proxies);

}  // namespace attest::service::http
