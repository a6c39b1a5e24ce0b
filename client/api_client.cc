#include "client/api_client.h"

#include <cpprest/filestream.h>
#include <cpprest/http_client.h>
#include <cpprest/producerconsumerstream.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "client/endpoint.h"
#include "sigv4/canonical.h"

namespace attest::client {
namespace {

namespace ws = web::http;

// NewRequestId is 32 random hex digits (a plain token: attestd echoes it).
std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // Never expected; the id then only names the request, and the date still varies it.
    return "client-" + std::to_string(WallClockNow().time_since_epoch().count());
  }
  return HexEncode(ByteSpan(bytes, sizeof(bytes)));
}

// VerifyServerCertificate replaces the chain check of the handshake: the chain to the trusted
// anchors and the host name / IP address, with OpenSSL's default per-certificate callback.
int VerifyServerCertificate(X509_STORE_CTX* store_ctx, void* arg) {
  const std::string& host = *static_cast<const std::string*>(arg);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(store_ctx);
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  if (X509_VERIFY_PARAM_set1_ip_asc(param, bare.c_str()) != 1 &&
      X509_VERIFY_PARAM_set1_host(param, bare.c_str(), bare.size()) != 1) {
    return 0;
  }
  X509_STORE_CTX_set_verify_cb(store_ctx, [](int ok, X509_STORE_CTX*) { return ok; });
  return X509_verify_cert(store_ctx);
}

}  // namespace

namespace {

// ConnectionSlots: the cpprestsdk clients requests go out on, each used by one request at a time
// (so each holds at most one connection), the most recently used first; every slot idle for
// max_idle is closed at the next request.
//
// Why not one shared client: cpprestsdk keeps an idle connection up to about 60 s (its pool drops
// one a whole 30 s epoch after it was last used) and, when a reused connection turns out to be
// closed, sends the request again on a new one by itself. attestd closes a connection idle for
// 30 s, so a request could leave on a connection attestd was closing; and when a connection is
// cut after the request went out (a replica killed, a load balancer shutting sessions), the copy
// cpprestsdk sends is a second request: a signed write the replay guard refuses, a key release
// whose nonce is spent. Here a connection idle for ClientConfig::max_idle or more is dropped
// instead of reused, and a request that may change something is never re-sent (its body cannot be
// rewound, which is what cpprestsdk checks): its caller learns its answer was lost (issue 21).
class ConnectionSlots {
 public:
  ConnectionSlots(web::uri uri, ws::client::http_client_config config,
                  std::chrono::milliseconds max_idle)
      : uri_(std::move(uri)), config_(std::move(config)), max_idle_(max_idle) {}

  std::unique_ptr<ws::client::http_client> Take() {
    std::vector<std::unique_ptr<ws::client::http_client>> stale;  // closed outside the lock
    std::unique_ptr<ws::client::http_client> warm;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // idle_ is in the order the slots came back: the stale ones are at the front.
      const auto now = std::chrono::steady_clock::now();
      while (!idle_.empty() && now - idle_.front().released >= max_idle_) {
        stale.push_back(std::move(idle_.front().client));
        idle_.pop_front();
      }
      if (!idle_.empty()) {
        warm = std::move(idle_.back().client);
        idle_.pop_back();
      }
    }
    return warm != nullptr ? std::move(warm)
                           : std::make_unique<ws::client::http_client>(uri_, config_);
  }

  void Return(std::unique_ptr<ws::client::http_client> client) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(Slot{std::move(client), std::chrono::steady_clock::now()});
  }

 private:
  struct Slot {
    std::unique_ptr<ws::client::http_client> client;
    std::chrono::steady_clock::time_point released;
  };
  const web::uri uri_;
  const ws::client::http_client_config config_;
  const std::chrono::milliseconds max_idle_;
  std::mutex mu_;
  std::deque<Slot> idle_;  // oldest first
};

}  // namespace

struct ApiClient::Impl {
  ClientConfig config;
  std::string tls_host;     // the name or address the server certificate must carry
  std::string host_header;  // "host:port" exactly as sent, so it can be signed
  std::unique_ptr<ConnectionSlots> slots;
};

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiClient::~ApiClient() = default;

