// KeyEncryptionKey: the service's key-encryption key (KEK). Volume keys and credential secrets are
// stored only wrapped by it; plain keys exist in memory only for a release. Two implementations: a
// local key file (local_kek.h) and a PKCS#11 token (pkcs11_kek.h).
//
// Wrapped blob (both implementations, all integers big-endian):
//   magic "AKW" | version 0x01 | kind (0x01 key file, 0x02 PKCS#11) | key id length (1 byte) |
//   key id | nonce (12 bytes) | ciphertext | tag (16 bytes)
// The AES-256-GCM (NIST SP 800-38D) associated data is "attest-kek-v1" | u16 key id length | key
// id | u32 aad length | aad, so a blob opens only under the KEK that made it and only for the
// associated data (e.g. "volume:<id>") it was made for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "service/keys/reasons.h"

namespace attest::service::keys {

enum class KekKind : uint8_t { kKeyFile = 1, kPkcs11 = 2 };

class KeyEncryptionKey {
 public:
  virtual ~KeyEncryptionKey() = default;
  // key_id names this KEK (stable across restarts); stored in every blob it wraps.
  virtual const std::string& key_id() const = 0;
  // Wrap encrypts plaintext bound to aad. Fails with keys.wrap_failed (or a keys.pkcs11_* reason
  // when the token is gone).
  virtual Result<Bytes> Wrap(ByteSpan plaintext, std::string_view aad) const = 0;
  // Unwrap returns the plaintext. Fails with keys.blob_malformed (header), keys.wrong_key (the
  // blob names another KEK) or keys.unwrap_failed (wrong aad, altered byte, or a key that has the
  // same id but other bits).
  virtual Result<Bytes> Unwrap(ByteSpan wrapped, std::string_view aad) const = 0;
  // CheckAvailable returns OK when the KEK is still usable, for readiness probes: a key file is
  // still readable and still holds this key (keys.key_file_invalid, keys.wrong_key); a PKCS#11
  // session is still logged in, its token present and the key still on it (keys.pkcs11_error).
  // Cheap enough to call on every probe.
  virtual Status CheckAvailable() const = 0;
};

// WrappedHeader: the parsed header of a wrapped blob.
struct WrappedHeader {
  KekKind kind = KekKind::kKeyFile;
  std::string key_id;
  ByteSpan nonce;       // 12 bytes
  ByteSpan ciphertext;  // ciphertext followed by the 16-byte tag
};

inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// ParseWrappedHeader splits a blob (keys.blob_malformed on any inconsistency).
Result<WrappedHeader> ParseWrappedHeader(ByteSpan wrapped);

// SerializeWrapped builds a blob from its parts; ciphertext_and_tag as the cipher produced it.
Bytes SerializeWrapped(KekKind kind, const std::string& key_id, ByteSpan nonce,
                       ByteSpan ciphertext_and_tag);

// GcmAssociatedData is the exact associated data both implementations feed AES-GCM.
Bytes GcmAssociatedData(const std::string& key_id, std::string_view aad);

// CheckHeaderFor parses wrapped and checks it names this KEK (kind and key id).
Result<WrappedHeader> CheckHeaderFor(ByteSpan wrapped, KekKind kind, const std::string& key_id);

// RandomBytes returns n bytes from the OpenSSL CSPRNG (aborts if it cannot be seeded).
Bytes RandomBytes(size_t n);

}  // namespace attest::service::keys
