#include "attest/sev/crypto.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstdlib>

#include "attest/core/signature.h"

namespace attest::sev {
namespace {

using ParamBldPtr = OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OsslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using CipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

Result<EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld, Reason on_error,
                            std::string_view what) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Status(on_error, std::string(what) + ": invalid public key (" + OsslErrors() + ")");
  }
  return EvpPkeyPtr(raw);
}

}  // namespace

Result<EvpPkeyPtr> RsaPublicKey(ByteSpan modulus_be, ByteSpan pubexp_be, Reason on_error) {
  BignumPtr n(BN_bin2bn(modulus_be.data(), static_cast<int>(modulus_be.size()), nullptr));
  BignumPtr e(BN_bin2bn(pubexp_be.data(), static_cast<int>(pubexp_be.size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld) {
    return Status(reasons::kInternalError, "rsa key: " + OsslErrors());
  }
  if (BN_is_zero(n.get()) || BN_is_zero(e.get()) || !BN_is_odd(n.get())) {
    return Status(on_error, "rsa key: modulus or exponent is zero or even");
  }
  if (OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return Status(reasons::kInternalError, "rsa key: " + OsslErrors());
  }
  return FromData("RSA", bld.get(), on_error, "rsa key");
}

Result<EvpPkeyPtr> P384PublicKey(ByteSpan qx_be, ByteSpan qy_be, Reason on_error) {
  if (qx_be.size() != kP384Size || qy_be.size() != kP384Size) {
    return Status(on_error, "p-384 key: coordinates must be 48 bytes");
  }
  Bytes point{0x04};
  point.insert(point.end(), qx_be.begin(), qx_be.end());
  point.insert(point.end(), qy_be.begin(), qy_be.end());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Status(reasons::kInternalError, "p-384 key: " + OsslErrors());
  }
  // fromdata decodes the point with EC_POINT_oct2point, which rejects points off the curve.
  return FromData("EC", bld.get(), on_error, "p-384 key");
}

Result<EvpPkeyPtr> SevCertPublicKey(const SevCert& cert) {
  return P384PublicKey(cert.qx_be, cert.qy_be, reasons::kSevCertMalformed);
}

Status VerifyRsaPss(EVP_PKEY* key, const EVP_MD* md, ByteSpan message, ByteSpan signature_be,
                    Reason on_fail) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
    return Status(reasons::kInternalError, "rsa-pss init: " + OsslErrors());
  }
  if (EVP_DigestVerify(ctx.get(), signature_be.data(), signature_be.size(), message.data(),
                       message.size()) != 1) {
    const std::string detail = OsslErrors();
    return Status(
        on_fail, "rsa-pss signature does not verify" + (detail.empty() ? "" : " (" + detail + ")"));
  }
  return Status::Ok();
}

Status VerifyEcdsaSevSig(EVP_PKEY* key, const EVP_MD* md, ByteSpan message,
                         const std::array<uint8_t, kSevSigSize>& sig, Reason on_fail) {
  Bytes r_be(sig.begin(), sig.begin() + kEcCoordSize);
  Bytes s_be(sig.begin() + kEcCoordSize, sig.begin() + 2 * kEcCoordSize);
  std::reverse(r_be.begin(), r_be.end());
  std::reverse(s_be.begin(), s_be.end());
  ATTEST_ASSIGN_OR_RETURN(Bytes der, EcdsaRawToDer(r_be, s_be, on_fail));
  return VerifyMessageSignature(key, md, message, der, on_fail);
}

Sha256Digest HmacSha256(ByteSpan key, std::initializer_list<ByteSpan> parts) {
  Sha256Digest out{};
  OsslPtr<EVP_MAC, EVP_MAC_free> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  OsslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free> ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  static const uint8_t kEmpty = 0;
  bool ok =
      ctx && EVP_MAC_init(ctx.get(), key.empty() ? &kEmpty : key.data(), key.size(), params) == 1;
  for (ByteSpan part : parts) {
    ok = ok && EVP_MAC_update(ctx.get(), part.data(), part.size()) == 1;
  }
  size_t len = 0;
  ok = ok && EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) == 1 && len == out.size();
  // HMAC over in-memory buffers only fails when the library is broken; we cannot continue.
  if (!ok) {
    std::abort();
  }
  return out;
}

