#include "service/store/kek_rotation_store.h"

#include "attest/core/wipe.h"
#include "service/keys/volume.h"
#include "service/store/audit_store.h"
#include "service/store/enrollment_store.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql_row.h"
#include "service/store/webhook_store.h"

namespace attest::service::store {
namespace {

// SealedKind: one kind of row holding a secret sealed by the KEK, and the associated data it was
// sealed with (the same functions the writers use, so the two cannot drift apart).
struct SealedKind {
  const char* name;
  const char* table;
  const char* key;         // the primary key, or its first column
  const char* second_key;  // the primary key's second column, or nullptr
  const char* blob;
  const char* kek_column;
  std::string (*aad)(const std::string& key, const std::string& second_key);
};

constexpr SealedKind kKinds[] = {
    {"volumes", "volumes", "id", nullptr, "wrapped_key", "kek_id",
     [](const std::string& id, const std::string&) { return keys::VolumeKeyAad(id); }},
    {"credentials", "credentials", "access_key_id", nullptr, "sealed_secret", "kek_id",
     [](const std::string& id, const std::string&) { return SealedSecretAad(id); }},
    {"host_pending_secrets", "hosts", "id", nullptr, "pending_secret", "pending_secret_kek_id",
     [](const std::string& id, const std::string&) {
       return SealedSecretAad(PendingSecretLabel(id));
     }},
    {"webhooks", "webhooks", "tenant_id", "name", "sealed_secret", "kek_id",
     [](const std::string& tenant, const std::string& name) {
       return SealedSecretAad(WebhookSecretLabel(tenant, name));
     }},
};

// Statements: each kind's SQL text, fixed per kind (the connections' statement caches stay small).
struct Statements {
  std::string select_batch, update_row, count_by_kek, count_recorded, select_unrecorded;
};

Statements Build(const SealedKind& k) {
  const std::string t = k.table, blob = k.blob, kek = k.kek_column;
  const std::string keys =
      std::string(k.key) + (k.second_key ? std::string(", ") + k.second_key : "");
  const std::string live = " WHERE " + blob + " IS NOT NULL";
  Statements s;
  s.select_batch = "SELECT " + keys + ", " + blob + " FROM " + t + live + " AND " + kek +
                   " <> $1 ORDER BY " + keys + " LIMIT $2";
  // Compare-and-set on the blob read: a volume shredded (NULL) or a secret replaced meanwhile
  // keeps what its writer put there.
  s.update_row = "UPDATE " + t + " SET " + blob + " = $1, " + kek + " = $2 WHERE " + k.key +
                 " = $3 AND " + blob + " = $4" +
                 (k.second_key ? std::string(" AND ") + k.second_key + " = $5" : "") +
                 " RETURNING " + k.key;
  s.count_by_kek = "SELECT " + kek + ", COUNT(*) FROM " + t + live + " GROUP BY " + kek;
  s.count_recorded = "SELECT COUNT(*) FROM " + t + live + " AND " + kek + " = $1";
  s.select_unrecorded = "SELECT " + blob + " FROM " + t + live + " AND " + kek + " = ''";
  return s;
}

const Statements& StatementsOf(size_t kind) {
  static const auto* all = new std::vector<Statements>{Build(kKinds[0]), Build(kKinds[1]),
                                                       Build(kKinds[2]), Build(kKinds[3])};
  return (*all)[kind];
}

Bytes CellBytes(const std::optional<std::string>& cell) {
  return cell ? Bytes(cell->begin(), cell->end()) : Bytes{};
}

// RewrapRow re-wraps one row's blob under kek and writes it if the row still holds blob.
// Returns whether it was written.
Result<bool> RewrapRow(SqlConnection* db, size_t kind, const keys::KeyEncryptionKey& kek,
                       const SqlRow& row) {
  const SealedKind& k = kKinds[kind];
  const bool two_keys = k.second_key != nullptr;
  const std::string key = row[0].value_or("");
  const std::string second = two_keys ? row[1].value_or("") : "";
  const Bytes blob = CellBytes(row[two_keys ? 2 : 1]);
  const std::string aad = k.aad(key, second);
  Result<Bytes> opened = kek.Unwrap(blob, aad);
  if (!opened.ok()) {
    return Status(opened.status().reason(), std::string(k.name) + " row " + key +
                                                (two_keys ? "/" + second : "") + ": " +
                                                opened.status().message());
  }
  Wiped<Bytes> plain(std::move(opened).value());
  ATTEST_ASSIGN_OR_RETURN(const Bytes rewrapped, kek.Wrap(plain.get(), aad));
  std::vector<SqlValue> params = {rewrapped, kek.key_id(), key, blob};
  if (two_keys) {
    params.emplace_back(second);
  }
  ATTEST_ASSIGN_OR_RETURN(auto updated, db->Exec(StatementsOf(kind).update_row, params));
  return !updated.empty();
}

}  // namespace

Result<std::vector<KekRowCount>> KekRotationStore::CountByKek() {
  std::vector<KekRowCount> out;
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(StatementsOf(i).count_by_kek));
    for (const SqlRow& r : rows) {
      if (r.size() != 2) {
        return Corrupt("kek count row");
      }
      ATTEST_ASSIGN_OR_RETURN(const int64_t n, ToInt(r[1]));
      out.push_back({kKinds[i].name, r[0].value_or(""), n});
    }
  }
  return out;
}

