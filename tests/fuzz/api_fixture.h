// The attestd API over a real SQLite store, as the API fuzzers drive it: an operator tenant, key
// release with the vendors' roots, no volume directory (so no input makes a LUKS image), and the
// properties every answer must have.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "service/api/dispatch.h"
#include "service/keys/local_kek.h"
#include "service/release/release.h"
#include "service/store/secret_sealer.h"

namespace attest_fuzz {

using namespace attest::service;

// ApiFixture is built once per fuzzer process; name keeps two fuzzers' databases apart.
struct ApiFixture {
  explicit ApiFixture(const std::string& name) {
    const std::string db = (std::filesystem::temp_directory_path() /
                            ("attest-fuzz-" + name + "-" + std::to_string(getpid()) + ".db"))
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

inline void CheckResponse(const http::HttpResponse& r) {
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

}  // namespace attest_fuzz
