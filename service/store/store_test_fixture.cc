#include "service/store/store_test_fixture.h"

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "attest/core/encoding.h"

namespace attest::service::store {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::shared_ptr<const SecretSealer> Sealer(uint8_t fill) {
  return std::shared_ptr<const SecretSealer>(
      LocalKeySealer::FromKey(Bytes(LocalKeySealer::kKeyBytes, fill)).value().release());
}

void StoreTest::SetUp() {
  if (GetParam() == Dialect::kSqlite) {
    dir_ = fs::temp_directory_path() / ("attest-store-" + HexEncode(RandomBytes(6)));
    fs::create_directories(dir_);
    target_ = (dir_ / "attestd.db").string();
  } else {
    if (std::getenv("PGHOST") == nullptr) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL() << "PostgreSQL tests under CI=true need PGHOST/PGPORT/PGUSER/PGDATABASE "
                  "(scripts/test starts the server with scripts/services.sh)";
      }
      GTEST_SKIP() << "PostgreSQL not configured: run scripts/services.sh start and source "
                      "its env file (PGHOST/PGPORT/PGUSER/PGDATABASE) to run these";
    }
    // A schema of its own per test, so tests never see each other's rows.
    schema_ = "t_" + HexEncode(RandomBytes(6));
    auto admin = OpenPostgres("");
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    ASSERT_TRUE((*admin)->ExecScript("CREATE SCHEMA " + schema_).ok());
    target_ = "options='-c search_path=" + schema_ + "'";
  }
  auto store = Open(Sealer());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
  auto a = store_->CreateTenant("tenant-a", Role::kTenant, T0());
  auto b = store_->CreateTenant("tenant-b", Role::kTenant, T0());
  ASSERT_TRUE(a.ok() && b.ok());
  a_ = a->id;
  b_ = b->id;
}

void StoreTest::TearDown() {
  store_.reset();
  if (!dir_.empty()) {
    fs::remove_all(dir_);
  }
  if (!schema_.empty()) {
    empty_schemas_.push_back(schema_);
  }
  if (!empty_schemas_.empty()) {
    auto admin = OpenPostgres("");
    for (const std::string& schema : empty_schemas_) {
      if (admin.ok()) {
        (void)(*admin)->ExecScript("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }
}

Result<std::unique_ptr<Store>> StoreTest::Open(std::shared_ptr<const SecretSealer> sealer) {
  return OpenAt(target_, std::move(sealer));
}

std::unique_ptr<SqlConnection> StoreTest::Raw() { return RawAt(target_); }

std::string StoreTest::EmptyDatabase() {
  const std::string name = "e_" + HexEncode(RandomBytes(6));
  if (GetParam() == Dialect::kSqlite) {
    return (dir_ / (name + ".db")).string();
  }
  auto admin = OpenPostgres("");
  EXPECT_TRUE(admin.ok() && (*admin)->ExecScript("CREATE SCHEMA " + name).ok());
  empty_schemas_.push_back(name);
  return "options='-c search_path=" + name + "'";
}

Result<std::unique_ptr<Store>> StoreTest::OpenAt(const std::string& target,
                                                 std::shared_ptr<const SecretSealer> sealer) {
  return GetParam() == Dialect::kSqlite ? OpenSqliteStore(target, std::move(sealer))
                                        : OpenPostgresStore(target, std::move(sealer));
}

std::unique_ptr<SqlConnection> StoreTest::RawAt(const std::string& target) {
  auto db = GetParam() == Dialect::kSqlite ? OpenSqlite(target) : OpenPostgres(target);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

Volume MakeVolume(const std::string& id, uint8_t fill) {
  Volume v;
  v.id = id;
  v.name = "disk-" + id;
  v.size_bytes = 32 << 20;
  v.image_path = "/var/lib/attestd/volumes/" + id + ".img";
  v.kek_id = "file:00112233";
  v.wrapped_key = Bytes(60, fill);
  return v;
}

Vm MakeVm(const std::string& id, std::vector<std::string> volume_ids) {
  Vm vm;
  vm.id = id;
  vm.tee_type = "snp";
  vm.policy_name = "prod";
  vm.policy_version = 2;
  vm.policy_sha256 = std::string(64, 'a');
  vm.volume_ids = std::move(volume_ids);
  vm.host_id = "h-1";
  vm.ticket = {'{', '}'};
  vm.ticket_sha256 = std::string(64, 'b');
  vm.ticket_sha384 = std::string(96, 'c');
  return vm;
}

AuditRecord Record(const std::string& tenant, int i) {
  return AuditRecord{tenant,
                     T0() + seconds(i),
                     "AKIAEXAMPLE",
                     "policy.put",
                     "prod",
                     std::string(64, 'e'),
                     "prod@" + std::to_string(i),
                     "ok",
                     "detail " + std::to_string(i)};
}

RaceOutcome RaceTwoConnections(int rounds, std::string_view loser_reason,
                               const std::function<Status(int racer, int round)>& attempt) {
  std::vector<std::atomic<int>> wins(static_cast<size_t>(rounds));
  std::atomic<int> errors{0};
  std::barrier sync(2);
  auto race = [&](int racer) {
    for (int i = 0; i < rounds; ++i) {
      sync.arrive_and_wait();
      const Status st = attempt(racer, i);
      if (st.ok()) {
        ++wins[static_cast<size_t>(i)];
      } else if (st.reason_id() != loser_reason) {
        ++errors;
      }
    }
  };
  std::thread t0(race, 0);
  std::thread t1(race, 1);
  t0.join();
  t1.join();
  RaceOutcome out;
  out.errors = errors.load();
  for (const std::atomic<int>& w : wins) {
    out.wins.push_back(w.load());
  }
  return out;
}

int64_t AuditHeadSeq(SqlConnection* raw) {
  auto rows = raw->Exec("SELECT seq FROM audit_head WHERE id = 1");
  if (!rows.ok() || rows->empty() || !(*rows)[0][0]) {
    return -1;
  }
  return std::stoll(*(*rows)[0][0]);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(Dialect::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values(Dialect::kPostgres));

}  // namespace attest::service::store
