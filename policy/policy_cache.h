// PolicyCache: stored policy documents loaded once each, keyed by the SHA-256 of the document
// bytes. Key release appraises against the tenant policy version a launch ticket pins, and every
// host quote against the newest version of its host policy, so the same few documents are loaded
// again and again; a stored version never changes (a new document is a new version), so its
// digest names its parse for good.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "attest/core/status.h"
#include "policy/loader.h"

namespace attest::policy {

template <typename Policy, Result<Policy> (*LoadPolicy)(std::string_view)>
class PolicyCache {
 public:
  // PolicyCache holds at most max_entries loaded policies; when full it is emptied (simple and
  // bounded, as the verifiers' caches).
  explicit PolicyCache(size_t max_entries = 1024) : max_entries_(max_entries) {}

  // Load returns LoadPolicy(document), from the cache when a document with the same SHA-256
  // loaded before. Failures are returned as LoadPolicy reports them and not cached. Thread-safe.
  Result<std::shared_ptr<const Policy>> Load(std::string_view document);

  // size is the number of cached policies (tests).
  size_t size() const;

 private:
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::array<uint8_t, 32>, std::shared_ptr<const Policy>> policies_;
};

// Instantiated once, in policy_cache.cc.
using TenantPolicyCache = PolicyCache<TenantPolicy, LoadTenantPolicy>;
using HostPolicyCache = PolicyCache<HostPolicy, LoadHostPolicy>;
extern template class PolicyCache<TenantPolicy, LoadTenantPolicy>;
extern template class PolicyCache<HostPolicy, LoadHostPolicy>;

}  // namespace attest::policy
