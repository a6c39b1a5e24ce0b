// service/collateral/reasons.h: the stable error reasons of the collateral service: fetching from
// AMD KDS and Intel PCS / PCCS, verifying what was fetched, and the shared cache's rules.
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them);
// attest/core/reasons.h explains the scheme. A verification failure keeps the verifier's reason
// in its message ("x509.crl_expired: ..."), so an alert can match the coarse collateral.* id and
// a person can still read what failed.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

// The vendor could not be reached, the TLS handshake failed, or the connection broke.
inline constexpr Reason kCollateralUnreachable{"collateral.unreachable", ErrorCode::kUnavailable};
// No answer within the request timeout.
inline constexpr Reason kCollateralTimeout{"collateral.timeout", ErrorCode::kUnavailable};
// The vendor answered 429 on every attempt, or asked to wait longer than the retry budget.
inline constexpr Reason kCollateralRateLimited{"collateral.rate_limited",
                                               ErrorCode::kResourceExhausted};
// The vendor has no such item (404), or no longer has it (410).
inline constexpr Reason kCollateralNotFound{"collateral.not_found", ErrorCode::kNotFound};
// Any other non-200 answer (400, 401, 5xx after the retries).
inline constexpr Reason kCollateralHttpError{"collateral.http_error", ErrorCode::kUnavailable};
// The body is longer than the configured limit; nothing is kept of it.
inline constexpr Reason kCollateralTooLarge{"collateral.too_large", ErrorCode::kMalformedEvidence};
// The body ended before its Content-Length.
inline constexpr Reason kCollateralTruncated{"collateral.truncated", ErrorCode::kMalformedEvidence};
// The answer does not parse as what the endpoint serves (PEM, DER, JSON, issuer-chain header).
inline constexpr Reason kCollateralMalformed{"collateral.malformed", ErrorCode::kMalformedEvidence};
// A signature over the fetched bytes does not verify.
inline constexpr Reason kCollateralSignatureInvalid{"collateral.signature_invalid",
                                                    ErrorCode::kSignatureInvalid};
// A certificate chain does not lead to the pinned vendor root.
inline constexpr Reason kCollateralChainUntrusted{"collateral.chain_untrusted",
                                                  ErrorCode::kChainUntrusted};
// Outside its validity window (certificate, CRL, TCB info, QE identity) at the time of use.
inline constexpr Reason kCollateralExpired{"collateral.expired", ErrorCode::kExpired};
// A certificate of the item is listed on a CRL.
inline constexpr Reason kCollateralRevoked{"collateral.revoked", ErrorCode::kRevoked};
// The item verifies but is not the one asked for (FMSPC, TEE, chip id, TCB, product).
inline constexpr Reason kCollateralMismatch{"collateral.mismatch", ErrorCode::kMismatch};
// Older than what the cache holds: a lower verified tcbEvaluationDataNumber, or an earlier issue.
inline constexpr Reason kCollateralRollback{"collateral.rollback", ErrorCode::kConflict};
// The cached item is older than the freshness bound (max_collateral_age_seconds or the policy's).
inline constexpr Reason kCollateralStale{"collateral.stale", ErrorCode::kExpired};
// A URL, product or key that the collateral service cannot form a request from.
inline constexpr Reason kCollateralBadRequest{"collateral.bad_request",
                                              ErrorCode::kInvalidArgument};

// kCollateralTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kCollateralTable[] = {
    kCollateralUnreachable,    kCollateralTimeout,   kCollateralRateLimited,
    kCollateralNotFound,       kCollateralHttpError, kCollateralTooLarge,
    kCollateralTruncated,      kCollateralMalformed, kCollateralSignatureInvalid,
    kCollateralChainUntrusted, kCollateralExpired,   kCollateralRevoked,
    kCollateralMismatch,       kCollateralRollback,  kCollateralStale,
    kCollateralBadRequest,
};

}  // namespace attest::reasons
