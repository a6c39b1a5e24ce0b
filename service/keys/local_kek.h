// LocalKeyFileKek: the default KEK, 32 random bytes in a local file readable by attestd only.
#pragma once

#include <memory>
#include <string>

#include "service/keys/kek.h"

namespace attest::service::keys {

class LocalKeyFileKek : public KeyEncryptionKey {
 public:
  static constexpr size_t kKeyBytes = 32;

  // FromKey uses key (exactly 32 bytes, else keys.key_file_invalid). For tests and for callers
  // holding the key some other way.
  static Result<std::unique_ptr<LocalKeyFileKek>> FromKey(ByteSpan key);
  // FromKeyFile reads path: a regular file of exactly 32 bytes that group and others cannot read
  // or write (like an SSH private key). Anything else fails with keys.key_file_invalid.
  static Result<std::unique_ptr<LocalKeyFileKek>> FromKeyFile(const std::string& path);
  // CreateKeyFile writes 32 fresh random bytes to path with mode 0600; an existing file is never
  // overwritten (keys.key_file_invalid).
  static Status CreateKeyFile(const std::string& path);

  ~LocalKeyFileKek() override;
  // key_id is "file:" + the first 8 bytes (hex) of SHA-256("attest-kek-id" || key): stable for a
  // key, different for another key, revealing nothing usable about it.
  const std::string& key_id() const override { return key_id_; }
  Result<Bytes> Wrap(ByteSpan plaintext, std::string_view aad) const override;
  Result<Bytes> Unwrap(ByteSpan wrapped, std::string_view aad) const override;
  // CheckAvailable reads the key file again, with FromKeyFile's rules, and compares it with the
  // key in use (OK without reading anything for a key from FromKey).
  Status CheckAvailable() const override;

 private:
  explicit LocalKeyFileKek(ByteSpan key);
  Bytes key_;
  std::string path_;  // the key file, when read from one
  std::string key_id_;
};

}  // namespace attest::service::keys
