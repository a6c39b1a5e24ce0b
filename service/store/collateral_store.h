// CollateralStore: the collateral cache (per tenant, by key), filled ahead of need by
// `attestctl collateral import` and read through service/collateral's CollateralSource.
#pragma once

#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

struct CollateralEntry {
  Bytes value;
  TimePoint fetched_at;
};

// CollateralStore reads and writes the collateral table over one connection (a view: it does
// not own db).
class CollateralStore {
 public:
  explicit CollateralStore(SqlConnection* db) : db_(db) {}

  // PutCollateral stores value under (caller_tenant, key), replacing what was there.
  Status PutCollateral(const std::string& caller_tenant, const std::string& key, const Bytes& value,
                       TimePoint fetched_at);
  // GetCollateral returns the entry under (caller_tenant, key); kStoreNotFound when none.
  Result<CollateralEntry> GetCollateral(const std::string& caller_tenant, const std::string& key);

 private:
  SqlConnection* db_;
};

}  // namespace attest::service::store
