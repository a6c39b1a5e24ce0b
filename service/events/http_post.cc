#include "service/events/http_post.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace attest::service::events {
namespace {

// The answer's body is not used: it is read and dropped, at most this much (then the transfer
// is abandoned as an error, which a well-behaved receiver never causes).
constexpr size_t kMaxAnswerBytes = size_t{64} * 1024;

struct Transfer {
  size_t received = 0;
  const std::atomic<bool>* cancel = nullptr;
};

size_t Discard(char*, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->received += size * count;
  return t->received > kMaxAnswerBytes ? 0 : size * count;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* t = static_cast<Transfer*>(user);
  return t->cancel != nullptr && t->cancel->load() ? 1 : 0;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

Result<int> PostWebhook(const HttpPost& post) {
  // curl_global_init is not thread-safe in every libcurl build: once, before any handle.
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    return Status(reasons::kWebhookTransport, "webhook: curl_easy_init failed");
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  bool headers_ok = true;
  // curl_slist_append returns the list's head, or NULL (list unchanged) when out of memory.
  auto add = [&headers, &headers_ok](const std::string& line) {
    curl_slist* head = curl_slist_append(headers.get(), line.c_str());
    if (head == nullptr) {
      headers_ok = false;
    } else if (!headers) {
      headers.reset(head);
    }
  };
  add("Content-Type: application/json");
  add("Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : post.headers) {
    std::string line = name;
    line.append(": ").append(value);
    add(line);
  }
  if (!headers_ok) {
    return Status(reasons::kWebhookTransport, "webhook: out of memory for headers");
  }
  Transfer transfer{0, post.cancel};
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, post.allow_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "attestd-webhooks/1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(post.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(post.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!post.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, post.ca_file.c_str());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return Status(reasons::kWebhookTransport,
                  std::string("webhook: ") + (error[0] != 0 ? error : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return static_cast<int>(status);
}

}  // namespace attest::service::events
