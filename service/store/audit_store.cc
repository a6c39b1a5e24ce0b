#include "service/store/audit_store.h"

#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kAudit(
    "seq, tenant_id, at, actor, action, subject, evidence_digest, policy_version, outcome, detail, "
    "prev_hash, client_address");
constexpr ColumnList kHead("seq, hash");

Result<AuditEntry> ToAudit(const Row& r) {
  AuditEntry e;
  ATTEST_ASSIGN_OR_RETURN(e.seq, r.Int(kAudit["seq"]));
  e.record.tenant_id = r.Text(kAudit["tenant_id"]);
  ATTEST_ASSIGN_OR_RETURN(e.record.at, r.Time(kAudit["at"]));
  e.record.actor = r.Text(kAudit["actor"]);
  e.record.action = r.Text(kAudit["action"]);
  e.record.subject = r.Text(kAudit["subject"]);
  e.record.evidence_digest = r.Text(kAudit["evidence_digest"]);
  e.record.policy_version = r.Text(kAudit["policy_version"]);
  e.record.outcome = r.Text(kAudit["outcome"]);
  e.record.detail = r.Text(kAudit["detail"]);
  e.prev_hash = r.Text(kAudit["prev_hash"]);
  e.record.client_address = r.Text(kAudit["client_address"]);
  return e;
}

}  // namespace

Result<AuditEntry> AuditStore::AppendAudit(const AuditRecord& record) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(AuditEntry entry, AppendAuditInTransaction(db_, record));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return entry;
}

Result<std::vector<AuditEntry>> AuditStore::ListAudit(const std::string& caller_tenant,
                                                      int64_t after_seq, int64_t limit) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result, db_->Exec(std::string("SELECT ") + kAudit.sql() +
                                 " FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq "
                                 "LIMIT $3",
                             {caller_tenant, after_seq, limit}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kAudit));
  return rows.Map(ToAudit);
}

Result<std::optional<AuditChainBreak>> AuditStore::VerifyAudit() { return VerifyAuditLog(db_); }

Result<AuditEntry> AppendAuditInTransaction(SqlConnection* db, const AuditRecord& record) {
  // The head row serialises appenders: SQLite's write lock is already held (BEGIN IMMEDIATE);
  // PostgreSQL locks the row until commit.
  const std::string lock = db->dialect() == Dialect::kPostgres ? " FOR UPDATE" : "";
  ATTEST_ASSIGN_OR_RETURN(auto result, db->Exec(std::string("SELECT ") + kHead.sql() +
                                                " FROM audit_head WHERE id = 1" + lock));
  ATTEST_ASSIGN_OR_RETURN(const Rows head, Rows::Of(result, kHead));
  if (head.empty()) {
    return Corrupt("audit head");
  }
  AuditEntry e;
  ATTEST_ASSIGN_OR_RETURN(const int64_t seq, head[0].Int(kHead["seq"]));
  e.seq = seq + 1;
  e.record = record;
  e.prev_hash = head[0].Text(kHead["hash"]);
  const std::string insert = std::string("INSERT INTO audit_log (") + kAudit.sql() +
                             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
  std::vector<SqlValue> values = {
      e.seq,          record.tenant_id,       Unix(record.at),       record.actor,   record.action,
      record.subject, record.evidence_digest, record.policy_version, record.outcome, record.detail,
      e.prev_hash,    record.client_address};
  if (db->dialect() == Dialect::kPostgres) {
    // Every write of every replica waits on this row until the holder commits: the entry and the
    // new head go in one statement, one round trip less under the lock (boot storms, issue 21).
    values.emplace_back(AuditEntryHash(e));
    ATTEST_RETURN_IF_ERROR(db->Exec("WITH appended AS (" + insert +
                                        ") UPDATE audit_head SET seq = $1, hash = $13 WHERE id = 1",
                                    values)
                               .status());
    return e;
  }
  ATTEST_RETURN_IF_ERROR(db->Exec(insert, values).status());
  ATTEST_RETURN_IF_ERROR(
      db->Exec("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", {e.seq, AuditEntryHash(e)})
          .status());
  return e;
}

Result<std::optional<AuditChainBreak>> VerifyAuditLog(SqlConnection* db, int64_t* num_entries) {
  // The head first: entries appended after it was read are beyond its seq and ignored, so a
  // concurrent append never looks like a break.
  ATTEST_ASSIGN_OR_RETURN(auto head_result, db->Exec(std::string("SELECT ") + kHead.sql() +
                                                     " FROM audit_head WHERE id = 1"));
  ATTEST_ASSIGN_OR_RETURN(const Rows head, Rows::Of(head_result, kHead));
  if (head.empty()) {
    return Corrupt("audit head");
  }
  ATTEST_ASSIGN_OR_RETURN(const int64_t head_seq, head[0].Int(kHead["seq"]));
  ATTEST_ASSIGN_OR_RETURN(auto result, db->Exec(std::string("SELECT ") + kAudit.sql() +
                                                    " FROM audit_log WHERE seq <= $1 ORDER BY seq",
                                                {head_seq}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kAudit));
  ATTEST_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries, rows.Map(ToAudit));
  if (num_entries != nullptr) {
    *num_entries = static_cast<int64_t>(entries.size());
  }
  return VerifyAuditChain(entries, head[0].Text(kHead["hash"]));
}

}  // namespace attest::service::store
