#include "service/server/https_server.h"

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "attest/core/ossl.h"
#include "client/endpoint.h"
#include "service/http/ip_address.h"
#include "service/http/json_body.h"
#include "service/log/log.h"

namespace attest::service::server {
namespace {

namespace ws = web::http;

HttpRequest FromCpprest(const ws::http_request& in) {
  HttpRequest out;
  out.method = in.method();
  const web::uri& uri = in.request_uri();
  out.path = uri.path();
  out.query = uri.query();
  for (const auto& [name, value] : in.headers()) {
    out.headers.push_back({name, value});
  }
  out.remote_address = in.remote_address();
  return out;
}

ws::http_response ToCpprest(const http::HttpResponse& in) {
  ws::http_response out(static_cast<ws::status_code>(in.status));
  for (const HttpHeader& h : in.headers) {
    out.headers().add(h.name, h.value);
  }
  if (!in.content_type.empty() || !in.body.empty()) {
    out.set_body(in.body, in.content_type.empty() ? "application/octet-stream" : in.content_type);
  }
  return out;
}

// Requests: how many are in flight, and whether the server is draining (HttpsServer::Drain).
struct Requests {
  std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
};

// InFlight counts one request from its arrival until its response has been sent.
class InFlight {
 public:
  explicit InFlight(std::shared_ptr<Requests> requests) : requests_(std::move(requests)) {
    requests_->in_flight.fetch_add(1);
  }
  ~InFlight() { requests_->in_flight.fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::shared_ptr<Requests> requests_;
};

// Reply queues response for sending. The request stops counting as in flight when the handler
// is done (Drain then gives the queued bytes a moment before it closes the connections): a
// continuation on the reply task would count until the bytes are sent, but cpprestsdk never
// completes some reply tasks whose connection goes away, and their continuations then leak.
void Reply(ws::http_request& request, const http::HttpResponse& response) {
  try {
    request.reply(ToCpprest(response));
  } catch (const std::exception& e) {
    log::Write(log::Level::kWarning, "response not sent", {{"error", e.what()}});
  }
}

void ReplyUnreadable(ws::http_request& request, const std::exception& e) {
  // A client that vanished mid-request, or a body that failed to arrive: nothing to answer.
  log::Write(log::Level::kWarning, "request dropped", {{"error", e.what()}});
  Reply(request, http::ErrorResponse(400, reasons::kApiBadRequest.id, "unreadable request"));
}

void Serve(const DispatchFn& dispatch, const std::shared_ptr<Requests>& requests,
           ws::http_request request) {
  // Counted from here until the handler is done: the continuation below holds it.
  auto counted = std::make_shared<InFlight>(requests);
  if (requests->draining.load()) {
    // A load balancer health-checking /readyz sees this too and sends its traffic elsewhere.
    http::HttpResponse refused =
        http::ErrorResponse(503, reasons::kApiShuttingDown.id, "attestd is shutting down");
    refused.headers.push_back({"Retry-After", "1"});
    refused.headers.push_back({"Connection", "close"});
    Reply(request, refused);
    return;
  }
  try {
    uint64_t length = request.headers().content_length();
    if (length > http::kMaxBodyBytes) {
      Reply(request, http::ErrorResponse(
                         413, reasons::kApiBodyTooLarge.id,
                         "request body exceeds " + std::to_string(http::kMaxBodyBytes) + " bytes"));
      return;
    }
  } catch (const std::exception& e) {
    ReplyUnreadable(request, e);
    return;
  }
  // The handler continues once the whole body has arrived instead of waiting for it: a waiting
  // handler holds one of the pool's threads, which also read the sockets, so enough clients that
  // send headers and then stall would leave no thread to read any body (and a smaller pool, which
  // costs fewer thread hand-offs per request, would make that easier).
  request.extract_vector().then(
      [dispatch, request,
       counted](const pplx::task<std::vector<unsigned char>>& body_task) mutable {
        try {
          std::vector<unsigned char> body = body_task.get();
          if (body.size() > http::kMaxBodyBytes) {
            Reply(request,
                  http::ErrorResponse(413, reasons::kApiBodyTooLarge.id, "request body too large"));
            return;
          }
          HttpRequest req = FromCpprest(request);
          req.body.assign(body.begin(), body.end());
          Reply(request, dispatch(req));
        } catch (const std::exception& e) {
          ReplyUnreadable(request, e);
        }
        counted.reset();  // the handler is done
      });
}

}  // namespace

struct HttpsServer::Impl {
  std::unique_ptr<ws::experimental::listener::http_listener> listener;
  std::shared_ptr<Requests> requests = std::make_shared<Requests>();
  std::shared_ptr<TlsIdentity> identity;  // null for plain HTTP
};

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsServer::~HttpsServer() { Stop(); }

void HttpsServer::Stop() {
  if (impl_ == nullptr || impl_->listener == nullptr) {
    return;
  }
  try {
    impl_->listener->close().wait();
  } catch (const std::exception& e) {
    log::Write(log::Level::kWarning, "closing the listener", {{"error", e.what()}});
  }
  impl_->listener.reset();
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::Start(const ServerConfig& config,
                                                        const DispatchFn& dispatch) {
  const std::optional<http::IpAddress> address = http::ParseIpAddress(config.host);
  if (!address) {
    return Status(reasons::kApiConfig, "listen address \"" + config.host.substr(0, 64) +
                                           "\" is not an IPv4 or IPv6 address");
  }
  const std::string host = address->ToString();
  if (!address->v4) {
    // cpprestsdk's listener splits its "host:port" key at the first ':' (http_server_asio.cpp,
    // hostport_listener), so no IPv6 literal, "::" included, reaches its resolver intact.
    return Status(reasons::kApiConfig,
                  "listen address " + host +
                      ": cpprestsdk's listener cannot bind IPv6 addresses; listen on an IPv4 "
                      "address (0.0.0.0 for all) and let the load balancer take IPv6");
  }
  if (!config.tls && !client::IsLoopbackHost(host)) {
    return Status(reasons::kApiConfig, "plain HTTP only on a loopback address");
  }
  if (config.port <= 0 || config.port > 65535) {
    return Status(reasons::kApiConfig, "listen port must be 1..65535");
  }
  auto impl = std::make_unique<Impl>();
  ws::experimental::listener::http_listener_config listener_config;
  if (config.tls) {
    ATTEST_RETURN_IF_ERROR(CheckTlsSettings(config.tls_settings));
    ATTEST_ASSIGN_OR_RETURN(impl->identity,
                            TlsIdentity::Load(config.cert_chain_file, config.private_key_file));
    // cpprestsdk calls this for every accepted connection, on one of its threads.
    listener_config.set_ssl_context_callback(
        [identity = impl->identity,
         settings = config.tls_settings](boost::asio::ssl::context& ctx) {
          if (Status s = identity->Configure(ctx.native_handle(), settings); !s.ok()) {
            // The handshake then fails for this connection only.
            log::Write(log::Level::kError, "TLS context", {{"error", s.ToString()}});
          }
        });
  }
  const std::string url = std::string(config.tls ? "https://" : "http://") + host + ":" +
                          std::to_string(config.port) + "/";
  try {
    impl->listener =
        std::make_unique<ws::experimental::listener::http_listener>(web::uri(url), listener_config);
    impl->listener->support([dispatch, requests = impl->requests](const ws::http_request& request) {
      Serve(dispatch, requests, request);
    });
    impl->listener->open().wait();
  } catch (const std::exception& e) {
    return Status(reasons::kApiListenFailed, "cannot listen on " + url + ": " + e.what());
  }
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

int HttpsServer::Drain(std::chrono::milliseconds grace) {
  if (impl_ == nullptr || impl_->listener == nullptr) {
    return 0;
  }
  impl_->requests->draining.store(true);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->requests->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int left = impl_->requests->in_flight.load();
  // Responses the handlers queued last are still being written; Stop closes every connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Stop();
  return left;
}

Status HttpsServer::ReloadCertificate() {
  if (impl_ == nullptr || impl_->identity == nullptr) {
    return Status::Ok();
  }
  return impl_->identity->Reload();
}

Status SetServerThreads(size_t threads) {
  if (threads == 0) {
    return Status(reasons::kApiConfig, "server threads: want at least 1");
  }
  try {
    crossplat::threadpool::initialize_with_threads(threads);
  } catch (const std::exception& e) {
    return Status(reasons::kApiConfig, std::string("server threads: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace attest::service::server
