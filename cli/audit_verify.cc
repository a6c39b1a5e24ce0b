// attestctl audit verify --db FILE: checks the hash chain of an attestd SQLite database's audit
// log, read-only. Exit 0 intact, 1 broken (the first broken entry is printed), 2 usage or file
// error.
#include <sys/stat.h>

#include <iostream>
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

constexpr char kUsage[] = "attestctl audit verify --db FILE [--json]";

}  // namespace

int RunAuditVerify(int argc, char** argv, int first) {
  const FlagSpec spec{{"db"}, {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  auto path = args->Require("db");
  if (!path.ok()) {
    return PrintUsageError(path.status(), kUsage);
  }
  struct stat st {};
  if (stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return PrintUsageError(Status(reasons::kFileUnreadable, "no database file " + *path), "");
  }
  auto db = service::store::OpenSqlite(*path, /*read_only=*/true);
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
