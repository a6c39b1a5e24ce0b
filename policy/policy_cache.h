// TenantPolicyCache: stored tenant policy documents loaded once each, keyed by the SHA-256 of the
// document bytes. Key release appraises against the version a launch ticket pins, so the same
// few documents are loaded again on every release; a stored version never changes (a new
// document is a new version), so its digest names its parse for good.
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

class TenantPolicyCache {
 public:
  // TenantPolicyCache holds at most max_entries loaded policies; when full it is emptied (simple
  // and bounded, as the verifiers' caches).
  explicit TenantPolicyCache(size_t max_entries = 1024) : max_entries_(max_entries) {}

  // Load returns LoadTenantPolicy(document), from the cache when a document with the same
  // SHA-256 loaded before. Failures are returned as LoadTenantPolicy reports them (policy.invalid)
  // and not cached. Thread-safe.
  Result<std::shared_ptr<const TenantPolicy>> Load(std::string_view document);

  // size is the number of cached policies (tests).
  size_t size() const;

 private:
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::array<uint8_t, 32>, std::shared_ptr<const TenantPolicy>> policies_;
};

}  // namespace attest::policy
