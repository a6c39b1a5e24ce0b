#include "tests/testing/fake_tpm.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "attest/core/digest.h"
#include "attest/tpm/credential.h"

namespace attest::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::cerr << "FakeTpm: " << what << "\n";
  std::abort();
}

template <typename T>
Bytes Marshal(TSS2_RC (*fn)(const T*, uint8_t[], size_t, size_t*), const T& value) {
  Bytes out(4096);
  size_t offset = 0;
  if (fn(&value, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) {
    Die("marshal");
  }
  out.resize(offset);
  return out;
}

Bytes BnParam(EVP_PKEY* key, const char* name, size_t size) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    Die("key parameter");
  }
  Bytes out(size);
  BN_bn2binpad(bn, out.data(), static_cast<int>(size));
  BN_free(bn);
  return out;
}

// Tpm2bAndName marshals a public area as TPM2B_PUBLIC and computes its Name.
void Tpm2bAndName(const TPMT_PUBLIC& area, Bytes* tpm2b, Bytes* name) {
  TPM2B_PUBLIC pub{};
  pub.publicArea = area;
  *tpm2b = Marshal(Tss2_MU_TPM2B_PUBLIC_Marshal, pub);
  const Sha256Digest digest = Sha256(Marshal(Tss2_MU_TPMT_PUBLIC_Marshal, area));
  *name = {static_cast<uint8_t>(area.nameAlg >> 8), static_cast<uint8_t>(area.nameAlg)};
  name->insert(name->end(), digest.begin(), digest.end());
}

Status Invalid(const std::string& what) {
  return Status(reasons::kTpmCredentialInvalid, "fake tpm activate: " + what);
}

uint16_t U16(ByteSpan b, size_t at) { return static_cast<uint16_t>((b[at] << 8) | b[at + 1]); }

}  // namespace

FakeTpm FakeTpm::Create(uint32_t ak_attributes) {
  FakeTpm t;
  t.ek_key_.reset(EVP_RSA_gen(2048));
  t.ak_key_.reset(EVP_EC_gen("P-256"));
  if (!t.ek_key_ || !t.ak_key_) {
    Die("keygen");
  }

  TPMT_PUBLIC ek{};
  ek.type = TPM2_ALG_RSA;
  ek.nameAlg = TPM2_ALG_SHA256;
  // fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt (template
  // L-1).
  ek.objectAttributes = 0x000300b2;
  ek.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
  ek.parameters.rsaDetail.symmetric.keyBits.aes = 128;
  ek.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  ek.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  ek.parameters.rsaDetail.keyBits = 2048;
  const Bytes n = BnParam(t.ek_key_.get(), OSSL_PKEY_PARAM_RSA_N, 256);
  ek.unique.rsa.size = 256;
  std::memcpy(ek.unique.rsa.buffer, n.data(), n.size());
  Bytes ek_name;
  Tpm2bAndName(ek, &t.ek_public_, &ek_name);

  TPMT_PUBLIC ak{};
  ak.type = TPM2_ALG_ECC;
  ak.nameAlg = TPM2_ALG_SHA256;
  ak.objectAttributes = ak_attributes;
  ak.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  ak.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  ak.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ak.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  ak.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  const Bytes x = BnParam(t.ak_key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
  const Bytes y = BnParam(t.ak_key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  ak.unique.ecc.x.size = 32;
  std::memcpy(ak.unique.ecc.x.buffer, x.data(), 32);
  ak.unique.ecc.y.size = 32;
  std::memcpy(ak.unique.ecc.y.buffer, y.data(), 32);
  Tpm2bAndName(ak, &t.ak_public_, &t.ak_name_);
  return t;
}

Result<Bytes> FakeTpm::ActivateCredential(ByteSpan blob, ByteSpan encrypted_secret) const {
  // TPM2B_ENCRYPTED_SECRET: the seed under RSA-OAEP(SHA-256, label "IDENTITY\0").
  if (encrypted_secret.size() < 2 || U16(encrypted_secret, 0) != encrypted_secret.size() - 2) {
    return Invalid("encrypted secret size");
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ek_key_.get(), nullptr));
  static const char kLabel[] = "IDENTITY";
  uint8_t* label = static_cast<uint8_t*>(OPENSSL_memdup(kLabel, sizeof(kLabel)));
  size_t seed_len = 0;
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof(kLabel)) != 1) {
    OPENSSL_free(label);
    return Invalid("oaep setup");
  }
  Bytes seed(256);
  seed_len = seed.size();
  if (EVP_PKEY_decrypt(ctx.get(), seed.data(), &seed_len, encrypted_secret.data() + 2,
                       encrypted_secret.size() - 2) != 1) {
    return Invalid("seed does not decrypt");
  }
  seed.resize(seed_len);

  // TPM2B_ID_OBJECT: size || TPM2B_DIGEST integrityHMAC || encIdentity.
  if (blob.size() < 4 || U16(blob, 0) != blob.size() - 2) {
    return Invalid("blob size");
  }
  const size_t hmac_len = U16(blob, 2);
  if (4 + hmac_len > blob.size()) {
    return Invalid("hmac size");
  }
  const ByteSpan hmac = blob.subspan(4, hmac_len);
  const ByteSpan enc_identity = blob.subspan(4 + hmac_len);
  const Bytes hmac_key = tpm::KdfA(EVP_sha256(), seed, "INTEGRITY", {}, {}, 256);
  Bytes hmac_input(enc_identity.begin(), enc_identity.end());
  hmac_input.insert(hmac_input.end(), ak_name_.begin(), ak_name_.end());
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()), hmac_input.data(),
       hmac_input.size(), mac, &mac_len);
  if (!ConstantTimeEquals(ByteSpan(mac, mac_len), hmac)) {
    return Invalid("integrity hmac");
  }

  const Bytes sym_key = tpm::KdfA(EVP_sha256(), seed, "STORAGE", ak_name_, {}, 128);
  Bytes plain(enc_identity.size());
  const uint8_t iv[16] = {};
  EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
  int len = 0, final_len = 0;
  const bool ok =
      cctx != nullptr &&
      EVP_DecryptInit_ex(cctx, EVP_aes_128_cfb128(), nullptr, sym_key.data(), iv) == 1 &&
      EVP_DecryptUpdate(cctx, plain.data(), &len, enc_identity.data(),
                        static_cast<int>(enc_identity.size())) == 1 &&
      EVP_DecryptFinal_ex(cctx, plain.data() + len, &final_len) == 1;
  EVP_CIPHER_CTX_free(cctx);
  if (!ok || plain.size() < 2 || U16(plain, 0) != plain.size() - 2) {
    return Invalid("credential");
  }
  return Bytes(plain.begin() + 2, plain.end());
}

