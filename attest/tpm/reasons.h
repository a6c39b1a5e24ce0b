// attest/tpm/reasons.h: the stable error reasons of TPM 2.0 quotes, credentials, EK/AK checks and
// TCG event log replay (attest/tpm).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

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
// A quote that leaves out a PCR its logs extend: the log's claims for that PCR are unproven.
inline constexpr Reason kTpmPcrNotQuoted{"tpm.pcr_not_quoted", ErrorCode::kMismatch};
// An EK certificate or EK chain that is not X.509 (DER or PEM), or not exactly one leaf.
inline constexpr Reason kTpmEkCertMalformed{"tpm.ek_cert_malformed", ErrorCode::kMalformedEvidence};
// No EK certificate where the verifier requires one (attestd without allow_hosts_without_ek_cert).
inline constexpr Reason kTpmEkCertRequired{"tpm.ek_cert_required", ErrorCode::kPolicyDenied};
inline constexpr Reason kEventLogMalformed{"eventlog.malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kEventLogUnsupportedAlgorithm{"eventlog.unsupported_algorithm",
                                                      ErrorCode::kUnsupported};
inline constexpr Reason kEventLogMissingDigest{"eventlog.missing_digest",
                                               ErrorCode::kMalformedEvidence};
inline constexpr Reason kEventLogTooLarge{"eventlog.too_large", ErrorCode::kMalformedEvidence};
inline constexpr Reason kEventLogBankMissing{"eventlog.bank_missing", ErrorCode::kUnavailable};
inline constexpr Reason kEventLogPcrMismatch{"eventlog.pcr_mismatch", ErrorCode::kMismatch};

// kTpmTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kTpmTable[] = {
    kTpmAttestMalformed,
    kTpmBadMagic,
    kTpmNotAQuote,
    kTpmSignatureMalformed,
    kTpmPublicMalformed,
    kTpmUnsupportedAlgorithm,
    kTpmSignatureInvalid,
    kTpmNonceMismatch,
    kTpmPcrsMalformed,
    kTpmPcrMissing,
    kTpmPcrDigestMismatch,
    kTpmAkAttributes,
    kTpmEkMismatch,
    kTpmEkChainUntrusted,
    kTpmCredentialMalformed,
    kTpmCredentialInvalid,
    kTpmDevice,
    kTpmDrtmMismatch,
    kTpmPcrNotQuoted,
    kTpmEkCertMalformed,
    kTpmEkCertRequired,
    kEventLogMalformed,
    kEventLogUnsupportedAlgorithm,
    kEventLogMissingDigest,
    kEventLogTooLarge,
    kEventLogBankMissing,
    kEventLogPcrMismatch,
};

}  // namespace attest::reasons
