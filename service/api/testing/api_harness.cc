#include "service/api/testing/api_harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "attest/core/encoding.h"
#include "service/hosts/ek_trust.h"
#include "service/keys/local_kek.h"
#include "service/store/secret_sealer.h"
#include "tests/testing/test_pki.h"

namespace attest::service::api::testing {

ApiHarness::ApiHarness(store::StorePool::Factory store_factory) {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() /
         ("attest-api-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
  now_ = FromUnixSeconds(1764000000);  // 2025-11-24T16:00:00Z
  kek_ = keys::LocalKeyFileKek::FromKey(Bytes(32, 7)).value();
  anchors_ = release::TrustAnchors::Make({}).value();
  const bool own_store = store_factory == nullptr;
  if (own_store) {
    const std::string db = (dir_ / "api.db").string();
    store_factory = [db, kek = kek_]() -> Result<std::unique_ptr<store::Store>> {
      return store::OpenSqliteStore(db, std::make_shared<const store::SecretSealer>(kek));
    };
  }
  pool_ = std::make_unique<store::StorePool>(store_factory, 4);
  DefineApiMetrics(metrics_);
  ServiceContext service;
  service.stores = pool_.get();
  service.metrics = &metrics_;
  service.now = [this] { return now_; };
  service.kek = kek_;
  service.anchors = anchors_.get();
  token_key_.reset(EVP_EC_gen("P-384"));
  EXPECT_NE(token_key_, nullptr);
  service.token_key = token_key_.get();
  ephemeral_keys_ = std::make_unique<release::EphemeralKeyPool>(2);
  service.ephemeral_keys = ephemeral_keys_.get();
  service.config.volume_dir = (dir_ / "volumes").string();
  std::filesystem::create_directories(service.config.volume_dir);
  api_ = std::make_unique<Api>(std::move(service));

  // A test of an unreachable database gets no operator (and expects none).
  auto lease = pool_->Acquire();
  EXPECT_TRUE(lease.ok() || !own_store) << lease.status().ToString();
  if (!lease.ok()) {
    return;
  }
  auto op =
      (*lease)->CreateTenant("operator-" + std::to_string(rd()), store::Role::kOperator, now_);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  if (!op.ok()) {
    return;
  }
  auto cred = (*lease)->CreateCredential(op->id, now_);
  EXPECT_TRUE(cred.ok());
  if (!cred.ok()) {
    return;
  }
  operator_ = {cred->access_key_id, cred->secret_access_key, ""};
  operator_tenant_ = op->id;

  ek_ca_key_ = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
  ek_ca_ = attest::testing::IssueCertificate({"test tpm vendor ek ca", now_ - std::chrono::hours(1),
                                              now_ + std::chrono::hours(24 * 365), true},
                                             ek_ca_key_.get(), nullptr, ek_ca_key_.get());
  set_allow_hosts_without_ek_cert(false);
}

Bytes ApiHarness::IssueEkCertificate(EVP_PKEY* ek_key, long serial) {
  attest::testing::CertSpec spec{"ek", now_ - std::chrono::hours(1),
                                 now_ + std::chrono::hours(24 * 30), false, serial};
  return attest::testing::DerOf(
      attest::testing::IssueCertificate(spec, ek_key, ek_ca_.get(), ek_ca_key_.get()).get());
}

void ApiHarness::set_allow_hosts_without_ek_cert(bool allow) {
  auto trust = hosts::EkTrust::Make(AsBytes(attest::testing::PemOf(ek_ca_.get())), allow);
  EXPECT_TRUE(trust.ok()) << trust.status().ToString();
  if (trust.ok()) {
    api_->service().ek_trust = *trust;
  }
}

void ApiHarness::set_anchors(std::unique_ptr<release::TrustAnchors> anchors) {
  anchors_ = std::move(anchors);
  api_->service().anchors = anchors_.get();
}

ApiHarness::~ApiHarness() {
  api_.reset();
  pool_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

ApiHarness::Reply ApiHarness::Call(const std::string& method, const std::string& path_and_query,
                                   const std::string& body, const sigv4::Credentials* credentials,
                                   const std::string& content_type) {
  HttpRequest req;
  req.method = method;
  const size_t q = path_and_query.find('?');
  req.path = path_and_query.substr(0, q);
  if (q != std::string::npos) {
    req.query = path_and_query.substr(q + 1);
  }
  req.headers.push_back({"Host", "127.0.0.1:8443"});
  req.headers.insert(req.headers.end(), peer_headers_.begin(), peer_headers_.end());
  req.remote_address = peer_;
  if (!body.empty() || method == "PUT" || method == "POST") {
    if (!content_type.empty()) {
      req.headers.push_back({"Content-Type", content_type});
    }
  }
  req.body.assign(body.begin(), body.end());
  if (credentials != nullptr) {
    // Signed too, so no two calls share a signature: attestd accepts a signed request that
    // changes something once (as an AWS SDK's amz-sdk-invocation-id does for its requests).
    req.headers.push_back({"X-Request-Id", "harness-" + std::to_string(++calls_)});
    sigv4::SignOptions options;
    options.region = api_->service().config.region;
    options.service = api_->service().config.service;
    options.time = now_;
    auto signed_req = sigv4::SignRequest(req, *credentials, options);
    EXPECT_TRUE(signed_req.ok()) << signed_req.status().ToString();
    if (signed_req.ok()) {
      req = signed_req->signed_request;
    }
  }
  {
    std::lock_guard<std::mutex> lock(last_request_mu_);
    last_request_ = req;
  }
  return Send(req);
}

ApiHarness::Reply ApiHarness::Send(const HttpRequest& req) {
  http::HttpResponse r = api_->Handle(req);
  Reply reply;
  reply.status = r.status;
  reply.body = r.body;
  reply.content_type = r.content_type;
  reply.headers = r.headers;
  if (r.content_type == "application/json") {
    reply.json = nlohmann::json::parse(r.body, nullptr, false);
  }
  return reply;
}

ApiHarness::Reply ApiHarness::CallJson(const std::string& method, const std::string& path_and_query,
                                       const nlohmann::json& body,
                                       const sigv4::Credentials* credentials) {
  return Call(method, path_and_query, body.dump(), credentials);
}

sigv4::Credentials ApiHarness::CreateTenant(const std::string& name) {
  Reply r = CallJson("POST", "/v1/tenants", nlohmann::json{{"name", name}}, &operator_);
  EXPECT_EQ(r.status, 201) << r.body;
  if (r.status != 201) {
    return {};
  }
  return {r.json["access_key_id"], r.json["secret_access_key"], ""};
}

}  // namespace attest::service::api::testing
