#include "service/store/tenant_store.h"

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/wipe.h"
#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kTenant("id, name, role, created_at");
constexpr ColumnList kCredential("access_key_id, tenant_id, sealed_secret, created_at, host_id");

std::string RoleName(Role r) { return r == Role::kOperator ? "operator" : "tenant"; }

}  // namespace

std::string NewAccessKeyId(std::string_view prefix) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const Bytes random = RandomBytes(16);
  std::string id(prefix);
  for (uint8_t b : random) {
    id += kAlphabet[b & 31];
  }
  return id;
}

Result<Tenant> TenantStore::CreateTenant(const std::string& name, Role role, TimePoint now) {
  if (name.empty()) {
    return Status(reasons::kStoreInvalidArgument, "tenant name is empty");
  }
  Tenant t{"t-" + HexEncode(RandomBytes(8)), name, role, now};
  ATTEST_RETURN_IF_ERROR(
      db_->Exec(std::string("INSERT INTO tenants (") + kTenant.sql() + ") VALUES ($1, $2, $3, $4)",
                {t.id, t.name, RoleName(role), Unix(now)})
          .status());
  return t;
}

Result<Tenant> TenantStore::GetTenant(const std::string& tenant_id) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result, db_->Exec(std::string("SELECT ") + kTenant.sql() + " FROM tenants WHERE id = $1",
                             {tenant_id}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kTenant));
  if (rows.empty()) {
    return NotFound("tenant", tenant_id);
  }
  const Row r = rows[0];
  Tenant t{r.Text(kTenant["id"]),
           r.Text(kTenant["name"]),
           r.Text(kTenant["role"]) == "operator" ? Role::kOperator : Role::kTenant,
           {}};
  ATTEST_ASSIGN_OR_RETURN(t.created_at, r.Time(kTenant["created_at"]));
  return t;
}

Result<Credential> TenantStore::CreateCredential(const std::string& tenant_id, TimePoint now) {
  ATTEST_RETURN_IF_ERROR(GetTenant(tenant_id).status());
  Credential c{NewAccessKeyId(), tenant_id, Base64Encode(RandomBytes(30)), now};
  ATTEST_ASSIGN_OR_RETURN(const Bytes sealed,
                          sealer_->Seal(AsBytes(c.secret_access_key), c.access_key_id));
  ATTEST_RETURN_IF_ERROR(
      db_->Exec(std::string("INSERT INTO credentials (") + kCredential.sql() +
                    ", kek_id) VALUES ($1, $2, $3, $4, NULL, $5)",
                {c.access_key_id, tenant_id, sealed, Unix(now), sealer_->kek().key_id()})
          .status());
  return c;
}

Result<Credential> TenantStore::LookupCredential(const std::string& access_key_id) {
  ATTEST_ASSIGN_OR_RETURN(auto result, db_->Exec(std::string("SELECT ") + kCredential.sql() +
                                                     " FROM credentials WHERE access_key_id = $1",
                                                 {access_key_id}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kCredential));
  if (rows.empty()) {
    return NotFound("access key", access_key_id);
  }
  const Row r = rows[0];
  Credential c;
  c.access_key_id = r.Text(kCredential["access_key_id"]);
  c.tenant_id = r.Text(kCredential["tenant_id"]);
  ATTEST_ASSIGN_OR_RETURN(Bytes secret,
                          sealer_->Unseal(r.Blob(kCredential["sealed_secret"]), c.access_key_id));
  c.secret_access_key.assign(secret.begin(), secret.end());
  Wipe(secret);
  ATTEST_ASSIGN_OR_RETURN(c.created_at, r.Time(kCredential["created_at"]));
  c.host_id = r.Text(kCredential["host_id"]);
  return c;
}

Status TenantStore::DeleteCredential(const std::string& caller_tenant,
                                     const std::string& access_key_id) {
  ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("DELETE FROM credentials WHERE access_key_id = "
                                               "$1 AND tenant_id = $2 RETURNING access_key_id",
                                               {access_key_id, caller_tenant}));
  if (rows.empty()) {
    return NotFound("access key", access_key_id);
  }
  return Status::Ok();
}

}  // namespace attest::service::store
