// How often and when a webhook delivery is tried again after a failed attempt.
#pragma once

#include <chrono>
#include <cstdint>

namespace attest::service::events {

struct RetryPolicy {
  int64_t max_attempts = 8;           // then the delivery has failed for good
  std::chrono::seconds base{10};      // the first retry's delay before jitter
  std::chrono::seconds cap{60 * 60};  // no wait longer than this
};

// RetryDelay returns the wait after attempt number `attempts` (1 = the first) failed: base *
// 2^(attempts-1), capped, of which half is fixed and half scaled by jitter01 in [0, 1) ("equal
// jitter"), so replicas retrying one receiver do not arrive together but never retry sooner than
// half the exponential step.
std::chrono::seconds RetryDelay(const RetryPolicy& policy, int64_t attempts, double jitter01);

}  // namespace attest::service::events
