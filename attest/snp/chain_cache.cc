#include "attest/snp/chain_cache.h"

#include <mutex>

namespace attest::snp {

std::shared_ptr<const ValidatedChain> SnpChainCache::Find(const Sha256Digest& key) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second;
}

void SnpChainCache::Insert(const Sha256Digest& key, std::shared_ptr<const ValidatedChain> chain) {
  std::unique_lock lock(mu_);
  if (entries_.size() >= max_entries_) {
    entries_.clear();
  }
  entries_[key] = std::move(chain);
}

size_t SnpChainCache::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace attest::snp
