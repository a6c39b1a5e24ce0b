#include "service/http/rate_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace attest::service::http {
namespace {

using std::chrono::seconds;

const TimePoint kT0 = FromUnixSeconds(1764000000);

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  RateLimiter limiter(/*per_minute=*/6, /*burst=*/3);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(limiter.Take("vm-1", kT0).has_value());
  }
  // 6 per minute: the next token is 10 s away.
  std::optional<seconds> wait = limiter.Take("vm-1", kT0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, seconds(10));
  EXPECT_EQ(limiter.Take("vm-1", kT0 + seconds(4)), seconds(6));
  EXPECT_FALSE(limiter.Take("vm-1", kT0 + seconds(10)).has_value());
  EXPECT_TRUE(limiter.Take("vm-1", kT0 + seconds(10)).has_value());
  // Other keys have their own buckets.
  EXPECT_FALSE(limiter.Take("vm-2", kT0).has_value());
}

TEST(RateLimiterTest, RetryAfterIsAtLeastOneSecond) {
  RateLimiter limiter(/*per_minute=*/6000, /*burst=*/1);
  EXPECT_FALSE(limiter.Take("a", kT0).has_value());
  EXPECT_EQ(limiter.Take("a", kT0), seconds(1));  // 10 ms rounds up to 1 s
}

TEST(RateLimiterTest, ClockSteppingBackRefillsNothing) {
  RateLimiter limiter(/*per_minute=*/60, /*burst=*/1);
  EXPECT_FALSE(limiter.Take("a", kT0).has_value());
  EXPECT_TRUE(limiter.Take("a", kT0 - seconds(3600)).has_value());
  EXPECT_TRUE(limiter.Take("a", kT0).has_value());
  EXPECT_FALSE(limiter.Take("a", kT0 + seconds(1)).has_value());
}

TEST(RateLimiterTest, RefilledBucketsAreForgotten) {
  RateLimiter limiter(/*per_minute=*/60, /*burst=*/2);
  for (int i = 0; i < 50; ++i) {
    (void)limiter.Take("k" + std::to_string(i), kT0);
  }
  EXPECT_EQ(limiter.tracked(), 50u);
  // Two seconds refill two tokens: every bucket is back to full and carries no information.
  (void)limiter.Take("fresh", kT0 + seconds(2));
  EXPECT_EQ(limiter.tracked(), 1u);
}

TEST(RateLimiterTest, DistinctKeyFloodIsBounded) {
  RateLimiter limiter(/*per_minute=*/1, /*burst=*/1, /*max_keys=*/100);
  EXPECT_FALSE(limiter.Take("victim", kT0).has_value());
  EXPECT_TRUE(limiter.Take("victim", kT0).has_value());
  for (int i = 0; i < 10000; ++i) {
    EXPECT_FALSE(limiter.Take("flood-" + std::to_string(i), kT0).has_value());
    ASSERT_LE(limiter.tracked(), 100u);
  }
  EXPECT_EQ(limiter.tracked(), 100u);
  // The flood pushed the victim's bucket out: it starts over (documented degradation).
  EXPECT_FALSE(limiter.Take("victim", kT0).has_value());
  // A recently used key survives while fewer than max_keys others arrive.
  RateLimiter small(/*per_minute=*/1, /*burst=*/1, /*max_keys=*/100);
  EXPECT_FALSE(small.Take("kept", kT0).has_value());
  for (int i = 0; i < 50; ++i) {
    (void)small.Take("other-" + std::to_string(i), kT0);
  }
  EXPECT_TRUE(small.Take("kept", kT0).has_value());
}

TEST(RateLimiterTest, ConcurrentTakesSpendEachTokenOnce) {
  RateLimiter limiter(/*per_minute=*/1, /*burst=*/1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (!limiter.Take("shared", kT0).has_value()) {
          ++allowed;
        }
      }
    });
  }
  for (auto &t : threads) {
    t.join();
  }
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace attest::service::http
