// Credential activation, verifier side: proves that an AK lives in the same TPM as an EK whose
// certificate chains to a manufacturer CA (TPM 2.0 Part 1 §24, "Credential Protection").
//
// The verifier runs TPM2_MakeCredential in software. A seed is shared with the EK's owner: for an
// RSA EK a random seed encrypted with RSA-OAEP (the EK's nameAlg, label "IDENTITY\0"); for an ECC
// EK one ECDH with an ephemeral key on the EK's curve, seed = KDFe(nameAlg, Z, "IDENTITY",
// ephemeral x, EK x), the ephemeral point being the "encrypted secret" (Part 1 Annex C.6).
// KDFa(seed, "STORAGE", AK name) keys AES-CFB over the credential, KDFa(seed, "INTEGRITY") keys an
// HMAC over that ciphertext and the AK name. Only the TPM holding the EK private key, with the AK
// loaded under exactly that name, can return the credential through TPM2_ActivateCredential.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tpm/reasons.h"

namespace attest::tpm {

// EkPublic is an endorsement key's public area (RSA 2048/3072/4096, or ECC NIST P-256/P-384, as
// the TCG EK Credential Profile templates make them).
struct EkPublic {
  Bytes public_area;  // TPMT_PUBLIC as marshalled
  EvpPkeyPtr key;
  uint16_t type = 0;      // TPM_ALG_RSA or TPM_ALG_ECC
  uint16_t curve_id = 0;  // TPM_ECC_NIST_P256 / _P384 for ECC, 0 for RSA
  Bytes ecc_x;            // ECC: the public point's x exactly as in the public area (KDFe's partyV)
  uint16_t name_alg = 0;
  uint16_t symmetric_alg = 0;  // TPM_ALG_AES
  uint16_t symmetric_bits = 0;
};

// ParseEkPublic reads a TPM2B_PUBLIC or TPMT_PUBLIC EK: RSA, or ECC on NIST P-256 / P-384, a
// restricted decryption key with an AES-CFB symmetric definition, no signing or key-exchange
// scheme. Fails with tpm.public_malformed or tpm.unsupported_algorithm.
Result<EkPublic> ParseEkPublic(ByteSpan bytes);

// EkAlgorithmName names the EK's algorithm: "rsa-2048", "ecc-p256", "ecc-p384".
std::string EkAlgorithmName(const EkPublic& ek);

// VerifyEkCertificate checks that ek_cert (exactly one certificate, DER or PEM) chains at now to
// one of anchors (every one trusted as it is, self-signed or not: a vendor bundle holds issuing
// CAs whose roots it may not ship), optionally through untrusted_chain (DER or PEM certificates,
// e.g. the TPM's EK certificate chain NV indices: they help build the path and are never trusted
// themselves), and that its public key is the EK's. Fails with tpm.ek_cert_malformed (either
// input does not parse), tpm.ek_chain_untrusted, x509.cert_expired / x509.cert_not_yet_valid, or
// tpm.ek_public_mismatch.
Status VerifyEkCertificate(ByteSpan ek_cert, ByteSpan untrusted_chain, const EkPublic& ek,
                           std::span<X509* const> anchors, TimePoint now);

// ParseEkCertificates reads a PEM bundle, or DER certificates back to back as TPM NV indices hold
// them (the EK certificate, the EK chain indices); zero padding or erased (0xff) bytes after the
// last DER certificate are ignored, anything else is not. Fails with tpm.ek_cert_malformed.
Result<std::vector<X509Ptr>> ParseEkCertificates(ByteSpan bytes);

// CheckEkCertificateKey checks only that ek_cert (one certificate) carries the EK's public key.
// Fails with tpm.ek_cert_malformed or tpm.ek_public_mismatch.
Status CheckEkCertificateKey(ByteSpan ek_cert, const EkPublic& ek);

// LoadCaBundleDir concatenates every *.pem / *.crt file of dir (the operator's manufacturer CA
// directory). Fails with core.file_unreadable.
Result<Bytes> LoadCaBundleDir(const std::string& dir);

// MadeCredential is what TPM2_MakeCredential returns, marshalled for TPM2_ActivateCredential.
struct MadeCredential {
  Bytes credential_blob;   // TPM2B_ID_OBJECT
  Bytes encrypted_secret;  // TPM2B_ENCRYPTED_SECRET
};

// MakeCredential protects credential (at most the EK nameAlg's digest size) for the AK named
// ak_name (nameAlg || digest) under ek. For an RSA EK seed is drawn from OpenSSL's RNG unless given
// (tests); an ECC EK's seed comes from a fresh ephemeral key and cannot be given. Fails with
// tpm.unsupported_algorithm or tpm.credential_malformed (bad sizes, a seed for an ECC EK).
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
