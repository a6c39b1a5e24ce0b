// CollateralCacheStore: the collateral cache that attestd replicas share (migration 15): vendor
// collateral by kind and key (service/collateral names both), whoever brought it (the fetcher,
// an operator's import, a host agent, a guest), and the lease that lets one replica at a time
// refresh it. Every item was verified before it got here; the rule kept in the database itself
// is that nothing replaces a newer item.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

struct CachedCollateral {
  std::string kind;    // "snp.vcek", "snp.cert_chain", "snp.crl", "dcap"
  std::string key;     // per kind: service/collateral's *CacheKey functions
  Bytes value;         // empty: wanted (a verification missed it) and not fetched yet
  std::string origin;  // "fetch", "import", "agent", "guest", "want"
  TimePoint fetched_at;
  TimePoint issued_at;     // what "newer" means: CRL thisUpdate, TCB info issueDate, notBefore
  TimePoint next_update;   // refresh before this (CRL nextUpdate, TCB info nextUpdate, notAfter)
  int64_t evaluation = 0;  // verified tcbEvaluationDataNumber; 0 where the kind has none
  std::string last_error;  // the last refresh's refusal, "" after a success
  TimePoint attempted_at;  // the last refresh attempt
};

class CollateralCacheStore {
 public:
  explicit CollateralCacheStore(SqlConnection* db) : db_(db) {}

  // PutCachedCollateral stores item unless the cache holds a newer one under (kind, key): one with
  // a higher evaluation, or the same evaluation and a later issued_at. One conditional upsert, so
  // two replicas racing can never roll an item back. Returns true when item was stored, false
  // when the cached one was kept (the caller's collateral.rollback). kStoreInvalidArgument for an
  // empty kind, key or value.
  Result<bool> PutCachedCollateral(const CachedCollateral& item);

  // GetCachedCollateral returns the item under (kind, key), wanted or not; kStoreNotFound.
  Result<CachedCollateral> GetCachedCollateral(const std::string& kind, const std::string& key);

  // WantCollateral records that (kind, key) was needed and is not cached, so the next refresh
  // fetches it; nothing changes when a row exists.
  Status WantCollateral(const std::string& kind, const std::string& key, TimePoint now);

  // DueCollateral lists up to limit items to refresh at now, not attempted within min_retry: wanted
  // ones, those whose next_update is within ahead, and those of aged_kinds fetched before
  // fetched_before (so that a freshness bound on them is met however long they stay valid);
  // soonest first.
  Result<std::vector<CachedCollateral>> DueCollateral(
      TimePoint now, std::chrono::seconds ahead, std::chrono::seconds min_retry, int limit,
      TimePoint fetched_before = TimePoint::min(), const std::vector<std::string>& aged_kinds = {});

  // RecordCollateralAttempt notes a refresh attempt of (kind, key) at now and its error ("" for
  // none); the value is untouched.
  Status RecordCollateralAttempt(const std::string& kind, const std::string& key,
                                 const std::string& error, TimePoint now);

  // ListCachedCollateral returns every item (values included), by kind then key.
  Result<std::vector<CachedCollateral>> ListCachedCollateral();

  // AcquireLease gives the named lease to holder until now + ttl when it is free, expired, or
  // already holder's (a renewal); returns whether holder has it now.
  Result<bool> AcquireLease(const std::string& name, const std::string& holder, TimePoint now,
                            std::chrono::seconds ttl);
  // ReleaseLease ends holder's lease early (nothing when another holds it).
  Status ReleaseLease(const std::string& name, const std::string& holder);

 private:
  SqlConnection* db_;
};

}  // namespace attest::service::store
