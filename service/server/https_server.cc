#include "service/server/https_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "attest/core/wipe.h"
#include "client/endpoint.h"
#include "service/http/proxy_protocol.h"
#include "service/http/response_wire.h"
#include "service/log/log.h"

namespace attest::service::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// What the server and its connections share; connections hold it, so it outlives Stop.
struct Shared {
  ServerConfig config;
  DispatchFn dispatch;
  http::StreamRoutes stream;
  std::shared_ptr<TlsIdentity> identity;  // null for plain HTTP
  // The SSL_CTX new connections start with, made again when identity's generation moves on;
  // connections hold theirs, so a reload never pulls one from under an open connection.
  std::mutex tls_mu;
  std::shared_ptr<asio::ssl::context> tls;  // guarded by tls_mu
  uint64_t tls_generation = 0;              // guarded by tls_mu
  std::atomic<int> in_flight{0};            // parsed requests whose response is not yet sent
  std::atomic<bool> draining{false};
  std::atomic<size_t> connections{0};
};

// PeerAddress is the canonical text of a socket's peer ("" when it is already gone).
std::string PeerAddress(const tcp::socket& socket) {
  ErrorCode ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) {
    return "";
  }
  asio::ip::address address = peer.address();
  if (address.is_v6()) {
    asio::ip::address_v6 v6 = address.to_v6();
    v6.scope_id(0);  // a link-local peer's zone ("%eth0") is not part of its address
    address = v6;
  }
  const std::string text = address.to_string();
  const std::optional<http::IpAddress> parsed = http::ParseIpAddress(text);
  return parsed ? parsed->ToString() : text;  // IPv4-mapped peers of "::" read as IPv4
}

constexpr size_t kReadChunk = size_t{16} * 1024;
constexpr auto kLinger = std::chrono::seconds(3);

