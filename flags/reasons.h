// flags/reasons.h: the stable error reasons of command-line usage of attestctl, attestd and
// attest-agent (flags/args).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kCliUsage{"cli.usage", ErrorCode::kInvalidArgument};

// kFlagsTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kFlagsTable[] = {
    kCliUsage,
};

}  // namespace attest::reasons
