// CollateralCacheStore: the shared cache's rollback rule, wanted items, due items and the refresh
// lease, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

CachedCollateral Item(const std::string& key, int64_t evaluation, TimePoint issued,
                      uint8_t fill = 1) {
  CachedCollateral c;
  c.kind = "dcap";
  c.key = key;
  c.value = Bytes(8, fill);
  c.origin = "fetch";
  c.fetched_at = T0();
  c.issued_at = issued;
  c.next_update = issued + seconds(30 * 86400);
  c.evaluation = evaluation;
  return c;
}

TEST_P(StoreTest, CachedCollateralNeverRollsBack) {
  const TimePoint t = T0();
  struct Step {
    const char* name = "";
    int64_t evaluation = 0;
    TimePoint issued;
    uint8_t fill = 0;
    bool want_stored = false;
    uint8_t want_cached_fill = 0;
  } steps[] = {
      {"first", 17, t, 1, true, 1},
      {"same evaluation, later issue", 17, t + seconds(60), 2, true, 2},
      {"same evaluation and issue (a refetch)", 17, t + seconds(60), 3, true, 3},
      {"same evaluation, earlier issue", 17, t, 4, false, 3},
      {"lower evaluation, later issue", 16, t + seconds(3600), 5, false, 3},
      {"higher evaluation, earlier issue", 19, t - seconds(3600), 6, true, 6},
      {"back to the old evaluation", 17, t + seconds(7200), 7, false, 6},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.name);
    Result<bool> stored = store_->PutCachedCollateral(
        Item("TDX/00806F050000/platform", s.evaluation, s.issued, s.fill));
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(*stored, s.want_stored);
    Result<CachedCollateral> got = store_->GetCachedCollateral("dcap", "TDX/00806F050000/platform");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->value, Bytes(8, s.want_cached_fill));
  }
}

TEST_P(StoreTest, CachedCollateralRejectsEmptyFieldsAndReadsBack) {
  CachedCollateral bad = Item("k", 1, T0());
  bad.value.clear();
  EXPECT_EQ(store_->PutCachedCollateral(bad).status().reason_id(), "store.invalid_argument");
  bad = Item("", 1, T0());
  EXPECT_EQ(store_->PutCachedCollateral(bad).status().reason_id(), "store.invalid_argument");
  bad = Item("k", 1, T0());
  bad.kind = "";
  EXPECT_EQ(store_->PutCachedCollateral(bad).status().reason_id(), "store.invalid_argument");
  EXPECT_EQ(store_->GetCachedCollateral("dcap", "k").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->WantCollateral("", "k", T0()).reason_id(), "store.invalid_argument");

  CachedCollateral item = Item("k", 5, T0());
  item.value = {0, 1, 0, 2};  // binary, NUL bytes included
  ASSERT_TRUE(store_->PutCachedCollateral(item).ok());
  Result<CachedCollateral> got = store_->GetCachedCollateral("dcap", "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, item.value);
  EXPECT_EQ(got->origin, "fetch");
  EXPECT_EQ(got->issued_at, item.issued_at);
  EXPECT_EQ(got->next_update, item.next_update);
  EXPECT_EQ(got->evaluation, 5);
  // Another kind, same key: another item.
  EXPECT_EQ(store_->GetCachedCollateral("snp.crl", "k").status().reason_id(), "store.not_found");
}

TEST_P(StoreTest, WantedCollateralIsDueAndReplacedByAnyFetch) {
  ASSERT_TRUE(store_->WantCollateral("snp.vcek", "Milan/aa/00", T0()).ok());
  ASSERT_TRUE(store_->WantCollateral("snp.vcek", "Milan/aa/00", T0()).ok());  // idempotent
  ASSERT_TRUE(store_->PutCachedCollateral(Item("fresh", 1, T0())).ok());
  auto due = store_->DueCollateral(T0(), seconds(3600), seconds(300), 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].key, "Milan/aa/00");
  EXPECT_TRUE((*due)[0].value.empty());

  // An attempt that failed is not retried before min_retry.
  ASSERT_TRUE(
      store_->RecordCollateralAttempt("snp.vcek", "Milan/aa/00", "collateral.rate_limited", T0())
          .ok());
  EXPECT_TRUE(store_->DueCollateral(T0() + seconds(10), seconds(3600), seconds(300), 10)->empty());
  due = store_->DueCollateral(T0() + seconds(301), seconds(3600), seconds(300), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].last_error, "collateral.rate_limited");

  CachedCollateral vcek = Item("Milan/aa/00", 0, T0() - seconds(86400));
  vcek.kind = "snp.vcek";
  ASSERT_TRUE(*store_->PutCachedCollateral(vcek));
  auto got = store_->GetCachedCollateral("snp.vcek", "Milan/aa/00");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->last_error, "");
  // Items come due ahead of their next_update.
  const TimePoint near = vcek.next_update - seconds(1800);
  due = store_->DueCollateral(near, seconds(3600), seconds(300), 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u);
  EXPECT_TRUE(store_->DueCollateral(near, seconds(60), seconds(300), 10)->empty());
  EXPECT_EQ(store_->ListCachedCollateral()->size(), 2u);

  // Items of the aged kinds come due once fetched before the bound; others only by next_update.
  const TimePoint later = T0() + seconds(10 * 86400);
  due = store_->DueCollateral(later, seconds(60), seconds(300), 10, T0() + seconds(1), {"dcap"});
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].key, "fresh");
  due = store_->DueCollateral(later, seconds(60), seconds(300), 10, T0() - seconds(1),
                              {"dcap", "snp.crl"});
  EXPECT_TRUE(due->empty());
  EXPECT_TRUE(store_->DueCollateral(later, seconds(60), seconds(300), 10)->empty());
}

