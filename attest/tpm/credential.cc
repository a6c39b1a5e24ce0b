#include "attest/tpm/credential.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>

#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/mu.h"
#include "attest/tpm/wire.h"

namespace attest::tpm {
namespace {

void PutU16(Bytes& out, size_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

Status Unsupported(const std::string& what) {
  return Status(reasons::kTpmUnsupportedAlgorithm, "ek: " + what);
}

}  // namespace

Result<EkPublic> ParseEkPublic(ByteSpan bytes) {
  ByteSpan area = bytes;
  if (bytes.size() >= 2 && static_cast<size_t>((bytes[0] << 8) | bytes[1]) == bytes.size() - 2) {
    area = bytes.subspan(2);
  }
  ATTEST_ASSIGN_OR_RETURN(TPMT_PUBLIC pub,
                          Unmarshal<TPMT_PUBLIC>(Tss2_MU_TPMT_PUBLIC_Unmarshal, area,
                                                 reasons::kTpmPublicMalformed, "ek tpmt_public"));
  if (pub.type != TPM2_ALG_RSA) {
    return Unsupported("only RSA endorsement keys are supported");
  }
  const TPMT_SYM_DEF_OBJECT& sym = pub.parameters.rsaDetail.symmetric;
  if (sym.algorithm != TPM2_ALG_AES || sym.mode.aes != TPM2_ALG_CFB ||
      (sym.keyBits.aes != 128 && sym.keyBits.aes != 256)) {
    return Unsupported("symmetric definition is not AES-128/256-CFB");
  }
  if ((pub.objectAttributes & (kAttrRestricted | kAttrDecrypt)) !=
      (kAttrRestricted | kAttrDecrypt)) {
    return Status(reasons::kTpmPublicMalformed, "ek: not a restricted decryption key");
  }
  if (!FindHashAlg(pub.nameAlg)) {
    return Unsupported("nameAlg " + HashAlgName(pub.nameAlg));
  }
  ATTEST_ASSIGN_OR_RETURN(AkPublic parsed, ParsePublicArea(area));
  EkPublic ek;
  ek.public_area.assign(area.begin(), area.end());
  ek.key = std::move(parsed.key);
  ek.name_alg = pub.nameAlg;
  ek.symmetric_alg = sym.algorithm;
  ek.symmetric_bits = sym.keyBits.aes;
  return ek;
}

Result<Bytes> LoadCaBundleDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return Status(reasons::kFileUnreadable, "ca dir " + dir + ": " + ec.message());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : it) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".pem" || ext == ".crt")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  Bytes out;
  for (const auto& path : files) {
    ATTEST_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(path.string(), 1u << 20));
    out.insert(out.end(), data.begin(), data.end());
    out.push_back('\n');
  }
  return out;
}

Status VerifyEkCertificate(ByteSpan ek_cert, const EkPublic& ek, ByteSpan ca_bundle,
                           TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> leaf, ParseCertificates(ek_cert));
  if (leaf.size() != 1) {
    return Status(reasons::kCertMalformed, "ek certificate: want exactly one certificate");
  }
  ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> cas, ParseCertificates(ca_bundle));
  std::vector<X509*> anchors, intermediates;
  for (const X509Ptr& ca : cas) {
    // Self-issued and self-signed: an anchor; anything else may only help build the path.
    const bool self_signed = X509_check_issued(ca.get(), ca.get()) == X509_V_OK;
    (self_signed ? anchors : intermediates).push_back(ca.get());
  }
  if (anchors.empty()) {
    return Status(reasons::kTpmEkChainUntrusted, "ek: CA bundle holds no self-signed root");
  }
  auto chain = VerifyChain(leaf.front().get(), intermediates, anchors, now);
  if (!chain.ok()) {
    if (chain.status().reason_id() == reasons::kChainUntrusted.id) {
      return Status(reasons::kTpmEkChainUntrusted, chain.status().message());
    }
    return chain.status();
  }
  EVP_PKEY* cert_key = X509_get0_pubkey(leaf.front().get());
  if (cert_key == nullptr || EVP_PKEY_eq(cert_key, ek.key.get()) != 1) {
    return Status(reasons::kTpmEkMismatch,
                  "ek: the certificate's public key is not the TPM's endorsement key");
  }
  return Status::Ok();
}

Bytes KdfA(const EVP_MD* md, ByteSpan key, std::string_view label, ByteSpan context_u,
           ByteSpan context_v, size_t bits) {
  const size_t want = (bits + 7) / 8;
  Bytes out;
  auto be32 = [](uint32_t v) {
    return Bytes{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                 static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  };
  for (uint32_t counter = 1; out.size() < want; ++counter) {
    Bytes msg = be32(counter);
    msg.insert(msg.end(), label.begin(), label.end());
    msg.push_back(0);  // the label's terminating NUL
    msg.insert(msg.end(), context_u.begin(), context_u.end());
    msg.insert(msg.end(), context_v.begin(), context_v.end());
    const Bytes length = be32(static_cast<uint32_t>(bits));
    msg.insert(msg.end(), length.begin(), length.end());
    uint8_t block[EVP_MAX_MD_SIZE];
    unsigned int block_len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), block, &block_len);
    out.insert(out.end(), block, block + block_len);
  }
  out.resize(want);
  return out;
}

