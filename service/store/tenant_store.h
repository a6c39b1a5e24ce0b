// TenantStore: tenants and their SigV4 credentials (secrets sealed by the SecretSealer).
#pragma once

#include <memory>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql.h"

namespace attest::service::store {

enum class Role { kTenant, kOperator };

struct Tenant {
  std::string id;
  std::string name;
  Role role = Role::kTenant;
  TimePoint created_at;
};

struct Credential {
  std::string access_key_id;
  std::string tenant_id;
  std::string secret_access_key;  // plain text in memory only; sealed in the database
  TimePoint created_at;
};

// TenantStore reads and writes the tenants and credentials tables over one connection (a view:
// it does not own db).
class TenantStore {
 public:
  TenantStore(SqlConnection* db, std::shared_ptr<const SecretSealer> sealer)
      : db_(db), sealer_(std::move(sealer)) {}

  // CreateTenant makes a tenant with a fresh id; a taken name fails with kStoreAlreadyExists.
  Result<Tenant> CreateTenant(const std::string& name, Role role, TimePoint now);
  Result<Tenant> GetTenant(const std::string& tenant_id);
  // CreateCredential makes a new access key id and secret for tenant_id; the secret is sealed
  // with the SecretSealer (access key id as associated data) and returned in plain text once.
  Result<Credential> CreateCredential(const std::string& tenant_id, TimePoint now);
  // LookupCredential returns the credential with its secret unsealed, for request authentication
  // (any tenant: this is how the caller's tenant is found). kStoreNotFound when unknown;
  // kStoreUnsealFailed when the KEK does not open it.
  Result<Credential> LookupCredential(const std::string& access_key_id);
  Status DeleteCredential(const std::string& caller_tenant, const std::string& access_key_id);

 private:
  SqlConnection* db_;
  std::shared_ptr<const SecretSealer> sealer_;
};

}  // namespace attest::service::store
