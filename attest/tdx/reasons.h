// attest/tdx/reasons.h: the stable error reasons of Intel DCAP quotes (TDX v4/v5, SGX v3), PCK
// chains, collateral and TCB matching, CCEL replay (attest/tdx).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kTdxMalformedQuote{"tdx.malformed_quote", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTdxUnsupportedQuote{"tdx.unsupported_quote", ErrorCode::kUnsupported};
inline constexpr Reason kTdxCertDataUnsupported{"tdx.cert_data_unsupported",
                                                ErrorCode::kUnsupported};
inline constexpr Reason kTdxPckChainInvalid{"tdx.pck_chain_invalid", ErrorCode::kChainUntrusted};
inline constexpr Reason kTdxPckExtensionInvalid{"tdx.pck_extension_invalid",
                                                ErrorCode::kMalformedEvidence};
inline constexpr Reason kTdxQeReportSignatureInvalid{"tdx.qe_report_signature_invalid",
                                                     ErrorCode::kSignatureInvalid};
inline constexpr Reason kTdxQeReportDataMismatch{"tdx.qe_report_data_mismatch",
                                                 ErrorCode::kSignatureInvalid};
inline constexpr Reason kTdxSignatureInvalid{"tdx.signature_invalid", ErrorCode::kSignatureInvalid};
inline constexpr Reason kTdxCollateralMalformed{"tdx.collateral_malformed",
                                                ErrorCode::kMalformedEvidence};
inline constexpr Reason kTdxCollateralUnsupported{"tdx.collateral_unsupported",
                                                  ErrorCode::kUnsupported};
inline constexpr Reason kTdxCollateralMissing{"tdx.collateral_missing", ErrorCode::kUnavailable};
inline constexpr Reason kTdxCollateralChainInvalid{"tdx.collateral_chain_invalid",
                                                   ErrorCode::kChainUntrusted};
inline constexpr Reason kTdxTcbInfoSignatureInvalid{"tdx.tcb_info_signature_invalid",
                                                    ErrorCode::kSignatureInvalid};
inline constexpr Reason kTdxQeIdentitySignatureInvalid{"tdx.qe_identity_signature_invalid",
                                                       ErrorCode::kSignatureInvalid};
inline constexpr Reason kTdxTcbInfoExpired{"tdx.tcb_info_expired", ErrorCode::kExpired};
inline constexpr Reason kTdxTcbInfoNotYetValid{"tdx.tcb_info_not_yet_valid", ErrorCode::kExpired};
inline constexpr Reason kTdxQeIdentityExpired{"tdx.qe_identity_expired", ErrorCode::kExpired};
inline constexpr Reason kTdxQeIdentityNotYetValid{"tdx.qe_identity_not_yet_valid",
                                                  ErrorCode::kExpired};
inline constexpr Reason kTdxTcbInfoMismatch{"tdx.tcb_info_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTdxQeIdentityMismatch{"tdx.qe_identity_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTdxModuleMismatch{"tdx.tdx_module_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTdxTcbLevelNotFound{"tdx.tcb_level_not_found", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxQeTcbLevelNotFound{"tdx.qe_tcb_level_not_found",
                                               ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxTcbStatusRejected{"tdx.tcb_status_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxCcelMalformed{"tdx.ccel_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTdxRtmrMismatch{"tdx.rtmr_mismatch", ErrorCode::kMismatch};

// kTdxTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kTdxTable[] = {
    kTdxMalformedQuote,          kTdxUnsupportedQuote,
    kTdxCertDataUnsupported,     kTdxPckChainInvalid,
    kTdxPckExtensionInvalid,     kTdxQeReportSignatureInvalid,
    kTdxQeReportDataMismatch,    kTdxSignatureInvalid,
    kTdxCollateralMalformed,     kTdxCollateralUnsupported,
    kTdxCollateralMissing,       kTdxCollateralChainInvalid,
    kTdxTcbInfoSignatureInvalid, kTdxQeIdentitySignatureInvalid,
    kTdxTcbInfoExpired,          kTdxTcbInfoNotYetValid,
    kTdxQeIdentityExpired,       kTdxQeIdentityNotYetValid,
    kTdxTcbInfoMismatch,         kTdxQeIdentityMismatch,
    kTdxModuleMismatch,          kTdxTcbLevelNotFound,
    kTdxQeTcbLevelNotFound,      kTdxTcbStatusRejected,
    kTdxCcelMalformed,           kTdxRtmrMismatch,
};

}  // namespace attest::reasons
