// ReleaseStore: recording a key release only while what it relied on still holds.
//
// The release route reads the VM, its volumes and its host, verifies evidence for milliseconds and
// only then records the release. A DELETE of the VM or a volume, or a host quote that failed, may
// commit in between; without a second look the guest would get keys for a VM that is already
// deleted (issue 17 #4). CommitRelease is that second look, in the transaction that records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/audit.h"
#include "service/store/sql.h"

namespace attest::service::store {

// ReleaseBasis: what a key release was decided on.
struct ReleaseBasis {
  std::string tenant_id;  // the VM's tenant
  std::string vm_id;
  std::string host_id;
  std::vector<std::string> volume_ids;
  std::string policy_name;  // the tenant policy version the ticket pins
  int64_t policy_version = 0;
  TimePoint now;
};

// ReleaseChange: what no longer holds, by the release check it belongs to.
struct ReleaseChange {
  enum class Check { kVm, kHost, kVolume, kPolicy };
  Check check;
  std::string detail;  // for the audit entry: "vm deleted", "volume vol-... deleted", ...
};

// ReleaseStore writes over one connection (a view: it does not own db).
class ReleaseStore {
 public:
  explicit ReleaseStore(SqlConnection* db) : db_(db) {}

  // CommitRelease appends record, the release's audit entry, in one write transaction that
  // first reads again the host, the VM, each volume and the pinned policy version (PostgreSQL:
  // FOR SHARE, in the order host, VM, volumes that host quotes and deletions also lock in, so a
  // concurrent change either commits first and is seen here or waits for this transaction;
  // SQLite: the write transaction excludes every other writer). Only while the host is trusted
  // at basis.now, the VM live and never marked host-untrusted, every volume live and the policy
  // version neither revoked nor deleted, is the entry written and nullopt returned; otherwise
  // nothing is written and the change is returned.
  Result<std::optional<ReleaseChange>> CommitRelease(const ReleaseBasis& basis,
                                                     const AuditRecord& record);

 private:
  // Recheck returns what changed, inside CommitRelease's transaction.
  Result<std::optional<ReleaseChange>> Recheck(const ReleaseBasis& basis);

  SqlConnection* db_;
};

}  // namespace attest::service::store