Result<MadeCredential> MakeCredential(const EkPublic& ek, ByteSpan ak_name, ByteSpan credential,
                                      ByteSpan seed_in) {
  auto alg = FindHashAlg(ek.name_alg);
  if (!alg) {
    return Unsupported("nameAlg");
  }
  if (credential.empty() || credential.size() > alg->size) {
    return Status(reasons::kTpmCredentialMalformed,
                  "credential must be 1.." + std::to_string(alg->size) + " bytes");
  }
  if (ak_name.size() < 2 + 20) {
    return Status(reasons::kTpmCredentialMalformed, "ak name too short");
  }
  // Part 1 §24.4 / Annex B.10.4: the seed is as long as the EK nameAlg digest.
  Bytes seed(seed_in.begin(), seed_in.end());
  if (seed.empty()) {
    seed.resize(alg->size);
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
      return Status(reasons::kInternalError, "make credential: RAND_bytes: " + OsslErrors());
    }
  }
  // Seed encryption: RSAES-OAEP with the EK nameAlg and label "IDENTITY\0" (Part 1 Annex B.10.3).
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ek.key.get(), nullptr));
  static const char kLabel[] = "IDENTITY";
  size_t encrypted_size = 0;
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), alg->md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), alg->md) != 1) {
    return Status(reasons::kInternalError, "make credential: OAEP setup: " + OsslErrors());
  }
  // set0 takes ownership of the label copy only on success.
  uint8_t* label = static_cast<uint8_t*>(OPENSSL_memdup(kLabel, sizeof(kLabel)));
  if (label == nullptr || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof(kLabel)) != 1) {
    OPENSSL_free(label);
    return Status(reasons::kInternalError, "make credential: OAEP label: " + OsslErrors());
  }
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &encrypted_size, seed.data(), seed.size()) != 1) {
    return Status(reasons::kInternalError, "make credential: OAEP setup: " + OsslErrors());
  }
  Bytes encrypted(encrypted_size);
  if (EVP_PKEY_encrypt(ctx.get(), encrypted.data(), &encrypted_size, seed.data(), seed.size()) !=
      1) {
    return Status(reasons::kInternalError, "make credential: OAEP: " + OsslErrors());
  }
  encrypted.resize(encrypted_size);

  // encIdentity = CFB_symKey(TPM2B_DIGEST credential), IV zero (Part 1 §24.4).
  const Bytes sym_key = KdfA(alg->md, seed, "STORAGE", ak_name, {}, ek.symmetric_bits);
  Bytes plain;
  PutU16(plain, credential.size());
  plain.insert(plain.end(), credential.begin(), credential.end());
  Bytes enc_identity(plain.size());
  const EVP_CIPHER* cipher = ek.symmetric_bits == 256 ? EVP_aes_256_cfb128() : EVP_aes_128_cfb128();
  const uint8_t iv[16] = {};
  EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
  int len = 0, final_len = 0;
  const bool ok = cctx != nullptr &&
                  EVP_EncryptInit_ex(cctx, cipher, nullptr, sym_key.data(), iv) == 1 &&
                  EVP_EncryptUpdate(cctx, enc_identity.data(), &len, plain.data(),
                                    static_cast<int>(plain.size())) == 1 &&
                  EVP_EncryptFinal_ex(cctx, enc_identity.data() + len, &final_len) == 1;
  EVP_CIPHER_CTX_free(cctx);
  if (!ok) {
    return Status(reasons::kInternalError, "make credential: AES-CFB: " + OsslErrors());
  }

  // outerHMAC = HMAC_nameAlg(KDFa(seed, "INTEGRITY"), encIdentity || AK name) (Part 1 §24.5).
  const Bytes hmac_key = KdfA(alg->md, seed, "INTEGRITY", {}, {}, alg->size * 8);
  Bytes hmac_input = enc_identity;
  hmac_input.insert(hmac_input.end(), ak_name.begin(), ak_name.end());
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(alg->md, hmac_key.data(), static_cast<int>(hmac_key.size()), hmac_input.data(),
       hmac_input.size(), mac, &mac_len);

  MadeCredential out;
  // TPM2B_ID_OBJECT { size, TPMS_ID_OBJECT { TPM2B_DIGEST integrityHMAC, encIdentity } }.
  Bytes id_object;
  PutU16(id_object, mac_len);
  id_object.insert(id_object.end(), mac, mac + mac_len);
  id_object.insert(id_object.end(), enc_identity.begin(), enc_identity.end());
  PutU16(out.credential_blob, id_object.size());
  out.credential_blob.insert(out.credential_blob.end(), id_object.begin(), id_object.end());
  PutU16(out.encrypted_secret, encrypted.size());
  out.encrypted_secret.insert(out.encrypted_secret.end(), encrypted.begin(), encrypted.end());
  return out;
}

Status CheckActivatedCredential(ByteSpan issued, ByteSpan returned) {
  if (issued.size() != returned.size() || !ConstantTimeEquals(issued, returned)) {
    return Status(reasons::kTpmCredentialInvalid,
                  "credential activation: the TPM did not return the issued credential");
  }
  return Status::Ok();
}

}  // namespace attest::tpm
