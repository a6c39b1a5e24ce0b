// SnpChainCache: endorsement chains already validated, keyed by the fingerprint of their bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "attest/core/digest.h"
#include "attest/core/ossl.h"
#include "attest/core/time.h"
#include "attest/snp/endorsement.h"

namespace attest::snp {

// ValidatedChain: the result of a successful chain validation, reusable while `now` stays within
// [valid_from, valid_until] (the intersection of every certificate's and CRL's window).
struct ValidatedChain {
  EvpPkeyPtr signing_key;
  EndorsementInfo endorsement;
  TimePoint valid_from;
  TimePoint valid_until;
};

// Thread-safe; bounded (when full, the cache is cleared: entries are cheap to rebuild and the
// working set of a deployment is its fleet's VCEKs).
class SnpChainCache {
 public:
  explicit SnpChainCache(size_t max_entries = 4096) : max_entries_(max_entries) {}

  std::shared_ptr<const ValidatedChain> Find(const Sha256Digest& key) const;
  void Insert(const Sha256Digest& key, std::shared_ptr<const ValidatedChain> chain);
  size_t size() const;

 private:
  struct DigestHash {
    size_t operator()(const Sha256Digest& d) const {
      size_t h = 0;
      for (size_t i = 0; i < sizeof(size_t); ++i) {
        h = (h << 8) | d[i];
      }
      return h;
    }
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<Sha256Digest, std::shared_ptr<const ValidatedChain>, DigestHash> entries_;
  size_t max_entries_;
};

}  // namespace attest::snp
