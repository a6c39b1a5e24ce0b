// The store's schema as numbered migrations, applied in order at startup.
#pragma once

#include <string>
#include <vector>

#include "attest/core/status.h"
#include "service/store/reasons.h"
#include "service/store/sql.h"

namespace attest::service::store {

struct Migration {
  int version;
  std::string description;
  std::string sqlite_sql;
  std::string postgres_sql;
};

// Migrations returns every migration, versions 1..N in order. Never edit a released one: add the
// next number.
const std::vector<Migration>& Migrations();

// ApplyMigrations brings db up to the newest version: it creates schema_version when absent, then,
// in one write transaction (PostgreSQL: also under an advisory lock, so replicas starting together
// migrate once), applies each migration newer than the recorded version and records it. Running it
// again changes nothing. A database newer than this binary fails with reasons::kStoreMigration.
Status ApplyMigrations(SqlConnection* db);

// SchemaVersion returns the highest applied migration (0 for an empty database).
Result<int> SchemaVersion(SqlConnection* db);

}  // namespace attest::service::store
