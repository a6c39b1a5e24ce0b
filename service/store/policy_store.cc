#include "service/store/policy_store.h"

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

// kPolicy: the columns a version is written with; kPolicyRow: what is read back.
constexpr ColumnList kPolicy("tenant_id, name, version, sha256, document, created_at");
constexpr ColumnList kPolicyRow(
    "tenant_id, name, version, sha256, document, created_at, deleted_at, revoked_at");

const char* PolicyTable(PolicyKind kind) {
  return kind == PolicyKind::kHostPolicy ? "host_policies" : "policies";
}
const char* PolicyNoun(PolicyKind kind) {
  return kind == PolicyKind::kHostPolicy ? "host policy" : "policy";
}

Result<PolicyVersion> ToPolicy(const Row& r) {
  PolicyVersion p;
  p.tenant_id = r.Text(kPolicyRow["tenant_id"]);
  p.name = r.Text(kPolicyRow["name"]);
  ATTEST_ASSIGN_OR_RETURN(p.version, r.Int(kPolicyRow["version"]));
  p.sha256 = r.Text(kPolicyRow["sha256"]);
  p.document = r.Text(kPolicyRow["document"]);
  ATTEST_ASSIGN_OR_RETURN(p.created_at, r.Time(kPolicyRow["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(p.deleted_at, r.OptionalTime(kPolicyRow["deleted_at"]));
  ATTEST_ASSIGN_OR_RETURN(p.revoked_at, r.OptionalTime(kPolicyRow["revoked_at"]));
  return p;
}

}  // namespace

Result<PolicyVersion> PolicyStore::PutPolicy(PolicyKind kind, const std::string& caller_tenant,
                                             const std::string& name, const std::string& document,
                                             TimePoint now) {
  if (name.empty()) {
    return Status(reasons::kStoreInvalidArgument, "policy name is empty");
  }
  const std::string table = PolicyTable(kind);
  // Two writers may pick the same next version; the primary key refuses one, which retries.
  for (int attempt = 0;; ++attempt) {
    Transaction tx(db_);
    ATTEST_RETURN_IF_ERROR(tx.Begin());
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("SELECT MAX(version) FROM " + table +
                                                     " WHERE tenant_id = $1 AND name = $2",
                                                 {caller_tenant, name}));
    int64_t version = 1;
    if (!rows.empty() && rows[0][0]) {
      ATTEST_ASSIGN_OR_RETURN(const int64_t max, ToInt(rows[0][0]));
      version = max + 1;
    }
    PolicyVersion p{caller_tenant, name, version, HexEncode(Sha256(AsBytes(document))),
                    document,      now};
    auto inserted = db_->Exec(
        "INSERT INTO " + table + " (" + kPolicy.sql() + ") VALUES ($1, $2, $3, $4, $5, $6)",
        {caller_tenant, name, version, p.sha256, document, Unix(now)});
    if (inserted.ok()) {
      ATTEST_RETURN_IF_ERROR(tx.Commit());
      return p;
    }
    if (inserted.status().reason_id() != reasons::kStoreAlreadyExists.id || attempt >= 5) {
      return inserted.status();
    }
  }
}

Result<PolicyVersion> PolicyStore::GetPolicy(PolicyKind kind, const std::string& caller_tenant,
                                             const std::string& name,
                                             std::optional<int64_t> version) {
  const std::string select =
      std::string("SELECT ") + kPolicyRow.sql() + " FROM " + PolicyTable(kind);
  auto result = version ? db_->Exec(select + " WHERE tenant_id = $1 AND name = $2 AND version = $3",
                                    {caller_tenant, name, *version})
                        : db_->Exec(select +
                                        " WHERE tenant_id = $1 AND name = $2 AND deleted_at IS "
                                        "NULL ORDER BY version DESC LIMIT 1",
                                    {caller_tenant, name});
  if (!result.ok()) {
    return result.status();
  }
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(*result, kPolicyRow));
  if (rows.empty()) {
    return NotFound(PolicyNoun(kind), name);
  }
  return ToPolicy(rows[0]);
}

Result<std::vector<PolicyVersion>> PolicyStore::ListPolicies(PolicyKind kind,
                                                             const std::string& caller_tenant) {
  const std::string table = PolicyTable(kind);
  ATTEST_ASSIGN_OR_RETURN(
      auto result,
      db_->Exec(std::string("SELECT ") + kPolicyRow.sql() + " FROM " + table +
                    " p WHERE tenant_id = $1 AND deleted_at IS NULL AND version = (SELECT "
                    "MAX(version) FROM " +
                    table +
                    " q WHERE q.tenant_id = p.tenant_id AND q.name = p.name) ORDER BY "
                    "name",
                {caller_tenant}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kPolicyRow));
  return rows.Map(ToPolicy);
}

Result<PolicyVersion> PolicyStore::RevokePolicyVersion(const std::string& caller_tenant,
                                                       const std::string& name, int64_t version,
                                                       TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("UPDATE policies SET revoked_at = COALESCE(revoked_at, $4) WHERE "
                           "tenant_id = $1 AND name = $2 AND version = $3 RETURNING version",
                           {caller_tenant, name, version, Unix(now)}));
  if (rows.empty()) {
    return NotFound("policy version", name + "@" + std::to_string(version));
  }
  return GetPolicy(PolicyKind::kTenantPolicy, caller_tenant, name, version);
}

Status PolicyStore::DeletePolicy(PolicyKind kind, const std::string& caller_tenant,
                                 const std::string& name, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(std::string("UPDATE ") + PolicyTable(kind) +
                                                   " SET deleted_at = $3 WHERE tenant_id = $1 AND "
                                                   "name = $2 AND deleted_at IS NULL RETURNING "
                                                   "version",
                                               {caller_tenant, name, Unix(now)}));
  if (rows.empty()) {
    return NotFound(PolicyNoun(kind), name);
  }
  return Status::Ok();
}

}  // namespace attest::service::store
