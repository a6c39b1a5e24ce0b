// SecretSealer: encrypts credential secrets under the service's key-encryption key (KEK,
// service/keys/kek.h), so the database never holds a secret access key in plain text. Volume keys
// are wrapped by the same KEK; this class only adds the credential purpose label and the store's
// reasons.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "service/keys/kek.h"
#include "service/store/reasons.h"

namespace attest::service::store {

class SecretSealer {
 public:
  explicit SecretSealer(std::shared_ptr<const keys::KeyEncryptionKey> kek) : kek_(std::move(kek)) {}
  virtual ~SecretSealer() = default;
  // Seal wraps plaintext under the KEK with associated data "credential:" + associated_data (the
  // access key id), so a sealed secret moved to another key's row, or presented as a volume key,
  // no longer opens. Fails with reasons::kStoreSealFailed.
  Result<Bytes> Seal(ByteSpan plaintext, std::string_view associated_data) const;
  // Unseal returns the plaintext; a wrong KEK, wrong associated data or any altered byte fails
  // with reasons::kStoreUnsealFailed (the KEK's own reason is in the message).
  Result<Bytes> Unseal(ByteSpan sealed, std::string_view associated_data) const;
  const keys::KeyEncryptionKey& kek() const { return *kek_; }

 private:
  std::shared_ptr<const keys::KeyEncryptionKey> kek_;
};

// SealedSecretAad is the KEK associated data of a sealed secret: "credential:" + associated_data.
std::string SealedSecretAad(std::string_view associated_data);

// LocalKeySealer: a SecretSealer over a local key-file KEK (keys::LocalKeyFileKek), with the
// store's reason (store.kek_invalid) for key problems.
class LocalKeySealer : public SecretSealer {
 public:
  static constexpr size_t kKeyBytes = 32;

  // FromKey uses key (exactly 32 bytes, else reasons::kStoreKekInvalid).
  static Result<std::unique_ptr<LocalKeySealer>> FromKey(ByteSpan key);
  // FromKeyFile reads a 32-byte raw key file; it must not be accessible by group or others
  // (reasons::kStoreKekInvalid), like an SSH private key.
  static Result<std::unique_ptr<LocalKeySealer>> FromKeyFile(const std::string& path);
  // CreateKeyFile writes 32 fresh random bytes to path with mode 0600; an existing file is never
  // overwritten (reasons::kStoreKekInvalid).
  static Status CreateKeyFile(const std::string& path);

 private:
  using SecretSealer::SecretSealer;
};

using keys::RandomBytes;

}  // namespace attest::service::store
