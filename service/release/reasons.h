// service/release/reasons.h: the stable error reasons of key release decisions (service/release);
// the protocol's own (tickets, guest keys, JWE, release.denied) are in protocol/reasons.h.
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"
#include "protocol/reasons.h"

namespace attest::reasons {

// Failed release checks: each one is listed when it fails, all of them checked.
inline constexpr Reason kReleaseNonceRejected{"release.nonce_rejected", ErrorCode::kConflict};
inline constexpr Reason kReleaseReportDataMismatch{"release.report_data_mismatch",
                                                   ErrorCode::kMismatch};
inline constexpr Reason kReleaseEvidenceInvalid{"release.evidence_invalid",
                                                ErrorCode::kSignatureInvalid};
inline constexpr Reason kReleaseTicketMismatch{"release.ticket_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kReleaseVmDeleted{"release.vm_deleted", ErrorCode::kPolicyDenied};
inline constexpr Reason kReleaseTeeMismatch{"release.tee_type_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kReleaseHostUntrusted{"release.host_untrusted", ErrorCode::kPolicyDenied};
inline constexpr Reason kReleaseHostQuoteTooOld{"release.host_quote_too_old",
                                                ErrorCode::kPolicyDenied};
inline constexpr Reason kReleasePolicyMismatch{"release.policy_version_mismatch",
                                               ErrorCode::kMismatch};
inline constexpr Reason kReleasePolicyDenied{"release.policy_denied", ErrorCode::kPolicyDenied};
// The policy version the ticket pins was revoked, or its policy deleted (issue 17 #6).
inline constexpr Reason kReleasePolicyRevoked{"release.policy_revoked", ErrorCode::kPolicyDenied};
// A volume named in the ticket was deleted (crypto-shredded) after the VM was created.
inline constexpr Reason kReleaseVolumeUnavailable{"release.volume_unavailable",
                                                  ErrorCode::kPolicyDenied};

// The evidence's TEE platform (SNP CHIP_ID, TDX PCK identity) is not one of the placed host's
// (issue 15); the message has got and want.
inline constexpr Reason kReleaseHostPlatformMismatch{"release.host_platform_mismatch",
                                                     ErrorCode::kMismatch};
// The SNP report's CHIP_ID is masked and the tenant policy does not allow masked chips.
inline constexpr Reason kReleaseHostChipMasked{"release.host_chip_masked",
                                               ErrorCode::kPolicyDenied};
// The tenant policy names a host policy and the placed host is appraised with another one.
inline constexpr Reason kReleaseHostPolicyMismatch{"release.host_policy_mismatch",
                                                   ErrorCode::kPolicyDenied};

// The evidence's launch measurement (SNP MEASUREMENT, TDX MRTD and RTMR0..2) is not the one
// attestd computed for the VM's boot image on the operator's firmware (issue 20).
inline constexpr Reason kReleaseMeasurementMismatch{"release.measurement_mismatch",
                                                    ErrorCode::kMismatch};

// kReleaseTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kReleaseTable[] = {
    kReleaseNonceRejected,       kReleaseReportDataMismatch, kReleaseEvidenceInvalid,
    kReleaseTicketMismatch,      kReleaseVmDeleted,          kReleaseTeeMismatch,
    kReleaseHostUntrusted,       kReleaseHostQuoteTooOld,    kReleasePolicyMismatch,
    kReleasePolicyDenied,        kReleaseVolumeUnavailable,  kReleaseHostPlatformMismatch,
    kReleaseHostChipMasked,      kReleaseHostPolicyMismatch, kReleasePolicyRevoked,
    kReleaseMeasurementMismatch,
};

}  // namespace attest::reasons