TEST_P(StoreTest, RefreshLeaseHasOneHolderAtATime) {
  auto other = Open(Sealer());
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*store_->AcquireLease("refresh", "replica-1", T0(), seconds(60)));
  EXPECT_FALSE(*(*other)->AcquireLease("refresh", "replica-2", T0() + seconds(30), seconds(60)));
  EXPECT_TRUE(*store_->AcquireLease("refresh", "replica-1", T0() + seconds(30), seconds(60)));
  // Expired: the other replica takes over.
  EXPECT_TRUE(*(*other)->AcquireLease("refresh", "replica-2", T0() + seconds(91), seconds(60)));
  EXPECT_FALSE(*store_->AcquireLease("refresh", "replica-1", T0() + seconds(92), seconds(60)));
  ASSERT_TRUE(store_->ReleaseLease("refresh", "replica-1").ok());  // not the holder: nothing
  EXPECT_FALSE(*store_->AcquireLease("refresh", "replica-1", T0() + seconds(93), seconds(60)));
  ASSERT_TRUE((*other)->ReleaseLease("refresh", "replica-2").ok());
  EXPECT_TRUE(*store_->AcquireLease("refresh", "replica-1", T0() + seconds(94), seconds(60)));
  // Leases are by name.
  EXPECT_TRUE(*(*other)->AcquireLease("another", "replica-2", T0() + seconds(94), seconds(60)));
}

TEST_P(StoreTest, RacingReplicasNeverRollCollateralBack) {
  // Each round both replicas write: one evaluation 20 + round, the other 10 + round. Whatever the
  // order, the newer stays.
  auto other = Open(Sealer());
  ASSERT_TRUE(other.ok());
  Store* stores[] = {store_.get(), other->get()};
  const RaceOutcome outcome = RaceTwoConnections(8, "none", [&](int racer, int round) -> Status {
    const int64_t evaluation = (racer == 0 ? 20 : 10) + round;
    return stores[racer]
        ->PutCachedCollateral(Item("race/" + std::to_string(round), evaluation, T0()))
        .status();
  });
  EXPECT_EQ(outcome.errors, 0);
  for (int round = 0; round < 8; ++round) {
    auto got = store_->GetCachedCollateral("dcap", "race/" + std::to_string(round));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->evaluation, 20 + round);
  }
}

}  // namespace
}  // namespace attest::service::store
