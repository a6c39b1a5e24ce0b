#include "policy/policy_cache.h"

#include "attest/core/digest.h"

namespace attest::policy {

template <typename Policy, Result<Policy> (*LoadPolicy)(std::string_view)>
Result<std::shared_ptr<const Policy>> PolicyCache<Policy, LoadPolicy>::Load(
    std::string_view document) {
  const Sha256Digest key = Sha256(AsBytes(document));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = policies_.find(key);
    if (it != policies_.end()) {
      return it->second;
    }
  }
  // Loaded outside the lock: two first requests for one document may both load it; both results
  // are equal and the second insert keeps the first.
  Result<Policy> loaded = LoadPolicy(document);
  if (!loaded.ok()) {
    return loaded.status();
  }
  auto policy = std::make_shared<const Policy>(std::move(loaded).value());
  std::lock_guard<std::mutex> lock(mu_);
  if (policies_.size() >= max_entries_) {
    policies_.clear();
  }
  return policies_.emplace(key, std::move(policy)).first->second;
}

template <typename Policy, Result<Policy> (*LoadPolicy)(std::string_view)>
size_t PolicyCache<Policy, LoadPolicy>::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policies_.size();
}

template class PolicyCache<TenantPolicy, LoadTenantPolicy>;
template class PolicyCache<HostPolicy, LoadHostPolicy>;

}  // namespace attest::policy
