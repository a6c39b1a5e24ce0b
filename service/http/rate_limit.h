// RateLimiter: token buckets keyed by string (a VM id, a source address), for the public key
// release routes, so a flood of requests cannot exhaust nonces, database rows or CPU.
//
// Each key's bucket holds up to `burst` tokens and refills at `per_minute` tokens per minute; a
// request spends one. Memory is bounded: a bucket that has refilled completely carries no
// information (it equals a new one) and is dropped, and at most max_keys buckets are tracked. When
// a flood of distinct keys fills the table within one refill period, the least recently used
// bucket is forgotten (that key starts over with a full bucket), so the per-key limit degrades
// towards the per-address one instead of memory growing. State is per process (per replica).
//
// Thread-safe. The clock is injected: Take reads no clock, it is given `now`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "attest/core/time.h"

namespace attest::service::http {

class RateLimiter {
 public:
  static constexpr size_t kDefaultMaxKeys = 100000;

  // per_minute >= 1 tokens per minute; burst >= 1 (0 means per_minute).
  explicit RateLimiter(int64_t per_minute, int64_t burst = 0, size_t max_keys = kDefaultMaxKeys);

  // Take spends one token of key's bucket at now. Returns nullopt when allowed, else the whole
  // seconds (>= 1) until the next token: the Retry-After value. A clock that steps back refills
  // nothing.
  std::optional<std::chrono::seconds> Take(std::string_view key, TimePoint now);

  int64_t per_minute() const { return per_minute_; }
  int64_t burst() const { return static_cast<int64_t>(burst_); }
  size_t max_keys() const { return max_keys_; }
  // tracked is how many buckets are held now.
  size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recently used)
  };
  // Refill brings b's tokens up to now.
  void Refill(Bucket& b, TimePoint now) const;
  // DropIdle forgets the least recently used buckets that have refilled completely by now.
  void DropIdle(TimePoint now);

  const int64_t per_minute_;
  const double burst_;
  const size_t max_keys_;
  const double tokens_per_second_;
  const std::chrono::duration<double> full_refill_;  // time from 0 to burst tokens

  mutable std::mutex mu_;
  std::list<std::string> lru_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace attest::service::http
