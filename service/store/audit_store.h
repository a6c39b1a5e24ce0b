// AuditStore: the append-only, hash-chained audit log (chain format in audit.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "service/store/audit.h"
#include "service/store/sql.h"

namespace attest::service::store {

// AuditStore reads and appends to audit_log and audit_head over one connection (a view: it does
// not own db).
class AuditStore {
 public:
  explicit AuditStore(SqlConnection* db) : db_(db) {}

  // AppendAudit appends record as the next entry, chained to the newest one, serialised against
  // concurrent appenders (also across replicas).
  Result<AuditEntry> AppendAudit(const AuditRecord& record);
  // ListAudit returns the caller's entries with seq > after_seq, oldest first, at most limit.
  Result<std::vector<AuditEntry>> ListAudit(const std::string& caller_tenant, int64_t after_seq,
                                            int64_t limit);
  // VerifyAudit reads the whole log and checks the chain (VerifyAuditChain with the recorded
  // head). Returns nullopt when intact, else the first break.
  Result<std::optional<AuditChainBreak>> VerifyAudit();

 private:
  SqlConnection* db_;
};

// AppendAuditInTransaction appends record inside the caller's write transaction on db (which
// AppendAudit and HostStore::RecordHostQuote open).
Result<AuditEntry> AppendAuditInTransaction(SqlConnection* db, const AuditRecord& record);

// VerifyAuditLog reads the audit log through db (read-only) and checks its chain against the
// recorded head; num_entries (optional) receives how many entries were checked.
Result<std::optional<AuditChainBreak>> VerifyAuditLog(SqlConnection* db,
                                                      int64_t* num_entries = nullptr);

}  // namespace attest::service::store
