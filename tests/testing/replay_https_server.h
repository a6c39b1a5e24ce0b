// ReplayHttpsServer: a loopback HTTPS server that answers like AMD KDS and Intel PCS from the
// recorded replay table ../shared/vectors/collateral/routes.json, plus faults a test programs
// (429, 503, slow or truncated answers, altered bodies). It listens on 127.0.0.1 only, on a port
// the kernel picks, with a certificate from a test CA made at start (ca_file() for the client's
// CA bundle). Test use only: one thread per connection, "Connection: close" on every answer.
//
// Matching (routes.json "about"): path exact, except that the hwID segment of a VCEK path is
// compared case-insensitively; query parameters as a set, fmspc case-insensitively and *SPL
// values as numbers. Two equivalences stand in for behaviour the recordings cannot show: an
// absent `update` is `update=standard` (PCS's documented default), and a recorded CRL answers
// whichever `encoding` is asked (PCS serves both; each recording has one).
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"

namespace attest::testing {

using SslCtxPtr = OsslPtr<SSL_CTX, SSL_CTX_free>;

struct ReplayResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  Bytes body;
  std::chrono::milliseconds delay{0};  // wait before answering
  bool truncate = false;               // announce the full length, send half, close
};

class ReplayHttpsServer {
 public:
  // Start listens on 127.0.0.1 and serves until destroyed. Fails the calling test on error
  // (returns nullptr).
  static std::unique_ptr<ReplayHttpsServer> Start();
  ~ReplayHttpsServer();

  // url is "https://127.0.0.1:<port>"; ca_file the PEM of the CA that issued its certificate.
  const std::string& url() const { return url_; }
  const std::string& ca_file() const { return ca_file_; }

  // LoadScenario adds the routes of the named scenario of routes.json (bodies read now). Routes
  // added later win over earlier ones for the same request.
  Status LoadScenario(const std::string& name);

  // Route adds one answer for GET path?query (query as "a=1&b=2", matched as above).
  void Route(const std::string& path, const std::string& query, ReplayResponse response);
  // Fault queues answers for path (any query), served one per request before any route.
  void Fault(const std::string& path, std::vector<ReplayResponse> responses);
  // Find returns the response a route gives for path and query (what LoadScenario read), or
  // nullptr, so a test can alter a recorded body.
  const ReplayResponse* Find(const std::string& path, const std::string& query) const;

  // hits counts requests for path (any query); total_hits every request.
  int hits(const std::string& path) const;
  int total_hits() const;
  // max_concurrent is the most requests that were being answered at one time.
  int max_concurrent() const { return max_concurrent_; }

 private:
  struct RouteEntry {
    std::string path;
    std::map<std::string, std::string> query;  // normalised
    ReplayResponse response;
  };
  ReplayHttpsServer() = default;
  void Serve();
  void Handle(int fd);
  ReplayResponse Answer(const std::string& target);
  const ReplayResponse* Match(const std::string& path,
                              const std::map<std::string, std::string>& query) const;

  SslCtxPtr ctx_;
  int listen_fd_ = -1;
  std::string url_;
  std::string ca_file_;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> handlers_;
  std::vector<RouteEntry> routes_;
  std::map<std::string, std::deque<ReplayResponse>> faults_;
  std::map<std::string, int> hits_;
  int total_hits_ = 0;
  std::atomic<int> active_{0};
  std::atomic<int> max_concurrent_{0};
};

}  // namespace attest::testing
