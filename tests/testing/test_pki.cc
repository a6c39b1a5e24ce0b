#include "tests/testing/test_pki.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <functional>

#include "attest/core/x509.h"

namespace attest::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    ADD_FAILURE() << "test pki: " << what << ": " << OsslErrors();
  }
}

void SignWith(EVP_PKEY* key, bool rsa_pss, const std::function<int(EVP_MD_CTX*)>& sign) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == 256
                         ? EVP_sha256()
                         : EVP_sha384();
  Check(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) == 1, "sign init");
  if (rsa_pss) {
    Check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1, "pss");
    Check(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1, "salt");
    Check(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1, "mgf1");
  }
  Check(sign(ctx.get()) > 0, "sign");
}

}  // namespace

EvpPkeyPtr GenerateKey(KeyKind kind) {
  EVP_PKEY* key = nullptr;
  switch (kind) {
    case KeyKind::kEcP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyKind::kEcP384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyKind::kRsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyKind::kRsa4096:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
  }
  Check(key != nullptr, "keygen");
  return EvpPkeyPtr(key);
}

X509Ptr IssueCertificate(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                         EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  Check(X509_set_version(cert.get(), 2) == 1, "version");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), ToUnixSeconds(spec.not_before)) != nullptr,
        "notBefore");
  Check(ASN1_TIME_set(X509_getm_notAfter(cert.get()), ToUnixSeconds(spec.not_after)) != nullptr,
        "notAfter");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Attest Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  Check(X509_set_pubkey(cert.get(), subject_key) == 1, "pubkey");

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (spec.is_ca) {
    X509_EXTENSION* bc =
        X509V3_EXT_conf_nid(nullptr, &v3, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(cert.get(), bc, -1);
    X509_EXTENSION_free(bc);
    X509_EXTENSION* ku =
        X509V3_EXT_conf_nid(nullptr, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_add_ext(cert.get(), ku, -1);
    X509_EXTENSION_free(ku);
  }
  for (const CustomExtension& ext : spec.extensions) {
    Asn1ObjectPtr oid(OBJ_txt2obj(ext.oid.c_str(), 1));
    OsslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> value(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(value.get(), ext.der_value.data(),
                          static_cast<int>(ext.der_value.size()));
    X509_EXTENSION* x = X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get());
    X509_add_ext(cert.get(), x, -1);
    X509_EXTENSION_free(x);
  }
  SignWith(issuer_key, spec.rsa_pss,
           [&](EVP_MD_CTX* ctx) { return X509_sign_ctx(cert.get(), ctx); });
  return cert;
}

X509CrlPtr IssueCrl(X509* issuer, EVP_PKEY* issuer_key, const std::vector<long>& revoked_serials,
                    TimePoint this_update, TimePoint next_update, bool rsa_pss) {
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  OsslPtr<ASN1_TIME, ASN1_TIME_free> t1(ASN1_TIME_set(nullptr, ToUnixSeconds(this_update)));
  OsslPtr<ASN1_TIME, ASN1_TIME_free> t2(ASN1_TIME_set(nullptr, ToUnixSeconds(next_update)));
  X509_CRL_set1_lastUpdate(crl.get(), t1.get());
  X509_CRL_set1_nextUpdate(crl.get(), t2.get());
  for (long serial : revoked_serials) {
    X509_REVOKED* entry = X509_REVOKED_new();
    OsslPtr<ASN1_INTEGER, ASN1_INTEGER_free> s(ASN1_INTEGER_new());
    ASN1_INTEGER_set(s.get(), serial);
    X509_REVOKED_set_serialNumber(entry, s.get());
    X509_REVOKED_set_revocationDate(entry, t1.get());
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  X509_CRL_sort(crl.get());
  SignWith(issuer_key, rsa_pss, [&](EVP_MD_CTX* ctx) { return X509_CRL_sign_ctx(crl.get(), ctx); });
  return crl;
}

Bytes DerOf(X509* cert) { return CertificateDer(cert); }

Bytes DerOf(X509_CRL* crl) { return I2dBytes<X509_CRL>(crl, i2d_X509_CRL); }

std::string PemOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Bytes DerInteger(long value) {
  OsslPtr<ASN1_INTEGER, ASN1_INTEGER_free> v(ASN1_INTEGER_new());
  ASN1_INTEGER_set(v.get(), value);
  return I2dBytes<ASN1_INTEGER>(v.get(), i2d_ASN1_INTEGER);
}

Bytes DerOctetString(ByteSpan data) {
  OsslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> v(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(v.get(), data.data(), static_cast<int>(data.size()));
  return I2dBytes<ASN1_OCTET_STRING>(v.get(), i2d_ASN1_OCTET_STRING);
}

Bytes DerIa5String(const std::string& text) {
  OsslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free> v(ASN1_IA5STRING_new());
  ASN1_STRING_set(v.get(), text.data(), static_cast<int>(text.size()));
  return I2dBytes<ASN1_IA5STRING>(v.get(), i2d_ASN1_IA5STRING);
}

}  // namespace attest::testing
