// sigv4/reasons.h: the stable error reasons of AWS Signature Version 4 request
// authentication (sigv4/).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

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
// A presigned (query) signature on a method the server accepts only in the header form.
inline constexpr Reason kSigv4PresignedMethodRefused{"sigv4.presigned_method_refused",
                                                     ErrorCode::kPolicyDenied};

// kSigv4Table lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kSigv4Table[] = {
    kSigv4RequestMalformed,
    kSigv4MissingAuthentication,
    kSigv4AuthorizationMalformed,
    kSigv4QueryMalformed,
    kSigv4UnsupportedAlgorithm,
    kSigv4ScopeMismatch,
    kSigv4BadDate,
    kSigv4TimeTooSkewed,
    kSigv4Expired,
    kSigv4InvalidAccessKeyId,
    kSigv4SignatureDoesNotMatch,
    kSigv4InvalidToken,
    kSigv4ContentSha256Mismatch,
    kSigv4UnsignedPayloadRefused,
    kSigv4BadOption,
    kSigv4PresignedMethodRefused,
};

}  // namespace attest::reasons
