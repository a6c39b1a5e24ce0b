#include "service/store/nonce_store.h"

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/keys/kek.h"
#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

Status NonceRejected() {
  return Status(reasons::kStoreNonceRejected, "nonce unknown, expired or already used");
}

}  // namespace

Result<Nonce> NonceStore::IssueNonce(const std::string& caller_tenant, const std::string& subject,
                                     std::chrono::seconds ttl, TimePoint now) {
  if (ttl.count() <= 0) {
    return Status(reasons::kStoreInvalidArgument, "nonce ttl must be > 0");
  }
  Nonce n{HexEncode(keys::RandomBytes(32)), caller_tenant, subject, now + ttl};
  ATTEST_RETURN_IF_ERROR(db_->Exec("INSERT INTO nonces (value, tenant_id, subject, expires_at, "
                                   "used) VALUES ($1, $2, $3, $4, FALSE)",
                                   {n.value, caller_tenant, subject, Unix(n.expires_at)})
                             .status());
  return n;
}

Status NonceStore::ConsumeNonce(const std::string& caller_tenant, const std::string& subject,
                                const std::string& value, TimePoint now) {
  return ConsumeNonceIn(db_, caller_tenant, subject, value, now);
}

Status ConsumeNonceIn(SqlConnection* db, const std::string& caller_tenant,
                      const std::string& subject, const std::string& value, TimePoint now) {
  // One statement: the row flips to used for exactly one caller; every other caller (another
  // thread, another replica) matches no row. No read-then-write window.
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db->Exec("UPDATE nonces SET used = TRUE WHERE value = $1 AND tenant_id = $2 AND "
                          "subject = $3 AND used = FALSE AND expires_at > $4 RETURNING value",
                          {value, caller_tenant, subject, Unix(now)}));
  if (rows.size() != 1) {
    return NonceRejected();
  }
  return Status::Ok();
}

Result<std::optional<int64_t>> NonceStore::PurgeExpired(TimePoint now, int64_t batch) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  if (db_->dialect() == Dialect::kPostgres) {
    // Advisory locks belong to the database; the schema's name in the key makes it one purge per
    // schema (replicas share one; tests each have their own). 1886745191 is "purg".
    ATTEST_ASSIGN_OR_RETURN(
        auto locked,
        db_->Exec("SELECT pg_try_advisory_xact_lock(1886745191, hashtext(current_schema()))"));
    if (locked.empty() || !locked[0][0] || (*locked[0][0] != "t" && *locked[0][0] != "true")) {
      return std::optional<int64_t>();
    }
  }
  int64_t deleted = 0;
  // DELETE has no LIMIT in PostgreSQL: the batch is chosen by a subquery, in both dialects.
  for (const char* sql :
       {"DELETE FROM nonces WHERE value IN (SELECT value FROM nonces WHERE expires_at <= $1 "
        "LIMIT $2) RETURNING value",
        "DELETE FROM request_signatures WHERE signature IN (SELECT signature FROM "
        "request_signatures WHERE expires_at <= $1 LIMIT $2) RETURNING signature"}) {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(sql, {Unix(now), batch}));
    deleted += static_cast<int64_t>(rows.size());
  }
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return std::optional<int64_t>(deleted);
}

Status NonceStore::CheckNonce(const std::string& caller_tenant, const std::string& subject,
                              const std::string& value, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("SELECT value FROM nonces WHERE value = $1 AND tenant_id = $2 AND subject = $3 "
                "AND used = FALSE AND expires_at > $4",
                {value, caller_tenant, subject, Unix(now)}));
  if (rows.size() != 1) {
    return NonceRejected();
  }
  return Status::Ok();
}

Status SpendSubjectNonces(SqlConnection* db, const std::string& caller_tenant,
                          const std::string& subject) {
  return db
      ->Exec("UPDATE nonces SET used = TRUE WHERE subject = $1 AND tenant_id = $2",
             {subject, caller_tenant})
      .status();
}

}  // namespace attest::service::store
