#include "service/store/release_store.h"

#include <utility>

#include "service/store/audit_store.h"
#include "service/store/host_state.h"
#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

std::optional<ReleaseChange> Changed(ReleaseChange::Check check, std::string detail) {
  return ReleaseChange{check, std::move(detail)};
}

}  // namespace

Result<std::optional<ReleaseChange>> ReleaseStore::CommitRelease(const ReleaseBasis& basis,
                                                                 const AuditRecord& record) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(std::optional<ReleaseChange> change, Recheck(basis));
  if (change) {
    return change;  // rolled back: nothing written
  }
  // The audit head is locked last, as in HostStore::RecordHostQuote.
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, record).status());
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return std::optional<ReleaseChange>();
}

Result<std::optional<ReleaseChange>> ReleaseStore::Recheck(const ReleaseBasis& basis) {
  const std::string share = db_->dialect() == Dialect::kPostgres ? " FOR SHARE" : "";
  using Check = ReleaseChange::Check;

  ATTEST_ASSIGN_OR_RETURN(
      auto host,
      db_->Exec("SELECT state, trusted_until FROM hosts WHERE id = $1" + share, {basis.host_id}));
  if (host.empty() || !host[0][0]) {
    return Changed(Check::kHost, "host " + basis.host_id + " deleted");
  }
  ATTEST_ASSIGN_OR_RETURN(const HostState state, ParseHostState(*host[0][0]));
  std::optional<TimePoint> trusted_until;
  if (host[0][1]) {
    trusted_until = FromUnixSeconds(std::stoll(*host[0][1]));
  }
  if (!TrustedAt(state, trusted_until, basis.now)) {
    return Changed(Check::kHost, "host " + basis.host_id + " is " + HostStateName(state) +
                                     " now (changed during the release)");
  }

  ATTEST_ASSIGN_OR_RETURN(
      auto vm, db_->Exec("SELECT deleted_at, host_untrusted_at FROM vms WHERE id = $1 AND "
                         "tenant_id = $2" +
                             share,
                         {basis.vm_id, basis.tenant_id}));
  if (vm.empty() || vm[0][0]) {
    return Changed(Check::kVm, "vm deleted during the release");
  }
  if (vm[0][1]) {
    return Changed(Check::kHost, "a quote of host " + basis.host_id + " failed during the release");
  }

  for (const std::string& id : basis.volume_ids) {
    ATTEST_ASSIGN_OR_RETURN(
        auto volume,
        db_->Exec("SELECT deleted_at FROM volumes WHERE id = $1 AND tenant_id = $2" + share,
                  {id, basis.tenant_id}));
    if (volume.empty() || volume[0][0]) {
      return Changed(Check::kVolume, "volume " + id + " deleted during the release");
    }
  }
  ATTEST_ASSIGN_OR_RETURN(
      auto policy,
      db_->Exec("SELECT deleted_at, revoked_at FROM policies WHERE tenant_id = $1 AND name = $2 "
                "AND version = $3" +
                    share,
                {basis.tenant_id, basis.policy_name, basis.policy_version}));
  if (policy.empty() || policy[0][0] || policy[0][1]) {
    return Changed(Check::kPolicy, "policy " + basis.policy_name + " version " +
                                       std::to_string(basis.policy_version) +
                                       " revoked or deleted during the release");
  }
  return std::optional<ReleaseChange>();
}

}  // namespace attest::service::store
