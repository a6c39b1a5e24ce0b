#include "attest/tpm/ek_seed.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_tpm2_types.h>

namespace attest::tpm {
namespace {

Status OsslFailure(const std::string& what) {
  return Status(reasons::kInternalError, "make credential: " + what + ": " + OsslErrors());
}

void PutU16(Bytes& out, size_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace

size_t EccFieldBytes(uint16_t curve_id) {
  switch (curve_id) {
    case TPM2_ECC_NIST_P256:
      return 32;
    case TPM2_ECC_NIST_P384:
      return 48;
    default:
      return 0;
  }
}

Bytes KdfE(const EVP_MD* md, ByteSpan z, std::string_view label, ByteSpan party_u, ByteSpan party_v,
           size_t bits) {
  const size_t want = (bits + 7) / 8;
  Bytes out;
  for (uint32_t counter = 1; out.size() < want; ++counter) {
    Bytes msg = {static_cast<uint8_t>(counter >> 24), static_cast<uint8_t>(counter >> 16),
                 static_cast<uint8_t>(counter >> 8), static_cast<uint8_t>(counter)};
    msg.insert(msg.end(), z.begin(), z.end());
    msg.insert(msg.end(), label.begin(), label.end());
    msg.push_back(0);  // the label's terminating NUL is part of "Use" (§11.4.10.3)
    msg.insert(msg.end(), party_u.begin(), party_u.end());
    msg.insert(msg.end(), party_v.begin(), party_v.end());
    uint8_t block[EVP_MAX_MD_SIZE];
    unsigned int block_len = 0;
    EVP_Digest(msg.data(), msg.size(), block, &block_len, md, nullptr);
    out.insert(out.end(), block, block + block_len);
  }
  out.resize(want);
  return out;
}

Result<SharedSeed> RsaSeed(const EkPublic& ek, const HashAlg& name_alg, ByteSpan seed_in) {
  // Part 1 §24.4 / Annex B.10.4: the seed is as long as the EK nameAlg digest.
  SharedSeed out;
  out.seed.assign(seed_in.begin(), seed_in.end());
  if (out.seed.empty()) {
    out.seed.resize(name_alg.size);
    if (RAND_bytes(out.seed.data(), static_cast<int>(out.seed.size())) != 1) {
      return OsslFailure("RAND_bytes");
    }
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ek.key.get(), nullptr));
  static const char kLabel[] = "IDENTITY";
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), name_alg.md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), name_alg.md) != 1) {
    return OsslFailure("OAEP setup");
  }
  // set0 takes ownership of the label copy only on success.
  uint8_t* label = static_cast<uint8_t*>(OPENSSL_memdup(kLabel, sizeof(kLabel)));
  if (label == nullptr || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof(kLabel)) != 1) {
    OPENSSL_free(label);
    return OsslFailure("OAEP label");
  }
  size_t size = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &size, out.seed.data(), out.seed.size()) != 1) {
    return OsslFailure("OAEP size");
  }
  out.encrypted_secret.resize(size);
  if (EVP_PKEY_encrypt(ctx.get(), out.encrypted_secret.data(), &size, out.seed.data(),
                       out.seed.size()) != 1) {
    return OsslFailure("OAEP");
  }
  out.encrypted_secret.resize(size);
  return out;
}

Result<SharedSeed> EccSeed(const EkPublic& ek, const HashAlg& name_alg) {
  const size_t field = EccFieldBytes(ek.curve_id);
  if (field == 0) {
    return Status(reasons::kTpmUnsupportedAlgorithm, "ek: ECC curve not supported");
  }
  EvpPkeyPtr ephemeral(EVP_EC_gen(ek.curve_id == TPM2_ECC_NIST_P384 ? "P-384" : "P-256"));
  if (!ephemeral) {
    return OsslFailure("ephemeral key");
  }
  // Z is the x-coordinate of the shared point; OpenSSL pads it to the field size, as the TPM does.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ephemeral.get(), nullptr));
  size_t z_size = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), ek.key.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &z_size) != 1) {
    return OsslFailure("ECDH setup");
  }
  Bytes z(z_size);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &z_size) != 1 || z_size != field) {
    return OsslFailure("ECDH");
  }
  // The ephemeral public point, uncompressed SEC1: 04 || x || y, each exactly the field size.
  uint8_t point[1 + 2 * 66];
  size_t point_size = 0;
  if (EVP_PKEY_get_octet_string_param(ephemeral.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                      sizeof(point), &point_size) != 1 ||
      point_size != 1 + 2 * field || point[0] != 0x04) {
    return OsslFailure("ephemeral point");
  }
  const ByteSpan x(point + 1, field), y(point + 1 + field, field);
  SharedSeed out;
  out.seed = KdfE(name_alg.md, z, "IDENTITY", x, ek.ecc_x, name_alg.size * 8);
  OPENSSL_cleanse(z.data(), z.size());
  // TPMS_ECC_POINT { TPM2B_ECC_PARAMETER x, TPM2B_ECC_PARAMETER y }.
  PutU16(out.encrypted_secret, field);
  out.encrypted_secret.insert(out.encrypted_secret.end(), x.begin(), x.end());
  PutU16(out.encrypted_secret, field);
  out.encrypted_secret.insert(out.encrypted_secret.end(), y.begin(), y.end());
  return out;
}

}  // namespace attest::tpm
