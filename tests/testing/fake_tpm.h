// FakeTpm: a TPM's endorsement and attestation keys held in software, for service tests and the
// load benchmark. It marshals the public areas a real TPM reports (through libtss2-mu, as the
// verifier parses them), answers TPM2_ActivateCredential, and signs quotes over chosen PCR values
// with any nonce, so tests need neither a swtpm nor fixed nonces baked into fixtures.
#pragma once

#include <cstdint>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/tpm/eventlog.h"

namespace attest::testing {

// The TPMA_OBJECT of a real AK (tpm2_createak): fixedTPM, fixedParent, sensitiveDataOrigin,
// userWithAuth, restricted, sign.
inline constexpr uint32_t kFakeAkAttributes = 0x00050072;

// FakeEk: the EK templates of the TCG EK Credential Profile a FakeTpm can hold: L-1 (RSA 2048,
// SHA-256, AES-128), L-2 (ECC P-256, SHA-256, AES-128), H-4 (ECC P-384, SHA-384, AES-256).
enum class FakeEk { kRsa2048, kEccP256, kEccP384 };

class FakeTpm {
 public:
  // Create makes an EK of the given kind (restricted decrypt, AES-CFB) and an ECDSA P-256 /
  // SHA-256 AK with ak_attributes.
  static FakeTpm Create(uint32_t ak_attributes = kFakeAkAttributes, FakeEk ek = FakeEk::kRsa2048);

  const Bytes& ek_public() const { return ek_public_; }  // TPM2B_PUBLIC
  const Bytes& ak_public() const { return ak_public_; }  // TPM2B_PUBLIC
  const Bytes& ak_name() const { return ak_name_; }      // nameAlg || SHA-256(TPMT_PUBLIC)
  EVP_PKEY* ek_key() const { return ek_key_.get(); }

  // ActivateCredential does what TPM2_ActivateCredential does with this EK and AK (TPM 2.0 Part 1
  // §24): recover the seed (RSA-OAEP decryption, or ECDH with the ephemeral point and KDFe, written
  // here from the spec independently of the verifier's code), check the integrity HMAC over
  // encIdentity || AK name, decrypt the credential. ak_name overrides the AK's own name (as if
  // another AK were loaded). Fails with tpm.credential_invalid when anything does not check.
  Result<Bytes> ActivateCredential(ByteSpan credential_blob, ByteSpan encrypted_secret,
                                   ByteSpan ak_name = {}) const;

  struct SignedQuote {
    Bytes attest;     // TPMS_ATTEST
    Bytes signature;  // TPMT_SIGNATURE (ECDSA, SHA-256)
  };
  // Quote signs a TPM2_Quote over every PCR in pcrs (each bank in pcrs' order) with nonce as
  // extraData.
  SignedQuote Quote(ByteSpan nonce, const tpm::PcrBanks& pcrs) const;

 private:
  Result<Bytes> RsaSeed(ByteSpan secret) const;
  Result<Bytes> EccSeed(ByteSpan secret) const;
  FakeEk ek_kind_ = FakeEk::kRsa2048;
  const EVP_MD* name_md_ = nullptr;  // the EK's nameAlg
  size_t sym_bits_ = 128;            // the EK's AES key size
  Bytes ek_x_;                       // ECC EKs: unique.x
  EvpPkeyPtr ek_key_;
  EvpPkeyPtr ak_key_;
  Bytes ek_public_, ak_public_, ak_name_;
};

}  // namespace attest::testing
