#include "protocol/ecdh_es.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"

namespace attest::protocol {
namespace {

constexpr size_t kCoordBytes = 48;
constexpr size_t kCekBytes = 32;
constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr char kAlg[] = "ECDH-ES+A256KW";

using CipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using ParamBldPtr = OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OsslPtr<OSSL_PARAM, OSSL_PARAM_free>;

Status Failed(const std::string& what) {
  return Status(reasons::kReleaseJweFailed, "jwe: " + what);
}

void PutU32Be(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(v >> shift));
  }
}

// PeerKey is the guest's SEC1 point as an EVP_PKEY (the point was checked by ParseGuestJwk).
EvpPkeyPtr PeerKey(const GuestPublicKey& guest) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, guest.point.data(),
                                       guest.point.size()) != 1) {
    return nullptr;
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

// KeyWrappingKey is the Concat KDF of RFC 7518 4.6.2 for 256 bits (one SHA-256 round):
// SHA-256(1 || Z || len(alg) alg || len(apu) apu || len(apv) apv || 256), apu empty.
Bytes KeyWrappingKey(ByteSpan z, std::string_view apv) {
  Bytes in;
  in.reserve(4 + z.size() + 4 + sizeof(kAlg) + 8 + apv.size() + 4);
  PutU32Be(in, 1);
  in.insert(in.end(), z.begin(), z.end());
  PutU32Be(in, static_cast<uint32_t>(sizeof(kAlg) - 1));
  in.insert(in.end(), kAlg, kAlg + sizeof(kAlg) - 1);
  PutU32Be(in, 0);
  PutU32Be(in, static_cast<uint32_t>(apv.size()));
  in.insert(in.end(), apv.begin(), apv.end());
  PutU32Be(in, 256);
  const Sha256Digest d = Sha256(in);
  OPENSSL_cleanse(in.data(), in.size());
  return Bytes(d.begin(), d.end());
}

// WrapCek is AES-256 key wrap (RFC 3394) of cek under kek.
bool WrapCek(const Bytes& kek, const Bytes& cek, Bytes* wrapped) {
  CipherCtxPtr c(EVP_CIPHER_CTX_new());
  wrapped->assign(cek.size() + 8, 0);
  int len = 0, final_len = 0;
  if (!c) {
    return false;
  }
  EVP_CIPHER_CTX_set_flags(c.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  return EVP_EncryptInit_ex(c.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) == 1 &&
         EVP_EncryptUpdate(c.get(), wrapped->data(), &len, cek.data(),
                           static_cast<int>(cek.size())) == 1 &&
         EVP_EncryptFinal_ex(c.get(), wrapped->data() + len, &final_len) == 1 &&
         static_cast<size_t>(len) + static_cast<size_t>(final_len) == wrapped->size();
}

// SealGcm is A256GCM of plaintext under cek and iv, the protected header's text as AAD
// (RFC 7516 5.1 step 14).
bool SealGcm(const Bytes& cek, const Bytes& iv, std::string_view aad, ByteSpan plaintext,
             Bytes* ciphertext, Bytes* tag) {
  CipherCtxPtr c(EVP_CIPHER_CTX_new());
  ciphertext->assign(plaintext.size(), 0);
  tag->assign(kTagBytes, 0);
  int len = 0, final_len = 0;
  return c && EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
         EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                             nullptr) == 1 &&
         EVP_EncryptInit_ex(c.get(), nullptr, nullptr, cek.data(), iv.data()) == 1 &&
         EVP_EncryptUpdate(c.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                           static_cast<int>(aad.size())) == 1 &&
         EVP_EncryptUpdate(c.get(), ciphertext->data(), &len, plaintext.data(),
                           static_cast<int>(plaintext.size())) == 1 &&
         EVP_EncryptFinal_ex(c.get(), ciphertext->data() + len, &final_len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                             tag->data()) == 1;
}

}  // namespace

EphemeralKey::EphemeralKey() : public_jwk_(std::make_unique<nlohmann::json>()) {}
EphemeralKey::EphemeralKey(EphemeralKey&&) noexcept = default;
EphemeralKey& EphemeralKey::operator=(EphemeralKey&&) noexcept = default;
EphemeralKey::~EphemeralKey() = default;

const nlohmann::json& EphemeralKey::public_jwk() const { return *public_jwk_; }

Result<EphemeralKey> EphemeralKey::Generate() {
  EphemeralKey out;
  out.key_.reset(EVP_EC_gen("P-384"));
  Bytes point(1 + 2 * kCoordBytes);
  size_t point_len = 0;
  if (!out.key_ ||
      EVP_PKEY_get_octet_string_param(out.key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      point.data(), point.size(), &point_len) != 1 ||
      point_len != point.size() || point[0] != 0x04) {
    return Failed("P-384 ephemeral key generation failed");
  }
  *out.public_jwk_ = {
      {"kty", "EC"},
      {"crv", "P-384"},
      {"x", Base64UrlEncode(ByteSpan(point.data() + 1, kCoordBytes))},
      {"y", Base64UrlEncode(ByteSpan(point.data() + 1 + kCoordBytes, kCoordBytes))}};
  return out;
}

JweSealer::JweSealer(EphemeralKey ephemeral, Bytes shared_secret)
    : ephemeral_(std::move(ephemeral)), z_(std::move(shared_secret)) {}
JweSealer::JweSealer(JweSealer&&) noexcept = default;
JweSealer& JweSealer::operator=(JweSealer&&) noexcept = default;
JweSealer::~JweSealer() { OPENSSL_cleanse(z_.data(), z_.size()); }

Result<JweSealer> JweSealer::Make(EphemeralKey ephemeral, const GuestPublicKey& guest) {
  EvpPkeyPtr peer = PeerKey(guest);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ephemeral.pkey(), nullptr));
  Bytes z(kCoordBytes);
  size_t z_len = z.size();
  if (!peer || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), z.data(), &z_len) != 1 || z_len != z.size()) {
    return Failed("ECDH with the guest key failed");
  }
  return JweSealer(std::move(ephemeral), std::move(z));
}

Result<std::string> JweSealer::Seal(ByteSpan plaintext, std::string_view kid) const {
  const std::string kid_text(kid);
  const nlohmann::json header = {{"alg", kAlg},
                                 {"enc", "A256GCM"},
                                 {"apv", Base64UrlEncode(AsBytes(kid))},
                                 {"epk", ephemeral_.public_jwk()},
                                 {"kid", kid_text}};
  const std::string protected_b64 = Base64UrlEncode(AsBytes(header.dump()));
  Bytes cek(kCekBytes), iv(kIvBytes);
  if (RAND_bytes(cek.data(), static_cast<int>(cek.size())) != 1 ||
      RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
    return Failed("no random bytes for the CEK and IV");
  }
  Bytes kek = KeyWrappingKey(z_, kid);
  Bytes wrapped, ciphertext, tag;
  const bool ok =
      WrapCek(kek, cek, &wrapped) && SealGcm(cek, iv, protected_b64, plaintext, &ciphertext, &tag);
  OPENSSL_cleanse(kek.data(), kek.size());
  OPENSSL_cleanse(cek.data(), cek.size());
  if (!ok) {
    return Failed("A256KW or A256GCM failed");
  }
  return protected_b64 + "." + Base64UrlEncode(wrapped) + "." + Base64UrlEncode(iv) + "." +
         Base64UrlEncode(ciphertext) + "." + Base64UrlEncode(tag);
}

}  // namespace attest::protocol
