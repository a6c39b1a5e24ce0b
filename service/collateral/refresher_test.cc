// The shared cache with its refresher and hot-path source, on SQLite and PostgreSQL, fed by the
// loopback replay of KDS and PCS: replicas fetch each item once, restart keeps the cache, a
// rolled-back evaluation and a guest's older collateral are refused, stale items fail.
#include <gtest/gtest.h>

#include <thread>

#include "attest/snp/verify.h"
#include "attest/snp/wire.h"
#include "attest/tdx/verify.h"
#include "service/collateral/cache_items.h"
#include "service/collateral/cache_source.h"
#include "service/collateral/refresher.h"
#include "service/store/store_test_fixture.h"
#include "tests/testing/replay_https_server.h"
#include "tests/testing/vectors.h"

namespace attest::service::store {
namespace {

using collateral::CacheCollateralSource;
using collateral::CollateralRefresher;
using collateral::HttpClient;
using collateral::HttpClientOptions;
using collateral::KdsFetcher;
using collateral::PcsEndpoints;
using collateral::PcsFetcher;
using collateral::RefreshOptions;
using collateral::RefreshRound;
using std::chrono::seconds;
using testing::ReadVector;
using testing::ReplayHttpsServer;

TimePoint At(const char* text) { return ParseRfc3339(text).value(); }

// Vendors: one replay server (KDS and PCS answers by path) and the fetchers of one replica.
struct Vendors {
  explicit Vendors(ReplayHttpsServer& server, std::string update = "standard")
      : client(Options(server)),
        kds(client, server.url(), snp::SnpTrustRoots::BuiltIn()),
        pcs(client, Endpoints(server, std::move(update)), verifier) {}

  static HttpClientOptions Options(const ReplayHttpsServer& server) {
    HttpClientOptions o;
    o.ca_bundle = server.ca_file();
    o.max_attempts = 1;
    return o;
  }
  static PcsEndpoints Endpoints(const ReplayHttpsServer& server, std::string update) {
    PcsEndpoints e;
    e.base_url = server.url();
    e.root_crl_url = server.url() + "/IntelSGXRootCA.der";
    e.update = std::move(update);
    return e;
  }

  HttpClient client;
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  KdsFetcher kds;
  PcsFetcher pcs;
};

RefreshOptions Holder(const std::string& name) {
  RefreshOptions o;
  o.holder = name;
  return o;
}

tdx::Quote Quote(const char* file) { return tdx::ParseQuote(ReadVector(file)).value(); }

const char* kTdxQuote = "tdx/dcap-qvl-v4/quote.bin";
const char* kSgxQuote = "tdx/dcap-qvl-sgx-v3/quote.bin";

TEST_P(StoreTest, TwoReplicasFetchEachWantedItemOnceAndRestartKeepsTheCache) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->LoadScenario("pcs-2025-06-19").ok());
  ASSERT_TRUE(server->LoadScenario("kds-2025").ok());
  const TimePoint now = At("2025-06-27T00:00:00Z");

  // A verification misses: the hot path marks what it wanted and fetches nothing.
  CacheCollateralSource source(*store_, now, seconds(86400));
  for (const char* file : {kTdxQuote, kSgxQuote}) {
    Result<std::optional<tdx::Collateral>> miss = source.TdxCollateral(Quote(file));
    ASSERT_TRUE(miss.ok()) << miss.status().ToString();
    EXPECT_FALSE(miss->has_value());
  }
  Result<snp::SnpReport> report = snp::ParseSnpReport(ReadVector("snp/gsg-milan-v2/report.bin"));
  ASSERT_TRUE(report.ok());
  Result<collateral::CachedSnp> snp_miss = source.SnpEndorsements(*report, snp::Product::kMilan);
  ASSERT_TRUE(snp_miss.ok()) << snp_miss.status().ToString();
  EXPECT_TRUE(snp_miss->vcek.empty() && snp_miss->crl.empty() && snp_miss->cert_chain.empty());
  EXPECT_EQ(server->total_hits(), 0);

