// ApiHarness: an Api over a fresh SQLite database in a temporary directory, with a fixed clock
// and an operator already created, for handler tests without a socket. Call() signs requests
// with SigV4 exactly as a client would.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/ossl.h"
#include "service/api/dispatch.h"
#include "service/release/ephemeral_key_pool.h"
#include "service/release/release.h"
#include "sigv4/signer.h"

namespace attest::service::api::testing {

class ApiHarness {
 public:
  // store_factory: nullptr = SQLite in a temp dir; otherwise opens the store under test.
  explicit ApiHarness(store::StorePool::Factory store_factory = nullptr);
  ~ApiHarness();

  // NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 misreads json's noexcept moves
  struct Reply {
    int status = 0;
    nlohmann::json json;  // parsed body (null when not JSON)
    std::string body;
    std::string content_type;
    std::vector<HttpHeader> headers;
  };

  // Call signs (when credentials are given) and dispatches one request. The body is sent with
  // Content-Type application/json unless content_type says otherwise.
  Reply Call(const std::string& method, const std::string& path_and_query,
             const std::string& body = "", const sigv4::Credentials* credentials = nullptr,
             const std::string& content_type = "application/json");
  Reply CallJson(const std::string& method, const std::string& path_and_query,
                 const nlohmann::json& body, const sigv4::Credentials* credentials);
  // Send hands req to the API as it is; last_request is the request the last Call sent (signed
  // when it had credentials), for replaying it.
  Reply Send(const HttpRequest& req);
  // last_request is the newest request Call made (a copy: calls may run on several threads).
  HttpRequest last_request() const {
    std::lock_guard<std::mutex> lock(last_request_mu_);
    return last_request_;
  }

  // CreateTenant makes a tenant through the API with the operator's credentials.
  sigv4::Credentials CreateTenant(const std::string& name);

  Api& api() { return *api_; }
  store::StorePool& pool() { return *pool_; }
  metrics::Registry& metrics() { return metrics_; }
  const sigv4::Credentials& operator_credentials() const { return operator_; }
  const std::string& operator_tenant() const { return operator_tenant_; }
  TimePoint now() const { return now_; }
  void set_now(TimePoint t) { now_ = t; }
  // set_peer makes every following Call arrive from remote_address (the TCP peer) with headers
  // added (X-Forwarded-For, Forwarded). Default: no peer, no extra headers.
  void set_peer(std::string remote_address, std::vector<HttpHeader> headers = {}) {
    peer_ = std::move(remote_address);
    peer_headers_ = std::move(headers);
  }
  const std::filesystem::path& dir() const { return dir_; }
  // The service KEK (a local key of 32 bytes of 7) that seals credentials and wraps volume keys.
  const keys::KeyEncryptionKey& kek() const { return *kek_; }
  // set_anchors replaces the built-in vendor roots key release verifies with (e.g. with the
  // software TEE's test hierarchy).
  void set_anchors(std::unique_ptr<release::TrustAnchors> anchors);
  // token_key: a fresh P-384 key signing result tokens. The service also gets volume_dir (under
  // dir()).
  EVP_PKEY* token_key() const { return token_key_.get(); }
  // ephemeral_keys: the pool (two keys) key release takes its ephemeral keys from, as in attestd.
  release::EphemeralKeyPool& ephemeral_keys() { return *ephemeral_keys_; }
  // The service trusts one test TPM vendor's EK CA (besides the built-in bundle) and requires EK
  // certificates, the default. IssueEkCertificate is that vendor's certificate (DER) for ek_key;
  // ek_ca() / ek_ca_key() issue others (intermediates).
  Bytes IssueEkCertificate(EVP_PKEY* ek_key, long serial = 2);
  X509* ek_ca() const { return ek_ca_.get(); }
  EVP_PKEY* ek_ca_key() const { return ek_ca_key_.get(); }
  // set_allow_hosts_without_ek_cert rebuilds the service's EK trust with the switch.
  void set_allow_hosts_without_ek_cert(bool allow);

 private:
  std::filesystem::path dir_;
  std::string peer_;
  std::vector<HttpHeader> peer_headers_;
  TimePoint now_;
  std::atomic<int64_t> calls_{0};
  mutable std::mutex last_request_mu_;
  HttpRequest last_request_;
  metrics::Registry metrics_;
  std::shared_ptr<const keys::KeyEncryptionKey> kek_;
  std::unique_ptr<release::TrustAnchors> anchors_;
  EvpPkeyPtr token_key_;
  std::unique_ptr<release::EphemeralKeyPool> ephemeral_keys_;
  EvpPkeyPtr ek_ca_key_;
  X509Ptr ek_ca_;
  std::unique_ptr<store::StorePool> pool_;
  std::unique_ptr<Api> api_;
  sigv4::Credentials operator_;
  std::string operator_tenant_;
};

}  // namespace attest::service::api::testing
