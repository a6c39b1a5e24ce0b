// ListenOnLoopback: a listening TCP socket on 127.0.0.1 at a port the kernel picks, for the test
// servers (tests only ever talk to loopback).
#pragma once

#include <cstdint>

#include "attest/core/status.h"

namespace attest::testing {

// ListenOnLoopback returns the listening socket (close-on-exec, backlog 64) and sets *port. Fails
// with core.internal (the socket is closed then).
Result<int> ListenOnLoopback(uint16_t* port);

}  // namespace attest::testing
