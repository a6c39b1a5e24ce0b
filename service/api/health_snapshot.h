// Snapshots behind the public health routes: /readyz and /metrics read the database and the KEK,
// and anyone can call them, so what they compute is shared by every caller for up to a second
// instead of being computed (and a database connection leased) per request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

#include "attest/core/time.h"
#include "service/http/response.h"

namespace attest::service::api {

// Snapshot<T> holds one value computed by a caller's function and shares it with every caller
// until it is max_age old.
template <typename T>
class Snapshot {
 public:
  explicit Snapshot(std::chrono::seconds max_age,
                    std::chrono::seconds max_stale = std::chrono::seconds::max())
      : max_age_(max_age), max_stale_(max_stale) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Get returns the value, first computing it with compute when there is none yet or when it was
  // taken max_age or more before now (or more than max_age after now: a clock stepped back).
  // One computation at a time, without the lock held: while one runs, other callers get the
  // previous value at once while it is less than max_stale old, overdue() after that (when given:
  // a computation that hangs, on a database the network lost, must not keep serving the last
  // answer), or, before there is a first value, wait for it. A compute that throws leaves the
  // previous value; the exception reaches its caller, and a waiting caller computes.
  T Get(TimePoint now, const std::function<T()>& compute,
        const std::function<T()>& overdue = nullptr) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!Fresh(now)) {
      if (!computing_) {
        computing_ = true;
        lock.unlock();
        return Compute(now, compute);
      }
      if (value_.has_value()) {
        if (overdue && now >= taken_ && now - taken_ >= max_stale_) {
          lock.unlock();
          return overdue();
        }
        return *value_;  // stale, being refreshed by another caller
      }
      done_.wait(lock);
    }
    return *value_;
  }

  // computations counts the values computed so far.
  uint64_t computations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return computations_;
  }

 private:
  bool Fresh(TimePoint now) const {
    if (!value_.has_value()) {
      return false;
    }
    return now >= taken_ ? now - taken_ < max_age_ : taken_ - now <= max_age_;
  }

  T Compute(TimePoint now, const std::function<T()>& compute) {
    // Clears computing_ and wakes the waiters however compute ends.
    struct Done {
      Snapshot* self;
      ~Done() {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->computing_ = false;
        self->done_.notify_all();
      }
    } done{this};
    T value = compute();
    std::lock_guard<std::mutex> lock(mu_);
    value_ = value;
    taken_ = now;
    ++computations_;
    return value;
  }

  const std::chrono::seconds max_age_;
  const std::chrono::seconds max_stale_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  bool computing_ = false;
  std::optional<T> value_;
  TimePoint taken_{};
  uint64_t computations_ = 0;
};

class RequestContext;  // service/api/context.h

// CheckReadiness computes /readyz's answer (health_routes.cc): 200 when the database answers (on
// PostgreSQL: with a clock within 30 s of this server's) and the KEK works, else 503 naming each
// failed check by reason under "checks".
http::HttpResponse CheckReadiness(RequestContext& ctx);

// HealthSnapshots: what the health routes share across requests (ServiceContext::health).
// Readiness and the database-derived metric gauges are recomputed at most once per second of
// ServiceContext::now (TimePoint counts whole seconds); a readiness check still running after
// kReadyzMaxStale makes /readyz answer 503 until it ends, so a load balancer moves away.
struct HealthSnapshots {
  static constexpr std::chrono::seconds kMaxAge{1};
  // kReadyzMaxStale: how long a readiness check may hang before /readyz answers 503 meanwhile.
  static constexpr std::chrono::seconds kReadyzMaxStale{5};
  Snapshot<http::HttpResponse> readyz{kMaxAge, kReadyzMaxStale};
  // metrics_db: true when the last refresh of the database gauges read the database.
  Snapshot<bool> metrics_db{kMaxAge};
};

}  // namespace attest::service::api
