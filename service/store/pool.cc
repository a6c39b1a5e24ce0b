#include "service/store/pool.h"

namespace attest::service::store {

StorePool::StorePool(Factory factory, size_t max_idle)
    : factory_(std::move(factory)), max_idle_(max_idle) {}

StorePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), store_(std::move(other.store_)), discard_(other.discard_) {}

StorePool::Lease::~Lease() {
  if (store_ != nullptr && !discard_) {
    pool_->Return(std::move(store_));
  }
}

Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Store> store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(store));
    }
  }
  ATTEST_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, factory_());
  return Lease(this, std::move(store));
}

void StorePool::Return(std::unique_ptr<Store> store) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < max_idle_) {
    idle_.push_back(std::move(store));
  }
}

}  // namespace attest::service::store
