// TPM 2.0 structures an attestation verifier receives: TPMS_ATTEST (a quote), TPMT_SIGNATURE, the
// AK's public area, and the PCR values a quote covers.
//
// Layouts are TPM 2.0 Library Part 2 (TPMS_ATTEST table 131, TPMS_QUOTE_INFO table 124,
// TPMT_SIGNATURE table 197, TPMT_PUBLIC table 204); they are unmarshalled by libtss2-mu (mu.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/reasons.h"

namespace attest::tpm {

// PcrSelection is one TPMS_PCR_SELECTION: a bank and its selected PCR indices, ascending.
struct PcrSelection {
  uint16_t hash = 0;
  std::vector<uint32_t> pcrs;
};

// Quote is a parsed TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE. attest holds the exact bytes the AK
// signed, so the signature is checked over them rather than over a re-encoding.
struct Quote {
  Bytes attest;
  Bytes qualified_signer;  // TPM2B_NAME of the signing key: nameAlg || H(TPMT_PUBLIC)
  Bytes extra_data;        // the verifier's nonce
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
  uint64_t firmware_version = 0;
  std::vector<PcrSelection> pcr_select;
  Bytes pcr_digest;
};

// ParseQuote parses a TPMS_ATTEST. Fails with tpm.attest_malformed (libtss2-mu refuses the bytes
// or leaves some unconsumed), tpm.bad_magic (magic != TPM_GENERATED_VALUE) or tpm.not_a_quote
// (another attestation type, e.g. a certify).
Result<Quote> ParseQuote(ByteSpan attest);

// Signature is a parsed TPMT_SIGNATURE with an RSASSA, RSAPSS or ECDSA scheme.
struct Signature {
  uint16_t sig_alg = 0;    // TPM_ALG_RSASSA 0x14, TPM_ALG_RSAPSS 0x16, TPM_ALG_ECDSA 0x18
  uint16_t hash_alg = 0;   // TPM_ALG_ID of the digest that was signed
  Bytes rsa;               // RSA signature
  Bytes ecdsa_r, ecdsa_s;  // ECDSA (big-endian)
};

inline constexpr uint16_t kAlgRsassa = 0x0014;
inline constexpr uint16_t kAlgRsapss = 0x0016;
inline constexpr uint16_t kAlgEcdsa = 0x0018;

// ParseSignature parses a TPMT_SIGNATURE. Fails with tpm.signature_malformed, or
// tpm.unsupported_algorithm for any other scheme (HMAC, ECSCHNORR, SM2...).
Result<Signature> ParseSignature(ByteSpan bytes);

// AkPublic is an attestation key's public key, plus its TPM public area when it came as one.
struct AkPublic {
  EvpPkeyPtr key;
  // Set when the key came as TPMT_PUBLIC / TPM2B_PUBLIC (not PEM):
  std::optional<uint32_t> object_attributes;
  std::optional<Bytes> name;  // nameAlg (big-endian u16) || H_nameAlg(TPMT_PUBLIC bytes)
};

// TPMA_OBJECT bits (Part 2 table 31) an AK must have (restricted signing key made in this TPM).
inline constexpr uint32_t kAttrFixedTpm = 0x00000002;
inline constexpr uint32_t kAttrFixedParent = 0x00000010;
inline constexpr uint32_t kAttrSensitiveDataOrigin = 0x00000020;
inline constexpr uint32_t kAttrRestricted = 0x00010000;
inline constexpr uint32_t kAttrDecrypt = 0x00020000;
inline constexpr uint32_t kAttrSign = 0x00040000;

// ParsePublicKey accepts a TPM2B_PUBLIC, a bare TPMT_PUBLIC (RSA, or ECC on NIST P-256/P-384) or a
// PEM SubjectPublicKeyInfo. Fails with tpm.public_malformed or tpm.unsupported_algorithm.
Result<AkPublic> ParsePublicKey(ByteSpan bytes);

// ParsePublicArea is ParsePublicKey for a TPMT_PUBLIC only (no size prefix, no PEM).
Result<AkPublic> ParsePublicArea(ByteSpan tpmt_public);

// ParsePcrValues reads the PCR values a quote covers, in one of the formats we accept:
//  - tpm2-tools `tpm2_quote -o` / `tpm2_pcrread -o` "serialized" output: TPML_PCR_SELECTION then
//    a UINT32 count then that many TPML_DIGEST, each as tpm2-tools' in-memory little-endian struct
//    (tpm2-tools lib/pcr.c), the values in selection order;
//  - JSON {"banks":{"sha256":{"0":"hex",...}}} (the shape `attestctl eventlog replay` prints), or
//    a flat {"0":"hex",...} whose bank follows from the digest length (the GCP vector's pcrs.json).
// Fails with tpm.pcrs_malformed.
Result<PcrBanks> ParsePcrValues(ByteSpan bytes);
// PcrValuesFromJson is ParsePcrValues for the JSON forms, already read (a request body member).
Result<PcrBanks> PcrValuesFromJson(const nlohmann::json& doc);

}  // namespace attest::tpm
