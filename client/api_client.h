// ApiClient: an HTTPS client for attestd's API that signs every request with SigV4 (header form,
// body hash signed). Used by attestctl's client commands, attest-agent and the load benchmarks.
// cpprestsdk stays inside api_client.cc.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "client/reasons.h"
#include "sigv4/signer.h"

namespace attest::client {

struct ClientConfig {
  std::string endpoint;      // "https://127.0.0.1:8443"
  std::string ca_cert_file;  // PEM bundle to trust; "" = the system store
  sigv4::Credentials credentials;
  bool sign = true;  // false: unsigned requests (health, guest key release)
  std::string region = "local";
  std::string service = "attestd";
  int timeout_seconds = 30;
  // A connection idle this long is closed rather than reused: below the server's idle timeout
  // (attestd's is 30 s), so a request never leaves on a connection the server is closing.
  std::chrono::milliseconds max_idle{20000};
};

// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 misreads json's noexcept moves
struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string retry_after;  // the Retry-After header ("" when absent): 503 and 429 carry it
  std::string body;
  nlohmann::json json;  // parsed body when it is JSON, else null
};

class ApiClient {
 public:
  // Create checks the endpoint (http:// only for loopback addresses) and the CA file. Fails with
  // reasons::kClientConfig.
  static Result<std::unique_ptr<ApiClient>> Create(const ClientConfig& config);
  ~ApiClient();

  // Send signs and sends one request; any HTTP status is a response, only transport failures
  // (connect, TLS, timeout) fail, with reasons::kClientTransport. A request other than GET or
  // HEAD is sent once: when its connection is cut before the answer, it fails so (the server may
  // or may not have applied it) instead of going out again unseen; GET and HEAD are re-sent once
  // on a new connection when a reused one turns out closed.
  Result<ClientResponse> Send(const std::string& method, const std::string& path_and_query,
                              const std::string& body = "",
                              const std::string& content_type = "application/json");

  // SendAs is Send signed with other credentials over this client's connections: one client (one
  // pool of keep-alive connections) serves many principals, e.g. a fleet simulator's hosts.
  Result<ClientResponse> SendAs(const sigv4::Credentials& credentials, const std::string& method,
                                const std::string& path_and_query, const std::string& body = "");

  // SendFile streams the file at file_path as the body (never read whole into memory; a boot
  // image may be hundreds of MiB), signed with its SHA-256 declared in x-amz-content-sha256
  // (hashed here first). Fails as Send, and with reasons::kClientConfig when the file cannot be
  // read.
  Result<ClientResponse> SendFile(const std::string& method, const std::string& path_and_query,
                                  const std::string& file_path,
                                  const std::string& content_type = "application/octet-stream");

  // CallJson is Send for JSON APIs: a 2xx answer returns the parsed body; an error answer fails
  // with reasons::kClientHttpError and the server's "code: message" (status in the message).
  Result<nlohmann::json> CallJson(const std::string& method, const std::string& path_and_query,
                                  const nlohmann::json& body = nullptr);

 private:
  struct Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl);
  // Head is the signed request without its body: payload_sha256 is the body's hex SHA-256.
  // credentials: nullptr signs with the config's.
  Result<HttpRequest> Head(const std::string& method, const std::string& path_and_query,
                           const std::string& content_type, const std::string& payload_sha256,
                           const sigv4::Credentials* credentials = nullptr);
  Result<ClientResponse> SendSigned(const sigv4::Credentials* credentials,
                                    const std::string& method, const std::string& path_and_query,
                                    const std::string& body, const std::string& content_type);
  std::unique_ptr<Impl> impl_;
};

}  // namespace attest::client