Bytes Aes128Ctr(const Key128& key, const Key128& iv, ByteSpan data) {
  Bytes out(data.size());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  static const uint8_t kEmpty = 0;
  const bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key.data(), iv.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out.empty() ? nullptr : out.data(), &len,
                        data.empty() ? &kEmpty : data.data(), static_cast<int>(data.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) == 1 &&
      static_cast<size_t>(len) + static_cast<size_t>(final_len) == data.size();
  if (!ok) {
    std::abort();
  }
  return out;
}

Bytes SevKdf(ByteSpan key, std::string_view label, ByteSpan context, size_t out_bytes) {
  Bytes out;
  const uint32_t l_bits = static_cast<uint32_t>(out_bytes * 8);
  const uint8_t l_le[4] = {static_cast<uint8_t>(l_bits), static_cast<uint8_t>(l_bits >> 8),
                           static_cast<uint8_t>(l_bits >> 16), static_cast<uint8_t>(l_bits >> 24)};
  const uint8_t separator = 0;
  for (uint32_t i = 1; out.size() < out_bytes; ++i) {
    const uint8_t i_le[4] = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8),
                             static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 24)};
    const Sha256Digest block =
        HmacSha256(key, {i_le, AsBytes(label), ByteSpan(&separator, 1), context, l_le});
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(out_bytes);
  return out;
}

Result<EvpPkeyPtr> GenerateP384Key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (!key) {
    return Status(reasons::kInternalError, "p-384 keygen: " + OsslErrors());
  }
  return key;
}

Result<std::pair<std::array<uint8_t, kP384Size>, std::array<uint8_t, kP384Size>>> P384Coordinates(
    EVP_PKEY* key) {
  uint8_t point[1 + 2 * kP384Size];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
                                      &len) != 1 ||
      len != sizeof(point) || point[0] != 0x04) {
    return Status(reasons::kInternalError, "p-384 key: cannot export point " + OsslErrors());
  }
  std::pair<std::array<uint8_t, kP384Size>, std::array<uint8_t, kP384Size>> out;
  std::copy(point + 1, point + 1 + kP384Size, out.first.begin());
  std::copy(point + 1 + kP384Size, point + sizeof(point), out.second.begin());
  return out;
}

Result<Bytes> EcdhSharedSecret(EVP_PKEY* own_private, EVP_PKEY* peer_public) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(own_private, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer_public) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return Status(reasons::kSevBadArgument, "ecdh: " + OsslErrors());
  }
  Bytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) != 1) {
    return Status(reasons::kSevBadArgument, "ecdh: " + OsslErrors());
  }
  z.resize(len);
  return z;
}

Result<std::array<uint8_t, kSevSigSize>> SignEcdsaSevSig(EVP_PKEY* key, const EVP_MD* md,
                                                         ByteSpan message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return Status(reasons::kInternalError, "ecdsa sign: " + OsslErrors());
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1) {
    return Status(reasons::kInternalError, "ecdsa sign: " + OsslErrors());
  }
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) {
    return Status(reasons::kInternalError, "ecdsa sign: " + OsslErrors());
  }
  std::array<uint8_t, kSevSigSize> out{};
  uint8_t be[kP384Size];
  const BIGNUM* parts[2] = {ECDSA_SIG_get0_r(sig.get()), ECDSA_SIG_get0_s(sig.get())};
  for (int i = 0; i < 2; ++i) {
    if (BN_bn2binpad(parts[i], be, kP384Size) != static_cast<int>(kP384Size)) {
      return Status(reasons::kInternalError, "ecdsa sign: component too large");
    }
    std::reverse_copy(be, be + kP384Size, out.begin() + i * kEcCoordSize);
  }
  return out;
}

Result<Bytes> RandomBytes(size_t n) {
  Bytes out(n);
  if (n != 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return Status(reasons::kInternalError, "random: " + OsslErrors());
  }
  return out;
}

const EVP_MD* DigestForAlgo(uint32_t algo) {
  switch (static_cast<Algo>(algo)) {
    case Algo::kRsaSha256:
    case Algo::kEcdsaSha256:
    case Algo::kEcdhSha256:
      return EVP_sha256();
    case Algo::kRsaSha384:
    case Algo::kEcdsaSha384:
    case Algo::kEcdhSha384:
      return EVP_sha384();
    default:
      return nullptr;
  }
}

}  // namespace attest::sev