Result<RewrapBatchResult> KekRotationStore::RewrapBatch(const keys::KeyEncryptionKey& kek,
                                                        int64_t batch_size, AuditRecord progress) {
  if (batch_size < 1 || batch_size > 10000) {
    return Status(reasons::kStoreInvalidArgument, "kek rotation batch size must be 1..10000");
  }
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  RewrapBatchResult result;
  std::string counts;
  for (size_t i = 0; i < std::size(kKinds) && result.examined < batch_size; ++i) {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(StatementsOf(i).select_batch,
                                                 {kek.key_id(), batch_size - result.examined}));
    int64_t written = 0;
    for (const SqlRow& row : rows) {
      if (row.size() != (kKinds[i].second_key ? 3u : 2u)) {
        return Corrupt("kek rotation row");
      }
      ATTEST_ASSIGN_OR_RETURN(const bool wrote, RewrapRow(db_, i, kek, row));
      written += wrote ? 1 : 0;
    }
    result.examined += static_cast<int64_t>(rows.size());
    result.rewrapped += written;
    if (!rows.empty()) {
      counts +=
          std::string(counts.empty() ? "" : " ") + kKinds[i].name + "=" + std::to_string(written);
    }
  }
  if (result.examined == 0) {
    return result;  // nothing left: no transaction to commit, no audit entry
  }
  progress.detail += (progress.detail.empty() ? "" : " ") + std::string("rewrapped ") + counts;
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, progress).status());
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return result;
}

Result<int64_t> KekRotationStore::RowsNeeding(const std::string& kek_id) {
  int64_t total = 0;
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    ATTEST_ASSIGN_OR_RETURN(auto counted, db_->Exec(StatementsOf(i).count_recorded, {kek_id}));
    if (counted.size() != 1 || counted[0].size() != 1) {
      return Corrupt("kek row count");
    }
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, ToInt(counted[0][0]));
    total += n;
    // Rows sealed before their KEK was recorded: the blob's header names it.
    ATTEST_ASSIGN_OR_RETURN(auto unrecorded, db_->Exec(StatementsOf(i).select_unrecorded));
    for (const SqlRow& r : unrecorded) {
      const Bytes blob = r.empty() ? Bytes{} : CellBytes(r[0]);
      Result<keys::WrappedHeader> h = keys::ParseWrappedHeader(blob);
      // A blob whose header does not parse may be under any KEK: it keeps every KEK in use.
      total += !h.ok() || h->key_id == kek_id ? 1 : 0;
    }
  }
  return total;
}

Status KekRotationStore::RetireKek(const std::string& kek_id, const std::string& current_kek_id,
                                   AuditRecord audit) {
  if (kek_id.empty()) {
    return Status(reasons::kStoreInvalidArgument, "no KEK id to retire");
  }
  if (kek_id == current_kek_id) {
    return Status(reasons::kStoreKekInUse,
                  "KEK \"" + kek_id + "\" is the current KEK: rotate to another one first");
  }
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(const int64_t needing, RowsNeeding(kek_id));
  if (needing > 0) {
    return Status(reasons::kStoreKekInUse,
                  "KEK \"" + kek_id + "\" still wraps " + std::to_string(needing) +
                      " row(s): run `attestd kek rotate` to the end first");
  }
  ATTEST_ASSIGN_OR_RETURN(const bool retired, IsKekRetired(kek_id));
  if (retired) {
    return Status::Ok();
  }
  ATTEST_RETURN_IF_ERROR(db_->Exec("INSERT INTO retired_keks (kek_id, retired_at) VALUES ($1, $2)",
                                   {kek_id, Unix(audit.at)})
                             .status());
  audit.subject = kek_id;  // the entry names the KEK it retired, whatever the caller put there
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, audit).status());
  return tx.Commit();
}

Result<bool> KekRotationStore::IsKekRetired(const std::string& kek_id) {
  ATTEST_ASSIGN_OR_RETURN(auto rows,
                          db_->Exec("SELECT kek_id FROM retired_keks WHERE kek_id = $1", {kek_id}));
  return !rows.empty();
}

Result<std::string> KekRotationStore::KekAuditTenant() {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("SELECT id FROM tenants WHERE role = 'operator' ORDER BY created_at, id "
                           "LIMIT 1"));
  if (rows.empty() || rows[0].empty() || !rows[0][0]) {
    return NotFound("operator tenant", "(any)");
  }
  return *rows[0][0];
}

}  // namespace attest::service::store
