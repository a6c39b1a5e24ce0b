#include "bench/fleet/load_plan.h"

#include <algorithm>
#include <cmath>

#include "flags/reasons.h"

namespace attest::bench::fleet {

Result<std::vector<PlannedOp>> OpenLoopPlan(const OpenLoopRates& r) {
  const double d = r.duration_seconds;
  double expected = 0;
  if (r.hosts > 0) {
    expected += r.hosts * std::ceil(d / r.quote_interval_seconds);
  }
  if (r.guests > 0) {
    expected += r.guest_pairs_per_second * d;
  }
  expected += r.tenant_ops_per_second * d;
  if (expected > static_cast<double>(kMaxPlannedOps)) {
    return Status(reasons::kCliUsage,
                  "the run would schedule " + std::to_string(static_cast<long long>(expected)) +
                      " operations (at most " + std::to_string(kMaxPlannedOps) + ")");
  }
  std::vector<PlannedOp> plan;
  plan.reserve(static_cast<size_t>(expected) + 1);
  for (int h = 0; h < r.hosts; ++h) {
    const double offset = r.quote_interval_seconds * h / r.hosts;
    for (double t = offset; t < d; t += r.quote_interval_seconds) {
      plan.push_back({t, OpKind::kHostQuote, h});
    }
  }
  if (r.guests > 0 && r.guest_pairs_per_second > 0) {
    for (long k = 0; k / r.guest_pairs_per_second < d; ++k) {
      plan.push_back(
          {k / r.guest_pairs_per_second, OpKind::kGuestRelease, static_cast<int>(k % r.guests)});
    }
  }
  if (r.tenant_ops_per_second > 0) {
    for (long k = 0; k / r.tenant_ops_per_second < d; ++k) {
      plan.push_back({k / r.tenant_ops_per_second, OpKind::kTenantOp, static_cast<int>(k)});
    }
  }
  std::stable_sort(plan.begin(), plan.end(), [](const PlannedOp& a, const PlannedOp& b) {
    return a.at_seconds < b.at_seconds;
  });
  return plan;
}

}  // namespace attest::bench::fleet
