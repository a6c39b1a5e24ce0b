// A small bounded pool of P-384 ephemeral keys for key release, made ahead of the requests by one
// background thread, so a release's key generation leaves its latency path. Each key is handed
// out once (moved out of the pool) and never kept or written anywhere; the pool lives in memory
// only and its keys die with it. When the pool is empty the caller gets a fresh key made on its
// own thread, so the pool never makes a release wait or fail.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "attest/core/status.h"
#include "protocol/ecdh_es.h"

namespace attest::service::release {

class EphemeralKeyPool {
 public:
  // capacity 0 makes no thread: Take always generates.
  explicit EphemeralKeyPool(size_t capacity);
  ~EphemeralKeyPool();  // stops the thread, drops the pooled keys
  EphemeralKeyPool(const EphemeralKeyPool&) = delete;
  EphemeralKeyPool& operator=(const EphemeralKeyPool&) = delete;

  // Take returns a pooled key, or a freshly generated one when the pool is empty. Fails with
  // release.jwe_failed only if generation fails.
  Result<protocol::EphemeralKey> Take();

  // Stats: how many Take calls were served from the pool and how many generated their own.
  size_t served_from_pool() const;
  size_t generated_on_demand() const;
  // WaitFull blocks until the pool holds capacity keys (benchmarks and tests).
  void WaitFull();

 private:
  void Refill();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable wake_refill_;
  std::condition_variable filled_;
  std::deque<protocol::EphemeralKey> keys_;
  bool stopping_ = false;
  size_t served_from_pool_ = 0;
  size_t generated_on_demand_ = 0;
  std::thread refill_;
};

}  // namespace attest::service::release
