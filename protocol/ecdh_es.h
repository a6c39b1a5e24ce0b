// ECDH-ES+A256KW / A256GCM sealing (RFC 7518 sections 4.6 and 5.3) with one ephemeral key for
// all the JWEs of one release. What each JWE carries is standard compact JWE that any
// RFC 7516 implementation opens (the agent opens it with libjose: DecryptFromService).
//
// One ephemeral key and one recipient give one shared secret Z. Each JWE still gets its own key
// chain: the Concat KDF's PartyVInfo is the JWE's kid (the volume id, sent as "apv", RFC 7518
// 4.6.1.3), so each volume has its own key-wrapping key, and each JWE a fresh random 256-bit CEK
// and a fresh random 96-bit IV. No (key, nonce) pair of AES-GCM is ever used twice.
#pragma once

#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "protocol/jwe.h"

namespace attest::protocol {

// EphemeralKey: a fresh P-384 key pair for one release (the JWE "epk"). Move-only; use it for
// one release and drop it.
class EphemeralKey {
 public:
  // Generate makes one; fails with release.jwe_failed if OpenSSL cannot.
  static Result<EphemeralKey> Generate();
  EVP_PKEY* pkey() const { return key_.get(); }
  // public_jwk: {"crv":"P-384","kty":"EC","x":...,"y":...}.
  const nlohmann::json& public_jwk() const;

  EphemeralKey(EphemeralKey&&) noexcept;
  EphemeralKey& operator=(EphemeralKey&&) noexcept;
  ~EphemeralKey();

 private:
  EphemeralKey();
  EvpPkeyPtr key_;
  std::unique_ptr<nlohmann::json> public_jwk_;
};

// JweSealer seals several plaintexts to one guest key with one ephemeral key: the ECDH is done
// once, by Make. Not thread-safe; one per release.
class JweSealer {
 public:
  // Make runs ECDH(ephemeral, guest). Fails with release.jwe_failed.
  static Result<JweSealer> Make(EphemeralKey ephemeral, const GuestPublicKey& guest);
  // Seal returns plaintext as compact JWE with kid (and apv = base64url(kid)) in the protected
  // header. Fails with release.jwe_failed.
  Result<std::string> Seal(ByteSpan plaintext, std::string_view kid) const;

  JweSealer(JweSealer&&) noexcept;
  JweSealer& operator=(JweSealer&&) noexcept;
  ~JweSealer();  // wipes Z

 private:
  JweSealer(EphemeralKey ephemeral, Bytes shared_secret);
  EphemeralKey ephemeral_;
  Bytes z_;
};

}  // namespace attest::protocol
