// The open-loop arrival schedule of a fleet run: when each operation is due, fixed before the run
// starts, so that a slow answer delays no later arrival and latency is measured from the
// scheduled time (no coordinated omission).
#pragma once

#include <vector>

#include "attest/core/status.h"

namespace attest::bench::fleet {

enum class OpKind { kHostQuote, kGuestRelease, kTenantOp };

struct PlannedOp {
  double at_seconds = 0;  // from the start of the phase
  OpKind kind = OpKind::kHostQuote;
  int index = 0;  // host, guest or tenant-op number
};

struct OpenLoopRates {
  int hosts = 0;
  double quote_interval_seconds = 60;
  int guests = 0;
  double guest_pairs_per_second = 0;
  double tenant_ops_per_second = 0;
  double duration_seconds = 0;
};

// kMaxPlannedOps bounds one run (a few hundred MB of schedule would be a typo, not a fleet).
inline constexpr size_t kMaxPlannedOps = size_t{5} * 1000 * 1000;

// OpenLoopPlan lists every operation due in [0, duration) in time order: host h quotes at
// h * interval / hosts + k * interval (the fleet's quotes spread evenly over each interval), guest
// pair k (guest k mod guests) at k / guest_rate, tenant op k at k / tenant_rate. Fails with
// cli.usage when the run would exceed kMaxPlannedOps.
Result<std::vector<PlannedOp>> OpenLoopPlan(const OpenLoopRates& rates);

}  // namespace attest::bench::fleet