// Connection serves one accepted socket: [PROXY header] [TLS handshake] then requests, one at a
// time, until either side closes or a deadline passes. Every handler of one connection runs on
// its own strand, so nothing in here is shared between threads but Shared.
template <bool kTls>
class Connection : public std::enable_shared_from_this<Connection<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, asio::ssl::stream<tcp::socket>, tcp::socket>;

  Connection(std::shared_ptr<Shared> shared, tcp::socket socket,
             std::shared_ptr<asio::ssl::context> tls)
      : shared_(std::move(shared)),
        tls_(std::move(tls)),
        stream_(MakeStream(std::move(socket), tls_.get())),
        timer_(stream_.get_executor()),
        parser_(shared_->config.limits, shared_->stream.plan) {}
  ~Connection() { shared_->connections.fetch_sub(1); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start() {
    client_ = PeerAddress(Socket());
    Arm(shared_->config.timeouts.header);
    const std::optional<http::IpAddress> peer = http::ParseIpAddress(client_);
    if (shared_->config.proxy_protocol && peer &&
        http::InAnyNetwork(*peer, shared_->config.trusted_proxies)) {
      ReadProxyHeader();
    } else {
      Handshake();
    }
  }

 private:
  enum class Phase { kHead, kBody, kIdle };

  static Stream MakeStream(tcp::socket socket, asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return socket;
    }
  }

  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // Arm (re)starts the one deadline: when it passes, the connection is closed.
  void Arm(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([self = this->shared_from_this(), generation = ++deadline_](ErrorCode ec) {
      // A deadline that passed while a handler ran may still arrive after a newer one was set.
      if (!ec && generation == self->deadline_) {
        self->Close();
      }
    });
  }

  // ReadProxyHeader reads exactly the PROXY v2 header, nothing of what follows it (the TLS
  // handshake must find its bytes on the socket).
  void ReadProxyHeader() {
    proxy_.resize(http::kProxyV2FixedBytes);
    asio::async_read(Socket(), asio::buffer(proxy_),
                     [self = this->shared_from_this()](ErrorCode ec, size_t) {
                       if (ec) {
                         return self->Close();
                       }
                       Result<size_t> rest = http::ProxyV2Length(self->proxy_);
                       if (!rest.ok()) {
                         return self->Refuse(rest.status());
                       }
                       self->proxy_.resize(http::kProxyV2FixedBytes + *rest);
                       self->ReadProxyAddresses();
                     });
  }

  void ReadProxyAddresses() {
    asio::async_read(Socket(),
                     asio::buffer(proxy_.data() + http::kProxyV2FixedBytes,
                                  proxy_.size() - http::kProxyV2FixedBytes),
                     [self = this->shared_from_this()](ErrorCode ec, size_t) {
                       if (ec) {
                         return self->Close();
                       }
                       Result<std::optional<std::string>> client = http::ParseProxyV2(self->proxy_);
                       if (!client.ok()) {
                         return self->Refuse(client.status());
                       }
                       if (client->has_value()) {
                         self->client_ = **client;
                       }
                       self->Handshake();
                     });
  }

  // Refuse drops a connection whose proxy header is wrong: a misconfigured proxy, so the
  // operator needs to hear of it; the peer gets nothing (it may not even speak HTTP yet).
  void Refuse(const Status& why) {
    log::Write(log::Level::kWarning, "connection refused",
               {{"peer", PeerAddress(Socket())}, {"error", why.ToString()}});
    Close();
  }

  void Handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](ErrorCode ec) {
                                if (ec) {
                                  return self->Close();  // a failed handshake: nothing to answer
                                }
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  void Read() {
    stream_.async_read_some(asio::buffer(buffer_),
                            [self = this->shared_from_this()](ErrorCode ec, size_t n) {
                              if (ec) {
                                return self->Close();
                              }
                              self->pending_.append(self->buffer_.data(), n);
                              self->Parse();
                            });
  }

  // Parse feeds what has arrived to the parser and decides what comes next: more reading, a
  // "100 Continue", the handler, or an error answer.
  void Parse() {
    size_t used = 0;
    const http::RequestParser::State state = parser_.Feed(pending_, &used);
    pending_.erase(0, used);
    if (phase_ == Phase::kIdle && used > 0) {
      phase_ = Phase::kHead;  // the next request has begun: its headers have their own deadline
      Arm(shared_->config.timeouts.header);
    }
    if (state == http::RequestParser::State::kError) {
      sink_.reset();  // a malformed or oversized streamed body: nothing of it is kept
      const http::ParseError& e = parser_.error();
      return Respond(http::ErrorResponse(e.status, e.reason.id, e.message), false, true);
    }
    if (parser_.streamed() && !stream_begun_) {
      stream_begun_ = true;
      if (!BeginStream()) {
        return;
      }
    }
    if (sink_ != nullptr && !FeedSink(used)) {
      return;
    }
    if (state == http::RequestParser::State::kComplete) {
      return sink_ != nullptr ? HandleStreamed() : Handle();
    }
    if (phase_ == Phase::kHead && parser_.headers_done()) {
      phase_ = Phase::kBody;
      Arm(shared_->config.timeouts.body);
    }
    if (parser_.expects_continue() && !continue_sent_) {
      continue_sent_ = true;
      out_ = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(out_),
                        [self = this->shared_from_this()](ErrorCode ec, size_t) {
                          if (ec) {
                            return self->Close();
                          }
                          self->Read();
                        });
      return;
    }
    Read();
  }

  // BeginStream hands a streamed request's head to the API; false when it was refused (the
  // refusal is being sent, the body is never read).
  bool BeginStream() {
    HttpRequest head = parser_.Head();
    head.remote_address = client_;
    shared_->in_flight.fetch_add(1);
    counted_ = true;
    if (shared_->draining.load()) {
      Respond(http::ErrorResponse(503, reasons::kApiShuttingDown.id, "attestd is shutting down"),
              false, true);
      return false;
    }
    http::StreamStart start;
    try {
      start = shared_->stream.begin(head);
    } catch (const std::exception& e) {
      log::Write(log::Level::kError, "handler failed", {{"error", e.what()}});
      start.refusal = http::ErrorResponse(500, reasons::kApiInternal.id, "internal error");
    }
    if (start.sink == nullptr) {
      Respond(start.refusal, parser_.is_head(), true);
      return false;
    }
    sink_ = std::move(start.sink);
    return true;
  }

  // FeedSink gives the sink what the parser decoded; false when the sink refused it (answered).
  // Progress restarts the body deadline: a large upload is bounded by its pace, not its size.
  bool FeedSink(size_t used) {
    const std::string bytes = parser_.TakeStreamedBytes();
    if (used > 0 && parser_.headers_done()) {
      Arm(shared_->config.timeouts.body);
    }
    if (bytes.empty()) {
      return true;
    }
    Status written = Status::Ok();
    try {
      written = sink_->Write(bytes);
    } catch (const std::exception& e) {
      log::Write(log::Level::kError, "handler failed", {{"error", e.what()}});
      written = Status(reasons::kApiInternal, "internal error");
    }
    if (!written.ok()) {
      sink_.reset();
      Respond(http::ErrorFromStatus(written), false, true);
      return false;
    }
    return true;
  }

  void HandleStreamed() {
    const bool keep_alive = parser_.keep_alive();
    (void)parser_.Take();  // the head; the body went to the sink
    http::HttpResponse response;
    try {
      response = sink_->Finish();
    } catch (const std::exception& e) {
      log::Write(log::Level::kError, "handler failed", {{"error", e.what()}});
      response = http::ErrorResponse(500, reasons::kApiInternal.id, "internal error");
    }
    sink_.reset();
    Respond(response, false, !keep_alive || shared_->draining.load());
  }

  void Handle() {
    const bool head = parser_.is_head();
    const bool keep_alive = parser_.keep_alive();
    HttpRequest request = parser_.Take();
    request.remote_address = client_;
    shared_->in_flight.fetch_add(1);
    counted_ = true;
    if (shared_->draining.load()) {
      // A load balancer health-checking /readyz sees this too and sends its traffic elsewhere.
      http::HttpResponse refused =
          http::ErrorResponse(503, reasons::kApiShuttingDown.id, "attestd is shutting down");
      refused.headers.push_back({"Retry-After", "1"});
      return Respond(refused, head, true);
    }
    http::HttpResponse response;
    try {
      response = shared_->dispatch(request);
    } catch (const std::exception& e) {
      log::Write(log::Level::kError, "handler failed", {{"error", e.what()}});
      response = http::ErrorResponse(500, reasons::kApiInternal.id, "internal error");
    }
    Respond(response, head, !keep_alive || shared_->draining.load());
    // Answers carry secrets (a new credential, wrapped keys): no copy outlives its sending.
    Wipe(response.body);
  }

  void Respond(const http::HttpResponse& response, bool head, bool close) {
    out_ = http::SerializeResponse(response, {head, close});
    Arm(shared_->config.timeouts.write);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this(), close](ErrorCode ec, size_t) {
                        self->Uncount();
                        Wipe(self->out_);
                        if (ec) {
                          return self->Close();
                        }
                        if (close) {
                          return self->Linger();
                        }
                        self->out_.clear();
                        self->continue_sent_ = false;
                        self->stream_begun_ = false;
                        self->phase_ = Phase::kIdle;
                        self->Arm(self->shared_->config.timeouts.idle);
                        self->Parse();  // a pipelined request may already be here
                      });
  }

  // Linger half-closes and reads until the client closes too (for at most kLinger), so a client
  // still sending a body we refused reads our answer instead of a reset that discards it.
  void Linger() {
    ErrorCode ignored;
    Socket().shutdown(tcp::socket::shutdown_send, ignored);
    Arm(std::chrono::duration_cast<std::chrono::milliseconds>(kLinger));
    Discard();
  }

  void Discard() {
    Socket().async_read_some(asio::buffer(buffer_),
                             [self = this->shared_from_this()](ErrorCode ec, size_t) {
                               if (ec) {
                                 return self->Close();
                               }
                               self->Discard();
                             });
  }

  void Uncount() {
    if (counted_) {
      counted_ = false;
      shared_->in_flight.fetch_sub(1);
    }
  }

  void Close() {
    sink_.reset();  // an upload cut off mid-body (client gone, deadline): nothing of it is kept
    Uncount();
    ++deadline_;
    timer_.cancel();
    ErrorCode ignored;
    Socket().close(ignored);
  }

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<asio::ssl::context> tls_;  // before stream_, which refers to it
  Stream stream_;
  asio::steady_timer timer_;
  uint64_t deadline_ = 0;
  http::RequestParser parser_;
  Phase phase_ = Phase::kHead;
  std::string client_;  // the peer, or the client its PROXY header names
  std::string proxy_;
  std::array<char, kReadChunk> buffer_{};
  std::string pending_;  // received, not yet parsed (a pipelined request's start)
  std::string out_;
  bool continue_sent_ = false;
  bool counted_ = false;
  bool stream_begun_ = false;
  std::unique_ptr<http::BodySink> sink_;  // the streamed request's body goes here
};

}  // namespace

