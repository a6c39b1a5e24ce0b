// Storage throughput on both backends: a nonce issued then consumed (the key-release and host
// challenge round trip), and one audit-log append (a chained, serialised write).
//
//   SQLite: a WAL-mode file in a temporary directory (synchronous=NORMAL, as attestd runs it).
//   PostgreSQL: the server named by PGHOST/PGPORT/PGUSER/PGDATABASE (scripts/services.sh starts
//   one); skipped with a note when PGHOST is unset. The test server runs with fsync off, so its
//   figures are an upper bound for a durable deployment.
// Beside them, in the same run: the SHA-256 of one audit entry's canonical bytes (the chain's own
// cost) to show how much of an append is the database.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "attest/core/encoding.h"
#include "bench/ratio_reporter.h"
#include "service/store/sql.h"
#include "service/store/store.h"

namespace attest::bench {
namespace {

namespace fs = std::filesystem;
namespace st = service::store;

struct Backend {
  std::unique_ptr<st::Store> store;
  std::string tenant;
};

std::shared_ptr<const st::SecretSealer> Sealer() {
  return std::shared_ptr<const st::SecretSealer>(
      st::LocalKeySealer::FromKey(Bytes(32, 7)).value().release());
}

fs::path& SqliteDir() {
  static fs::path dir;
  return dir;
}
std::string& PgSchema() {
  static std::string schema;
  return schema;
}

Backend* OpenBackend(bool postgres) {
  Result<std::unique_ptr<st::Store>> store = Status(reasons::kInternalError, "unset");
  if (postgres) {
    PgSchema() = "bench_" + HexEncode(st::RandomBytes(4));
    auto admin = st::OpenPostgres("");
    if (!admin.ok() || !(*admin)->ExecScript("CREATE SCHEMA " + PgSchema()).ok()) {
      return nullptr;
    }
    store = st::OpenPostgresStore("options='-c search_path=" + PgSchema() + "'", Sealer());
  } else {
    SqliteDir() = fs::temp_directory_path() / ("attest-bench-" + HexEncode(st::RandomBytes(4)));
    fs::create_directories(SqliteDir());
    store = st::OpenSqliteStore((SqliteDir() / "bench.db").string(), Sealer());
  }
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    return nullptr;
  }
  auto* b = new Backend{std::move(store).value(), ""};
  b->tenant = b->store->CreateTenant("bench", st::Role::kTenant, FromUnixSeconds(0))->id;
  return b;
}

Backend* Get(bool postgres) {
  if (postgres) {
    static Backend* pg = OpenBackend(true);
    return pg;
  }
  static Backend* sqlite = OpenBackend(false);
  return sqlite;
}

void BM_NonceIssueConsume(benchmark::State& state) {
  Backend* b = Get(state.range(0) == 1);
  if (b == nullptr) {
    state.SkipWithError("backend unavailable");
    return;
  }
  const TimePoint now = WallClockNow();
  for (auto _ : state) {
    auto n = b->store->IssueNonce(b->tenant, "vm-1", std::chrono::seconds(60), now);
    if (!n.ok() || !b->store->ConsumeNonce(b->tenant, "vm-1", n->value, now).ok()) {
      state.SkipWithError("nonce round trip failed");
      break;
    }
  }
}

void BM_AuditAppend(benchmark::State& state) {
  Backend* b = Get(state.range(0) == 1);
  if (b == nullptr) {
    state.SkipWithError("backend unavailable");
    return;
  }
  const st::AuditRecord record{b->tenant,       WallClockNow(), "AKIABENCH",
                               "host.appraise", "h-1",          std::string(64, 'e'),
                               "hp@1",          "accepted",     "bench"};
  for (auto _ : state) {
    if (!b->store->AppendAudit(record).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
}

void BM_AuditEntryHash(benchmark::State& state) {
  st::AuditEntry e;
  e.seq = 42;
  e.record = {"t-0",  WallClockNow(), "AKIABENCH", "host.appraise", "h-1", std::string(64, 'e'),
              "hp@1", "accepted",     "bench"};
  e.prev_hash = st::kAuditGenesisHash;
  for (auto _ : state) {
    benchmark::DoNotOptimize(st::AuditEntryHash(e));
  }
}
BENCHMARK(BM_AuditEntryHash);

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  using namespace attest::bench;
  benchmark::Initialize(&argc, argv);
  const bool postgres = std::getenv("PGHOST") != nullptr;
  std::vector<int64_t> backends = {0};
  if (postgres) {
    backends.push_back(1);
  } else {
    std::printf(
        "note: PGHOST unset, PostgreSQL part skipped (scripts/services.sh start DIR; "
        ". DIR/env)\n");
  }
  for (int64_t b : backends) {
    const char* name = b == 1 ? "postgres" : "sqlite";
    benchmark::RegisterBenchmark((std::string("BM_NonceIssueConsume/") + name).c_str(),
                                 BM_NonceIssueConsume)
        ->Arg(b)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("BM_AuditAppend/") + name).c_str(), BM_AuditAppend)
        ->Arg(b)
        ->UseRealTime();
  }
  RatioReporter reporter;
  for (const char* name : {"sqlite", "postgres"}) {
    reporter.AddRatio(std::string("audit append (") + name + ") vs the chain hash alone",
                      std::string("BM_AuditAppend/") + name + "/" +
                          (std::string(name) == "postgres" ? "1" : "0") + "/real_time",
                      "BM_AuditEntryHash");
  }
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (!SqliteDir().empty()) {
    std::filesystem::remove_all(SqliteDir());
  }
  if (!PgSchema().empty()) {
    auto admin = attest::service::store::OpenPostgres("");
    if (admin.ok()) {
      (void)(*admin)->ExecScript("DROP SCHEMA " + PgSchema() + " CASCADE");
    }
  }
  return 0;
}
