// CollateralRefresher: the background task that keeps the shared cache current. Each round, the
// replica that holds the cache's lease (store::CollateralCacheStore::AcquireLease: one replica at a
// time, so a fleet makes one vendor request per item, not one per replica) fetches every item that
// a verification wanted or whose next_update comes within `ahead`, verifies it, and stores it
// under the rollback rule. A failed item keeps its cached value (stale-if-error; the freshness
// bound is applied where it is read) and is retried after min_retry.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/collateral/kds.h"
#include "service/collateral/pcs.h"
#include "service/store/collateral_cache_store.h"

namespace attest::service::collateral {

struct RefreshOptions {
  std::string holder;  // this replica's lease name (host name and pid)
  std::chrono::seconds ahead{std::chrono::hours(24)};
  std::chrono::seconds min_retry{std::chrono::minutes(5)};
  std::chrono::seconds lease_ttl{std::chrono::minutes(10)};
  // Revocation data and TCB info (snp.crl, dcap) fetched longer ago than this are fetched again
  // even while valid, so a freshness bound (max_collateral_age_seconds) is met: half the bound.
  // Zero: only by next_update.
  std::chrono::seconds refetch_after{0};
  int batch = 200;
};

// RefreshRound: what one round did. ran is false when another replica holds the lease.
struct RefreshRound {
  bool ran = false;
  int stored = 0;
  int refused = 0;  // fetch failures, verification refusals and rollbacks
};

class CollateralRefresher {
 public:
  // cache must outlive the refresher; kds or pcs may be null (that vendor is not fetched from,
  // and its items are left alone).
  CollateralRefresher(store::CollateralCacheStore& cache, KdsFetcher* kds, PcsFetcher* pcs,
                      RefreshOptions options)
      : cache_(cache), kds_(kds), pcs_(pcs), options_(std::move(options)) {}

  // RunOnce runs one round at now. Fails only when the store fails.
  Result<RefreshRound> RunOnce(TimePoint now);

  // on_refused, when set, is told of each refusal (kind, key, status), for the log.
  void set_on_refused(std::function<void(const store::CachedCollateral&, const Status&)> f) {
    on_refused_ = std::move(f);
  }

 private:
  Status Refresh(const store::CachedCollateral& item, TimePoint now);
  Result<KdsItem> Hierarchy(std::string_view kind, snp::Product product, TimePoint now);

  store::CollateralCacheStore& cache_;
  KdsFetcher* kds_;
  PcsFetcher* pcs_;
  RefreshOptions options_;
  std::function<void(const store::CachedCollateral&, const Status&)> on_refused_;
};

}  // namespace attest::service::collateral
