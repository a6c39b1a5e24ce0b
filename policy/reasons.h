// policy/reasons.h: the stable error reasons of policy loading, signed result tokens, and appraisal
// rule failures (policy/). An appraisal failure is named after the evidence it judges
// ("snp.measurement_rejected"): what rule of the tenant's or operator's policy failed.
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kPolicyInvalid{"policy.invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kPolicyNoRulesForEvidence{"policy.no_rules_for_evidence",
                                                  ErrorCode::kPolicyDenied};
inline constexpr Reason kPolicyTokenInvalid{"policy.token_invalid", ErrorCode::kSignatureInvalid};
inline constexpr Reason kPolicyTokenExpired{"policy.token_expired", ErrorCode::kExpired};
// Appraisal failures carry the evidence area as prefix: what rule of the tenant's policy failed.
inline constexpr Reason kSnpMeasurementRejected{"snp.measurement_rejected",
                                                ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpHostDataRejected{"snp.host_data_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpTcbTooLow{"snp.tcb_too_low", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpGuestSvnTooLow{"snp.guest_svn_too_low", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpFirmwareTooOld{"snp.firmware_too_old", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpDebugForbidden{"snp.debug_forbidden", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpMigrateMaForbidden{"snp.migrate_ma_forbidden",
                                               ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpSmtForbidden{"snp.smt_forbidden", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpVmplRejected{"snp.vmpl_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpIdKeyRejected{"snp.id_key_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpAuthorKeyRejected{"snp.author_key_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpSigningKeyRejected{"snp.signing_key_rejected",
                                               ErrorCode::kPolicyDenied};
inline constexpr Reason kSnpChipRejected{"snp.chip_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxMrTdRejected{"tdx.mr_td_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxRtmrRejected{"tdx.rtmr_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxMrSeamRejected{"tdx.mr_seam_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxMrConfigIdRejected{"tdx.mr_config_id_rejected",
                                               ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxMrOwnerRejected{"tdx.mr_owner_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxMrOwnerConfigRejected{"tdx.mr_owner_config_rejected",
                                                  ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxDebugForbidden{"tdx.debug_forbidden", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxXfamRejected{"tdx.xfam_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxTeeTcbSvnTooLow{"tdx.tee_tcb_svn_too_low", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxAdvisoryRejected{"tdx.advisory_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxCollateralTooOld{"tdx.collateral_too_old", ErrorCode::kPolicyDenied};
inline constexpr Reason kTdxNoTcbStatus{"tdx.no_tcb_status", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxMrEnclaveRejected{"sgx.mr_enclave_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxMrSignerRejected{"sgx.mr_signer_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxProdIdRejected{"sgx.isv_prod_id_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxIsvSvnTooLow{"sgx.isv_svn_too_low", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxDebugForbidden{"sgx.debug_forbidden", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxTcbStatusRejected{"sgx.tcb_status_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSgxAdvisoryRejected{"sgx.advisory_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSevLaunchRejected{"sev.launch_digest_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kSevDebugForbidden{"sev.debug_forbidden", ErrorCode::kPolicyDenied};
inline constexpr Reason kSevEsRequired{"sev.es_required", ErrorCode::kPolicyDenied};
inline constexpr Reason kSevFirmwareTooOld{"sev.firmware_too_old", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostFirmwareRejected{"host.firmware_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostSecureBootOff{"host.secure_boot_off", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostDbRejected{"host.db_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostDbxRejected{"host.dbx_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostBootAppRejected{"host.boot_application_rejected",
                                             ErrorCode::kPolicyDenied};
inline constexpr Reason kHostCmdlineRejected{"host.kernel_cmdline_rejected",
                                             ErrorCode::kPolicyDenied};
inline constexpr Reason kHostDrtmMissing{"host.drtm_missing", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostSinitRejected{"host.sinit_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostMleRejected{"host.mle_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostPcrRejected{"host.pcr_rejected", ErrorCode::kPolicyDenied};
inline constexpr Reason kHostNoEventLog{"host.no_event_log", ErrorCode::kPolicyDenied};

// kPolicyTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kPolicyTable[] = {
    kPolicyInvalid,         kPolicyNoRulesForEvidence, kPolicyTokenInvalid,
    kPolicyTokenExpired,    kSnpMeasurementRejected,   kSnpHostDataRejected,
    kSnpTcbTooLow,          kSnpGuestSvnTooLow,        kSnpFirmwareTooOld,
    kSnpDebugForbidden,     kSnpMigrateMaForbidden,    kSnpSmtForbidden,
    kSnpVmplRejected,       kSnpIdKeyRejected,         kSnpAuthorKeyRejected,
    kSnpSigningKeyRejected, kSnpChipRejected,          kTdxMrTdRejected,
    kTdxRtmrRejected,       kTdxMrSeamRejected,        kTdxMrConfigIdRejected,
    kTdxMrOwnerRejected,    kTdxMrOwnerConfigRejected, kTdxDebugForbidden,
    kTdxXfamRejected,       kTdxTeeTcbSvnTooLow,       kTdxAdvisoryRejected,
    kTdxCollateralTooOld,   kTdxNoTcbStatus,           kSgxMrEnclaveRejected,
    kSgxMrSignerRejected,   kSgxProdIdRejected,        kSgxIsvSvnTooLow,
    kSgxDebugForbidden,     kSgxTcbStatusRejected,     kSgxAdvisoryRejected,
    kSevLaunchRejected,     kSevDebugForbidden,        kSevEsRequired,
    kSevFirmwareTooOld,     kHostFirmwareRejected,     kHostSecureBootOff,
    kHostDbRejected,        kHostDbxRejected,          kHostBootAppRejected,
    kHostCmdlineRejected,   kHostDrtmMissing,          kHostSinitRejected,
    kHostMleRejected,       kHostPcrRejected,          kHostNoEventLog,
};

}  // namespace attest::reasons