  // Two replicas on one database run their refresh rounds at the same time, then again.
  auto other = Open(Sealer());
  ASSERT_TRUE(other.ok());
  Vendors vendors_1(*server);
  Vendors vendors_2(*server);
  CollateralRefresher r1(*store_, &vendors_1.kds, &vendors_1.pcs, Holder("replica-1"));
  CollateralRefresher r2(**other, &vendors_2.kds, &vendors_2.pcs, Holder("replica-2"));
  Result<RefreshRound> round_1 = Status(reasons::kInternalError, "not run");
  Result<RefreshRound> round_2 = round_1;
  std::thread t1([&] { round_1 = r1.RunOnce(now); });
  std::thread t2([&] { round_2 = r2.RunOnce(now); });
  t1.join();
  t2.join();
  ASSERT_TRUE(round_1.ok()) << round_1.status().ToString();
  ASSERT_TRUE(round_2.ok()) << round_2.status().ToString();
  EXPECT_EQ(round_1->refused + round_2->refused, 0);
  // 2 DCAP sets, the Milan VCEK, its chain and CRL.
  EXPECT_EQ(round_1->stored + round_2->stored, 5);
  ASSERT_TRUE(r1.RunOnce(now).ok());
  ASSERT_TRUE(r2.RunOnce(now + seconds(1)).ok());
  // Each item once: per DCAP set tcb, qe/identity, pckcrl and the root CRL; the VCEK, chain, CRL.
  EXPECT_EQ(server->hits("/tdx/certification/v4/tcb"), 1);
  EXPECT_EQ(server->hits("/sgx/certification/v4/tcb"), 1);
  EXPECT_EQ(server->hits("/vcek/v1/Milan/cert_chain"), 1);
  EXPECT_EQ(server->hits("/vcek/v1/Milan/crl"), 1);
  EXPECT_EQ(server->total_hits(), 2 * 4 + 3);
  EXPECT_EQ(store_->ListCachedCollateral()->size(), 5u);

  // A restarted replica (a new connection, a new source) finds everything; the quotes verify.
  auto restarted = Open(Sealer());
  ASSERT_TRUE(restarted.ok());
  CacheCollateralSource after(**restarted, now, seconds(86400));
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  for (const char* file : {kTdxQuote, kSgxQuote}) {
    SCOPED_TRACE(file);
    Result<std::optional<tdx::Collateral>> hit = after.TdxCollateral(Quote(file));
    ASSERT_TRUE(hit.ok() && hit->has_value()) << hit.status().ToString();
    tdx::Verification v = verifier.Verify(Quote(file), &**hit, now);
    EXPECT_TRUE(v.status.ok()) << v.status.ToString();
  }
  Result<collateral::CachedSnp> snp_hit = after.SnpEndorsements(*report, snp::Product::kMilan);
  ASSERT_TRUE(snp_hit.ok());
  snp::SnpCollateral snp_collateral{snp_hit->vcek, {snp_hit->cert_chain}, {snp_hit->crl}};
  Result<snp::VerifiedSnpReport> verified = snp::VerifySnpReport(
      *report, snp_collateral, snp::SnpTrustRoots::BuiltIn(), At("2025-07-01T00:00:00Z"));
  EXPECT_TRUE(verified.ok()) << verified.status().ToString();
}

