// Signature verification over exact byte ranges.
#pragma once

#include <openssl/evp.h>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"

namespace attest {

// EcdsaRawToDer converts big-endian r and s (any length, leading zeros allowed) into a DER
// ECDSA-Sig-Value. Fails with on_error when r or s is zero.
Result<Bytes> EcdsaRawToDer(ByteSpan r_be, ByteSpan s_be, Reason on_error);

// VerifyDigestSignature checks a DER signature (ECDSA) or a raw RSA PKCS#1 v1.5 signature over a
// precomputed digest of md's size. Fails with on_fail when the signature does not verify.
Status VerifyDigestSignature(EVP_PKEY* key, const EVP_MD* md, ByteSpan digest, ByteSpan signature,
                             Reason on_fail);

// VerifyMessageSignature hashes message with md and verifies like VerifyDigestSignature.
Status VerifyMessageSignature(EVP_PKEY* key, const EVP_MD* md, ByteSpan message, ByteSpan signature,
                              Reason on_fail);

// ParsePublicKeyDer parses a DER SubjectPublicKeyInfo.
Result<EvpPkeyPtr> ParsePublicKeyDer(ByteSpan der, Reason on_error);

}  // namespace attest
