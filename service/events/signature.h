// Webhook payload signatures: HMAC-SHA256 (RFC 2104, FIPS 198-1) under the webhook's secret over
// "<t>.<body>", where t is the sending time in Unix seconds. The header carries both:
//
//   X-Attestd-Signature: t=1764057600,v1=<64 lower-case hex digits>
//
// Signing the timestamp with the body lets a receiver refuse a captured delivery replayed later
// (VerifySignatureHeader's window); the version tag lets a later scheme sit beside v1.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/events/reasons.h"

namespace attest::service::events {

inline constexpr char kSignatureHeader[] = "X-Attestd-Signature";
inline constexpr char kEventHeader[] = "X-Attestd-Event";
inline constexpr char kDeliveryHeader[] = "X-Attestd-Delivery";

// SignPayload returns the hex HMAC-SHA256 of "<unix_seconds>." + body under secret.
std::string SignPayload(std::string_view secret, int64_t unix_seconds, std::string_view body);

// SignatureHeader returns "t=<unix_seconds>,v1=<SignPayload>".
std::string SignatureHeader(std::string_view secret, int64_t unix_seconds, std::string_view body);

// VerifySignatureHeader checks a header made by SignatureHeader against body: the timestamp must
// be within tolerance of now (either side) and one v1 value must match, compared in constant
// time. Fails with webhook.signature_malformed, webhook.signature_expired or
// webhook.signature_invalid. This is what a receiver does; attestd's tests use it.
Status VerifySignatureHeader(std::string_view secret, std::string_view header,
                             std::string_view body, TimePoint now, std::chrono::seconds tolerance);

}  // namespace attest::service::events
