// service/work/reasons.h: the stable error reasons of attestd's slow-work pool (service/work).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

// Every slow-work thread is busy and the queue is full (or attestd is stopping): 503 with
// Retry-After; nothing was done, so the same request may be sent again.
inline constexpr Reason kWorkBusy{"work.busy", ErrorCode::kUnavailable};

// kWorkTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kWorkTable[] = {
    kWorkBusy,
};

}  // namespace attest::reasons