TEST_P(StoreTest, RefreshRunsAheadOfNextUpdateAndKeepsItemsOnVendorFailure) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->LoadScenario("kds-2025").ok());
  Vendors vendors(*server);
  CollateralRefresher refresher(*store_, &vendors.kds, nullptr, Holder("replica-1"));
  const std::string key = "vcek/Genoa";
  ASSERT_TRUE(store_->WantCollateral("snp.crl", key, T0()).ok());
  const TimePoint now = At("2025-07-01T00:00:00Z");
  ASSERT_TRUE(refresher.RunOnce(now).ok());
  Result<CachedCollateral> first = store_->GetCachedCollateral("snp.crl", key);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->next_update, At("2025-11-03T01:00:00Z"));  // the Genoa CRL's nextUpdate
  EXPECT_EQ(server->hits("/vcek/v1/Genoa/crl"), 1);

  // Far from nextUpdate: nothing is due.
  ASSERT_TRUE(refresher.RunOnce(now + seconds(86400)).ok());
  EXPECT_EQ(server->hits("/vcek/v1/Genoa/crl"), 1);

  // Within a day of it, the KDS is down: the cached CRL stays, the error is recorded.
  const TimePoint near = At("2025-11-02T12:00:00Z");
  testing::ReplayResponse down;
  down.status = 503;
  server->Fault("/vcek/v1/Genoa/crl", {down});
  Result<RefreshRound> failed = refresher.RunOnce(near);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->refused, 1);
  Result<CachedCollateral> kept = store_->GetCachedCollateral("snp.crl", key);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->value, first->value);
  EXPECT_EQ(kept->last_error.rfind("collateral.http_error", 0), 0u) << kept->last_error;

  // Stale-if-error only within the bound: 1 day allowed, fetched 124 days ago.
  Result<snp::SnpReport> report = snp::ParseSnpReport(ReadVector("snp/azure-genoa-v3/report.bin"));
  ASSERT_TRUE(report.ok());
  CacheCollateralSource bounded(*store_, near, seconds(86400));
  EXPECT_EQ(bounded.SnpEndorsements(*report, std::nullopt).status().reason_id(),
            reasons::kCollateralStale.id);
  CacheCollateralSource unbounded(*store_, near, seconds(200 * 86400));
  EXPECT_TRUE(unbounded.SnpEndorsements(*report, std::nullopt).ok());

  // After min_retry the recorded CRL answers again; it is the same CRL (a refetch), and stored.
  ASSERT_TRUE(refresher.RunOnce(near + seconds(600)).ok());
  EXPECT_EQ(server->hits("/vcek/v1/Genoa/crl"), 3);
  Result<CachedCollateral> refreshed = store_->GetCachedCollateral("snp.crl", key);
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(refreshed->fetched_at, near + seconds(600));
  EXPECT_EQ(refreshed->last_error, "");
}

TEST_P(StoreTest, VerifiedEvaluationNumberIsNeverRolledBack) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->LoadScenario("pcs-2025-05-27").ok());
  const TimePoint now = At("2025-06-01T00:00:00Z");
  const char* quote_file = "collateral/evidence/mobilecoin-sgx-v3/quote.bin";
  Result<collateral::DcapId> id = collateral::DcapIdForQuote(Quote(quote_file));
  ASSERT_TRUE(id.ok());

  // The early update (TCB info evaluation 19) is cached first. Its QE identity was recorded for
  // the standard update only; the same body answers here.
  const testing::ReplayResponse* qe = server->Find("/sgx/certification/v4/qe/identity", "");
  ASSERT_NE(qe, nullptr);
  server->Route("/sgx/certification/v4/qe/identity", "update=early", *qe);
  Vendors early(*server, "early");
  Result<collateral::FetchedDcap> newer = early.pcs.Fetch(*id, now);
  ASSERT_TRUE(newer.ok()) << newer.status().ToString();
  EXPECT_EQ(newer->tcb_evaluation_data_number, 19);
  ASSERT_TRUE(
      collateral::OfferToCache(*store_, collateral::DcapCacheItem(*id, *newer, "fetch", now)).ok());

  // The standard update (evaluation 17, genuine and current) comes later, from the refresher or
  // from a guest: refused, by the verified number.
  Vendors standard(*server, "standard");
  Result<collateral::FetchedDcap> older = standard.pcs.Fetch(*id, now);
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(older->tcb_evaluation_data_number, 17);
  for (const char* origin : {"fetch", "guest", "import"}) {
    SCOPED_TRACE(origin);
    EXPECT_EQ(collateral::OfferToCache(
                  *store_, collateral::DcapCacheItem(*id, *older, origin, now + seconds(60)))
                  .reason_id(),
              reasons::kCollateralRollback.id);
  }
  Result<CachedCollateral> cached = store_->GetCachedCollateral("dcap", DcapCacheKey(*id));
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->origin, "fetch");
  EXPECT_EQ(cached->evaluation, 19);

  // The refresher configured for standard updates meets the same rule.
  CollateralRefresher refresher(*store_, nullptr, &standard.pcs, Holder("replica-1"));
  Result<RefreshRound> round = refresher.RunOnce(At("2025-06-26T00:00:00Z"));
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(round->refused, 1);
  cached = store_->GetCachedCollateral("dcap", DcapCacheKey(*id));
  EXPECT_EQ(cached->evaluation, 19);
  EXPECT_EQ(cached->last_error.rfind("collateral.rollback", 0), 0u) << cached->last_error;
}

}  // namespace
}  // namespace attest::service::store
