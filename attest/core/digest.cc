#include "attest/core/digest.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace attest {

Sha256Digest Sha256(ByteSpan data) {
  Sha256Digest out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Sha384Digest Sha384(ByteSpan data) {
  Sha384Digest out;
  SHA384(data.data(), data.size(), out.data());
  return out;
}

Sha512Digest Sha512(ByteSpan data) {
  Sha512Digest out;
  SHA512(data.data(), data.size(), out.data());
  return out;
}

struct Sha256Hasher::Ctx {
  EVP_MD_CTX* md;
};

Sha256Hasher::Sha256Hasher() : ctx_(new Ctx{EVP_MD_CTX_new()}) {
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(ctx_->md);
  delete ctx_;
}

void Sha256Hasher::Update(ByteSpan data) { EVP_DigestUpdate(ctx_->md, data.data(), data.size()); }

void Sha256Hasher::UpdateWithLength(ByteSpan data) {
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) {
    len[i] = static_cast<uint8_t>(static_cast<uint64_t>(data.size()) >> (8 * i));
  }
  Update(ByteSpan(len, sizeof(len)));
  Update(data);
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  return out;
}

}  // namespace attest
