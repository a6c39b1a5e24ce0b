// systemd's readiness protocol without libsystemd: one datagram per state change to the unix
// socket named by $NOTIFY_SOCKET (a leading '@' names an abstract socket).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace attest::service::attestd {

// SdNotify sends state (e.g. "READY=1") to $NOTIFY_SOCKET. Returns false when the variable is
// unset (not started by systemd with Type=notify) or the datagram could not be sent; callers
// carry on either way.
bool SdNotify(const std::string& state);

// WatchdogInterval is how often to send "WATCHDOG=1": half of $WATCHDOG_USEC, or nothing when
// the watchdog is off or $WATCHDOG_PID names another process.
std::optional<std::chrono::microseconds> WatchdogInterval();

}  // namespace attest::service::attestd
