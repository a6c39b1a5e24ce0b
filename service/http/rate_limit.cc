#include "service/http/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace attest::service::http {

RateLimiter::RateLimiter(int64_t per_minute, int64_t burst, size_t max_keys)
    : per_minute_(std::max<int64_t>(per_minute, 1)),
      burst_(static_cast<double>(burst > 0 ? burst : per_minute_)),
      max_keys_(std::max<size_t>(max_keys, 1)),
      tokens_per_second_(static_cast<double>(per_minute_) / 60.0),
      full_refill_(burst_ / tokens_per_second_) {}

void RateLimiter::Refill(Bucket& b, TimePoint now) const {
  if (now <= b.updated) {
    return;  // a clock that steps back refills nothing
  }
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(burst_, b.tokens + elapsed * tokens_per_second_);
  b.updated = now;
}

void RateLimiter::DropIdle(TimePoint now) {
  // lru_ is ordered by last use, and a bucket's tokens only grow between uses: the oldest
  // entries are the first to have refilled completely, so stop at the first that has not.
  while (!lru_.empty()) {
    auto it = buckets_.find(lru_.back());
    if (now - it->second.updated < full_refill_) {
      break;
    }
    buckets_.erase(it);
    lru_.pop_back();
  }
}

std::optional<std::chrono::seconds> RateLimiter::Take(std::string_view key, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  DropIdle(now);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Full of buckets still refilling: forget the least recently used (see the header).
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(key);
    it = buckets_.emplace(lru_.front(), Bucket{burst_, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    Refill(it->second, now);
  }
  Bucket& b = it->second;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / tokens_per_second_;
  return std::chrono::seconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait))));
}

size_t RateLimiter::tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace attest::service::http
