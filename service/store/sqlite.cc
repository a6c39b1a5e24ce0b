// SqlConnection over SQLite 3 (embedded default: one file, WAL mode).
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <unordered_map>

#include "service/store/sql.h"

namespace attest::service::store {
namespace {

class SqliteConnection : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) {
      sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<std::vector<SqlRow>> Exec(std::string_view sql,
                                   const std::vector<SqlValue>& params) override {
    ATTEST_ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepare(sql));
    // Reset (not finalize) after use: the compiled statement stays cached for the next call.
    // sqlite3_reset also ends an open read, so a cached statement never pins a WAL snapshot.
    std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> in_use(raw, [](sqlite3_stmt* stmt) {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    });
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = ParameterIndex(raw, i + 1);
      if (index == 0) {
        continue;  // parameter not used by this statement
      }
      int rc = SQLITE_OK;
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(raw, index);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(raw, index, *n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(raw, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        const Bytes& b = std::get<Bytes>(v);
        rc = sqlite3_bind_blob64(raw, index, b.empty() ? "" : static_cast<const void*>(b.data()),
                                 b.size(), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) {
        return Error("bind");
      }
    }
    std::vector<SqlRow> rows;
    while (true) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) {
        break;
      }
      if (rc != SQLITE_ROW) {
        return Error("step");
      }
      const int n = sqlite3_column_count(raw);
      SqlRow row(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        const int type = sqlite3_column_type(raw, c);
        if (type == SQLITE_NULL) {
          continue;
        }
        if (type == SQLITE_BLOB) {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(raw, c));
          row[c] =
              std::string(p == nullptr ? "" : p, p == nullptr ? 0 : sqlite3_column_bytes(raw, c));
        } else {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
          row[c] = std::string(p, static_cast<size_t>(sqlite3_column_bytes(raw, c)));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status ExecScript(std::string_view sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown";
      sqlite3_free(err);
      return Status(reasons::kStoreDatabase, "sqlite: " + msg);
    }
    return Status::Ok();
  }

  Status BeginWrite() override { return ExecScript("BEGIN IMMEDIATE"); }
  Status Commit() override { return ExecScript("COMMIT"); }
  void Rollback() override { (void)ExecScript("ROLLBACK"); }

 private:
  // kMaxCachedStatements bounds the cache: the store's statements are a fixed set (a few dozen),
  // so the bound is only a guard against a caller building SQL text per call.
  static constexpr size_t kMaxCachedStatements = 256;

  // Prepare returns the compiled statement for sql, compiling it on first use. Compiling costs
  // more than running most of the store's one-row statements, and a request runs several.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    const std::string key(sql);
    if (auto it = statements_.find(key); it != statements_.end()) {
      return it->second;
    }
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [old_sql, stmt] : statements_) {
        sqlite3_finalize(stmt);
      }
      statements_.clear();
    }
    statements_.emplace(key, raw);
    return raw;
  }

  // ParameterIndex maps our $N to SQLite's index (SQLite numbers named parameters in order of
  // first appearance, which need not be N).
  static int ParameterIndex(sqlite3_stmt* stmt, size_t n) {
    char name[24];
    std::snprintf(name, sizeof(name), "$%zu", n);
    return sqlite3_bind_parameter_index(stmt, name);
  }

  Status Error(const char* what) {
    const int code = sqlite3_extended_errcode(db_);
    const Reason reason = (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE)
                              ? reasons::kStoreAlreadyExists
                              : reasons::kStoreDatabase;
    return Status(reason, std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status(reasons::kStoreDatabase, "sqlite open " + path + ": " + msg);
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  // Several writers (threads, processes) wait for each other instead of failing with SQLITE_BUSY.
  sqlite3_busy_timeout(db, 10000);
  if (read_only) {
    return std::unique_ptr<SqlConnection>(std::move(conn));
  }
  // Turning a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once,
  // without the busy handler, when another connection is opening the same new file (two
  // processes started together on one fresh database): retry for as long as the busy timeout.
  Status pragmas = Status::Ok();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    pragmas = conn->ExecScript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    if (pragmas.ok() || (sqlite3_errcode(db) & 0xff) != SQLITE_BUSY) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ATTEST_RETURN_IF_ERROR(pragmas);
  return std::unique_ptr<SqlConnection>(std::move(conn));
}

}  // namespace attest::service::store
