// PostWebhook: one HTTP POST of a webhook payload with libcurl. libcurl stays inside
// http_post.cc; redirects are not followed (a 3xx is an answer, not a new target), only the
// schemes the URL rules allow are enabled, and both connect and total time are bounded.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "attest/core/status.h"
#include "service/events/reasons.h"

namespace attest::service::events {

struct HttpPost {
  std::string url;  // already passed CheckWebhookUrl
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as application/json
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  bool allow_http = false;  // enable the http scheme (loopback tests); https always
  std::string ca_file;      // PEM bundle the receiver's certificate must chain to; "" = system
  const std::atomic<bool>* cancel = nullptr;  // set: the transfer is abandoned
};

// PostWebhook sends post and returns the HTTP status of the answer (any status). Fails with
// webhook.transport_error when no answer arrived (DNS, connect, TLS, timeout, cancelled); the
// message has libcurl's reason.
Result<int> PostWebhook(const HttpPost& post);

}  // namespace attest::service::events
