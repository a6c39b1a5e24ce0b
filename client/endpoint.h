// Endpoint rules both ends of the API share: plain http is for loopback only (attestd serves on
// loopback behind the cloud's load balancer; the client refuses to send credentials over plain
// http anywhere else).
#pragma once

#include <string>

namespace attest::client {

// IsLoopbackHost reports whether host is "localhost", an address in 127.0.0.0/8, or ::1 (with
// or without brackets): the only addresses attestd serves on and plain http may reach.
bool IsLoopbackHost(const std::string& host);

}  // namespace attest::client
