// attest/measure/reasons.h: the stable error reasons of the launch-measurement calculators
// (attest/measure): firmware metadata, boot inputs and the platform description they are measured
// with, for SEV, SEV-ES and SEV-SNP launch digests and TDX MRTD/RTMRs.
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

// TDX (tdx_*.h).
inline constexpr Reason kMeasureTdvfMetadataMissing{"measure.tdvf_metadata_missing",
                                                    ErrorCode::kUnsupported};
inline constexpr Reason kMeasureTdvfMalformed{"measure.tdvf_malformed",
                                              ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureTdvfUnsupported{"measure.tdvf_unsupported",
                                                ErrorCode::kUnsupported};
inline constexpr Reason kMeasureTdvfSectionOutsideFile{"measure.tdvf_section_outside_file",
                                                       ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureTdvfSectionInvalid{"measure.tdvf_section_invalid",
                                                   ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureTdvfTooLarge{"measure.tdvf_too_large", ErrorCode::kUnsupported};
inline constexpr Reason kMeasureTdvfHobOverflow{"measure.tdvf_hob_overflow",
                                                ErrorCode::kUnsupported};
inline constexpr Reason kMeasureEfiVarsMalformed{"measure.efi_vars_malformed",
                                                 ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasurePeMalformed{"measure.pe_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasurePeNotPe{"measure.pe_not_pe", ErrorCode::kUnsupported};
inline constexpr Reason kMeasurePeUkiUnsupported{"measure.pe_uki_unsupported",
                                                 ErrorCode::kUnsupported};
inline constexpr Reason kMeasureKernelSetupInvalid{"measure.kernel_setup_invalid",
                                                   ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureInitrdTooLarge{"measure.initrd_too_large",
                                               ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureCmdlineInvalid{"measure.cmdline_invalid",
                                               ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureMemoryInvalid{"measure.memory_invalid",
                                              ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureVcpusInvalid{"measure.vcpus_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kMeasureAcpiMalformed{"measure.acpi_malformed",
                                              ErrorCode::kMalformedEvidence};
inline constexpr Reason kMeasureAcpiVcpusMismatch{"measure.acpi_vcpus_mismatch",
                                                  ErrorCode::kMismatch};

// kMeasureTdxTable lists the TDX reasons above, for `attestctl reasons` and
// cli/reason_tables_test.
inline constexpr Reason kMeasureTdxTable[] = {
    kMeasureTdvfMetadataMissing, kMeasureTdvfMalformed,
    kMeasureTdvfUnsupported,     kMeasureTdvfSectionOutsideFile,
    kMeasureTdvfSectionInvalid,  kMeasureTdvfTooLarge,
    kMeasureTdvfHobOverflow,     kMeasureEfiVarsMalformed,
    kMeasurePeMalformed,         kMeasurePeNotPe,
    kMeasurePeUkiUnsupported,    kMeasureKernelSetupInvalid,
    kMeasureInitrdTooLarge,      kMeasureCmdlineInvalid,
    kMeasureMemoryInvalid,       kMeasureVcpusInvalid,
    kMeasureAcpiMalformed,       kMeasureAcpiVcpusMismatch,
};

}  // namespace attest::reasons
