#include "attest/measure/tdx_sha384.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace attest::measure {

Sha384Stream::Sha384Stream() : ctx_(EVP_MD_CTX_new()) {
  // Only allocation failure can make these fail; there is no way to go on without a hash.
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha384(), nullptr) != 1) {
    std::abort();
  }
}

void Sha384Stream::Update(ByteSpan data) {
  if (!data.empty()) {
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
  }
}

Sha384Digest Sha384Stream::Finish() {
  Sha384Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), out.data(), &len);
  return out;
}

}  // namespace attest::measure
