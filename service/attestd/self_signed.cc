#include "service/attestd/self_signed.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "attest/core/ossl.h"

namespace attest::service::attestd {
namespace {

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return false;
  }
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

Result<PemKeyPair> GenerateSelfSignedTls(TimePoint now) {
  const Status failed(reasons::kApiConfig, "generating the self-signed TLS certificate failed");
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (key == nullptr || cert == nullptr) {
    return failed;
  }

  uint8_t serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) {
    return failed;
  }
  serial[0] &= 0x7f;  // a positive INTEGER
  OsslPtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  time_t not_before = ToUnixSeconds(now) - 60;
  time_t not_after = ToUnixSeconds(now) + 365LL * 24 * 3600;
  X509_NAME* name = X509_get_subject_name(cert.get());
  bool ok = bn != nullptr && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &not_before) != nullptr &&
            X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, 0, &not_after) != nullptr &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("attestd"), -1, -1,
                                       0) == 1 &&
            X509_set_issuer_name(cert.get(), name) == 1 &&
            X509_set_pubkey(cert.get(), key.get()) == 1 &&
            AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
            AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") &&
            AddExtension(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
            AddExtension(cert.get(), NID_subject_key_identifier, "hash") &&
            X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) {
    return failed;
  }

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (cert_bio == nullptr || key_bio == nullptr ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return failed;
  }
  return PemKeyPair{BioText(cert_bio.get()), BioText(key_bio.get())};
}

}  // namespace attest::service::attestd
