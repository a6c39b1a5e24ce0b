// NonceStore: single-use, expiring challenges bound to a subject (a host id, a VM id).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

struct Nonce {
  std::string value;  // 64 hex digits (32 random bytes)
  std::string tenant_id;
  std::string subject;  // what it is bound to: a host id, a VM id
  TimePoint expires_at;
};

// NonceStore reads and writes the nonces table over one connection (a view: it does not own db).
class NonceStore {
 public:
  explicit NonceStore(SqlConnection* db) : db_(db) {}

  Result<Nonce> IssueNonce(const std::string& caller_tenant, const std::string& subject,
                           std::chrono::seconds ttl, TimePoint now);
  // ConsumeNonce succeeds for exactly one caller, atomically (one conditional UPDATE), even
  // across replicas. Unknown, used, expired, other subject or other tenant all fail the same way:
  // reasons::kStoreNonceRejected.
  Status ConsumeNonce(const std::string& caller_tenant, const std::string& subject,
                      const std::string& value, TimePoint now);
  // CheckNonce fails exactly as ConsumeNonce would at now, without consuming: a caller refuses a
  // stale or foreign nonce before costly work. Only the consume decides (another caller may win
  // the nonce in between).
  Status CheckNonce(const std::string& caller_tenant, const std::string& subject,
                    const std::string& value, TimePoint now);
  // PurgeExpired deletes nonces and recorded request signatures (ReplayStore) that expired by
  // now, at most batch rows of each (a purge keeps no lock for long), and returns how many it
  // deleted. Expired rows refuse nothing a missing row would not: every check also compares the
  // expiry. One replica at a time (PostgreSQL: a transaction-scoped advisory lock taken without
  // waiting): nullopt when another is purging.
  Result<std::optional<int64_t>> PurgeExpired(TimePoint now, int64_t batch = 10000);

 private:
  SqlConnection* db_;
};

// ConsumeNonceIn is NonceStore::ConsumeNonce on db, also inside a caller's transaction
// (HostStore::RecordHostQuote).
Status ConsumeNonceIn(SqlConnection* db, const std::string& caller_tenant,
                      const std::string& subject, const std::string& value, TimePoint now);

// SpendSubjectNonces marks every nonce of the caller's subject used (a deleted VM's challenges).
Status SpendSubjectNonces(SqlConnection* db, const std::string& caller_tenant,
                          const std::string& subject);

}  // namespace attest::service::store
