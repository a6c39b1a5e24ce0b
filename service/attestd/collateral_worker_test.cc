// CollateralWorker: attestd's refresh thread against the loopback KDS replay, with its metrics.
#include "service/attestd/collateral_worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "attest/core/encoding.h"
#include "tests/testing/replay_https_server.h"

namespace attest::service::attestd {
namespace {

namespace fs = std::filesystem;
using testing::ReplayHttpsServer;

TimePoint At(const char* text) { return ParseRfc3339(text).value(); }

class CollateralWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ReplayHttpsServer::Start();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->LoadScenario("kds-2025").ok());
    dir_ = fs::temp_directory_path() / ("collateral-worker-" + HexEncode(store::RandomBytes(4)));
    fs::create_directories(dir_);
    db_ = (dir_ / "attestd.db").string();
    auto store = Open()();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->WantCollateral("snp.crl", "vcek/Milan", At("2025-07-01T00:00:00Z")).ok());
    config_.kds_url = server_->url();
    config_.pcs.base_url = server_->url();
    config_.pcs.root_crl_url = server_->url() + "/IntelSGXRootCA.der";
    config_.http.ca_bundle = server_->ca_file();
    config_.http.max_attempts = 1;
  }
  void TearDown() override { fs::remove_all(dir_); }

  CollateralWorker::StoreOpener Open() {
    return [db = db_]() -> Result<std::unique_ptr<store::Store>> {
      auto sealer = std::shared_ptr<const store::SecretSealer>(
          store::LocalKeySealer::FromKey(Bytes(32, 7)).value().release());
      return store::OpenSqliteStore(db, sealer);
    };
  }

  // RunOneRound starts the worker, waits (bounded) until until() holds, and stops it.
  void RunOneRound(metrics::Registry& registry, const std::function<bool()>& until) {
    CollateralWorker worker(config_, "replica-1", Open(), &registry,
                            [] { return At("2025-07-01T00:00:00Z"); });
    worker.Start();
    for (int i = 0; i < 200 && !until(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    worker.Stop();
  }

  std::unique_ptr<ReplayHttpsServer> server_;
  fs::path dir_;
  std::string db_;
  CollateralConfig config_;
};

TEST_F(CollateralWorkerTest, FetchesWantedItemsAndPublishesMetrics) {
  metrics::Registry registry;
  DefineCollateralMetrics(registry);
  RunOneRound(registry, [&] {
    return registry.Render().find(R"(attestd_collateral_next_update_seconds{kind="snp.crl"})") !=
           std::string::npos;
  });
  EXPECT_EQ(server_->hits("/vcek/v1/Milan/crl"), 1);
  auto store = Open()();
  ASSERT_TRUE(store.ok());
  auto crl = (*store)->GetCachedCollateral("snp.crl", "vcek/Milan");
  ASSERT_TRUE(crl.ok());
  EXPECT_FALSE(crl->value.empty());
  const std::string text = registry.Render();
  EXPECT_NE(text.find(R"(attestd_collateral_fetches_total{outcome="ok"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(attestd_collateral_age_seconds{kind="snp.crl"} 0)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("attestd_collateral_expiring 0"), std::string::npos) << text;
}

TEST_F(CollateralWorkerTest, AirGappedSitesFetchNothing) {
  config_.fetch = false;
  metrics::Registry registry;
  DefineCollateralMetrics(registry);
  RunOneRound(registry, [&] {
    return registry.Render().find("\nattestd_collateral_expiring ") != std::string::npos;
  });
  EXPECT_EQ(server_->total_hits(), 0);
}

TEST(CollateralMetricsTest, OldestAgeSoonestUpdateAndExpiringItems) {
  const TimePoint now = At("2025-07-01T00:00:00Z");
  auto item = [&](const char* kind, int64_t age, int64_t to_next, bool wanted = false) {
    store::CachedCollateral c;
    c.kind = kind;
    c.key = "k";
    c.value = wanted ? Bytes() : Bytes{1};
    c.fetched_at = now - std::chrono::seconds(age);
    c.next_update = now + std::chrono::seconds(to_next);
    return c;
  };
  metrics::Registry registry;
  DefineCollateralMetrics(registry);
  PublishCollateralMetrics({item("dcap", 100, int64_t{5} * 86400), item("dcap", 300, 3600),
                            item("snp.crl", 50, -10), item("snp.vcek", 1, 1, true)},
                           now, registry);
  const std::string text = registry.Render();
  EXPECT_NE(text.find(R"(attestd_collateral_age_seconds{kind="dcap"} 300)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(attestd_collateral_next_update_seconds{kind="dcap"} 3600)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(attestd_collateral_next_update_seconds{kind="snp.crl"} -10)"),
            std::string::npos);
  EXPECT_EQ(text.find(R"(kind="snp.vcek")"), std::string::npos) << "wanted items are not cached";
  EXPECT_NE(text.find("attestd_collateral_expiring 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace attest::service::attestd
