#include "service/events/retry.h"

#include <algorithm>

namespace attest::service::events {

std::chrono::seconds RetryDelay(const RetryPolicy& policy, int64_t attempts, double jitter01) {
  const int64_t cap = std::max<int64_t>(1, policy.cap.count());
  int64_t step = std::max<int64_t>(1, policy.base.count());
  // Doubling stops at the cap, so a large attempt count cannot overflow.
  for (int64_t i = 1; i < attempts && step < cap; ++i) {
    step *= 2;
  }
  step = std::min(step, cap);
  const double jitter = std::clamp(jitter01, 0.0, 1.0);
  const int64_t half = step / 2;
  return std::chrono::seconds(half +
                              static_cast<int64_t>(static_cast<double>(step - half) * jitter));
}

}  // namespace attest::service::events
