#include "attest/core/digest.h"

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

}  // namespace attest