struct HttpsServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;    // destroyed before io
  std::unique_ptr<asio::steady_timer> retry;  // accept again after running out of descriptors
  std::vector<std::thread> threads;
  int port = 0;

  void Accept() {
    acceptor->async_accept(asio::make_strand(*io), [this](ErrorCode ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) {
        return;
      }
      if (ec) {
        // Out of descriptors or memory: give the connections a moment to finish before retrying
        // rather than spinning on the same failure.
        retry->expires_after(std::chrono::milliseconds(100));
        retry->async_wait([this](ErrorCode) { Accept(); });
        return;
      }
      OnAccepted(std::move(socket));
      Accept();
    });
  }

  // CurrentTlsContext is the SSL_CTX for a new connection: the cached one, or a new one from the
  // identity after a reload (one per certificate, not one per connection).
  Result<std::shared_ptr<asio::ssl::context>> CurrentTlsContext() {
    const uint64_t generation = shared->identity->generation();
    std::lock_guard<std::mutex> lock(shared->tls_mu);
    if (shared->tls == nullptr || shared->tls_generation != generation) {
      auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
      ATTEST_RETURN_IF_ERROR(
          shared->identity->Configure(tls->native_handle(), shared->config.tls_settings));
      shared->tls = std::move(tls);
      shared->tls_generation = generation;
    }
    return shared->tls;
  }

  void OnAccepted(tcp::socket socket) {
    if (shared->connections.fetch_add(1) >= shared->config.max_connections) {
      shared->connections.fetch_sub(1);
      ErrorCode ignored;
      socket.close(ignored);
      return;
    }
    ErrorCode ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (shared->identity == nullptr) {
      std::make_shared<Connection<false>>(shared, std::move(socket), nullptr)->Start();
      return;
    }
    Result<std::shared_ptr<asio::ssl::context>> tls = CurrentTlsContext();
    if (!tls.ok()) {
      log::Write(log::Level::kError, "TLS context", {{"error", tls.status().ToString()}});
      shared->connections.fetch_sub(1);
      socket.close(ignored);
      return;
    }
    std::make_shared<Connection<true>>(shared, std::move(socket), *std::move(tls))->Start();
  }
};

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsServer::~HttpsServer() { Stop(); }

