// attest/snp/reasons.h: the stable error reasons of AMD SEV-SNP report parsing, endorsement chains
// and verification (attest/snp).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

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

// kSnpTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kSnpTable[] = {
    kSnpMalformed,       kSnpBadSize,          kSnpUnsupportedVersion, kSnpUnsupportedAlgorithm,
    kSnpReservedNotZero, kSnpSignatureInvalid, kSnpNoSigningKey,       kSnpSigningKeyKind,
    kSnpCertExtension,   kSnpTcbMismatch,      kSnpChipIdMismatch,     kSnpUnknownProduct,
    kSnpProductMismatch, kSnpChainUntrusted,   kSnpCertExpired,        kSnpRevoked,
};

}  // namespace attest::reasons
