// Hash algorithms as TPM 2.0 names them (TPM_ALG_ID, Part 2 table 9), mapped to OpenSSL digests.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"

namespace attest::tpm {

inline constexpr uint16_t kAlgSha1 = 0x0004;
inline constexpr uint16_t kAlgSha256 = 0x000B;
inline constexpr uint16_t kAlgSha384 = 0x000C;
inline constexpr uint16_t kAlgSha512 = 0x000D;
inline constexpr uint16_t kAlgSm3 = 0x0012;

// HashAlg describes one supported TPM hash algorithm.
struct HashAlg {
  uint16_t id;
  std::string_view name;  // "sha1", "sha256"... as tpm2-tools and our JSON spell it
  size_t size;
  const EVP_MD* md;  // never null for an entry returned by the lookups below
};

// FindHashAlg returns the algorithm for a TPM_ALG_ID, or nullopt when we do not support it.
std::optional<HashAlg> FindHashAlg(uint16_t id);
// FindHashAlgByName returns the algorithm named "sha1", "sha256", "sha384", "sha512" or "sm3_256".
std::optional<HashAlg> FindHashAlgByName(std::string_view name);
// HashAlgName returns the name of id, or "alg_0xNNNN" when unknown.
std::string HashAlgName(uint16_t id);

// Digest hashes data with alg.
Bytes Digest(const HashAlg& alg, ByteSpan data);
// Extend replaces pcr with H(pcr || digest), the TPM2_PCR_Extend operation (Part 1 §17.2).
void Extend(const HashAlg& alg, Bytes& pcr, ByteSpan digest);
// Extend with a caller-owned context, reused across the many extends of a replay.
void Extend(EVP_MD_CTX* ctx, const HashAlg& alg, Bytes& pcr, ByteSpan digest);

}  // namespace attest::tpm
