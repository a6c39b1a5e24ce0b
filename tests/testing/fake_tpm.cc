#include "tests/testing/fake_tpm.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "attest/core/digest.h"
#include "attest/tpm/credential.h"
#include "attest/tpm/ek_policy.h"

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

FakeTpm FakeTpm::Create(uint32_t ak_attributes, FakeEk ek_kind) {
  FakeTpm t;
  t.ek_kind_ = ek_kind;
  t.ek_key_.reset(ek_kind == FakeEk::kRsa2048   ? EVP_RSA_gen(2048)
                  : ek_kind == FakeEk::kEccP256 ? EVP_EC_gen("P-256")
                                                : EVP_EC_gen("P-384"));
  t.ak_key_.reset(EVP_EC_gen("P-256"));
  if (!t.ek_key_ || !t.ak_key_) {
    Die("keygen");
  }

  TPMT_PUBLIC ek{};
  ek.nameAlg = ek_kind == FakeEk::kEccP384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
  t.name_md_ = ek_kind == FakeEk::kEccP384 ? EVP_sha384() : EVP_sha256();
  t.sym_bits_ = ek_kind == FakeEk::kEccP384 ? 256 : 128;
  // fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt (templates
  // L-1, L-2; H-4 also sets userWithAuth).
  ek.objectAttributes = ek_kind == FakeEk::kEccP384 ? 0x000300f2 : 0x000300b2;
  // The templates' authPolicy too: the EK's name, and so its public area, is the real one's.
  if (ek_kind == FakeEk::kEccP384) {
    ek.authPolicy.size = tpm::kEkPolicyOrSha384.size();
    std::memcpy(ek.authPolicy.buffer, tpm::kEkPolicyOrSha384.data(), tpm::kEkPolicyOrSha384.size());
  } else {
    ek.authPolicy.size = tpm::kEkPolicySecretSha256.size();
    std::memcpy(ek.authPolicy.buffer, tpm::kEkPolicySecretSha256.data(),
                tpm::kEkPolicySecretSha256.size());
  }
  if (ek_kind == FakeEk::kRsa2048) {
    ek.type = TPM2_ALG_RSA;
    ek.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
    ek.parameters.rsaDetail.symmetric.keyBits.aes = 128;
    ek.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    ek.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    ek.parameters.rsaDetail.keyBits = 2048;
    const Bytes n = BnParam(t.ek_key_.get(), OSSL_PKEY_PARAM_RSA_N, 256);
    ek.unique.rsa.size = 256;
    std::memcpy(ek.unique.rsa.buffer, n.data(), n.size());
  } else {
    const size_t field = ek_kind == FakeEk::kEccP384 ? 48 : 32;
    ek.type = TPM2_ALG_ECC;
    TPMS_ECC_PARMS& ecc = ek.parameters.eccDetail;
    ecc.symmetric.algorithm = TPM2_ALG_AES;
    ecc.symmetric.keyBits.aes = static_cast<uint16_t>(t.sym_bits_);
    ecc.symmetric.mode.aes = TPM2_ALG_CFB;
    ecc.scheme.scheme = TPM2_ALG_NULL;
    ecc.curveID = ek_kind == FakeEk::kEccP384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
    ecc.kdf.scheme = TPM2_ALG_NULL;
    t.ek_x_ = BnParam(t.ek_key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, field);
    const Bytes y = BnParam(t.ek_key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, field);
    ek.unique.ecc.x.size = static_cast<uint16_t>(field);
    std::memcpy(ek.unique.ecc.x.buffer, t.ek_x_.data(), field);
    ek.unique.ecc.y.size = static_cast<uint16_t>(field);
    std::memcpy(ek.unique.ecc.y.buffer, y.data(), field);
  }
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

Result<Bytes> FakeTpm::RsaSeed(ByteSpan secret) const {
  // The seed under RSA-OAEP(nameAlg, label "IDENTITY\0") (Part 1 Annex B.10.3).
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ek_key_.get(), nullptr));
  static const char kLabel[] = "IDENTITY";
  uint8_t* label = static_cast<uint8_t*>(OPENSSL_memdup(kLabel, sizeof(kLabel)));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), name_md_) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), name_md_) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof(kLabel)) != 1) {
    OPENSSL_free(label);
    return Invalid("oaep setup");
  }
  Bytes seed(256);
  size_t seed_len = seed.size();
  if (EVP_PKEY_decrypt(ctx.get(), seed.data(), &seed_len, secret.data(), secret.size()) != 1) {
    return Invalid("seed does not decrypt");
  }
  seed.resize(seed_len);
  return seed;
}

