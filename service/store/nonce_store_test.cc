// NonceStore: single-use, expiring, bound nonces.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, NonceIsSingleUseExpiringAndBound) {
  auto fresh = [&] { return store_->IssueNonce(a_, "host-1", seconds(60), T0()).value(); };
  const struct {
    std::string name;
    std::string tenant, subject;
    TimePoint at;
    bool issue_new;
    std::string want;
  } cases[] = {
      {"ok", a_, "host-1", T0() + seconds(59), true, "ok"},
      {"expired", a_, "host-1", T0() + seconds(60), true, "store.nonce_rejected"},
      {"other subject", a_, "host-2", T0(), true, "store.nonce_rejected"},
      {"other tenant", b_, "host-1", T0(), true, "store.nonce_rejected"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Nonce n = fresh();
    EXPECT_EQ(n.value.size(), 64u);
    // The check answers as the consume would, and twice: it consumes nothing.
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->ConsumeNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(),
              "store.nonce_rejected");
  }
  const Nonce n = fresh();
  EXPECT_TRUE(store_->ConsumeNonce(a_, "host-1", n.value, T0()).ok());
  EXPECT_EQ(store_->ConsumeNonce(a_, "host-1", n.value, T0()).reason_id(), "store.nonce_rejected");
  EXPECT_EQ(store_->ConsumeNonce(a_, "host-1", std::string(64, '0'), T0()).reason_id(),
            "store.nonce_rejected");
  EXPECT_EQ(store_->IssueNonce(a_, "h", seconds(0), T0()).status().reason_id(),
            "store.invalid_argument");
}

TEST_P(StoreTest, PurgeDeletesOnlyWhatExpired) {
  // Nonces expiring at T0+10, +20, +30 (one of them used) and request signatures at +15, +40.
  std::vector<std::string> nonces;
  for (int ttl : {10, 20, 30}) {
    nonces.push_back(
        store_->IssueNonce(a_, "vm-" + std::to_string(ttl), seconds(ttl), T0()).value().value);
  }
  ASSERT_TRUE(store_->ConsumeNonce(a_, "vm-20", nonces[1], T0()).ok());
  ASSERT_TRUE(store_->RecordSignature(std::string(64, '1'), T0() + seconds(15), T0()).ok());
  ASSERT_TRUE(store_->RecordSignature(std::string(64, '2'), T0() + seconds(40), T0()).ok());
  const struct {
    int at;
    int64_t batch;
    int64_t want_deleted;
  } steps[] = {
      {9, 100, 0},   // nothing expired yet
      {20, 100, 3},  // the nonces of +10 and +20 (used or not) and the signature of +15
      {20, 100, 0},  // nothing left to do
      {45, 1, 2},    // batches of one: one nonce and one signature
      {45, 1, 0},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.at);
    auto got = store_->PurgeExpired(T0() + seconds(s.at), s.batch);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, s.want_deleted);
  }
  for (const char* table : {"nonces", "request_signatures"}) {
    auto rows = Raw()->Exec(std::string("SELECT COUNT(*) FROM ") + table);
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ((*rows)[0][0], "0") << table;
  }
}

TEST_P(StoreTest, PurgeLeavesLiveNoncesWorking) {
  const std::string live = store_->IssueNonce(a_, "vm-1", seconds(30), T0()).value().value;
  (void)store_->IssueNonce(a_, "vm-2", seconds(10), T0()).value();
  auto got = store_->PurgeExpired(T0() + seconds(20));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, 1);
  EXPECT_TRUE(store_->ConsumeNonce(a_, "vm-1", live, T0() + seconds(29)).ok());
}

TEST_P(StoreTest, OnePurgeAtATimeAcrossReplicas) {
  if (GetParam() != Dialect::kPostgres) {
    GTEST_SKIP() << "one SQLite file has one attestd";
  }
  auto other = Raw();  // another replica, inside its purge
  ASSERT_TRUE(other->ExecScript("BEGIN").ok());
  ASSERT_TRUE(
      other->Exec("SELECT pg_advisory_xact_lock(1886745191, hashtext(current_schema()))").ok());
  auto skipped = store_->PurgeExpired(T0());
  ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
  EXPECT_FALSE(skipped->has_value());
  ASSERT_TRUE(other->ExecScript("COMMIT").ok());
  auto done = store_->PurgeExpired(T0());
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->has_value());
}

TEST_P(StoreTest, TwoConnectionsRacingForANonceHaveExactlyOneWinner) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  Store* racers[2] = {one->get(), two->get()};
  constexpr int kRounds = 100;
  std::vector<std::string> nonces;
  nonces.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    nonces.push_back(store_->IssueNonce(a_, "vm-1", seconds(60), T0()).value().value);
  }
  const RaceOutcome race =
      RaceTwoConnections(kRounds, "store.nonce_rejected", [&](int racer, int round) {
        return racers[racer]->ConsumeNonce(a_, "vm-1", nonces[round], T0());
      });
  EXPECT_EQ(race.errors, 0);
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_EQ(race.wins[i], 1) << "round " << i;
  }
}

}  // namespace
}  // namespace attest::service::store
