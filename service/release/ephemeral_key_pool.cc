#include "service/release/ephemeral_key_pool.h"

#include <chrono>
#include <utility>

namespace attest::service::release {

EphemeralKeyPool::EphemeralKeyPool(size_t capacity) : capacity_(capacity) {
  if (capacity_ > 0) {
    refill_ = std::thread([this] { Refill(); });
  }
}

EphemeralKeyPool::~EphemeralKeyPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_refill_.notify_all();
  filled_.notify_all();
  if (refill_.joinable()) {
    refill_.join();
  }
}

Result<protocol::EphemeralKey> EphemeralKeyPool::Take() {
  {
    std::lock_guard lock(mu_);
    if (!keys_.empty()) {
      protocol::EphemeralKey key = std::move(keys_.front());
      keys_.pop_front();
      ++served_from_pool_;
      wake_refill_.notify_one();
      return key;
    }
    ++generated_on_demand_;
  }
  return protocol::EphemeralKey::Generate();
}

void EphemeralKeyPool::Refill() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_refill_.wait(lock, [this] { return stopping_ || keys_.size() < capacity_; });
    if (stopping_) {
      return;
    }
    // Generate outside the lock, so Take never waits for a key being made.
    lock.unlock();
    Result<protocol::EphemeralKey> key = protocol::EphemeralKey::Generate();
    lock.lock();
    if (stopping_) {
      return;
    }
    if (!key.ok()) {
      // Generation failed (no entropy?): Take falls back to its own, which reports the error;
      // retry later rather than spin.
      wake_refill_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
      continue;
    }
    keys_.push_back(std::move(key).value());
    if (keys_.size() == capacity_) {
      filled_.notify_all();
    }
  }
}

size_t EphemeralKeyPool::served_from_pool() const {
  std::lock_guard lock(mu_);
  return served_from_pool_;
}

size_t EphemeralKeyPool::generated_on_demand() const {
  std::lock_guard lock(mu_);
  return generated_on_demand_;
}

void EphemeralKeyPool::WaitFull() {
  std::unique_lock lock(mu_);
  filled_.wait(lock, [this] { return stopping_ || keys_.size() >= capacity_; });
}

}  // namespace attest::service::release
