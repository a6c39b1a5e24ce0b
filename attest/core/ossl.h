// RAII owners for OpenSSL objects, and error-queue folding.
//
// Every OpenSSL call's result is compared with == 1 (or checked for null), and on failure the error
// queue is folded into the Status message; we never branch on OpenSSL's reason codes.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>
#include <vector>

namespace attest {

template <typename T, void (*kFree)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { kFree(p); }
};

template <typename T, void (*kFree)(T*)>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T, kFree>>;

using X509Ptr = OsslPtr<X509, X509_free>;
using X509CrlPtr = OsslPtr<X509_CRL, X509_CRL_free>;
using X509StorePtr = OsslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OsslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using EvpPkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BioPtr = OsslPtr<BIO, BIO_free_all>;
using BignumPtr = OsslPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = OsslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using Asn1ObjectPtr = OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;

inline void FreeX509Stack(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
using X509StackPtr = OsslPtr<STACK_OF(X509), FreeX509Stack>;

// I2dBytes DER-encodes obj with one of OpenSSL's i2d_* functions (empty on failure).
template <typename T>
std::vector<uint8_t> I2dBytes(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  const int len = i2d(obj, nullptr);
  if (len <= 0) {
    return {};
  }
  std::vector<uint8_t> out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d(obj, &p);
  return out;
}

// OsslErrors drains the thread's OpenSSL error queue into one line ("" when empty).
std::string OsslErrors();

// UpRef returns a new owner of x (X509_up_ref).
X509Ptr UpRef(X509* x);
EvpPkeyPtr UpRef(EVP_PKEY* key);

}  // namespace attest
