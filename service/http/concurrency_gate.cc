#include "service/http/concurrency_gate.h"

#include <cassert>

namespace attest::service::http {

bool ConcurrencyGate::TryEnter() {
  size_t now = inside_.load(std::memory_order_relaxed);
  // A compare-exchange loop, never fetch_add then undo: the count never exceeds max, even for a
  // moment, so a concurrent inside() reading sees no phantom place taken.
  while (now < max_) {
    if (inside_.compare_exchange_weak(now, now + 1, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void ConcurrencyGate::Leave() {
  [[maybe_unused]] const size_t before = inside_.fetch_sub(1, std::memory_order_release);
  assert(before > 0);
}

}  // namespace attest::service::http