Result<std::unique_ptr<ApiClient>> ApiClient::Create(const ClientConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  web::uri uri;
  try {
    uri = web::uri(config.endpoint);
  } catch (const std::exception& e) {
    return Status(reasons::kClientConfig, "endpoint " + config.endpoint + ": " + e.what());
  }
  const std::string scheme = uri.scheme();
  if (scheme != "https" && !(scheme == "http" && IsLoopbackHost(uri.host()))) {
    return Status(reasons::kClientConfig,
                  "endpoint must be https:// (plain http only to a loopback address)");
  }
  if (uri.host().empty() || (uri.path() != "/" && !uri.path().empty())) {
    return Status(reasons::kClientConfig, "endpoint must be scheme://host[:port] with no path");
  }
  if (!config.ca_cert_file.empty() && !std::filesystem::exists(config.ca_cert_file)) {
    return Status(reasons::kClientConfig,
                  "CA certificate file " + config.ca_cert_file + " does not exist");
  }
  impl->host_header = uri.host();
  if (!uri.is_port_default()) {
    impl->host_header += ":" + std::to_string(uri.port());
  }

  ws::client::http_client_config cc;
  cc.set_timeout(std::chrono::seconds(config.timeout_seconds));
  cc.set_validate_certificates(true);
  // Certificate checks are OpenSSL's own (chain, then the endpoint's name or IP address, RFC 6125),
  // done in one place: cpprestsdk's built-in name check refuses valid IP-address certificates.
  const std::string ca = config.ca_cert_file;
  const std::string* expected_host = &impl->tls_host;
  impl->tls_host = uri.host();
  cc.set_ssl_context_callback([ca, expected_host](boost::asio::ssl::context& ctx) {
    if (!ca.empty()) {
      ctx.load_verify_file(ca);
      // The file may hold the server's own self-signed certificate: trust it as an anchor
      // without a chain above it, as curl --cacert does.
      X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx.native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
    }
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cert_verify_callback(ctx.native_handle(), VerifyServerCertificate,
                                     const_cast<std::string*>(expected_host));
  });
  try {
    // The first client is made here, so a bad configuration fails now rather than per request.
    impl->slots = std::make_unique<ConnectionSlots>(uri, cc, config.max_idle);
    impl->slots->Return(impl->slots->Take());
  } catch (const std::exception& e) {
    return Status(reasons::kClientConfig, std::string("HTTP client: ") + e.what());
  }
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

Result<HttpRequest> ApiClient::Head(const std::string& method, const std::string& path_and_query,
                                    const std::string& content_type,
                                    const std::string& payload_sha256,
                                    const sigv4::Credentials* credentials) {
  const ClientConfig& config = impl_->config;
  HttpRequest req;
  req.method = method;
  const size_t q = path_and_query.find('?');
  req.path = path_and_query.substr(0, q);
  if (q != std::string::npos) {
    req.query = path_and_query.substr(q + 1);
  }
  req.headers.push_back({"Host", impl_->host_header});
  // Signed with the rest: each request gets a signature of its own, so two identical requests
  // made within one second are not taken for a replay (attestd accepts a signed change once).
  // attestd echoes it and logs it with the request.
  req.headers.push_back({"X-Request-Id", NewRequestId()});
  if (!content_type.empty()) {
    req.headers.push_back({"Content-Type", content_type});
  }
  if (config.sign || credentials != nullptr) {
    sigv4::SignOptions options;
    options.region = config.region;
    options.service = config.service;
    options.time = WallClockNow();
    options.sign_body = true;
    options.payload_sha256 = payload_sha256;
    ATTEST_ASSIGN_OR_RETURN(
        sigv4::SigningResult signed_req,
        sigv4::SignRequest(req, credentials != nullptr ? *credentials : config.credentials,
                           options));
    req = std::move(signed_req.signed_request);
  }
  return req;
}

namespace {

// ToWire copies a signed head into a cpprestsdk request (Content-Type goes with the body).
ws::http_request ToWire(const HttpRequest& req, const std::string& path_and_query) {
  ws::http_request out{ws::method(req.method)};
  out.set_request_uri(path_and_query);
  for (const HttpHeader& h : req.headers) {
    if (h.name != "Content-Type") {
      out.headers().add(h.name, h.value);
    }
  }
  return out;
}

// MayChange: every method but GET and HEAD may change something on the server, so must not be
// sent twice without the caller knowing.
bool MayChange(const std::string& method) { return method != "GET" && method != "HEAD"; }

// SetOnceOnlyBody gives out a body cpprestsdk cannot rewind, so it reports a connection cut after
// the request went out instead of sending the request again by itself (ConnectionSlots).
void SetOnceOnlyBody(ws::http_request& out, const std::string& body,
                     const std::string& content_type) {
  concurrency::streams::producer_consumer_buffer<uint8_t> buffer;
  if (!body.empty()) {
    buffer.putn_nocopy(reinterpret_cast<const uint8_t*>(body.data()), body.size()).wait();
  }
  buffer.close(std::ios_base::out).wait();
  out.set_body(buffer.create_istream(), body.size(), content_type);
  if (body.empty()) {
    out.headers().remove(ws::header_names::content_type);
  }
}

// ExchangeOn sends out on http and reads the whole answer.
Result<ClientResponse> ExchangeOn(ws::client::http_client& http, ws::http_request& out,
                                  const std::string& endpoint) {
  try {
    ws::http_response in = http.request(out).get();
    ClientResponse r;
    r.status = in.status_code();
    r.content_type = in.headers().content_type();
    if (auto it = in.headers().find("Retry-After"); it != in.headers().end()) {
      r.retry_after = it->second;
    }
    std::vector<unsigned char> bytes = in.extract_vector().get();
    r.body.assign(bytes.begin(), bytes.end());
    if (r.content_type.rfind("application/json", 0) == 0) {
      r.json = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    }
    return r;
  } catch (const std::exception& e) {
    const bool may_change = MayChange(std::string(out.method()));
    return Status(reasons::kClientTransport,
                  endpoint + ": " + e.what() +
                      (may_change ? " (no answer came: the request may or may not have been "
                                    "applied; look before sending it again)"
                                  : ""));
  }
}

Result<ClientResponse> Exchange(ConnectionSlots& slots, ws::http_request& out,
                                const std::string& endpoint) {
  std::unique_ptr<ws::client::http_client> http = slots.Take();
  Result<ClientResponse> answer = ExchangeOn(*http, out, endpoint);
  if (answer.ok()) {
    slots.Return(std::move(http));  // a failed client's connection is not worth keeping
  }
  return answer;
}

}  // namespace

Result<ClientResponse> ApiClient::Send(const std::string& method, const std::string& path_and_query,
                                       const std::string& body, const std::string& content_type) {
  return SendSigned(nullptr, method, path_and_query, body, content_type);
}

Result<ClientResponse> ApiClient::SendAs(const sigv4::Credentials& credentials,
                                         const std::string& method,
                                         const std::string& path_and_query,
                                         const std::string& body) {
  return SendSigned(&credentials, method, path_and_query, body, "application/json");
}

Result<ClientResponse> ApiClient::SendSigned(const sigv4::Credentials* credentials,
                                             const std::string& method,
                                             const std::string& path_and_query,
                                             const std::string& body,
                                             const std::string& content_type) {
  const std::string sha256 = sigv4::HexSha256(AsBytes(body));
  ATTEST_ASSIGN_OR_RETURN(
      HttpRequest req,
      Head(method, path_and_query, body.empty() ? "" : content_type, sha256, credentials));
  ws::http_request out = ToWire(req, path_and_query);
  if (MayChange(method)) {
    SetOnceOnlyBody(out, body, content_type);
  } else if (!body.empty()) {
    out.set_body(body, content_type);
  }
  return Exchange(*impl_->slots, out, impl_->config.endpoint);
}

Result<ClientResponse> ApiClient::SendFile(const std::string& method,
                                           const std::string& path_and_query,
                                           const std::string& file_path,
                                           const std::string& content_type) {
  std::ifstream file(file_path, std::ios::binary);
  if (!file) {
    return Status(reasons::kClientConfig, "cannot read " + file_path);
  }
  Sha256Hasher hasher;
  uint64_t size = 0;
  std::vector<char> buffer(size_t{1} << 20);
  while (file.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) ||
         file.gcount() > 0) {
    const auto n = static_cast<size_t>(file.gcount());
    hasher.Update(ByteSpan(reinterpret_cast<const uint8_t*>(buffer.data()), n));
    size += n;
  }
  if (file.bad()) {
    return Status(reasons::kClientConfig, "cannot read " + file_path);
  }
  ATTEST_ASSIGN_OR_RETURN(HttpRequest req,
                          Head(method, path_and_query, content_type, HexEncode(hasher.Finish())));
  ws::http_request out = ToWire(req, path_and_query);
  try {
    auto stream = concurrency::streams::file_stream<uint8_t>::open_istream(file_path).get();
    out.set_body(stream, size, content_type);
  } catch (const std::exception& e) {
    return Status(reasons::kClientConfig, "cannot read " + file_path + ": " + e.what());
  }
  return Exchange(*impl_->slots, out, impl_->config.endpoint);
}

Result<nlohmann::json> ApiClient::CallJson(const std::string& method,
                                           const std::string& path_and_query,
                                           const nlohmann::json& body) {
  ATTEST_ASSIGN_OR_RETURN(ClientResponse r,
                          Send(method, path_and_query, body.is_null() ? "" : body.dump()));
  if (r.status >= 200 && r.status < 300) {
    return r.json.is_null() ? nlohmann::json::object() : r.json;
  }
  std::string code = "http_" + std::to_string(r.status), message = r.body.substr(0, 512);
  if (r.json.is_object() && r.json.contains("code") && r.json["code"].is_string()) {
    code = r.json["code"];
    if (r.json.contains("message") && r.json["message"].is_string()) {
      message = r.json["message"];
    }
  }
  return Status(reasons::kClientHttpError,
                "HTTP " + std::to_string(r.status) + " " + code + ": " + message);
}

}  // namespace attest::client
