#include "attest/tpm/alg.h"

#include <array>
#include <cstdio>

namespace attest::tpm {
namespace {

struct Entry {
  uint16_t id;
  std::string_view name;
  size_t size;
  const char* openssl_name;
};

constexpr std::array<Entry, 5> kEntries = {{
    {kAlgSha1, "sha1", 20, "SHA1"},
    {kAlgSha256, "sha256", 32, "SHA256"},
    {kAlgSha384, "sha384", 48, "SHA384"},
    {kAlgSha512, "sha512", 64, "SHA512"},
    {kAlgSm3, "sm3_256", 32, "SM3"},
}};

// FetchedMds holds one explicitly fetched EVP_MD per entry for the process lifetime: with
// OpenSSL 3 a digest from EVP_get_digestbyname is re-fetched on every init, which dominates the
// cost of the ~200 tiny hashes of a replay.
const std::array<const EVP_MD*, kEntries.size()>& FetchedMds() {
  static const auto* mds = [] {
    auto* out = new std::array<const EVP_MD*, kEntries.size()>();
    for (size_t i = 0; i < kEntries.size(); ++i) {
      (*out)[i] = EVP_MD_fetch(nullptr, kEntries[i].openssl_name, nullptr);
    }
    return out;
  }();
  return *mds;
}

std::optional<HashAlg> FromEntry(size_t i) {
  const EVP_MD* md = FetchedMds()[i];
  if (md == nullptr) {
    return std::nullopt;
  }
  return HashAlg{kEntries[i].id, kEntries[i].name, kEntries[i].size, md};
}

}  // namespace

std::optional<HashAlg> FindHashAlg(uint16_t id) {
  for (size_t i = 0; i < kEntries.size(); ++i) {
    if (kEntries[i].id == id) {
      return FromEntry(i);
    }
  }
  return std::nullopt;
}

std::optional<HashAlg> FindHashAlgByName(std::string_view name) {
  for (size_t i = 0; i < kEntries.size(); ++i) {
    if (kEntries[i].name == name) {
      return FromEntry(i);
    }
  }
  return std::nullopt;
}

std::string HashAlgName(uint16_t id) {
  for (const Entry& e : kEntries) {
    if (e.id == id) {
      return std::string(e.name);
    }
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "alg_0x%04x", id);
  return buf;
}

Bytes Digest(const HashAlg& alg, ByteSpan data) {
  Bytes out(alg.size);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, alg.md, nullptr);
  return out;
}

void Extend(const HashAlg& alg, Bytes& pcr, ByteSpan digest) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Extend(ctx, alg, pcr, digest);
  EVP_MD_CTX_free(ctx);
}

void Extend(EVP_MD_CTX* ctx, const HashAlg& alg, Bytes& pcr, ByteSpan digest) {
  EVP_DigestInit_ex2(ctx, alg.md, nullptr);
  EVP_DigestUpdate(ctx, pcr.data(), pcr.size());
  EVP_DigestUpdate(ctx, digest.data(), digest.size());
  unsigned int len = 0;
  pcr.resize(alg.size);
  EVP_DigestFinal_ex(ctx, pcr.data(), &len);
}

}  // namespace attest::tpm
