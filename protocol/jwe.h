// Volume keys delivered to an attested guest as compact JWE (RFC 7516) with alg ECDH-ES+A256KW
// and enc A256GCM (RFC 7518 sections 4.6 and 5.3) to the guest's ephemeral P-384 key, made with
// OpenSSL (ecdh_es.h) and opened with libjose. Only the guest, holding the private half inside its
// TEE, can open it.
//
// All header parameters are in the protected header (compact serialisation has no other), so
// they are covered by the GCM tag: {"alg":"ECDH-ES+A256KW","apv":"<base64url volume id>",
// "enc":"A256GCM","epk":{...},"kid":"<volume id>"}.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "protocol/reasons.h"

namespace attest::protocol {

// GuestPublicKey: the guest's ephemeral P-384 public key.
struct GuestPublicKey {
  Bytes point;           // SEC1 uncompressed: 0x04 || X (48) || Y (48), 97 bytes
  std::string jwk_json;  // {"crv":"P-384","kty":"EC","x":...,"y":...}, keys sorted
};

// ReportDataBinding is SHA-512(nonce || key.point): what the guest puts in REPORT_DATA (SNP
// REPORT_DATA and TDX REPORTDATA are both 64 bytes), binding this challenge to this key.
Sha512Digest ReportDataBinding(ByteSpan nonce, const GuestPublicKey& key);

// ParseGuestJwk reads a public JWK: kty "EC", crv "P-384", x and y base64url of 48 bytes each,
// a point on the curve. A JWK carrying "d" (a private key) is refused: a guest that sends its
// private key has given it away. Fails with release.guest_key_invalid.
Result<GuestPublicKey> ParseGuestJwk(std::string_view jwk_json);
// GuestJwkFromJson is ParseGuestJwk on a JWK already read (a member of a request body).
Result<GuestPublicKey> GuestJwkFromJson(const nlohmann::json& jwk);

// JwkThumbprint is key's RFC 7638 thumbprint: base64url (no padding) of the SHA-256 of
// {"crv":"P-384","kty":"EC","x":...,"y":...} with no whitespace, which is key.jwk_json.
std::string JwkThumbprint(const GuestPublicKey& key);

// EncryptToGuest returns plaintext as compact JWE to key, with kid (and apv = base64url(kid)) in
// the protected header, under a fresh ephemeral key (JweSealer in ecdh_es.h seals several under
// one). Fails with release.jwe_failed (not expected for a parsed key).
Result<std::string> EncryptToGuest(ByteSpan plaintext, const GuestPublicKey& key,
                                   std::string_view kid);

// DecryptFromService opens a compact JWE with the guest's private JWK. The protected header must
// say exactly alg ECDH-ES+A256KW and enc A256GCM (no algorithm is taken on the sender's word),
// with an epk on P-384. Fails with release.jwe_invalid (shape, header, or it does not open).
Result<Bytes> DecryptFromService(std::string_view compact, std::string_view private_jwk_json);

// GenerateGuestKey makes a fresh P-384 key pair and returns its private JWK (for the guest agent
// and tests); PublicJwk strips it to the public half.
Result<std::string> GenerateGuestKey();
Result<std::string> PublicJwk(std::string_view private_jwk_json);

}  // namespace attest::protocol
