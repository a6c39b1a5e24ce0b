// ConcurrencyGate: at most max callers inside at once; the next one is refused at once instead of
// waiting (a request thread that queued here would hold a server thread all the same). Key release
// puts its evidence verification behind one, so a flood of attest requests, each costing
// milliseconds of signature checks, cannot take every core and every request thread.
//
// Thread-safe, lock-free. State is per process (per replica).
#pragma once

#include <atomic>
#include <cstddef>

namespace attest::service::http {

class ConcurrencyGate {
 public:
  // max >= 1 callers may be inside at once.
  explicit ConcurrencyGate(size_t max) : max_(max) {}
  ConcurrencyGate(const ConcurrencyGate&) = delete;
  ConcurrencyGate& operator=(const ConcurrencyGate&) = delete;

  // TryEnter takes a place and returns true, or returns false at once when max are taken. A
  // caller that got true must call Leave exactly once (Pass does).
  bool TryEnter();
  void Leave();

  size_t max() const { return max_; }
  // inside is how many callers hold a place now.
  size_t inside() const { return inside_.load(std::memory_order_relaxed); }

  // Pass holds one place for its lifetime (or none, when the gate was full: check held()).
  class Pass {
   public:
    explicit Pass(ConcurrencyGate& gate) : gate_(gate), held_(gate.TryEnter()) {}
    ~Pass() {
      if (held_) {
        gate_.Leave();
      }
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    bool held() const { return held_; }

   private:
    ConcurrencyGate& gate_;
    const bool held_;
  };

 private:
  const size_t max_;
  std::atomic<size_t> inside_{0};
};

}  // namespace attest::service::http
