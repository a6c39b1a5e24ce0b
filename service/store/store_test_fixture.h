// StoreTest: the storage suite's fixture, run against both backends: SQLite (a temporary file) and
// PostgreSQL (the server scripts/services.sh starts; connection from PGHOST/PGPORT/PGUSER/
// PGDATABASE). Each resource's tests (<resource>_store_test.cc) use it; store_test_fixture.cc
// instantiates the suite once for every file.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/store/sql.h"
#include "service/store/store.h"

namespace attest::service::store {

// T0 is the suite's fixed "now": 2025-11-25T08:00:00Z.
inline TimePoint T0() { return FromUnixSeconds(1764057600); }

// Sealer returns a local-key sealer whose KEK is 32 bytes of fill.
std::shared_ptr<const SecretSealer> Sealer(uint8_t fill = 7);

// StoreTest opens stores and raw connections on one fresh database per test (a new SQLite file,
// or a new PostgreSQL schema), with two tenants a_ and b_.
class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Open opens another Store (another connection) on the test's database.
  Result<std::unique_ptr<Store>> Open(std::shared_ptr<const SecretSealer> sealer);
  // Raw opens a plain connection on the test's database, to look behind the store.
  std::unique_ptr<SqlConnection> Raw();
  // EmptyDatabase returns the target of another database, empty and unmigrated: a new SQLite file
  // beside the test's, or a new PostgreSQL schema (dropped at TearDown). OpenAt and RawAt open a
  // Store or a plain connection on such a target.
  std::string EmptyDatabase();
  Result<std::unique_ptr<Store>> OpenAt(const std::string& target,
                                        std::shared_ptr<const SecretSealer> sealer);
  std::unique_ptr<SqlConnection> RawAt(const std::string& target);

  std::filesystem::path dir_;
  std::string schema_;
  std::vector<std::string> empty_schemas_;
  std::string target_;
  std::unique_ptr<Store> store_;
  std::string a_, b_;
};

// MakeVolume returns a volume record ready for CreateVolume (wrapped key: 60 bytes of fill).
Volume MakeVolume(const std::string& id, uint8_t fill = 1);

// MakeVm returns a VM record on host "h-1" ready for CreateVm.
Vm MakeVm(const std::string& id, std::vector<std::string> volume_ids);

// Record returns the i-th audit record of tenant.
AuditRecord Record(const std::string& tenant, int i);

// RaceOutcome is what RaceTwoConnections saw: per round, how many of the two attempts succeeded,
// and how many failed for a reason other than losing.
struct RaceOutcome {
  std::vector<int> wins;
  int errors = 0;
};

// RaceTwoConnections runs attempt(racer, round) from two threads (racer 0 and 1) in lockstep, round
// after round: both threads start each round together. A failure with loser_reason is a lost race.
RaceOutcome RaceTwoConnections(int rounds, std::string_view loser_reason,
                               const std::function<Status(int racer, int round)>& attempt);

// AuditHeadSeq reads how many entries the log has (the head's seq).
int64_t AuditHeadSeq(SqlConnection* raw);

}  // namespace attest::service::store
