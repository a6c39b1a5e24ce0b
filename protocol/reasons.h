// protocol/reasons.h: the stable error reasons of what the guest and attestd both speak: launch
// tickets, the guest's key, JWE key delivery, and the answer of a refused release (protocol/).
// They keep the "release." area they were published under; the host platform identity document
// (what the host agent and attestd both speak) has "host.".
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kReleaseTicketInvalid{"release.ticket_invalid",
                                              ErrorCode::kInvalidArgument};
inline constexpr Reason kReleaseGuestKeyInvalid{"release.guest_key_invalid",
                                                ErrorCode::kInvalidArgument};
inline constexpr Reason kReleaseJweFailed{"release.jwe_failed", ErrorCode::kInternal};
inline constexpr Reason kReleaseJweInvalid{"release.jwe_invalid", ErrorCode::kMalformedEvidence};
// The answer of a refused release (403): the body lists every failed check.
inline constexpr Reason kReleaseDenied{"release.denied", ErrorCode::kPolicyDenied};
// A host platform identity document (protocol/host_platform.h) that is not a valid document.
inline constexpr Reason kHostPlatformInvalid{"host.platform_invalid",
                                             ErrorCode::kMalformedEvidence};

// kProtocolTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kProtocolTable[] = {
    kReleaseTicketInvalid, kReleaseGuestKeyInvalid, kReleaseJweFailed,
    kReleaseJweInvalid,    kReleaseDenied,          kHostPlatformInvalid,
};

}  // namespace attest::reasons
