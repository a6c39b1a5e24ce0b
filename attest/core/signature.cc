#include "attest/core/signature.h"

#include <openssl/ecdsa.h>
#include <openssl/x509.h>

#include <string>

namespace attest {

Result<Bytes> EcdsaRawToDer(ByteSpan r_be, ByteSpan s_be, Reason on_error) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r(BN_bin2bn(r_be.data(), static_cast<int>(r_be.size()), nullptr));
  BignumPtr s(BN_bin2bn(s_be.data(), static_cast<int>(s_be.size()), nullptr));
  if (!sig || !r || !s) {
    return Status(reasons::kInternalError, "ecdsa: " + OsslErrors());
  }
  if (BN_is_zero(r.get()) || BN_is_zero(s.get())) {
    return Status(on_error, "ecdsa signature: r or s is zero");
  }
  if (ECDSA_SIG_set0(sig.get(), r.release(), s.release()) != 1) {
    return Status(reasons::kInternalError, "ecdsa: " + OsslErrors());
  }
  Bytes der = I2dBytes<ECDSA_SIG>(sig.get(), i2d_ECDSA_SIG);
  if (der.empty()) {
    return Status(reasons::kInternalError, "ecdsa: " + OsslErrors());
  }
  return der;
}

Status VerifyDigestSignature(EVP_PKEY* key, const EVP_MD* md, ByteSpan digest, ByteSpan signature,
                             Reason on_fail) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    return Status(reasons::kInternalError, "verify init: " + OsslErrors());
  }
  const int rc =
      EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size());
  if (rc != 1) {
    const std::string detail = OsslErrors();
    return Status(on_fail,
                  "signature does not verify" + (detail.empty() ? "" : " (" + detail + ")"));
  }
  return Status::Ok();
}

Status VerifyMessageSignature(EVP_PKEY* key, const EVP_MD* md, ByteSpan message, ByteSpan signature,
                              Reason on_fail) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(message.data(), message.size(), digest, &digest_len, md, nullptr) != 1) {
    return Status(reasons::kInternalError, "digest: " + OsslErrors());
  }
  return VerifyDigestSignature(key, md, ByteSpan(digest, digest_len), signature, on_fail);
}

Result<EvpPkeyPtr> ParsePublicKeyDer(ByteSpan der, Reason on_error) {
  const uint8_t* p = der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) {
    OsslErrors();
    return Status(on_error, "public key: not a DER SubjectPublicKeyInfo");
  }
  return key;
}

}  // namespace attest
