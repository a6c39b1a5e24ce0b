// SecretSealer: encrypts credential secrets under the service's key-encryption key (KEK), so the
// database never holds a secret access key in plain text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest::service::store {

class SecretSealer {
 public:
  virtual ~SecretSealer() = default;
  // Seal encrypts plaintext, binding it to associated_data (the access key id), so a sealed secret
  // moved to another key's row no longer opens. Fails with reasons::kStoreSealFailed.
  virtual Result<Bytes> Seal(ByteSpan plaintext, std::string_view associated_data) const = 0;
  // Unseal returns the plaintext; a wrong KEK, wrong associated data or any altered byte fails
  // with reasons::kStoreUnsealFailed.
  virtual Result<Bytes> Unseal(ByteSpan sealed, std::string_view associated_data) const = 0;
};

// LocalKeySealer: AES-256-GCM under a 32-byte KEK from a local key file. Sealed format: version
// byte 0x01, 12-byte random nonce, ciphertext, 16-byte tag (NIST SP 800-38D).
class LocalKeySealer : public SecretSealer {
 public:
  static constexpr size_t kKeyBytes = 32;

  // FromKey uses key (exactly 32 bytes, else reasons::kStoreKekInvalid).
  static Result<std::unique_ptr<LocalKeySealer>> FromKey(ByteSpan key);
  // FromKeyFile reads a 32-byte raw key file; it must not be readable by group or others
  // (reasons::kStoreKekInvalid), like an SSH private key.
  static Result<std::unique_ptr<LocalKeySealer>> FromKeyFile(const std::string& path);
  // CreateKeyFile writes 32 fresh random bytes to path with mode 0600; an existing file is never
  // overwritten (reasons::kStoreKekInvalid).
  static Status CreateKeyFile(const std::string& path);

  ~LocalKeySealer() override;
  Result<Bytes> Seal(ByteSpan plaintext, std::string_view associated_data) const override;
  Result<Bytes> Unseal(ByteSpan sealed, std::string_view associated_data) const override;

 private:
  explicit LocalKeySealer(ByteSpan key);
  Bytes key_;
};

// RandomBytes returns n bytes from the OpenSSL CSPRNG (aborts if it cannot be seeded).
Bytes RandomBytes(size_t n);

}  // namespace attest::service::store
