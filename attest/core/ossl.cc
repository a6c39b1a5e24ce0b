#include "attest/core/ossl.h"

#include <openssl/err.h>

namespace attest {

std::string OsslErrors() {
  std::string out;
  unsigned long err = 0;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

X509Ptr UpRef(X509* x) {
  if (x != nullptr) {
    X509_up_ref(x);
  }
  return X509Ptr(x);
}

EvpPkeyPtr UpRef(EVP_PKEY* key) {
  if (key != nullptr) {
    EVP_PKEY_up_ref(key);
  }
  return EvpPkeyPtr(key);
}

}  // namespace attest
