#include "service/collateral/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "attest/core/time.h"

namespace attest::service::collateral {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

void GlobalInit() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

struct Received {
  HttpAnswer answer;
  size_t limit = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* r = static_cast<Received*>(user);
  const size_t n = size * count;
  if (n > r->limit - r->answer.body.size()) {
    r->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  r->answer.body.insert(r->answer.body.end(), data, data + n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* r = static_cast<Received*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    r->answer.headers.clear();  // a new response (after 100 Continue, or a proxy's CONNECT)
    return line.size();
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos && r->answer.headers.size() < 200) {
    r->answer.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                   std::string(Trim(line.substr(colon + 1))));
  }
  return line.size();
}

bool Retryable(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace

std::optional<std::string> HttpAnswer::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::string_view FetchOutcomeName(FetchOutcome outcome) {
  switch (outcome) {
    case FetchOutcome::kOk:
      return "ok";
    case FetchOutcome::kNotFound:
      return "not_found";
    case FetchOutcome::kRateLimited:
      return "rate_limited";
    case FetchOutcome::kHttpError:
      return "http_error";
    case FetchOutcome::kNetworkError:
      return "network_error";
    case FetchOutcome::kRefused:
      return "refused";
  }
  return "unknown";
}

std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return "";
  }
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  return std::string(rest);
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, int64_t now_unix) {
  value = Trim(value);
  if (value.empty()) {
    return std::nullopt;
  }
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    if (value.size() > 9) {
      return std::chrono::seconds(999999999);  // absurd but well-formed: longer than any budget
    }
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  const time_t at = curl_getdate(std::string(value).c_str(), nullptr);
  if (at == -1) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::max<int64_t>(0, static_cast<int64_t>(at) - now_unix));
}

struct HttpClient::Attempt {
  Result<HttpAnswer> result = Status(reasons::kCollateralUnreachable, "not attempted");
  bool retry = false;
  std::optional<std::chrono::seconds> retry_after;
  bool rate_limited = false;
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), jitter_state_(std::random_device{}()) {
  GlobalInit();
  options_.max_attempts = std::max(1, options_.max_attempts);
  options_.per_host_concurrency = std::max(1, options_.per_host_concurrency);
}

void HttpClient::AcquireHost(const std::string& host) {
  std::unique_lock<std::mutex> lock(mu_);
  host_free_.wait(lock, [&] { return in_flight_[host] < options_.per_host_concurrency; });
  ++in_flight_[host];
}

void HttpClient::ReleaseHost(const std::string& host) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_[host] == 0) {
      in_flight_.erase(host);
    }
  }
  host_free_.notify_all();
}

std::chrono::milliseconds HttpClient::Backoff(int attempt) {
  // Exponential, capped, with "equal jitter": half fixed, half random, so replicas that failed
  // together do not retry together.
  const int64_t base = options_.backoff_base.count();
  const int64_t cap = options_.max_wait.count();
  const int64_t exp = std::min<int64_t>(cap, base << std::min(attempt, 20));
  std::lock_guard<std::mutex> lock(mu_);
  jitter_state_ = jitter_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
  const int64_t half = exp / 2;
  const int64_t jitter = half > 0 ? static_cast<int64_t>((jitter_state_ >> 33) % (half + 1)) : 0;
  return std::chrono::milliseconds(half + jitter);
}

HttpClient::Attempt HttpClient::Once(const std::string& url) {
  Attempt out;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    out.result = Status(reasons::kCollateralUnreachable, "libcurl: cannot create a handle");
    return out;
  }
  Received received;
  received.limit = options_.max_body_bytes;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_body_bytes));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "attestd-collateral/1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  // "" disables proxies altogether, including http_proxy and friends from the environment: the
  // operator's configuration alone decides.
  curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str());
  if (!options_.ca_bundle.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &received);

  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  const std::string detail = url + ": " + (error[0] != 0 ? error : curl_easy_strerror(rc));

  if (received.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    out.result =
        Status(reasons::kCollateralTooLarge,
               url + ": body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
    return out;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    out.result = Status(reasons::kCollateralTimeout, detail);
    out.retry = true;
    return out;
  }
  if (rc == CURLE_PARTIAL_FILE) {
    out.result = Status(reasons::kCollateralTruncated, detail);
    out.retry = true;
    return out;
  }
  if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
    out.result = Status(reasons::kCollateralBadRequest, detail);
    return out;
  }
  if (rc != CURLE_OK) {
    out.result = Status(reasons::kCollateralUnreachable, detail);
    out.retry = true;
    return out;
  }
  received.answer.status = status;
  if (status == 200) {
    out.result = std::move(received.answer);
    return out;
  }
  const std::string what = url + ": HTTP " + std::to_string(status);
  if (status == 404 || status == 410) {
    out.result = Status(reasons::kCollateralNotFound, what);
    return out;
  }
  out.retry = Retryable(status);
  if (std::optional<std::string> ra = received.answer.Header("Retry-After")) {
    out.retry_after = ParseRetryAfter(*ra, ToUnixSeconds(WallClockNow()));
  }
  if (status == 429) {
    out.rate_limited = true;
    out.result = Status(reasons::kCollateralRateLimited, what);
  } else {
    out.result = Status(reasons::kCollateralHttpError, what);
  }
  return out;
}

Result<HttpAnswer> HttpClient::Finish(Result<HttpAnswer> result) {
  if (on_outcome_) {
    FetchOutcome outcome = FetchOutcome::kOk;
    if (!result.ok()) {
      const std::string_view id = result.status().reason_id();
      if (id == reasons::kCollateralNotFound.id) {
        outcome = FetchOutcome::kNotFound;
      } else if (id == reasons::kCollateralRateLimited.id) {
        outcome = FetchOutcome::kRateLimited;
      } else if (id == reasons::kCollateralHttpError.id) {
        outcome = FetchOutcome::kHttpError;
      } else if (id == reasons::kCollateralTooLarge.id || id == reasons::kCollateralBadRequest.id) {
        outcome = FetchOutcome::kRefused;
      } else {
        outcome = FetchOutcome::kNetworkError;
      }
    }
    on_outcome_(outcome);
  }
  return result;
}

Result<HttpAnswer> HttpClient::Get(const std::string& url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) {
    return Finish(Status(reasons::kCollateralBadRequest, "not an http(s) URL: " + url));
  }
  const std::string host = HostOf(url);
  Attempt last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    AcquireHost(host);
    last = Once(url);
    ReleaseHost(host);
    if (last.rate_limited && on_429_) {
      on_429_();
    }
    if (!last.retry || attempt + 1 == options_.max_attempts) {
      break;
    }
    std::chrono::milliseconds wait = Backoff(attempt);
    if (last.retry_after) {
      if (*last.retry_after > options_.max_wait) {
        // The vendor asks for more patience than this request has: give up now, and let the
        // next refresh round ask again, rather than hold a worker for minutes.
        return Finish(Status(last.result.status().reason(),
                             last.result.status().message() + " (Retry-After " +
                                 std::to_string(last.retry_after->count()) +
                                 " s exceeds the wait limit)"));
      }
      wait = std::max<std::chrono::milliseconds>(wait, *last.retry_after);
    }
    std::this_thread::sleep_for(wait);
  }
  if (!last.result.ok() && options_.max_attempts > 1 && last.retry) {
    return Finish(Status(last.result.status().reason(),
                         last.result.status().message() + " (after " +
                             std::to_string(options_.max_attempts) + " attempts)"));
  }
  return Finish(std::move(last.result));
}

}  // namespace attest::service::collateral
