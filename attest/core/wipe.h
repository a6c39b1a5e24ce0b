// Secrets in memory (issue 17 #12): a secret's bytes are overwritten as soon as it is no longer
// needed, with OPENSSL_cleanse, which the compiler cannot drop as a dead store.
#pragma once

#include <openssl/crypto.h>

#include <utility>

namespace attest {

// Wipe overwrites buffer's bytes (a std::string, std::vector or std::array of bytes) with zeros;
// its size stays.
template <typename Buffer>
void Wipe(Buffer& buffer) {
  if (buffer.size() > 0) {
    OPENSSL_cleanse(buffer.data(), buffer.size() * sizeof(buffer[0]));
  }
}

// Wiped holds a secret value and wipes it when it goes out of scope, however the scope ends. It
// cannot be copied: a copy would be a second secret nobody wipes.
template <typename Buffer>
class Wiped {
 public:
  explicit Wiped(Buffer value) : value_(std::move(value)) {}
  ~Wiped() { Wipe(value_); }
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;

  const Buffer& get() const { return value_; }
  Buffer& get() { return value_; }

 private:
  Buffer value_;
};

}  // namespace attest
