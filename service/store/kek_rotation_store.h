// KekRotationStore: re-wraps every secret the database holds under the KEK (volume keys, credential
// secrets, hosts' pending secrets, webhook secrets) from previous KEKs to the current one, in
// batches, and retires a KEK once no row needs it (issue 17 #14; `attestd kek`).
//
// Each such row records the id of the KEK that wrapped it (schema version 14; volumes from the
// start). A batch is one write transaction: it reads up to batch_size rows whose recorded KEK is
// not the current one, unwraps each (a KeyRing opens it with the KEK its blob names), wraps it
// under the current KEK, writes blob and kek_id together only if the blob is still the one read
// (a row deleted or replaced meanwhile is left as the other writer made it), and appends a
// progress entry to the audit log. A process killed mid-batch commits nothing of that batch; the
// next run selects what is still left, so rotation resumes where it stopped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/keys/kek.h"
#include "service/store/audit.h"
#include "service/store/sql.h"

namespace attest::service::store {

// KekRowCount: how many rows of one kind ("volumes", "credentials", "host_pending_secrets",
// "webhooks") record kek_id ("" for rows sealed before schema version 14).
struct KekRowCount {
  std::string kind;
  std::string kek_id;
  int64_t rows = 0;
};

// RewrapBatchResult: what one batch did. rewrapped < examined when a row changed under it (it is
// selected again by a later batch if it still needs re-wrapping).
struct RewrapBatchResult {
  int64_t examined = 0;
  int64_t rewrapped = 0;
};

class KekRotationStore {
 public:
  explicit KekRotationStore(SqlConnection* db) : db_(db) {}

  // CountByKek returns, per kind and recorded KEK, how many rows hold a sealed secret.
  Result<std::vector<KekRowCount>> CountByKek();

  // RewrapBatch re-wraps up to batch_size (1..10000) rows whose recorded KEK is not
  // kek.key_id(), in one transaction with an audit entry (progress, its detail extended with the
  // counts) when any row was examined. A row that does not open fails the whole batch (nothing of
  // it is written) with the KEK's reason (keys.kek_unknown when no configured KEK has the id its
  // blob names) and the row in the message.
  Result<RewrapBatchResult> RewrapBatch(const keys::KeyEncryptionKey& kek, int64_t batch_size,
                                        AuditRecord progress);

  // RowsNeeding counts the rows that still need kek_id: those recording it, and those from
  // before schema version 14 whose blob header names it.
  Result<int64_t> RowsNeeding(const std::string& kek_id);

  // RetireKek records kek_id as retired, with the audit entry (its subject set to kek_id), in one
  // transaction. It fails with store.kek_in_use while RowsNeeding(kek_id) > 0 or when kek_id is
  // current_kek_id. Retiring a retired KEK again is OK and changes nothing.
  Status RetireKek(const std::string& kek_id, const std::string& current_kek_id, AuditRecord audit);

  // IsKekRetired reports whether kek_id was retired.
  Result<bool> IsKekRetired(const std::string& kek_id);

  // KekAuditTenant returns the tenant KEK events are audited under: the first operator tenant.
  // store.not_found when there is none.
  Result<std::string> KekAuditTenant();

 private:
  SqlConnection* db_;
};

}  // namespace attest::service::store
