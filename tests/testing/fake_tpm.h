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

class FakeTpm {
 public:
  // Create makes an RSA-2048 EK shaped like the TCG EK template L-1 (restricted decrypt,
  // AES-128-CFB, SHA-256 nameAlg) and an ECDSA P-256 / SHA-256 AK with ak_attributes.
  static FakeTpm Create(uint32_t ak_attributes = kFakeAkAttributes);

  const Bytes& ek_public() const { return ek_public_; }  // TPM2B_PUBLIC
  const Bytes& ak_public() const { return ak_public_; }  // TPM2B_PUBLIC
  const Bytes& ak_name() const { return ak_name_; }      // nameAlg || SHA-256(TPMT_PUBLIC)
  EVP_PKEY* ek_key() const { return ek_key_.get(); }

  // ActivateCredential does what TPM2_ActivateCredential does with this EK and AK (TPM 2.0 Part 1
  // §24): decrypt the seed, check the integrity HMAC over encIdentity || AK name, decrypt the
  // credential. Fails with tpm.credential_invalid when anything does not check.
  Result<Bytes> ActivateCredential(ByteSpan credential_blob, ByteSpan encrypted_secret) const;

  struct SignedQuote {
    Bytes attest;     // TPMS_ATTEST
    Bytes signature;  // TPMT_SIGNATURE (ECDSA, SHA-256)
  };
  // Quote signs a TPM2_Quote over every PCR in pcrs (each bank in pcrs' order) with nonce as
  // extraData.
  SignedQuote Quote(ByteSpan nonce, const tpm::PcrBanks& pcrs) const;

 private:
  EvpPkeyPtr ek_key_;
  EvpPkeyPtr ak_key_;
  Bytes ek_public_, ak_public_, ak_name_;
};

}  // namespace attest::testing
