// The URLs a webhook may deliver to. Checked at PUT /v1/webhooks (so the caller hears why) and
// again before each delivery (the configuration may have changed since).
//
// https only; http only to a loopback host and only when the configuration allows it
// (webhooks_allow_loopback_http: tests). No user:password@ (a secret in a URL ends up in logs;
// the payload is authenticated by the signature instead), no #fragment (never sent, so it can
// only mislead), only the characters RFC 3986 section 2 allows, so the URL we check is the URL
// libcurl sends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "service/events/reasons.h"

namespace attest::service::events {

inline constexpr size_t kMaxUrlBytes = 2048;

struct WebhookUrl {
  std::string scheme;  // "https" or "http", lower case
  std::string host;    // as written (IPv6 with its brackets)
  uint16_t port = 0;   // 0: the scheme's default
};

// CheckWebhookUrl parses url and applies the rules above. Fails with webhook.url_invalid,
// webhook.url_scheme_refused, webhook.url_not_https, webhook.url_has_credentials or
// webhook.url_has_fragment.
Result<WebhookUrl> CheckWebhookUrl(std::string_view url, bool allow_loopback_http);

}  // namespace attest::service::events
