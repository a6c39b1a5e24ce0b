// StorePool: a bounded set of open Store connections shared by the server's request threads. A
// Store is one connection used by one thread at a time (store.h); a request leases one for its
// duration. Connections that failed at the database level are dropped instead of returned, so a
// restarted PostgreSQL is reconnected to on the next lease.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "attest/core/status.h"
#include "service/store/reasons.h"
#include "service/store/store.h"

namespace attest::service::store {

class StorePool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Store>>()>;

  // max_idle bounds the connections kept open between requests; more may be open at once under
  // load (one per concurrent request), the surplus is closed when returned.
  StorePool(Factory factory, size_t max_idle);

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Store& operator*() const { return *store_; }
    Store* operator->() const { return store_.get(); }
    // Discard closes the connection instead of returning it (after a database-level error).
    void Discard() { discard_ = true; }

   private:
    friend class StorePool;
    Lease(StorePool* pool, std::unique_ptr<Store> store) : pool_(pool), store_(std::move(store)) {}
    StorePool* pool_;
    std::unique_ptr<Store> store_;
    bool discard_ = false;
  };

  // Acquire returns an idle connection or opens a new one (the factory's error when it cannot).
  Result<Lease> Acquire();

 private:
  void Return(std::unique_ptr<Store> store);
  Factory factory_;
  size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Store>> idle_;
};

}  // namespace attest::service::store
