#include "attest/tpm/credential.h"

#include <openssl/hmac.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>

#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/ek_seed.h"
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
  // A storage key's parameters (Part 2 §12.2.3.5/6): the symmetric definition protects the
  // credential; a restricted decryption key has no scheme (and, for ECC, no KDF) of its own.
  const TPMT_SYM_DEF_OBJECT* sym = nullptr;
  if (pub.type == TPM2_ALG_RSA) {
    sym = &pub.parameters.rsaDetail.symmetric;
    if (pub.parameters.rsaDetail.scheme.scheme != TPM2_ALG_NULL) {
      return Unsupported("an RSA EK has no scheme");
    }
  } else if (pub.type == TPM2_ALG_ECC) {
    const TPMS_ECC_PARMS& ecc = pub.parameters.eccDetail;
    sym = &ecc.symmetric;
    if (ecc.curveID != TPM2_ECC_NIST_P256 && ecc.curveID != TPM2_ECC_NIST_P384) {
      return Unsupported("ECC curve " + std::to_string(ecc.curveID) +
                         " (want NIST P-256 or P-384)");
    }
    if (ecc.scheme.scheme != TPM2_ALG_NULL || ecc.kdf.scheme != TPM2_ALG_NULL) {
      return Unsupported("an ECC EK has no scheme and no KDF");
    }
    if (pub.unique.ecc.x.size == 0 || pub.unique.ecc.y.size == 0) {
      return Status(reasons::kTpmPublicMalformed, "ek: empty ECC point");
    }
  } else {
    return Unsupported("type " + HashAlgName(pub.type) + " (want RSA or ECC)");
  }
  if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB ||
      (sym->keyBits.aes != 128 && sym->keyBits.aes != 256)) {
    return Unsupported("symmetric definition is not AES-128/256-CFB");
  }
  if ((pub.objectAttributes & (kAttrRestricted | kAttrDecrypt | kAttrSign)) !=
      (kAttrRestricted | kAttrDecrypt)) {
    return Status(reasons::kTpmPublicMalformed, "ek: not a restricted decryption key");
  }
  if (!FindHashAlg(pub.nameAlg)) {
    return Unsupported("nameAlg " + HashAlgName(pub.nameAlg));
  }
  // Builds the OpenSSL key; for ECC this also checks that the point lies on the curve.
  ATTEST_ASSIGN_OR_RETURN(AkPublic parsed, ParsePublicArea(area));
  EkPublic ek;
  ek.public_area.assign(area.begin(), area.end());
  ek.key = std::move(parsed.key);
  ek.type = pub.type;
  if (pub.type == TPM2_ALG_ECC) {
    ek.curve_id = pub.parameters.eccDetail.curveID;
    ek.ecc_x.assign(pub.unique.ecc.x.buffer, pub.unique.ecc.x.buffer + pub.unique.ecc.x.size);
  }
  ek.name_alg = pub.nameAlg;
  ek.symmetric_alg = sym->algorithm;
  ek.symmetric_bits = sym->keyBits.aes;
  return ek;
}

std::string EkAlgorithmName(const EkPublic& ek) {
  if (ek.type == TPM2_ALG_ECC) {
    return ek.curve_id == TPM2_ECC_NIST_P384 ? "ecc-p384" : "ecc-p256";
  }
  return "rsa-" + std::to_string(EVP_PKEY_get_bits(ek.key.get()));
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

Result<std::vector<X509Ptr>> ParseEkCertificates(ByteSpan bytes) {
  constexpr std::string_view kPem = "-----BEGIN";
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.find(kPem) != std::string_view::npos) {
    Result<std::vector<X509Ptr>> certs = ParseCertificates(bytes);
    if (!certs.ok()) {
      return Status(reasons::kTpmEkCertMalformed, "ek certificates: " + certs.status().message());
    }
    return certs;
  }
  std::vector<X509Ptr> out;
  size_t offset = 0;
  while (offset < bytes.size()) {
    const ByteSpan rest = bytes.subspan(offset);
    if (std::all_of(rest.begin(), rest.end(), [](uint8_t b) { return b == 0x00 || b == 0xff; })) {
      break;  // NV padding after the last certificate
    }
    const uint8_t* p = rest.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(rest.size())));
    if (!cert) {
      OsslErrors();
      return Status(reasons::kTpmEkCertMalformed,
                    "ek certificates: no DER certificate at offset " + std::to_string(offset));
    }
    offset += static_cast<size_t>(p - rest.data());
    out.push_back(std::move(cert));
  }
  if (out.empty()) {
    return Status(reasons::kTpmEkCertMalformed, "ek certificates: none");
  }
  return out;
}

Status CheckEkCertificateKey(ByteSpan ek_cert, const EkPublic& ek) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> parsed, ParseEkCertificates(ek_cert));
  const std::vector<X509Ptr>* leaf = &parsed;
  if (leaf->size() != 1) {
    return Status(
        reasons::kTpmEkCertMalformed,
        "ek certificate: want exactly one certificate, got " + std::to_string(leaf->size()));
  }
  EVP_PKEY* cert_key = X509_get0_pubkey(leaf->front().get());
  if (cert_key == nullptr || EVP_PKEY_eq(cert_key, ek.key.get()) != 1) {
    return Status(reasons::kTpmEkMismatch,
                  "ek: the certificate's public key is not the TPM's endorsement key");
  }
  return Status::Ok();
}

Status VerifyEkCertificate(ByteSpan ek_cert, ByteSpan untrusted_chain, const EkPublic& ek,
                           std::span<X509* const> anchors, TimePoint now) {
  ATTEST_RETURN_IF_ERROR(CheckEkCertificateKey(ek_cert, ek));
  // Parsed twice (also above): a few hundred bytes, and the key check stays one function.
  ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> leaf, ParseEkCertificates(ek_cert));
  std::vector<X509Ptr> chain;
  if (!untrusted_chain.empty()) {
    ATTEST_ASSIGN_OR_RETURN(chain, ParseEkCertificates(untrusted_chain));
  }
  if (anchors.empty()) {
    return Status(reasons::kTpmEkChainUntrusted, "ek: no trusted EK CA certificates");
  }
  std::vector<X509*> intermediates;
  intermediates.reserve(chain.size());
  for (const X509Ptr& c : chain) {
    intermediates.push_back(c.get());
  }
  auto verified = VerifyChain(leaf.front().get(), intermediates, anchors, now,
                              /*any_anchor=*/true);
  if (!verified.ok()) {
    if (verified.status().reason_id() == reasons::kChainUntrusted.id) {
      return Status(reasons::kTpmEkChainUntrusted, "ek: " + verified.status().message());
    }
    return verified.status();
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
  if (!seed_in.empty() && ek.type != TPM2_ALG_RSA) {
    return Status(reasons::kTpmCredentialMalformed, "a fixed seed applies to RSA EKs only");
  }
  ATTEST_ASSIGN_OR_RETURN(SharedSeed shared,
                          ek.type == TPM2_ALG_ECC ? EccSeed(ek, *alg) : RsaSeed(ek, *alg, seed_in));
  const Bytes& seed = shared.seed;

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
  PutU16(out.encrypted_secret, shared.encrypted_secret.size());
  out.encrypted_secret.insert(out.encrypted_secret.end(), shared.encrypted_secret.begin(),
                              shared.encrypted_secret.end());
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
