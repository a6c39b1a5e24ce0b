// HttpsServer: the only place that speaks HTTP on the wire (cpprestsdk over Boost.Asio and
// OpenSSL). It turns each request into the plain HttpRequest value and writes back the
// HttpResponse the dispatch function returns; cpprestsdk's slow headers stay in its .cc file.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "attest/core/status.h"
#include "service/http/response.h"
#include "service/server/tls_context.h"
#include "sigv4/http_request.h"

namespace attest::service::server {

struct ServerConfig {
  std::string host = "127.0.0.1";  // an IPv4 literal; "0.0.0.0" for every address
  int port = 8443;
  bool tls = true;               // false only for tests and benchmarks of the plain HTTP path
  std::string cert_chain_file;   // PEM: the leaf, then its intermediates
  std::string private_key_file;  // PEM
  TlsSettings tls_settings;      // minimum version, TLS 1.2 ciphers
};

using DispatchFn = std::function<http::HttpResponse(const HttpRequest&)>;

class HttpsServer {
 public:
  // Start listens on config.host:port with TLS (config.tls_settings). Fails with
  // reasons::kApiConfig when the address is not an IPv4 literal (cpprestsdk cannot bind IPv6
  // ones), plain HTTP is asked for on a
  // non-loopback address, or the TLS settings, certificate or key cannot be used;
  // reasons::kApiListenFailed when the port cannot be bound.
  static Result<std::unique_ptr<HttpsServer>> Start(const ServerConfig& config,
                                                    const DispatchFn& dispatch);
  ~HttpsServer();
  // Stop closes the listener and every connection at once, responses in flight included.
  void Stop();

  // Drain is the graceful Stop: every request that arrives from now on is answered 503
  // api.shutting_down (Retry-After: 1, Connection: close; /readyz too, so a load balancer moves
  // away), requests already in flight get up to grace to finish and have their responses sent,
  // then the listener is closed. Returns how many were still in flight when grace ran out.
  int Drain(std::chrono::milliseconds grace);

  // ReloadCertificate re-reads the certificate and key files: later handshakes present the new
  // ones, connections already open keep theirs. On failure (reasons::kApiConfig, the message
  // says why) the old pair stays in use. Ok and nothing done for plain HTTP.
  Status ReloadCertificate();

 private:
  struct Impl;
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// SetServerThreads sizes cpprestsdk's process-wide thread pool, which runs every request
// (its default is 40 threads; on a small machine fewer cost less in hand-offs, and handlers no
// longer wait for request bodies). Call once, in main, before any server or client exists.
// Fails with reasons::kApiConfig when threads is 0 or the pool already exists.
Status SetServerThreads(size_t threads);

}  // namespace attest::service::server
