// client/reasons.h: the stable error reasons of the attestd API client (client/).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kClientConfig{"client.config_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kClientCredentials{"client.no_credentials", ErrorCode::kUnavailable};
inline constexpr Reason kClientTransport{"client.transport_error", ErrorCode::kUnavailable};
inline constexpr Reason kClientHttpError{"client.http_error", ErrorCode::kPolicyDenied};

// kClientTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kClientTable[] = {
    kClientConfig,
    kClientCredentials,
    kClientTransport,
    kClientHttpError,
};

}  // namespace attest::reasons
