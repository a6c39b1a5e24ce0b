// Credential activation, verifier side: proves that an AK lives in the same TPM as an EK whose
// certificate chains to a manufacturer CA (TPM 2.0 Part 1 §24, "Credential Protection").
//
// The verifier runs TPM2_MakeCredential in software: a random seed is encrypted to the EK
// (RSA-OAEP with the EK's nameAlg and label "IDENTITY\0"); KDFa(seed, "STORAGE", AK name) keys
// AES-CFB over the credential, KDFa(seed, "INTEGRITY") keys an HMAC over that ciphertext and the AK
// name. Only the TPM holding the EK private key, with the AK loaded under exactly that name, can
// return the credential through TPM2_ActivateCredential.
#pragma once

#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tpm/reasons.h"

namespace attest::tpm {

// EkPublic is an endorsement key's public area (RSA EK templates).
struct EkPublic {
  Bytes public_area;  // TPMT_PUBLIC as marshalled
  EvpPkeyPtr key;
  uint16_t name_alg = 0;
  uint16_t symmetric_alg = 0;  // TPM_ALG_AES
  uint16_t symmetric_bits = 0;
};

// ParseEkPublic reads a TPM2B_PUBLIC or TPMT_PUBLIC EK (RSA, restricted decrypt key with an AES
// symmetric definition). Fails with tpm.public_malformed or tpm.unsupported_algorithm (ECC EKs are
// not supported yet).
Result<EkPublic> ParseEkPublic(ByteSpan bytes);

// VerifyEkCertificate checks that ek_cert (DER or PEM) chains at now to one of the CA certificates
// in ca_bundle (PEM, every certificate the operator configured: self-signed ones are anchors, the
// others intermediates) and that its public key is the EK's. Fails with tpm.ek_chain_untrusted,
// x509 reasons (expired...), or tpm.ek_public_mismatch.
Status VerifyEkCertificate(ByteSpan ek_cert, const EkPublic& ek, ByteSpan ca_bundle, TimePoint now);

// LoadCaBundleDir concatenates every *.pem / *.crt file of dir (the operator's manufacturer CA
// directory). Fails with core.file_unreadable.
Result<Bytes> LoadCaBundleDir(const std::string& dir);

// MadeCredential is what TPM2_MakeCredential returns, marshalled for TPM2_ActivateCredential.
struct MadeCredential {
  Bytes credential_blob;   // TPM2B_ID_OBJECT
  Bytes encrypted_secret;  // TPM2B_ENCRYPTED_SECRET
};

// MakeCredential protects credential (at most the EK nameAlg's digest size) for the AK named
// ak_name (nameAlg || digest) under ek. seed is drawn from OpenSSL's RNG unless given (tests).
// Fails with tpm.unsupported_algorithm or tpm.credential_malformed (bad sizes).
Result<MadeCredential> MakeCredential(const EkPublic& ek, ByteSpan ak_name, ByteSpan credential,
                                      ByteSpan seed = {});

// KDFa is the TPM key derivation (Part 1 §11.4.10.2, SP 800-108 counter mode with HMAC): bits of
// HMAC_hash(key, [i]32 || label || 00 || context_u || context_v || [bits]32).
Bytes KdfA(const EVP_MD* md, ByteSpan key, std::string_view label, ByteSpan context_u,
           ByteSpan context_v, size_t bits);

// CheckActivatedCredential compares what the agent's TPM returned with the issued credential in
// constant time. Fails with tpm.credential_invalid.
Status CheckActivatedCredential(ByteSpan issued, ByteSpan returned);

}  // namespace attest::tpm
