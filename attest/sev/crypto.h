// Cryptographic building blocks of legacy SEV, over OpenSSL 3: key construction from the SEV wire
// formats, RSA-PSS and ECDSA verification, HMAC-SHA256, AES-128-CTR, the SP 800-108 KDF and ECDH.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include <openssl/evp.h>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/sev/reasons.h"
#include "attest/sev/wire.h"

namespace attest::sev {

using Key128 = std::array<uint8_t, 16>;

// RsaPublicKey builds an RSA key from big-endian modulus and exponent; fails with on_error.
Result<EvpPkeyPtr> RsaPublicKey(ByteSpan modulus_be, ByteSpan pubexp_be, Reason on_error);

// P384PublicKey builds a P-384 public key; a point not on the curve fails with on_error.
Result<EvpPkeyPtr> P384PublicKey(ByteSpan qx_be, ByteSpan qy_be, Reason on_error);

// SevCertPublicKey is P384PublicKey of the certificate's key; fails with sev.cert_malformed.
Result<EvpPkeyPtr> SevCertPublicKey(const SevCert& cert);

// VerifyRsaPss checks an RSA-PSS signature (MGF1 with md, salt length = digest length, the only
// parameters AMD uses) over message. Fails with on_fail.
Status VerifyRsaPss(EVP_PKEY* key, const EVP_MD* md, ByteSpan message, ByteSpan signature_be,
                    Reason on_fail);

// VerifyEcdsaSevSig checks an SEV-format ECDSA signature slot (r, s little-endian, 72 bytes each)
// over message. Fails with on_fail.
Status VerifyEcdsaSevSig(EVP_PKEY* key, const EVP_MD* md, ByteSpan message,
                         const std::array<uint8_t, kSevSigSize>& sig, Reason on_fail);

// HmacSha256 is HMAC-SHA256(key, parts[0] || parts[1] || ...).
Sha256Digest HmacSha256(ByteSpan key, std::initializer_list<ByteSpan> parts);

// Aes128Ctr encrypts or decrypts data (the same operation) with a 16-byte key and counter block.
Bytes Aes128Ctr(const Key128& key, const Key128& iv, ByteSpan data);

// SevKdf is the NIST SP 800-108 counter-mode KDF with HMAC-SHA256 that the SEV API spec (section
// "Key Derivation Function") prescribes: block i = HMAC(key, i(u32 LE) || label || 0x00 ||
// context || L(u32 LE, bits)), for i = 1.., truncated to out_bytes.
Bytes SevKdf(ByteSpan key, std::string_view label, ByteSpan context, size_t out_bytes);

// GenerateP384Key makes a fresh P-384 key pair.
Result<EvpPkeyPtr> GenerateP384Key();

// P384Coordinates returns the big-endian affine coordinates of a P-384 key.
Result<std::pair<std::array<uint8_t, kP384Size>, std::array<uint8_t, kP384Size>>> P384Coordinates(
    EVP_PKEY* key);

// EcdhSharedSecret is the ECDH shared secret (the big-endian x coordinate, as OpenSSL derives it).
Result<Bytes> EcdhSharedSecret(EVP_PKEY* own_private, EVP_PKEY* peer_public);

// SignEcdsaSevSig signs message with a P-384 private key into the SEV slot encoding (tests and the
// platform model build certificates with it).
Result<std::array<uint8_t, kSevSigSize>> SignEcdsaSevSig(EVP_PKEY* key, const EVP_MD* md,
                                                         ByteSpan message);

// RandomBytes fills n bytes from the OpenSSL CSPRNG.
Result<Bytes> RandomBytes(size_t n);

// DigestForAlgo returns SHA-256 or SHA-384 for an SEV algorithm value (null when unknown).
const EVP_MD* DigestForAlgo(uint32_t algo);

}  // namespace attest::sev
