// attestctl audit verify --db FILE | --postgres CONNINFO: checks the hash chain of an attestd
// database's audit log (SQLite file or PostgreSQL), read-only. Exit 0 intact, 1 broken (the first
// broken entry is printed), 2 usage, file or connection error.
#include <sys/stat.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "service/store/sql.h"
#include "service/store/store.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] = "attestctl audit verify (--db FILE | --postgres CONNINFO) [--json]";

// OpenSqliteReadOnly opens an existing database file without write access (never creates one).
Result<std::unique_ptr<service::store::SqlConnection>> OpenSqliteReadOnly(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status(reasons::kFileUnreadable, "no database file " + path);
  }
  return service::store::OpenSqlite(path, /*read_only=*/true);
}

// OpenPostgresReadOnly connects ("" = the PG* environment) with a session that cannot write, so
// verifying a live replica set's database never changes it.
Result<std::unique_ptr<service::store::SqlConnection>> OpenPostgresReadOnly(
    const std::string& conninfo) {
  ATTEST_ASSIGN_OR_RETURN(auto db, service::store::OpenPostgres(conninfo));
  ATTEST_RETURN_IF_ERROR(db->ExecScript("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
  return db;
}

}  // namespace

int RunAuditVerify(int argc, char** argv, int first) {
  const FlagSpec spec{{"db", "postgres"}, {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  const auto path = args->Get("db");
  const auto conninfo = args->Get("postgres");
  if (path.has_value() == conninfo.has_value()) {
    return PrintUsageError(Status(reasons::kCliUsage, "give exactly one of --db and --postgres"),
                           kUsage);
  }
  auto db = path.has_value() ? OpenSqliteReadOnly(*path) : OpenPostgresReadOnly(*conninfo);
  if (!db.ok()) {
    return PrintUsageError(db.status(), "");
  }
  int64_t entries = 0;
  auto verdict = service::store::VerifyAuditLog(db->get(), &entries);
  if (!verdict.ok()) {
    return PrintUsageError(verdict.status(), "");
  }
  const bool intact = !verdict->has_value();
  if (args->Has("json")) {
    nlohmann::json out = {{"intact", intact}, {"entries", entries}};
    if (!intact) {
      out["first_broken_seq"] = (*verdict)->seq;
      out["error"] = {{"code", reasons::kStoreAuditChainBroken.id}, {"message", (*verdict)->why}};
    }
    std::cout << out.dump(2) << "\n";
  } else if (intact) {
    std::cout << "audit chain intact: " << entries << " entries\n";
  } else {
    std::cout << "audit chain BROKEN at entry " << (*verdict)->seq << ": " << (*verdict)->why
              << "\n";
  }
  return intact ? kExitAccepted : kExitRejected;
}

}  // namespace attest::cli
