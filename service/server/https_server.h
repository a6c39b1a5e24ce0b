// HttpsServer: the only place that speaks HTTP on the wire (Boost.Asio sockets, OpenSSL TLS, our
// own HTTP/1.1 parser in service/http). It turns each request into the plain HttpRequest value
// and writes back the HttpResponse the dispatch function returns; Asio's heavy headers stay in
// its .cc file.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "service/http/body_sink.h"
#include "service/http/ip_address.h"
#include "service/http/request_parser.h"
#include "service/http/response.h"
#include "service/server/tls_context.h"
#include "sigv4/http_request.h"

namespace attest::service::server {

struct ServerTimeouts {
  // From accept to a request's whole header section (PROXY header and TLS handshake included),
  // and from a keep-alive request's first byte to its last header: a client that trickles its
  // headers in (slowloris) is cut off here.
  std::chrono::milliseconds header{std::chrono::seconds(10)};
  // From the headers to the body's end; for a streamed body, from one read to the next.
  std::chrono::milliseconds body{std::chrono::seconds(60)};
  std::chrono::milliseconds idle{std::chrono::seconds(30)};  // keep-alive wait for the next request
  std::chrono::milliseconds write{std::chrono::seconds(30)};  // one response to be taken
};

struct ServerConfig {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 literal; "0.0.0.0" or "::" for every address
  int port = 8443;                 // 0: a free port the system picks (see HttpsServer::port)
  bool tls = true;                 // false only for tests and benchmarks of the plain HTTP path
  std::string cert_chain_file;     // PEM: the leaf, then its intermediates
  std::string private_key_file;    // PEM
  TlsSettings tls_settings;        // minimum version, TLS 1.2 ciphers
  size_t threads = 8;              // threads that read, parse and run the handlers
  size_t max_connections = 1024;   // beyond it a new connection is closed at once
  http::ParserLimits limits;
  ServerTimeouts timeouts;
  // PROXY protocol v2: a connection from one of trusted_proxies must begin with the header, and
  // the client it names is the request's remote_address. Other peers never get it read.
  bool proxy_protocol = false;
  std::vector<http::IpNetwork> trusted_proxies;
};

using DispatchFn = std::function<http::HttpResponse(const HttpRequest&)>;

class HttpsServer {
 public:
  // Start listens on config.host:port with TLS (config.tls_settings). Fails with
  // reasons::kApiConfig when the address is not an IP literal, plain HTTP is asked for on a
  // non-loopback address, PROXY protocol without trusted proxies, or the TLS settings,
  // certificate or key cannot be used; reasons::kApiListenFailed when the port cannot be bound.
  // Requests stream.plan claims (upload routes) are not buffered: stream.begin accepts or
  // refuses their head, then their body goes to its sink as it arrives, under the route's own
  // size limit; the body deadline restarts with every read, so a long upload that keeps moving
  // is not cut off. Every other request is read whole (config.limits) and given to dispatch.
  static Result<std::unique_ptr<HttpsServer>> Start(const ServerConfig& config,
                                                    const DispatchFn& dispatch,
                                                    const http::StreamRoutes& stream = {});
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // port is the port listened on (the chosen one when config.port was 0).
  int port() const;

  // Stop closes the listener and every connection at once, responses in flight included; it
  // returns when the handlers running now have returned.
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

}  // namespace attest::service::server