Result<Bytes> FakeTpm::EccSeed(ByteSpan secret) const {
  // TPMS_ECC_POINT of the verifier's ephemeral key: TPM2B x, TPM2B y (Part 1 Annex C.6.4).
  const size_t field = ek_x_.size();
  if (secret.size() < 2 || U16(secret, 0) > field || secret.size() < 2u + U16(secret, 0) + 2) {
    return Invalid("ecc point x");
  }
  const size_t x_len = U16(secret, 0);
  const ByteSpan x = secret.subspan(2, x_len);
  const size_t y_len = U16(secret, 2 + x_len);
  if (y_len > field || secret.size() != 2 + x_len + 2 + y_len) {
    return Invalid("ecc point y");
  }
  const ByteSpan y = secret.subspan(2 + x_len + 2, y_len);
  Bytes point(1 + 2 * field, 0);
  point[0] = 0x04;
  std::copy(x.begin(), x.end(), point.begin() + 1 + field - x_len);
  std::copy(y.begin(), y.end(), point.begin() + 1 + 2 * field - y_len);
  // The TPM's ECDH: the ephemeral point times the EK's private scalar; Z is its x (padded).
  EVP_PKEY* raw = nullptr;
  EvpPkeyCtxPtr from(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(field == 48 ? "P-384" : "P-256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  if (!from || EVP_PKEY_fromdata_init(from.get()) != 1 ||
      EVP_PKEY_fromdata(from.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return Invalid("ephemeral point is not on the curve");
  }
  const EvpPkeyPtr peer(raw);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ek_key_.get(), nullptr));
  Bytes z(field);
  size_t z_len = z.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), z.data(), &z_len) != 1 || z_len != field) {
    return Invalid("ecdh");
  }
  // KDFe (Part 1 §11.4.10.3): H(counter || Z || "IDENTITY\0" || x_ephemeral || x_ek), counter 1...
  const size_t want = static_cast<size_t>(EVP_MD_get_size(name_md_));
  Bytes seed;
  for (uint8_t counter = 1; seed.size() < want; ++counter) {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    const uint8_t be_counter[4] = {0, 0, 0, counter};
    static const char kUse[] = "IDENTITY";
    uint8_t block[EVP_MAX_MD_SIZE];
    unsigned int block_len = 0;
    if (!md || EVP_DigestInit_ex(md.get(), name_md_, nullptr) != 1 ||
        EVP_DigestUpdate(md.get(), be_counter, 4) != 1 ||
        EVP_DigestUpdate(md.get(), z.data(), z.size()) != 1 ||
        EVP_DigestUpdate(md.get(), kUse, sizeof(kUse)) != 1 ||
        EVP_DigestUpdate(md.get(), x.data(), x.size()) != 1 ||
        EVP_DigestUpdate(md.get(), ek_x_.data(), ek_x_.size()) != 1 ||
        EVP_DigestFinal_ex(md.get(), block, &block_len) != 1) {
      return Invalid("kdfe");
    }
    seed.insert(seed.end(), block, block + block_len);
  }
  seed.resize(want);
  return seed;
}

Result<Bytes> FakeTpm::ActivateCredential(ByteSpan blob, ByteSpan encrypted_secret,
                                          ByteSpan ak_name_in) const {
  const Bytes ak_name = ak_name_in.empty() ? ak_name_ : Bytes(ak_name_in.begin(), ak_name_in.end());
  if (encrypted_secret.size() < 2 || U16(encrypted_secret, 0) != encrypted_secret.size() - 2) {
    return Invalid("encrypted secret size");
  }
  const ByteSpan secret = encrypted_secret.subspan(2);
  Bytes seed;
  if (ek_kind_ == FakeEk::kRsa2048) {
    ATTEST_ASSIGN_OR_RETURN(seed, RsaSeed(secret));
  } else {
    ATTEST_ASSIGN_OR_RETURN(seed, EccSeed(secret));
  }
  const size_t digest_bits = static_cast<size_t>(EVP_MD_get_size(name_md_)) * 8;

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
  const Bytes hmac_key = tpm::KdfA(name_md_, seed, "INTEGRITY", {}, {}, digest_bits);
  Bytes hmac_input(enc_identity.begin(), enc_identity.end());
  hmac_input.insert(hmac_input.end(), ak_name.begin(), ak_name.end());
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(name_md_, hmac_key.data(), static_cast<int>(hmac_key.size()), hmac_input.data(),
       hmac_input.size(), mac, &mac_len);
  if (!ConstantTimeEquals(ByteSpan(mac, mac_len), hmac)) {
    return Invalid("integrity hmac");
  }

  const Bytes sym_key = tpm::KdfA(name_md_, seed, "STORAGE", ak_name, {}, sym_bits_);
  Bytes plain(enc_identity.size());
  const uint8_t iv[16] = {};
  EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
  int len = 0, final_len = 0;
  const bool ok =
      cctx != nullptr &&
      EVP_DecryptInit_ex(cctx, sym_bits_ == 256 ? EVP_aes_256_cfb128() : EVP_aes_128_cfb128(),
                         nullptr, sym_key.data(), iv) == 1 &&
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