FakeTpm::SignedQuote FakeTpm::Quote(ByteSpan nonce, const tpm::PcrBanks& pcrs) const {
  TPMS_ATTEST a{};
  a.magic = TPM2_GENERATED_VALUE;
  a.type = TPM2_ST_ATTEST_QUOTE;
  a.qualifiedSigner.size = static_cast<uint16_t>(ak_name_.size());
  std::memcpy(a.qualifiedSigner.name, ak_name_.data(), ak_name_.size());
  if (nonce.size() > sizeof(a.extraData.buffer)) {
    Die("nonce too long");
  }
  a.extraData.size = static_cast<uint16_t>(nonce.size());
  if (!nonce.empty()) {
    std::memcpy(a.extraData.buffer, nonce.data(), nonce.size());
  }
  a.clockInfo.clock = 123456;
  a.clockInfo.resetCount = 1;
  a.clockInfo.restartCount = 0;
  a.clockInfo.safe = 1;
  a.firmwareVersion = 0x2019062900000000ull;
  TPMS_QUOTE_INFO& q = a.attested.quote;
  Sha256Hasher pcr_digest;
  for (const auto& [bank, values] : pcrs) {
    if (q.pcrSelect.count >= TPM2_NUM_PCR_BANKS) {
      Die("too many banks");
    }
    TPMS_PCR_SELECTION& sel = q.pcrSelect.pcrSelections[q.pcrSelect.count++];
    sel.hash = bank;
    sel.sizeofSelect = 3;
    for (const auto& [index, value] : values) {
      if (index >= 24) {
        Die("pcr index");
      }
      sel.pcrSelect[index / 8] |= static_cast<uint8_t>(1u << (index % 8));
      pcr_digest.Update(value);
    }
  }
  const Sha256Digest digest = pcr_digest.Finish();
  q.pcrDigest.size = 32;
  std::memcpy(q.pcrDigest.buffer, digest.data(), 32);
  SignedQuote out;
  out.attest = Marshal(Tss2_MU_TPMS_ATTEST_Marshal, a);

  EvpMdCtxPtr md(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, ak_key_.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &der_len, out.attest.data(), out.attest.size()) != 1) {
    Die("sign setup");
  }
  Bytes der(der_len);
  if (EVP_DigestSign(md.get(), der.data(), &der_len, out.attest.data(), out.attest.size()) != 1) {
    Die("sign");
  }
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) {
    Die("ecdsa der");
  }
  TPMT_SIGNATURE s{};
  s.sigAlg = TPM2_ALG_ECDSA;
  s.signature.ecdsa.hash = TPM2_ALG_SHA256;
  s.signature.ecdsa.signatureR.size = 32;
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), s.signature.ecdsa.signatureR.buffer, 32);
  s.signature.ecdsa.signatureS.size = 32;
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), s.signature.ecdsa.signatureS.buffer, 32);
  out.signature = Marshal(Tss2_MU_TPMT_SIGNATURE_Marshal, s);
  return out;
}

}  // namespace attest::testing
