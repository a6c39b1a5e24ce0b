#include "bench/fleet/self_attestd.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>

#include "bench/api_bench_support.h"
#include "service/api/dispatch.h"
#include "service/keys/local_kek.h"
#include "service/release/release.h"
#include "service/store/secret_sealer.h"
#include "tests/testing/software_tee.h"

namespace attest::bench::fleet {

namespace st = service::store;

struct SelfAttestd::State {
  std::string snp_saved;
  std::unique_ptr<service::release::TrustAnchors> anchors;
  std::shared_ptr<const service::keys::KeyEncryptionKey> kek;
  EvpPkeyPtr token_key;
  std::unique_ptr<BenchDatabase> database;
  std::unique_ptr<st::StorePool> pool;
  service::metrics::Registry registry;
  std::unique_ptr<service::api::Api> api;
  BenchServer served;
  ~State() {
    if (served.server) {
      served.server->Stop();
    }
  }
};

std::unique_ptr<SelfAttestd> SelfAttestd::Start(size_t handler_threads, size_t max_verifications) {
  std::unique_ptr<SelfAttestd> self(new SelfAttestd());
  self->state_ = std::make_unique<State>();
  State& s = *self->state_;
  const TimePoint now = WallClockNow();
  {
    // The hierarchy valid at the wall clock, as a real attestd verifies; guests Load it.
    testing::FakeSnpPlatform platform(snp::Product::kMilan, now);
    s.snp_saved = platform.Save();
    const testing::SoftwareTee tee(
        testing::FakeSnpPlatform::Load(s.snp_saved, snp::Product::kMilan));
    service::release::TrustAnchorConfig config;
    config.snp_test_root_chains_pem = {tee.SnpRootChainPem()};
    s.anchors = Must(service::release::TrustAnchors::Make(config), "anchors");
  }
  s.kek = Must(service::keys::LocalKeyFileKek::FromKey(st::RandomBytes(32)), "kek");
  s.token_key.reset(EVP_EC_gen("P-256"));
  const bool postgres = std::getenv("PGHOST") != nullptr;
  s.database = std::make_unique<BenchDatabase>(postgres, "fleet");
  const st::StorePool::Factory factory =
      s.database->Factory(std::make_shared<const st::SecretSealer>(s.kek));
  s.pool = std::make_unique<st::StorePool>(factory, 16);
  sigv4::Credentials op;
  {
    auto db = Must(s.pool->Acquire(), "store");
    auto t = Must(db->CreateTenant("operator", st::Role::kOperator, now), "operator");
    auto c = Must(db->CreateCredential(t.id, now), "credential");
    op = {c.access_key_id, c.secret_access_key, ""};
  }
  service::api::DefineApiMetrics(s.registry);
  service::api::ServiceContext ctx;
  ctx.stores = s.pool.get();
  ctx.metrics = &s.registry;
  ctx.now = WallClockNow;
  ctx.kek = s.kek;
  ctx.anchors = s.anchors.get();
  ctx.token_key = s.token_key.get();
  // Departures from attestd's defaults, each because a simulator is not a fleet: its software
  // TPMs have no EK certificate; every guest comes from one loopback address (the per-address
  // limit is for a real network); the verification gate takes as many as the simulator sends.
  ctx.config.allow_hosts_without_ek_cert = true;
  ctx.config.release_rate_per_address_per_minute = 10000000;
  ctx.config.max_concurrent_verifications = max_verifications;
  s.api = std::make_unique<service::api::Api>(ctx);
  s.served = ServeOverHttps(*s.api, s.database->dir(), now, 22000, handler_threads);
  self->target_.client = s.served.client;
  self->target_.client.sign = false;
  self->target_.operator_credentials = op;
  self->target_.snp_platform_saved = s.snp_saved;
  self->target_.database = postgres ? "postgres" : "sqlite";
  // In-process: attestd's CPU is this process's, the simulator's own client work included.
  self->target_.cpu_ms = []() -> Result<double> { return ProcessCpuMs(); };
  return self;
}

SelfAttestd::~SelfAttestd() = default;

}  // namespace attest::bench::fleet
