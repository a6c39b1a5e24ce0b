// attest/measure/reasons.h: the stable error reasons of the launch-measurement calculators
// (attest/measure): SEV, SEV-ES and SEV-SNP launch digests from firmware and boot inputs.
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

// --- SEV / SEV-ES / SEV-SNP ---------------------------------------------------------------------
inline constexpr Reason kMeasureOvmfMalformed{"measure.ovmf_malformed",
                                              ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureOvmfTooLarge{"measure.ovmf_too_large", ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureOvmfNoSevMetadata{"measure.ovmf_no_sev_metadata",
                                                  ErrorCode::kUnsupported};
inline constexpr Reason kMeasureOvmfSevMetadataMalformed{"measure.ovmf_sev_metadata_malformed",
                                                         ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureOvmfNoKernelHashes{"measure.ovmf_no_kernel_hashes",
                                                   ErrorCode::kUnsupported};
inline constexpr Reason kMeasureSvsmMalformed{"measure.svsm_malformed",
                                              ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureVcpuCountInvalid{"measure.vcpu_count_invalid",
                                                 ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureVcpuTypeUnknown{"measure.vcpu_type_unknown",
                                                ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureVcpuSignatureMissing{"measure.vcpu_signature_missing",
                                                     ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureSevCmdlineInvalid{"measure.sev_cmdline_invalid",
                                                  ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureSevBadArgument{"measure.sev_bad_argument",
                                               ErrorCode::kInvalidArgument};

// kMeasureSevTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kMeasureSevTable[] = {
    kMeasureOvmfMalformed,        kMeasureOvmfTooLarge,
    kMeasureOvmfNoSevMetadata,    kMeasureOvmfSevMetadataMalformed,
    kMeasureOvmfNoKernelHashes,   kMeasureSvsmMalformed,
    kMeasureVcpuCountInvalid,     kMeasureVcpuTypeUnknown,
    kMeasureVcpuSignatureMissing, kMeasureSevCmdlineInvalid,
    kMeasureSevBadArgument,
};

}  // namespace attest::reasons
