// agent/reasons.h: the stable error reasons of attest-agent: the guest side's evidence sources and
// guest unlock, and the host side's platform identity sources (agent/).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kGuestNoEvidenceSource{"guest.no_evidence_source", ErrorCode::kUnavailable};
inline constexpr Reason kGuestTsmFailed{"guest.tsm_report_failed", ErrorCode::kUnavailable};
inline constexpr Reason kGuestTsmConflict{"guest.tsm_generation_conflict", ErrorCode::kConflict};
inline constexpr Reason kGuestDeviceFailed{"guest.device_report_failed", ErrorCode::kUnavailable};
// guest unlock (agent/guest_unlock): the HTTP round trip of key release.
inline constexpr Reason kGuestEvidenceCommandFailed{"guest.evidence_command_failed",
                                                    ErrorCode::kUnavailable};
inline constexpr Reason kGuestEvidenceInvalid{"guest.evidence_invalid",
                                              ErrorCode::kMalformedEvidence};
inline constexpr Reason kGuestResponseInvalid{"guest.response_invalid",
                                              ErrorCode::kMalformedEvidence};
inline constexpr Reason kGuestVolumeNotReleased{"guest.volume_not_released", ErrorCode::kNotFound};
// host side (agent/host_platform_source): the SEV firmware's GET_ID2 through /dev/sev failed.
inline constexpr Reason kAgentSevGetIdFailed{"agent.sev_get_id_failed", ErrorCode::kUnavailable};

// kGuestTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kGuestTable[] = {
    kGuestNoEvidenceSource,      kGuestTsmFailed,
    kGuestTsmConflict,           kGuestDeviceFailed,
    kGuestEvidenceCommandFailed, kGuestEvidenceInvalid,
    kGuestResponseInvalid,       kGuestVolumeNotReleased,
    kAgentSevGetIdFailed,
};

}  // namespace attest::reasons
