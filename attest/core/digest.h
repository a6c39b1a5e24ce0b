// One-shot digests.
#pragma once

#include <array>
#include <cstdint>

#include "attest/core/bytes.h"

namespace attest {

using Sha256Digest = std::array<uint8_t, 32>;
using Sha384Digest = std::array<uint8_t, 48>;
using Sha512Digest = std::array<uint8_t, 64>;

Sha256Digest Sha256(ByteSpan data);

// Sha256Hasher hashes data fed in pieces (OpenSSL EVP, no deprecated low-level API).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteSpan data);
  // UpdateWithLength prefixes data with its 64-bit length, so that a sequence of pieces hashes
  // unambiguously (no two different sequences share a concatenation).
  void UpdateWithLength(ByteSpan data);
  Sha256Digest Finish();

 private:
  struct Ctx;
  Ctx* ctx_;
};
Sha384Digest Sha384(ByteSpan data);
Sha512Digest Sha512(ByteSpan data);

}  // namespace attest
