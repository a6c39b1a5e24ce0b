// PolicyStore: tenant policies and operator host policies, as immutable numbered versions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

// PolicyVersion is one immutable version of a tenant policy or an operator host policy.
struct PolicyVersion {
  std::string tenant_id;
  std::string name;
  int64_t version = 0;  // 1, 2, 3... never reused, even after a delete
  std::string sha256;   // hex SHA-256 of document
  std::string document;
  TimePoint created_at;
  std::optional<TimePoint> deleted_at;  // the policy was deleted (every version)
  std::optional<TimePoint> revoked_at;  // this version was revoked (tenant policies)
};

enum class PolicyKind { kTenantPolicy, kHostPolicy };

// PolicyStore reads and writes the policies and host_policies tables over one connection (a
// view: it does not own db).
class PolicyStore {
 public:
  explicit PolicyStore(SqlConnection* db) : db_(db) {}

  // PutPolicy stores document as the next version of name.
  Result<PolicyVersion> PutPolicy(PolicyKind kind, const std::string& caller_tenant,
                                  const std::string& name, const std::string& document,
                                  TimePoint now);
  // GetPolicy returns the newest version, or the given one (also after a delete, for audit).
  Result<PolicyVersion> GetPolicy(PolicyKind kind, const std::string& caller_tenant,
                                  const std::string& name,
                                  std::optional<int64_t> version = std::nullopt);
  // ListPolicies returns the newest version of each live policy of the caller, by name.
  Result<std::vector<PolicyVersion>> ListPolicies(PolicyKind kind,
                                                  const std::string& caller_tenant);
  // RevokePolicyVersion revokes one version of the caller's tenant policy: no key is released
  // to a VM pinned to it again (issue 17 #6). Revoking twice keeps the first time; kStoreNotFound
  // when the caller has no such version. Returns the version as now stored.
  Result<PolicyVersion> RevokePolicyVersion(const std::string& caller_tenant,
                                            const std::string& name, int64_t version,
                                            TimePoint now);
  // DeletePolicy hides name (versions stay for the audit trail; a later put continues numbering).
  Status DeletePolicy(PolicyKind kind, const std::string& caller_tenant, const std::string& name,
                      TimePoint now);

 private:
  SqlConnection* db_;
};

}  // namespace attest::service::store
