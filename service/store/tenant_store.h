// TenantStore: tenants and their SigV4 credentials (secrets sealed by the SecretSealer).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql.h"

namespace attest::service::store {

// Role: a tenant's stored role, and the caller's. kHost is never stored for a tenant: it is the
// role of a caller that signed with a host's own credential (Credential::host_id).
enum class Role { kTenant, kOperator, kHost };

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
  // host_id: set for a host's own credential (made by host enrollment, owned by the operator
  // tenant that enrolled it); empty for a tenant's.
  std::string host_id;
};

// NewAccessKeyId returns prefix + 16 characters of RFC 4648 base32 (like AWS key ids): "AKIA" for
// a tenant's credential, "AKIH" for a host's.
std::string NewAccessKeyId(std::string_view prefix = "AKIA");

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
