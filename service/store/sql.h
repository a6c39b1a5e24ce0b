// SqlConnection: the few things the store needs from a database, over SQLite and PostgreSQL.
//
// Statements use PostgreSQL's $1..$N placeholders on both (SQLite accepts "$N" as a named
// parameter; we bind by name). Results come back as text, with BLOB / BYTEA columns as raw bytes.
// A connection is used by one thread at a time; replicas and threads open their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "service/store/reasons.h"

namespace attest::service::store {

enum class Dialect { kSqlite, kPostgres };

using SqlValue = std::variant<std::nullptr_t, int64_t, std::string, Bytes>;
using SqlRow = std::vector<std::optional<std::string>>;  // NULL is nullopt; bytes as a string

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  // Exec runs one statement with parameters and returns its rows. Fails with
  // reasons::kStoreDatabase, or reasons::kStoreAlreadyExists on a unique-key violation.
  virtual Result<std::vector<SqlRow>> Exec(std::string_view sql,
                                           const std::vector<SqlValue>& params = {}) = 0;
  // ExecScript runs several ';'-separated statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // BeginWrite starts a transaction that already holds the write lock where the engine has one
  // (SQLite BEGIN IMMEDIATE), so read-then-write sequences inside cannot deadlock or interleave.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

// OpenSqlite opens (creating) the database file at path in WAL mode with a busy timeout. With
// read_only, an existing file is opened without write access and nothing is created.
Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path, bool read_only = false);

// OpenPostgres connects with a libpq connection string ("" takes PGHOST, PGPORT, PGUSER,
// PGDATABASE... from the environment).
Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& conninfo);

// Transaction rolls back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(SqlConnection* db) : db_(db) {}
  ~Transaction() {
    if (active_) {
      db_->Rollback();
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Begin() {
    Status s = db_->BeginWrite();
    active_ = s.ok();
    return s;
  }
  Status Commit() {
    active_ = false;
    return db_->Commit();
  }

 private:
  SqlConnection* db_;
  bool active_ = false;
};

}  // namespace attest::service::store
