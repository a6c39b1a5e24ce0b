// TimePoint: the explicit verification time every time-dependent check takes.
//
// attest/ and policy/ never read the clock; the caller (service/, the CLI) passes `now`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "attest/core/status.h"

namespace attest {

using TimePoint = std::chrono::sys_seconds;

inline TimePoint FromUnixSeconds(int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}
inline int64_t ToUnixSeconds(TimePoint t) { return t.time_since_epoch().count(); }

// ParseRfc3339 parses "2025-06-19T10:32:27Z", "...27.5Z" (fraction truncated) or "...27+02:00".
// Fails with reasons::kBadTime.
Result<TimePoint> ParseRfc3339(std::string_view text);

// FormatRfc3339 returns "YYYY-MM-DDTHH:MM:SSZ".
std::string FormatRfc3339(TimePoint t);

// WallClockNow reads the system clock. Only service/, agent/ and cli/ may call it.
TimePoint WallClockNow();

}  // namespace attest
