// The seed TPM2_MakeCredential shares with an EK's owner (TPM 2.0 Part 1 §24 and Annex B.10 / C.6,
// "Secret Sharing"): what the verifier keys the credential's AES-CFB and HMAC with, and the
// TPMU_ENCRYPTED_SECRET that lets only the EK's TPM recover it.
#pragma once

#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/credential.h"

namespace attest::tpm {

// SharedSeed is a seed and its encrypted form (TPMU_ENCRYPTED_SECRET, without the TPM2B size).
struct SharedSeed {
  Bytes seed;
  Bytes encrypted_secret;
};

// RsaSeed draws a seed of the nameAlg digest size (or takes seed, for tests) and encrypts it with
// RSAES-OAEP(nameAlg, MGF1(nameAlg), label "IDENTITY\0") to the EK (Annex B.10.3). Fails with
// core.internal_error when OpenSSL does.
Result<SharedSeed> RsaSeed(const EkPublic& ek, const HashAlg& name_alg, ByteSpan seed);

// EccSeed makes a fresh ephemeral key on the EK's curve, Z = x([d_e]Q_ek), and
// seed = KDFe(nameAlg, Z, "IDENTITY", x_e, x_ek) of the nameAlg digest size (Annex C.6.4,
// §11.4.10.3); the encrypted secret is the ephemeral public point as a marshalled TPMS_ECC_POINT (x
// and y zero-padded to the curve size). Fails with core.internal_error when OpenSSL does.
Result<SharedSeed> EccSeed(const EkPublic& ek, const HashAlg& name_alg);

// KdfE is the TPM's ECDH key derivation (Part 1 §11.4.10.3, the SP 800-56A concatenation KDF): the
// first bits of H(counter[4] || Z || label || 00 || party_u || party_v) for counter = 1, 2, ...
// (no length field, unlike KDFa).
Bytes KdfE(const EVP_MD* md, ByteSpan z, std::string_view label, ByteSpan party_u, ByteSpan party_v,
           size_t bits);

// EccFieldBytes is the coordinate size of a TPM_ECC_CURVE we support (32 or 48), else 0.
size_t EccFieldBytes(uint16_t curve_id);

}  // namespace attest::tpm
