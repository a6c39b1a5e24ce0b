#include "service/events/retry.h"

#include <gtest/gtest.h>

#include <string>

namespace attest::service::events {
namespace {

using std::chrono::seconds;

TEST(RetryDelay, DoublesWithEqualJitterUpToTheCap) {
  const RetryPolicy p{8, seconds(10), seconds(100)};
  const struct {
    std::string name;
    int64_t attempts;
    double jitter;
    int64_t want;
  } cases[] = {
      {"first, no jitter", 1, 0.0, 5},
      {"first, full jitter", 1, 0.999, 9},
      {"second", 2, 0.0, 10},
      {"third", 3, 0.5, 30},
      {"capped", 5, 0.0, 50},
      {"capped, full", 5, 1.0, 100},
      {"huge attempt count", 1LL << 40, 0.0, 50},
      {"jitter below range", 1, -3.0, 5},
      {"jitter above range", 1, 7.0, 10},
      {"attempt zero acts as one", 0, 0.0, 5},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(RetryDelay(p, c.attempts, c.jitter).count(), c.want);
  }
}

}  // namespace
}  // namespace attest::service::events
