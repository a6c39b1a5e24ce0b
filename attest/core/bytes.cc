#include "attest/core/bytes.h"

#include <openssl/crypto.h>

namespace attest {

bool ConstantTimeEquals(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool IsAllZero(ByteSpan data) {
  uint8_t acc = 0;
  for (uint8_t b : data) {
    acc |= b;
  }
  return acc == 0;
}

}  // namespace attest
