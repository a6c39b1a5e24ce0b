// Every stable error reason of the project, one definition each.
//
// A reason is "<area>.<what>": what an API client sees in the JSON "code" field, what a policy or
// an alert matches on. Never rename or reuse one; add new ones in the area's section. ErrorCode is
// the coarse class (numbers are part of the contract and never reused); only service/ maps it to
// HTTP.
#pragma once

#include <string_view>

namespace attest {

enum class ErrorCode : int {
  kOk = 0,
  kMalformedEvidence = 1,   // input bytes do not parse as the format they claim
  kUnsupported = 2,         // well-formed but a version/algorithm/product we do not accept
  kSignatureInvalid = 3,    // a signature does not verify
  kChainUntrusted = 4,      // a certificate chain does not lead to a pinned anchor
  kExpired = 5,             // outside a validity window at the verification time
  kRevoked = 6,             // listed on a CRL
  kPolicyDenied = 7,        // verified, but a rule says no
  kUnavailable = 8,         // a resource (file, collateral, service) is missing
  kInternal = 9,            // our own invariant broke; a bug
  kInvalidArgument = 10,    // a caller-supplied parameter (not evidence) is wrong
  kMismatch = 11,           // two verified facts disagree (report vs certificate, replay vs quote)
  kNotFound = 12,           // a stored resource does not exist (or belongs to another tenant)
  kConflict = 13,           // a stored resource already exists, or was already used (nonce)
  kResourceExhausted = 14,  // a rate limit or quota was reached; retry later
};

// ErrorCodeName is the upper-case name of code, e.g. "SIGNATURE_INVALID".
std::string_view ErrorCodeName(ErrorCode code);

struct Reason {
  std::string_view id;
  ErrorCode code;
};

namespace reasons {
inline constexpr Reason kOk{"ok", ErrorCode::kOk};

// --- core: generic input handling -------------------------------------------------------------
inline constexpr Reason kTruncated{"core.truncated", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTrailingBytes{"core.trailing_bytes", ErrorCode::kMalformedEvidence};
inline constexpr Reason kBadHex{"core.bad_hex", ErrorCode::kMalformedEvidence};
inline constexpr Reason kBadBase64{"core.bad_base64", ErrorCode::kMalformedEvidence};
inline constexpr Reason kBadTime{"core.bad_time", ErrorCode::kInvalidArgument};
inline constexpr Reason kFileUnreadable{"core.file_unreadable", ErrorCode::kUnavailable};
inline constexpr Reason kFileUnwritable{"core.file_unwritable", ErrorCode::kUnavailable};
inline constexpr Reason kInternalError{"core.internal", ErrorCode::kInternal};

// --- x509: certificates and CRLs, any vendor ---------------------------------------------------
inline constexpr Reason kCertMalformed{"x509.cert_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kCrlMalformed{"x509.crl_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kChainUntrusted{"x509.chain_untrusted", ErrorCode::kChainUntrusted};
inline constexpr Reason kCertExpired{"x509.cert_expired", ErrorCode::kExpired};
inline constexpr Reason kCertNotYetValid{"x509.cert_not_yet_valid", ErrorCode::kExpired};
inline constexpr Reason kCertRevoked{"x509.cert_revoked", ErrorCode::kRevoked};
inline constexpr Reason kCrlSignatureInvalid{"x509.crl_signature_invalid",
                                             ErrorCode::kSignatureInvalid};
inline constexpr Reason kCrlExpired{"x509.crl_expired", ErrorCode::kExpired};
inline constexpr Reason kCrlIssuerUnknown{"x509.crl_issuer_unknown", ErrorCode::kChainUntrusted};

// --- snp: AMD SEV-SNP attestation reports ------------------------------------------------------
inline constexpr Reason kSnpMalformed{"snp.malformed_report", ErrorCode::kMalformedEvidence};
inline constexpr Reason kSnpBadSize{"snp.bad_size", ErrorCode::kMalformedEvidence};
inline constexpr Reason kSnpUnsupportedVersion{"snp.unsupported_version", ErrorCode::kUnsupported};
inline constexpr Reason kSnpUnsupportedAlgorithm{"snp.unsupported_signature_algo",
                                                 ErrorCode::kUnsupported};
inline constexpr Reason kSnpReservedNotZero{"snp.reserved_not_zero", ErrorCode::kMalformedEvidence};
inline constexpr Reason kSnpSignatureInvalid{"snp.signature_invalid", ErrorCode::kSignatureInvalid};
inline constexpr Reason kSnpNoSigningKey{"snp.signing_key_missing", ErrorCode::kUnavailable};
inline constexpr Reason kSnpSigningKeyKind{"snp.signing_key_kind_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kSnpCertExtension{"snp.cert_extension_invalid",
                                          ErrorCode::kMalformedEvidence};
inline constexpr Reason kSnpTcbMismatch{"snp.tcb_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kSnpChipIdMismatch{"snp.chip_id_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kSnpUnknownProduct{"snp.unknown_product", ErrorCode::kUnsupported};
inline constexpr Reason kSnpProductMismatch{"snp.product_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kSnpChainUntrusted{"snp.chain_untrusted", ErrorCode::kChainUntrusted};
inline constexpr Reason kSnpCertExpired{"snp.cert_expired", ErrorCode::kExpired};
inline constexpr Reason kSnpRevoked{"snp.revoked", ErrorCode::kRevoked};

// --- tdx / sgx: Intel DCAP quotes (issue 4) ----------------------------------------------------
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

// --- tpm: TPM 2.0 quotes and event logs (issue 5) ----------------------------------------------
inline constexpr Reason kTpmAttestMalformed{"tpm.attest_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTpmBadMagic{"tpm.bad_magic", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTpmNotAQuote{"tpm.not_a_quote", ErrorCode::kUnsupported};
inline constexpr Reason kTpmSignatureMalformed{"tpm.signature_malformed",
                                               ErrorCode::kMalformedEvidence};
inline constexpr Reason kTpmPublicMalformed{"tpm.public_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTpmUnsupportedAlgorithm{"tpm.unsupported_algorithm",
                                                 ErrorCode::kUnsupported};
inline constexpr Reason kTpmSignatureInvalid{"tpm.signature_invalid", ErrorCode::kSignatureInvalid};
inline constexpr Reason kTpmNonceMismatch{"tpm.nonce_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTpmPcrsMalformed{"tpm.pcrs_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTpmPcrMissing{"tpm.pcr_missing", ErrorCode::kUnavailable};
inline constexpr Reason kTpmPcrDigestMismatch{"tpm.pcr_digest_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTpmAkAttributes{"tpm.ak_attributes_invalid", ErrorCode::kPolicyDenied};
inline constexpr Reason kTpmEkMismatch{"tpm.ek_public_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTpmEkChainUntrusted{"tpm.ek_chain_untrusted", ErrorCode::kChainUntrusted};
inline constexpr Reason kTpmCredentialMalformed{"tpm.credential_malformed",
                                                ErrorCode::kMalformedEvidence};
inline constexpr Reason kTpmCredentialInvalid{"tpm.credential_invalid", ErrorCode::kMismatch};
inline constexpr Reason kTpmDevice{"tpm.device_error", ErrorCode::kUnavailable};
inline constexpr Reason kTpmDrtmMismatch{"tpm.drtm_pcr_mismatch", ErrorCode::kMismatch};
inline constexpr Reason kTpmPcrNotQuoted{"tpm.pcr_not_quoted", ErrorCode::kMismatch};
inline constexpr Reason kEventLogMalformed{"eventlog.malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kEventLogUnsupportedAlgorithm{"eventlog.unsupported_algorithm",
                                                      ErrorCode::kUnsupported};
inline constexpr Reason kEventLogMissingDigest{"eventlog.missing_digest",
                                               ErrorCode::kMalformedEvidence};
inline constexpr Reason kEventLogTooLarge{"eventlog.too_large", ErrorCode::kMalformedEvidence};
inline constexpr Reason kEventLogBankMissing{"eventlog.bank_missing", ErrorCode::kUnavailable};
inline constexpr Reason kEventLogPcrMismatch{"eventlog.pcr_mismatch", ErrorCode::kMismatch};

// --- sev: legacy AMD SEV / SEV-ES (issue 6) ----------------------------------------------------
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

// --- policy: loading tenant/host policies, and appraisal rule failures --------------------------
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

// --- sigv4: AWS Signature Version 4 request authentication (service/sigv4) ---------------------
inline constexpr Reason kSigv4RequestMalformed{"sigv4.request_malformed",
                                               ErrorCode::kInvalidArgument};
inline constexpr Reason kSigv4MissingAuthentication{"sigv4.missing_authentication",
                                                    ErrorCode::kInvalidArgument};
inline constexpr Reason kSigv4AuthorizationMalformed{"sigv4.authorization_malformed",
                                                     ErrorCode::kInvalidArgument};
inline constexpr Reason kSigv4QueryMalformed{"sigv4.query_parameters_malformed",
                                             ErrorCode::kInvalidArgument};
inline constexpr Reason kSigv4UnsupportedAlgorithm{"sigv4.unsupported_algorithm",
                                                   ErrorCode::kUnsupported};
inline constexpr Reason kSigv4ScopeMismatch{"sigv4.credential_scope_mismatch",
                                            ErrorCode::kInvalidArgument};
inline constexpr Reason kSigv4BadDate{"sigv4.bad_date", ErrorCode::kInvalidArgument};
inline constexpr Reason kSigv4TimeTooSkewed{"sigv4.request_time_too_skewed", ErrorCode::kExpired};
inline constexpr Reason kSigv4Expired{"sigv4.request_expired", ErrorCode::kExpired};
inline constexpr Reason kSigv4InvalidAccessKeyId{"sigv4.invalid_access_key_id",
                                                 ErrorCode::kSignatureInvalid};
inline constexpr Reason kSigv4SignatureDoesNotMatch{"sigv4.signature_does_not_match",
                                                    ErrorCode::kSignatureInvalid};
inline constexpr Reason kSigv4InvalidToken{"sigv4.invalid_token", ErrorCode::kSignatureInvalid};
inline constexpr Reason kSigv4ContentSha256Mismatch{"sigv4.content_sha256_mismatch",
                                                    ErrorCode::kMismatch};
inline constexpr Reason kSigv4UnsignedPayloadRefused{"sigv4.unsigned_payload_refused",
                                                     ErrorCode::kPolicyDenied};
inline constexpr Reason kSigv4BadOption{"sigv4.bad_signing_option", ErrorCode::kInvalidArgument};

// --- store: attestd storage (service/store) ----------------------------------------------------
inline constexpr Reason kStoreNotFound{"store.not_found", ErrorCode::kNotFound};
inline constexpr Reason kStoreAlreadyExists{"store.already_exists", ErrorCode::kConflict};
inline constexpr Reason kStoreNonceRejected{"store.nonce_rejected", ErrorCode::kConflict};
inline constexpr Reason kStoreDatabase{"store.database_error", ErrorCode::kUnavailable};
inline constexpr Reason kStoreMigration{"store.migration_failed", ErrorCode::kInternal};
inline constexpr Reason kStoreInvalidArgument{"store.invalid_argument",
                                              ErrorCode::kInvalidArgument};
inline constexpr Reason kStoreSealFailed{"store.secret_seal_failed", ErrorCode::kInternal};
inline constexpr Reason kStoreUnsealFailed{"store.secret_unseal_failed", ErrorCode::kMismatch};
inline constexpr Reason kStoreKekInvalid{"store.kek_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kStoreAuditChainBroken{"store.audit_chain_broken", ErrorCode::kMismatch};

// --- api: attestd HTTP API (service/http, service/api) ------------------------------------------
inline constexpr Reason kApiRouteNotFound{"api.not_found", ErrorCode::kNotFound};
inline constexpr Reason kApiMethodNotAllowed{"api.method_not_allowed", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiAccessDenied{"api.access_denied", ErrorCode::kPolicyDenied};
inline constexpr Reason kApiUnsupportedMediaType{"api.unsupported_media_type",
                                                 ErrorCode::kInvalidArgument};
inline constexpr Reason kApiMalformedJson{"api.malformed_json", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiUnknownField{"api.unknown_field", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiInvalidField{"api.invalid_field", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiBodyTooLarge{"api.body_too_large", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiInvalidQuery{"api.invalid_query", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiInternal{"api.internal_error", ErrorCode::kInternal};
inline constexpr Reason kApiConfig{"api.config_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiListenFailed{"api.listen_failed", ErrorCode::kUnavailable};
inline constexpr Reason kApiBadRequest{"api.bad_request", ErrorCode::kInvalidArgument};
// Hosts (service/api/host_routes.cc): a challenge or quote for a host whose credential was never
// activated; a quote appraised after its host policy was deleted.
inline constexpr Reason kApiHostNotActivated{"api.host_not_activated", ErrorCode::kConflict};
inline constexpr Reason kApiHostPolicyMissing{"api.host_policy_missing", ErrorCode::kPolicyDenied};
// A quote that leaves out a PCR its logs extend: the log's claims for that PCR are unproven.
// Tenant network resources (service/api/network_routes.cc).
inline constexpr Reason kApiCidrOverlap{"api.cidr_overlap", ErrorCode::kConflict};
inline constexpr Reason kApiResourceInUse{"api.resource_in_use", ErrorCode::kConflict};
// Key release routes: a caller over its per-VM or per-address rate (429, Retry-After).
inline constexpr Reason kApiRateLimited{"api.rate_limited", ErrorCode::kResourceExhausted};

// --- client: attestd API client (service/client) ------------------------------------------------
inline constexpr Reason kClientConfig{"client.config_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kClientCredentials{"client.no_credentials", ErrorCode::kUnavailable};
inline constexpr Reason kClientTransport{"client.transport_error", ErrorCode::kUnavailable};
inline constexpr Reason kClientHttpError{"client.http_error", ErrorCode::kPolicyDenied};

// --- launcher: libvirt domains, security groups, private networks, launch flows (issue 10) ------
inline constexpr Reason kLauncherInvalidSpec{"launcher.invalid_spec", ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherInvalidName{"launcher.invalid_name", ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherInvalidCidr{"launcher.invalid_cidr", ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherInvalidPortRange{"launcher.invalid_port_range",
                                                  ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherUnknownSourceGroup{"launcher.unknown_source_group",
                                                    ErrorCode::kNotFound};
inline constexpr Reason kLauncherDiskNotOwned{"launcher.disk_not_owned", ErrorCode::kPolicyDenied};
inline constexpr Reason kLauncherNetNotOwned{"launcher.net_not_owned", ErrorCode::kPolicyDenied};
inline constexpr Reason kLauncherGroupNotOwned{"launcher.group_not_owned",
                                               ErrorCode::kPolicyDenied};
inline constexpr Reason kLauncherSevPolicyMismatch{"launcher.sev_policy_mismatch",
                                                   ErrorCode::kMismatch};
inline constexpr Reason kLauncherLibvirtTooOld{"launcher.libvirt_too_old", ErrorCode::kUnsupported};
inline constexpr Reason kLauncherTeeUnavailable{"launcher.tee_unavailable",
                                                ErrorCode::kUnsupported};
inline constexpr Reason kLauncherSecurityDriverUnavailable{"launcher.security_driver_unavailable",
                                                           ErrorCode::kUnsupported};
inline constexpr Reason kLauncherCapabilitiesMalformed{"launcher.capabilities_malformed",
                                                       ErrorCode::kMalformedEvidence};
inline constexpr Reason kLauncherNoTrustedHost{"launcher.no_trusted_host", ErrorCode::kUnavailable};
inline constexpr Reason kLauncherHypervisor{"launcher.hypervisor_error", ErrorCode::kUnavailable};
inline constexpr Reason kLauncherNotFound{"launcher.not_found", ErrorCode::kNotFound};
inline constexpr Reason kLauncherXml{"launcher.xml_error", ErrorCode::kInternal};
inline constexpr Reason kLauncherLaunchInfoMalformed{"launcher.launch_info_malformed",
                                                     ErrorCode::kMalformedEvidence};

// --- keys: key-encryption keys (service/keys) and volume keys ----------------------------------
inline constexpr Reason kKeysKeyFileInvalid{"keys.key_file_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kKeysConfigInvalid{"keys.config_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kKeysWrapFailed{"keys.wrap_failed", ErrorCode::kInternal};
inline constexpr Reason kKeysBlobMalformed{"keys.blob_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kKeysWrongKey{"keys.wrong_key", ErrorCode::kMismatch};
inline constexpr Reason kKeysUnwrapFailed{"keys.unwrap_failed", ErrorCode::kMismatch};
inline constexpr Reason kKeysModuleLoadFailed{"keys.pkcs11_module_load_failed",
                                              ErrorCode::kUnavailable};
inline constexpr Reason kKeysTokenNotFound{"keys.pkcs11_token_not_found", ErrorCode::kUnavailable};
inline constexpr Reason kKeysPinIncorrect{"keys.pkcs11_pin_incorrect", ErrorCode::kInvalidArgument};
inline constexpr Reason kKeysPinUnavailable{"keys.pkcs11_pin_unavailable", ErrorCode::kUnavailable};
inline constexpr Reason kKeysPkcs11Error{"keys.pkcs11_error", ErrorCode::kUnavailable};
inline constexpr Reason kKeysLuksFormatFailed{"keys.luks_format_failed", ErrorCode::kUnavailable};

// --- release: launch tickets, JWE key delivery, key release decisions (service/release) --------
inline constexpr Reason kReleaseTicketInvalid{"release.ticket_invalid",
                                              ErrorCode::kInvalidArgument};
inline constexpr Reason kReleaseGuestKeyInvalid{"release.guest_key_invalid",
                                                ErrorCode::kInvalidArgument};
inline constexpr Reason kReleaseJweFailed{"release.jwe_failed", ErrorCode::kInternal};
inline constexpr Reason kReleaseJweInvalid{"release.jwe_invalid", ErrorCode::kMalformedEvidence};
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
// A volume named in the ticket was deleted (crypto-shredded) after the VM was created.
inline constexpr Reason kReleaseVolumeUnavailable{"release.volume_unavailable",
                                                  ErrorCode::kPolicyDenied};
// The answer of a refused release (403): the body lists every failed check.
inline constexpr Reason kReleaseDenied{"release.denied", ErrorCode::kPolicyDenied};

// --- guest: attest-agent guest side (agent/guest_evidence) ------------------------------------
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

// --- cli: command-line usage -------------------------------------------------------------------
inline constexpr Reason kCliUsage{"cli.usage", ErrorCode::kInvalidArgument};
}  // namespace reasons

}  // namespace attest
