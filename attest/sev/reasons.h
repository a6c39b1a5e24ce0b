// attest/sev/reasons.h: the stable error reasons of legacy AMD SEV / SEV-ES certificates, launch
// measurement, session and secrets (attest/sev).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kSevCertMalformed{"sev.cert_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kSevUnsupportedVersion{"sev.unsupported_version", ErrorCode::kUnsupported};
inline constexpr Reason kSevBadUsage{"sev.bad_usage", ErrorCode::kMalformedEvidence};
inline constexpr Reason kSevUnsupportedAlgorithm{"sev.unsupported_algorithm",
                                                 ErrorCode::kUnsupported};
inline constexpr Reason kSevSignatureInvalid{"sev.signature_invalid", ErrorCode::kSignatureInvalid};
inline constexpr Reason kSevIssuerMismatch{"sev.issuer_mismatch", ErrorCode::kChainUntrusted};
inline constexpr Reason kSevChainUntrusted{"sev.chain_untrusted", ErrorCode::kChainUntrusted};
inline constexpr Reason kSevMeasurementMismatch{"sev.measurement_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kSevBadArgument{"sev.bad_argument", ErrorCode::kInvalidArgument};
inline constexpr Reason kSevSessionMalformed{"sev.session_malformed",
                                             ErrorCode::kMalformedEvidence};
inline constexpr Reason kSevMacInvalid{"sev.mac_invalid", ErrorCode::kSignatureInvalid};
inline constexpr Reason kSevSecretMalformed{"sev.secret_table_malformed",
                                            ErrorCode::kMalformedEvidence};
inline constexpr Reason kSevFirmwareMalformed{"sev.firmware_malformed",
                                              ErrorCode::kMalformedEvidence};

// kSevTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kSevTable[] = {
    kSevCertMalformed,     kSevUnsupportedVersion, kSevBadUsage,       kSevUnsupportedAlgorithm,
    kSevSignatureInvalid,  kSevIssuerMismatch,     kSevChainUntrusted, kSevMeasurementMismatch,
    kSevBadArgument,       kSevSessionMalformed,   kSevMacInvalid,     kSevSecretMalformed,
    kSevFirmwareMalformed,
};

}  // namespace attest::reasons
