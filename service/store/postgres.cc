// SqlConnection over PostgreSQL (libpq), for several attestd replicas sharing one database.
#include <libpq-fe.h>

#include <string>
#include <unordered_map>

#include "attest/core/encoding.h"
#include "service/store/sql.h"

namespace attest::service::store {
namespace {

constexpr Oid kByteaOid = 17;

using PgResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

class PostgresConnection : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<std::vector<SqlRow>> Exec(std::string_view sql,
                                   const std::vector<SqlValue>& params) override {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        continue;
      }
      if (const auto* n = std::get_if<int64_t>(&v)) {
        text[i] = std::to_string(*n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        text[i] = *s;
      } else {
        const Bytes& b = std::get<Bytes>(v);
        text[i].assign(b.begin(), b.end());
        formats[i] = 1;  // binary: BYTEA takes the raw bytes
      }
      values[i] = text[i].c_str();
      lengths[i] = static_cast<int>(text[i].size());
    }
    ATTEST_ASSIGN_OR_RETURN(const std::string* name, Prepare(sql, static_cast<int>(params.size())));
    PgResultPtr res(PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()),
                                   values.data(), lengths.data(), formats.data(), 0),
                    PQclear);
    const ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Error(res.get());
    }
    std::vector<SqlRow> rows;
    const int n_rows = PQntuples(res.get());
    const int n_cols = PQnfields(res.get());
    rows.reserve(static_cast<size_t>(n_rows));
    for (int r = 0; r < n_rows; ++r) {
      SqlRow row(static_cast<size_t>(n_cols));
      for (int c = 0; c < n_cols; ++c) {
        if (PQgetisnull(res.get(), r, c)) {
          continue;
        }
        std::string value(PQgetvalue(res.get(), r, c),
                          static_cast<size_t>(PQgetlength(res.get(), r, c)));
        if (PQftype(res.get(), c) == kByteaOid) {
          // Text-format BYTEA is "\x" followed by hex (bytea_output = hex, the default).
          if (value.rfind("\\x", 0) != 0) {
            return Status(reasons::kStoreDatabase, "postgres: bytea not in hex output format");
          }
          auto bytes = HexDecode(std::string_view(value).substr(2));
          if (!bytes.ok()) {
            return Status(reasons::kStoreDatabase, "postgres: bad bytea hex");
          }
          value.assign(bytes->begin(), bytes->end());
        }
        row[c] = std::move(value);
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status ExecScript(std::string_view sql) override {
    PgResultPtr res(PQexec(conn_, std::string(sql).c_str()), PQclear);
    const ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Error(res.get());
    }
    return Status::Ok();
  }

  Status BeginWrite() override { return ExecScript("BEGIN"); }
  Status Commit() override { return ExecScript("COMMIT"); }
  void Rollback() override { (void)ExecScript("ROLLBACK"); }

 private:
  // kMaxPreparedStatements bounds the cache: the store's statements are a fixed set (a few
  // dozen), so the bound only guards against a caller building SQL text per call.
  static constexpr size_t kMaxPreparedStatements = 256;

  // Prepare returns the name of the server-side prepared statement for sql, preparing it on
  // first use on this connection: later runs skip the server's parse and analysis. Prepared
  // statements live as long as the session and survive a rolled-back transaction (PostgreSQL
  // PREPARE), so the cache stays true; a connection dropped after an error takes its cache along.
  Result<const std::string*> Prepare(std::string_view sql, int num_params) {
    const std::string key(sql);
    if (auto it = prepared_.find(key); it != prepared_.end()) {
      return &it->second;
    }
    if (prepared_.size() >= kMaxPreparedStatements) {
      PgResultPtr res(PQexec(conn_, "DEALLOCATE ALL"), PQclear);
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        return Error(res.get());
      }
      prepared_.clear();
    }
    const std::string name = "attest_" + std::to_string(next_statement_++);
    PgResultPtr res(PQprepare(conn_, name.c_str(), key.c_str(), num_params, nullptr), PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return Error(res.get());
    }
    return &prepared_.emplace(key, name).first->second;
  }

  Status Error(const PGresult* res) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    // 23505 unique_violation (PostgreSQL Appendix A, error codes).
    const Reason reason = state != nullptr && std::string_view(state) == "23505"
                              ? reasons::kStoreAlreadyExists
                              : reasons::kStoreDatabase;
    std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
      msg.pop_back();
    }
    return Status(reason, "postgres: " + msg);
  }

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  uint64_t next_statement_ = 0;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& conninfo) {
  // Bounded waits unless the connection string sets its own: a database that vanishes from the
  // network (packets dropped, not refused) otherwise holds a connect or a query for as long as
  // TCP retransmits, ~15 minutes, and every request thread with it (issue 21, PostgreSQL
  // unreachable). Entries before "dbname" are defaults the expanded connection string overrides.
  const char* const keywords[] = {"connect_timeout",
                                  "tcp_user_timeout",
                                  "keepalives_idle",
                                  "keepalives_interval",
                                  "keepalives_count",
                                  "dbname",
                                  nullptr};
  const char* const values[] = {"5", "10000", "10", "2", "3", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
    PQfinish(conn);
    while (!msg.empty() && msg.back() == '\n') {
      msg.pop_back();
    }
    return Status(reasons::kStoreDatabase, "postgres connect: " + msg);
  }
  auto pg = std::make_unique<PostgresConnection>(conn);
  ATTEST_RETURN_IF_ERROR(pg->ExecScript("SET client_min_messages = warning"));
  return std::unique_ptr<SqlConnection>(std::move(pg));
}

}  // namespace attest::service::store
