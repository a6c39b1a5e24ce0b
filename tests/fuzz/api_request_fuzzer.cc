// Fuzzes attestd's API over a real SQLite store: a raw HTTP request goes through Api::Handle
// (routing, SigV4 authentication, public handlers) and, to reach past authentication, straight to
// the matched route's handler as an operator. Every answer must be a well-formed response: a
// status in 200..599, a JSON body for JSON answers, and never a 5xx for what a client sent.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "service/api/dispatch.h"
#include "service/keys/local_kek.h"
#include "service/release/release.h"
#include "service/store/secret_sealer.h"
#include "sigv4/request_file.h"

namespace {

using namespace attest::service;

struct Fixture {
  Fixture() {
    const std::string db = (std::filesystem::temp_directory_path() /
                            ("attest-fuzz-api-" + std::to_string(getpid()) + ".db"))
                               .string();
    std::filesystem::remove(db);
    kek = attest::service::keys::LocalKeyFileKek::FromKey(attest::Bytes(32, 3)).value();
    pool = std::make_unique<store::StorePool>(
        [db, k = kek]() -> attest::Result<std::unique_ptr<store::Store>> {
          return store::OpenSqliteStore(db, std::make_shared<const store::SecretSealer>(k));
        },
        1);
    // Key release as attestd serves it (vendor roots; no volume_dir, so volumes are key-only
    // and no fuzz input makes a LUKS image).
    anchors = release::TrustAnchors::Make({}).value();
    token_key.reset(EVP_EC_gen("P-384"));
    api::DefineApiMetrics(registry);
    api::ServiceContext service;
    service.stores = pool.get();
    service.metrics = &registry;
    service.now = [] { return attest::FromUnixSeconds(1764000000); };
    service.kek = kek;
    service.anchors = anchors.get();
    service.token_key = token_key.get();
    handler = std::make_unique<api::Api>(std::move(service));
    auto lease = pool->Acquire();
    if (!lease.ok()) {
      __builtin_trap();
    }
    auto op = (*lease)->CreateTenant("operator", store::Role::kOperator,
                                     attest::FromUnixSeconds(1764000000));
    if (!op.ok()) {
      __builtin_trap();
    }
    operator_id = op->id;
  }
  metrics::Registry registry;
  std::shared_ptr<const attest::service::keys::KeyEncryptionKey> kek;
  std::unique_ptr<release::TrustAnchors> anchors;
  attest::EvpPkeyPtr token_key;
  std::unique_ptr<store::StorePool> pool;
  std::unique_ptr<api::Api> handler;
  std::string operator_id;
};

void CheckResponse(const http::HttpResponse& r) {
  if (r.status < 200 || r.status > 599) {
    __builtin_trap();
  }
  if (r.status >= 500 && r.status != 503) {
    __builtin_trap();
  }
  if (r.content_type == "application/json" &&
      nlohmann::json::parse(r.body, nullptr, false).is_discarded()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  auto req =
      attest::sigv4::ParseRequestFile(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!req.ok()) {
    return 0;
  }
  CheckResponse(fixture->handler->Handle(*req));

  api::ApiRouter::Match match = fixture->handler->router().Find(req->method, req->path);
  if (match.route == nullptr) {
    return 0;
  }
  api::RequestContext ctx(*req, fixture->handler->service(), attest::FromUnixSeconds(1764000000));
  ctx.params = match.params;
  ctx.caller = {fixture->operator_id, store::Role::kOperator, "AKIDFUZZ"};
  attest::Result<http::HttpResponse> r = match.route->handler(ctx);
  if (r.ok()) {
    CheckResponse(*r);
  } else {
    CheckResponse(http::ErrorFromStatus(r.status()));
  }
  return 0;
}
