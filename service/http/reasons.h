// service/http/reasons.h: the stable error reasons of attestd HTTP layer: request bodies, queries,
// the HTTPS server and its configuration (service/http, service/server, service/attestd). They
// share the "api." prefix with service/api's reasons: a client sees one API.
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

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
inline constexpr Reason kApiShuttingDown{"api.shutting_down", ErrorCode::kUnavailable};
inline constexpr Reason kApiHeadersTooLarge{"api.headers_too_large", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiUriTooLong{"api.uri_too_long", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiHttpVersion{"api.http_version_unsupported",
                                        ErrorCode::kInvalidArgument};
inline constexpr Reason kApiUnsupportedTransferEncoding{"api.unsupported_transfer_encoding",
                                                        ErrorCode::kInvalidArgument};

// kHttpTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kHttpTable[] = {
    kApiUnsupportedMediaType,
    kApiMalformedJson,
    kApiUnknownField,
    kApiInvalidField,
    kApiBodyTooLarge,
    kApiInvalidQuery,
    kApiInternal,
    kApiConfig,
    kApiListenFailed,
    kApiBadRequest,
    kApiShuttingDown,
    kApiHeadersTooLarge,
    kApiUriTooLong,
    kApiHttpVersion,
    kApiUnsupportedTransferEncoding,
};

}  // namespace attest::reasons
