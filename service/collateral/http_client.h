// HttpClient: the HTTPS GET that the collateral fetchers (kds.h, pcs.h) use, on libcurl. It is
// untrusted plumbing: what it returns is bytes that the fetchers verify before anything keeps or
// uses them. What it adds is good conduct toward a vendor that throttles (AMD KDS answers 429
// under repeated use): bounded attempts with jittered exponential backoff, Retry-After honoured up
// to a ceiling, at most a few requests in flight per host, a whole-request timeout and a body
// size limit, so a hostile or broken server can neither hang a replica nor fill its memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "service/collateral/reasons.h"

namespace attest::service::collateral {

struct HttpClientOptions {
  std::string ca_bundle;  // PEM file of the CAs the vendor's TLS certificate must chain to;
                          // "" uses the system's store
  std::string proxy;      // "" for none (libcurl's proxy environment variables are not read)
  std::chrono::milliseconds timeout{15000};  // one attempt, connect to last byte
  int max_attempts = 4;
  std::chrono::milliseconds backoff_base{500};  // doubled per attempt, then jittered
  std::chrono::milliseconds max_wait{30000};    // longest wait between attempts (also Retry-After)
  size_t max_body_bytes = size_t{4} << 20;
  int per_host_concurrency = 2;
};

struct HttpAnswer {
  long status = 0;
  Bytes body;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order

  // Header returns the value of the first header called name (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

// FetchOutcome classifies one finished Get, for metrics (attestd_collateral_fetches_total).
enum class FetchOutcome { kOk, kNotFound, kRateLimited, kHttpError, kNetworkError, kRefused };
std::string_view FetchOutcomeName(FetchOutcome outcome);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Get fetches url and returns a 200 answer. Retries network errors, timeouts, 429, 500, 502,
  // 503 and 504; a Retry-After (seconds or HTTP date) sets the next wait, and one beyond
  // max_wait ends the attempts at once. Fails with collateral.not_found (404, 410),
  // collateral.rate_limited, collateral.timeout, collateral.unreachable, collateral.http_error,
  // collateral.too_large (never retried), collateral.truncated or collateral.bad_request (a URL
  // that is not http(s)).
  Result<HttpAnswer> Get(const std::string& url);

  // on_outcome, when set, is called once per Get; on_429 once per 429 answer received.
  void set_observer(std::function<void(FetchOutcome)> on_outcome, std::function<void()> on_429) {
    on_outcome_ = std::move(on_outcome);
    on_429_ = std::move(on_429);
  }

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Attempt;
  Attempt Once(const std::string& url);
  void AcquireHost(const std::string& host);
  void ReleaseHost(const std::string& host);
  std::chrono::milliseconds Backoff(int attempt);
  Result<HttpAnswer> Finish(Result<HttpAnswer> result);

  HttpClientOptions options_;
  std::function<void(FetchOutcome)> on_outcome_;
  std::function<void()> on_429_;
  std::mutex mu_;
  std::condition_variable host_free_;
  std::map<std::string, int> in_flight_;  // host -> requests now open
  uint64_t jitter_state_;
};

// HostOf returns the host[:port] part of an http(s) URL, or "" when url has none.
std::string HostOf(std::string_view url);

// ParseRetryAfter reads a Retry-After value (RFC 9110 section 10.2.3: delay-seconds or an
// HTTP-date, the latter taken relative to now_unix); nullopt when it is neither.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, int64_t now_unix);

}  // namespace attest::service::collateral
