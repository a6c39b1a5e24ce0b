// service/events/reasons.h: the stable error reasons of webhooks: what PUT /v1/webhooks refuses
// (URL rules, secret, event types a caller may subscribe to) and how a delivery attempt failed
// (service/events).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

// URL rules (webhook_url.h): not a URL we can parse; a scheme other than https (or http); http
// where only https is allowed; user:password@ in the authority; a #fragment.
inline constexpr Reason kWebhookUrlInvalid{"webhook.url_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kWebhookUrlScheme{"webhook.url_scheme_refused",
                                          ErrorCode::kInvalidArgument};
inline constexpr Reason kWebhookUrlInsecure{"webhook.url_not_https", ErrorCode::kInvalidArgument};
inline constexpr Reason kWebhookUrlCredentials{"webhook.url_has_credentials",
                                               ErrorCode::kInvalidArgument};
inline constexpr Reason kWebhookUrlFragment{"webhook.url_has_fragment",
                                            ErrorCode::kInvalidArgument};
// The secret is too short or too long to be an HMAC key we accept.
inline constexpr Reason kWebhookSecretInvalid{"webhook.secret_invalid",
                                              ErrorCode::kInvalidArgument};
// An event name that does not exist; an event the caller's role may not hear (a tenant asking
// for host.*).
inline constexpr Reason kWebhookEventUnknown{"webhook.event_unknown", ErrorCode::kInvalidArgument};
inline constexpr Reason kWebhookEventNotAllowed{"webhook.event_not_allowed",
                                                ErrorCode::kInvalidArgument};
// A delivery attempt: no answer (connect, TLS, timeout), or an answer other than 2xx.
inline constexpr Reason kWebhookTransport{"webhook.transport_error", ErrorCode::kUnavailable};
inline constexpr Reason kWebhookHttpStatus{"webhook.http_status", ErrorCode::kUnavailable};
// Signature checks (VerifySignatureHeader): a header we cannot parse, a timestamp outside the
// window, an HMAC that does not match.
inline constexpr Reason kWebhookSignatureMalformed{"webhook.signature_malformed",
                                                   ErrorCode::kInvalidArgument};
inline constexpr Reason kWebhookSignatureExpired{"webhook.signature_expired", ErrorCode::kExpired};
inline constexpr Reason kWebhookSignatureInvalid{"webhook.signature_invalid",
                                                 ErrorCode::kSignatureInvalid};

// kWebhookTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kWebhookTable[] = {
    kWebhookUrlInvalid,       kWebhookUrlScheme,          kWebhookUrlInsecure,
    kWebhookUrlCredentials,   kWebhookUrlFragment,        kWebhookSecretInvalid,
    kWebhookEventUnknown,     kWebhookEventNotAllowed,    kWebhookTransport,
    kWebhookHttpStatus,       kWebhookSignatureMalformed, kWebhookSignatureExpired,
    kWebhookSignatureInvalid,
};

}  // namespace attest::reasons
