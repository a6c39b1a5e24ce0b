#include "service/server/https_server.h"

#include <cpprest/http_listener.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pplx/threadpool.h>

#include <cstdio>
#include <iostream>

#include "attest/core/ossl.h"
#include "client/endpoint.h"
#include "service/http/json_body.h"

namespace attest::service::server {
namespace {

namespace ws = web::http;

// CheckKeyPair loads the PEM certificate chain and key and checks they belong together, so a
// misconfiguration fails at start-up with a clear error instead of at each TLS handshake.
Status CheckKeyPair(const std::string& cert_file, const std::string& key_file) {
  FILE* f = std::fopen(cert_file.c_str(), "r");
  if (f == nullptr) {
    return Status(reasons::kApiConfig, "cannot open TLS certificate " + cert_file);
  }
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (cert == nullptr) {
    return Status(reasons::kApiConfig, "no PEM certificate in " + cert_file);
  }
  f = std::fopen(key_file.c_str(), "r");
  if (f == nullptr) {
    return Status(reasons::kApiConfig, "cannot open TLS key " + key_file);
  }
  EvpPkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (key == nullptr) {
    return Status(reasons::kApiConfig, "no PEM private key in " + key_file);
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Status(reasons::kApiConfig, "TLS key " + key_file + " does not match " + cert_file);
  }
  return Status::Ok();
}

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

void ReplyUnreadable(ws::http_request& request, const std::exception& e) {
  // A client that vanished mid-request, or a body that failed to arrive: nothing to answer.
  std::cerr << "attestd: request dropped: " << e.what() << "\n";
  try {
    request.reply(
        ToCpprest(http::ErrorResponse(400, reasons::kApiBadRequest.id, "unreadable request")));
  } catch (...) {
  }
}

void Serve(const DispatchFn& dispatch, ws::http_request request) {
  try {
    uint64_t length = request.headers().content_length();
    if (length > http::kMaxBodyBytes) {
      request.reply(ToCpprest(http::ErrorResponse(
          413, reasons::kApiBodyTooLarge.id,
          "request body exceeds " + std::to_string(http::kMaxBodyBytes) + " bytes")));
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
      [dispatch, request](const pplx::task<std::vector<unsigned char>>& body_task) mutable {
        try {
          std::vector<unsigned char> body = body_task.get();
          if (body.size() > http::kMaxBodyBytes) {
            request.reply(ToCpprest(
                http::ErrorResponse(413, reasons::kApiBodyTooLarge.id, "request body too large")));
            return;
          }
          HttpRequest req = FromCpprest(request);
          req.body.assign(body.begin(), body.end());
          request.reply(ToCpprest(dispatch(req)));
        } catch (const std::exception& e) {
          ReplyUnreadable(request, e);
        }
      });
}

}  // namespace

struct HttpsServer::Impl {
  std::unique_ptr<ws::experimental::listener::http_listener> listener;
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
    std::cerr << "attestd: closing the listener: " << e.what() << "\n";
  }
  impl_->listener.reset();
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::Start(const ServerConfig& config,
                                                        const DispatchFn& dispatch) {
  if (!client::IsLoopbackHost(config.host)) {
    return Status(reasons::kApiConfig, "listen address " + config.host +
                                           " is not a loopback address; attestd serves on "
                                           "127.0.0.1 behind the cloud's load balancer");
  }
  if (config.port <= 0 || config.port > 65535) {
    return Status(reasons::kApiConfig, "listen port must be 1..65535");
  }
  ws::experimental::listener::http_listener_config listener_config;
  if (config.tls) {
    ATTEST_RETURN_IF_ERROR(CheckKeyPair(config.cert_chain_file, config.private_key_file));
    const std::string cert = config.cert_chain_file, key = config.private_key_file;
    listener_config.set_ssl_context_callback([cert, key](boost::asio::ssl::context& ctx) {
      // TLS 1.2 and 1.3 only; no compression, fresh (EC)DHE keys per handshake.
      ctx.set_options(boost::asio::ssl::context::default_workarounds |
                      boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                      boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1 |
                      boost::asio::ssl::context::no_compression |
                      boost::asio::ssl::context::single_dh_use);
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
      ctx.use_certificate_chain_file(cert);
      ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
    });
  }
  const std::string url = std::string(config.tls ? "https://" : "http://") + config.host + ":" +
                          std::to_string(config.port) + "/";
  auto impl = std::make_unique<Impl>();
  try {
    impl->listener =
        std::make_unique<ws::experimental::listener::http_listener>(web::uri(url), listener_config);
    impl->listener->support(
        [dispatch](const ws::http_request& request) { Serve(dispatch, request); });
    impl->listener->open().wait();
  } catch (const std::exception& e) {
    return Status(reasons::kApiListenFailed, "cannot listen on " + url + ": " + e.what());
  }
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
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