int HttpsServer::port() const { return impl_->port; }

void HttpsServer::Stop() {
  if (impl_ == nullptr || impl_->io == nullptr) {
    return;
  }
  impl_->io->stop();
  for (std::thread& t : impl_->threads) {
    t.join();
  }
  impl_->threads.clear();
  impl_->retry.reset();
  impl_->acceptor.reset();
  // Destroying the context destroys every handler still queued, and with them the connections
  // they hold: their sockets close now.
  impl_->io.reset();
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::Start(const ServerConfig& config,
                                                        const DispatchFn& dispatch,
                                                        const http::StreamRoutes& stream) {
  const std::optional<http::IpAddress> address = http::ParseIpAddress(config.host);
  if (!address) {
    return Status(reasons::kApiConfig, "listen address \"" + config.host.substr(0, 64) +
                                           "\" is not an IPv4 or IPv6 address");
  }
  const std::string host = address->ToString();
  if (!config.tls && !client::IsLoopbackHost(host)) {
    return Status(reasons::kApiConfig, "plain HTTP only on a loopback address");
  }
  if (config.port < 0 || config.port > 65535) {
    return Status(reasons::kApiConfig, "listen port must be 1..65535");
  }
  if (config.threads == 0 || config.threads > 1024) {
    return Status(reasons::kApiConfig, "server threads: want 1..1024");
  }
  if (config.proxy_protocol && config.trusted_proxies.empty()) {
    return Status(reasons::kApiConfig, "PROXY protocol needs trusted_proxies to read it from");
  }
  auto impl = std::make_unique<Impl>();
  impl->shared->config = config;
  impl->shared->dispatch = dispatch;
  impl->shared->stream = stream;
  if (!stream.plan || !stream.begin) {
    impl->shared->stream = {};  // both or neither: no route is streamed
  }
  if (config.tls) {
    ATTEST_RETURN_IF_ERROR(CheckTlsSettings(config.tls_settings));
    ATTEST_ASSIGN_OR_RETURN(impl->shared->identity,
                            TlsIdentity::Load(config.cert_chain_file, config.private_key_file));
  }
  impl->io = std::make_unique<asio::io_context>(static_cast<int>(config.threads));
  impl->retry = std::make_unique<asio::steady_timer>(*impl->io);
  const std::string where =
      (address->v4 ? host : "[" + host + "]") + ":" + std::to_string(config.port);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(host),
                                 static_cast<unsigned short>(config.port));
    impl->acceptor = std::make_unique<tcp::acceptor>(*impl->io);
    impl->acceptor->open(endpoint.protocol());
    impl->acceptor->set_option(tcp::acceptor::reuse_address(true));
    if (!address->v4) {
      // "::" takes IPv4 clients too (as IPv4-mapped peers), whatever the system default is.
      const bool any = endpoint.address().is_unspecified();
      impl->acceptor->set_option(asio::ip::v6_only(!any));
    }
    impl->acceptor->bind(endpoint);
    impl->acceptor->listen(asio::socket_base::max_listen_connections);
    impl->port = impl->acceptor->local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    return Status(reasons::kApiListenFailed, "cannot listen on " + where + ": " + e.what());
  }
  impl->Accept();
  for (size_t i = 0; i < config.threads; ++i) {
    impl->threads.emplace_back([io = impl->io.get()] { io->run(); });
  }
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

int HttpsServer::Drain(std::chrono::milliseconds grace) {
  if (impl_ == nullptr || impl_->io == nullptr) {
    return 0;
  }
  impl_->shared->draining.store(true);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->shared->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // In flight counts a request until its response has been handed to the kernel, so nothing
  // answered is cut off by closing now.
  const int left = impl_->shared->in_flight.load();
  Stop();
  return left;
}

Status HttpsServer::ReloadCertificate() {
  if (impl_ == nullptr || impl_->shared->identity == nullptr) {
    return Status::Ok();
  }
  return impl_->shared->identity->Reload();
}

}  // namespace attest::service::server
