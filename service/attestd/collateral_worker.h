// CollateralWorker: attestd's background collateral task, on a thread and a database connection
// of its own (a refresh round waits on vendors for seconds, the serve loop must not): every
// refresh_interval it runs one CollateralRefresher round (which only the replica holding the
// lease does) and publishes the cache's state as metrics:
//   attestd_collateral_fetches_total{outcome}, attestd_collateral_rate_limited_total,
//   attestd_collateral_refused_total, attestd_collateral_age_seconds{kind} (oldest fetch),
//   attestd_collateral_next_update_seconds{kind} (soonest next_update, negative when past),
//   attestd_collateral_expiring (items within a day of next_update: the warning to alert on;
//   /readyz stays up).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/attestd/collateral_config.h"
#include "service/metrics/registry.h"
#include "service/store/store.h"

namespace attest::service::attestd {

// DefineCollateralMetrics declares the families above.
void DefineCollateralMetrics(metrics::Registry& registry);

// PublishCollateralMetrics sets the gauges from the cache's items at now.
void PublishCollateralMetrics(const std::vector<store::CachedCollateral>& items, TimePoint now,
                              metrics::Registry& registry);

class CollateralWorker {
 public:
  using StoreOpener = std::function<Result<std::unique_ptr<store::Store>>()>;

  // holder names this replica for the lease; registry may be null.
  CollateralWorker(CollateralConfig config, std::string holder, StoreOpener open,
                   metrics::Registry* registry, std::function<TimePoint()> now);
  ~CollateralWorker();

  // Start runs the first round at once, then one per refresh_interval, until Stop.
  void Start();
  void Stop();

 private:
  void Run();

  CollateralConfig config_;
  std::string holder_;
  StoreOpener open_;
  metrics::Registry* registry_;
  std::function<TimePoint()> now_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace attest::service::attestd
