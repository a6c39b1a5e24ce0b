// Store as a whole: the migrated schema, and tenant isolation across every resource.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "attest/core/digest.h"
#include "service/store/migrations.h"
#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, MigrationsAreNumberedAndIdempotent) {
  for (int i = 0; i < 2; ++i) {
    auto again = Open(Sealer());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
  }
  auto raw = Raw();
  ASSERT_TRUE(raw);
  auto version = SchemaVersion(raw.get());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, Migrations().back().version);
  auto rows = raw->Exec("SELECT version FROM schema_version ORDER BY version");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), Migrations().size());
  for (size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i][0], std::to_string(Migrations()[i].version));
  }
  // A database from a newer binary is refused, not silently used.
  ASSERT_TRUE(raw->Exec("INSERT INTO schema_version (version, description, applied_at) VALUES "
                        "(99, 'future', 0)")
                  .ok());
  EXPECT_EQ(Open(Sealer()).status().reason_id(), "store.migration_failed");
}

// Replicas started together on an empty database all migrate it at once: every one must open,
// and the schema must hold each migration exactly once (deploy/ha starts its replicas so).
TEST_P(StoreTest, ReplicasStartingTogetherOnAnEmptyDatabaseAllOpen) {
  constexpr int kRounds = 8;
  std::vector<std::string> targets;
  targets.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    targets.push_back(EmptyDatabase());
  }
  const RaceOutcome out = RaceTwoConnections(kRounds, "", [&](int, int round) {
    return OpenAt(targets[static_cast<size_t>(round)], Sealer()).status();
  });
  EXPECT_EQ(out.errors, 0);
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(out.wins[static_cast<size_t>(round)], 2);
    auto raw = RawAt(targets[static_cast<size_t>(round)]);
    ASSERT_TRUE(raw);
    auto rows = raw->Exec("SELECT COUNT(*), MAX(version) FROM schema_version");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ((*rows)[0][0], std::to_string(Migrations().size()));
    EXPECT_EQ((*rows)[0][1], std::to_string(Migrations().back().version));
  }
}

// Ping is the readiness check: on PostgreSQL it also compares the replica's clock with the
// database server's, since nonce expiry, host trust windows and SigV4 skew are decided by the
// replica's clock. SQLite lives in the replica's own clock: nothing to compare with.
TEST_P(StoreTest, PingRefusesAClockOffTheDatabaseServers) {
  const bool compares = GetParam() == Dialect::kPostgres;
  const struct {
    std::string name;
    std::chrono::seconds offset;
    bool want_ok;
  } cases[] = {
      {"in step", seconds(0), true},
      {"a few seconds off", seconds(5), true},
      {"just inside the bound", Store::kMaxClockSkew - seconds(2), true},
      {"ten minutes ahead", seconds(600), !compares},
      {"ten minutes behind", seconds(-600), !compares},
      {"a day ahead", seconds(86400), !compares},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status s = store_->Ping(WallClockNow() + c.offset);
    EXPECT_EQ(s.ok(), c.want_ok) << s.ToString();
    if (!s.ok()) {
      EXPECT_EQ(s.reason_id(), reasons::kStoreDatabase.id);
    }
  }
}

TEST_P(StoreTest, AnotherTenantsResourceLooksMissing) {
  ASSERT_TRUE(store_->PutPolicy(PolicyKind::kTenantPolicy, a_, "prod", "{}", T0()).ok());
  ASSERT_TRUE(store_->PutPolicy(PolicyKind::kHostPolicy, a_, "hp", "{}", T0()).ok());
  auto host = store_->RegisterHost(a_, {{1}, {}, {2}, "hp", ""}, T0());
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE(store_->PutCollateral(a_, "tcb/00806f", {3}, T0()).ok());
  auto cred = store_->CreateCredential(a_, T0());
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(store_->PutSecurityGroup(a_, "web", "sg-a", "", "[]", T0()).ok());
  ASSERT_TRUE(store_->PutNet(a_, "lan", "net-a", "10.0.0.0/24", false, T0()).ok());

  // Each row: what tenant B gets for A's resource, and what B gets for a name nobody has. The
  // two must be the same answer.
  const struct {
    std::string name;
    std::function<Status(const std::string& id)> get;
    std::string owned, missing;
  } cases[] = {
      {"policy",
       [&](const std::string& n) {
         return store_->GetPolicy(PolicyKind::kTenantPolicy, b_, n).status();
       },
       "prod", "nope"},
      {"policy version",
       [&](const std::string& n) {
         return store_->GetPolicy(PolicyKind::kTenantPolicy, b_, n, 1).status();
       },
       "prod", "nope"},
      {"policy delete",
       [&](const std::string& n) {
         return store_->DeletePolicy(PolicyKind::kTenantPolicy, b_, n, T0());
       },
       "prod", "nope"},
      {"host policy",
       [&](const std::string& n) {
         return store_->GetPolicy(PolicyKind::kHostPolicy, b_, n).status();
       },
       "hp", "nope"},
      {"host", [&](const std::string& id) { return store_->GetHost(b_, id).status(); }, host->id,
       "h-0000000000000000"},
      {"host update",
       [&](const std::string& id) {
         return store_->UpdateHostState(b_, id, HostState::kTrusted, "{}", T0(), T0());
       },
       host->id, "h-0000000000000000"},
      {"collateral", [&](const std::string& k) { return store_->GetCollateral(b_, k).status(); },
       "tcb/00806f", "tcb/none"},
      {"credential delete", [&](const std::string& k) { return store_->DeleteCredential(b_, k); },
       cred->access_key_id, "AKIA0000000000000000"},
      {"security group",
       [&](const std::string& n) { return store_->GetSecurityGroup(b_, n).status(); }, "web",
       "nope"},
      {"security group delete",
       [&](const std::string& n) { return store_->DeleteSecurityGroup(b_, n); }, "web", "nope"},
      {"net", [&](const std::string& n) { return store_->GetNet(b_, n).status(); }, "lan", "nope"},
      {"net delete", [&](const std::string& n) { return store_->DeleteNet(b_, n); }, "lan", "nope"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status owned = c.get(c.owned);
    const Status missing = c.get(c.missing);
    EXPECT_EQ(owned.reason_id(), "store.not_found");
    EXPECT_EQ(owned.reason_id(), missing.reason_id());
    // Same message shape, differing only by the name asked for.
    std::string normalized = owned.message();
    normalized.replace(normalized.find(c.owned), c.owned.size(), c.missing);
    EXPECT_EQ(normalized, missing.message());
  }
  EXPECT_TRUE(store_->ListPolicies(PolicyKind::kTenantPolicy, b_)->empty());
  EXPECT_TRUE(store_->ListHosts(b_)->empty());
  EXPECT_EQ(store_->ListHosts(a_)->size(), 1u);
  // A's resources are untouched by B's attempts.
  EXPECT_TRUE(store_->GetPolicy(PolicyKind::kTenantPolicy, a_, "prod").ok());
  EXPECT_STREQ(HostStateName(store_->GetHost(a_, host->id)->state), "registered");
  EXPECT_TRUE(store_->ListSecurityGroups(b_)->empty());
  EXPECT_TRUE(store_->ListNets(b_)->empty());
  EXPECT_EQ(store_->GetSecurityGroup(a_, "web")->id, "sg-a");
  EXPECT_EQ(store_->GetNet(a_, "lan")->id, "net-a");
}

}  // namespace
}  // namespace attest::service::store
