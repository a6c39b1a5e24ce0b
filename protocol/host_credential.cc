#include "protocol/host_credential.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <memory>

#include "attest/core/encoding.h"

namespace attest::protocol {
namespace {

constexpr std::string_view kCredentialLabel = "attestd host credential v1";
constexpr std::string_view kProofLabel = "attestd host activation v1";
constexpr size_t kSecretKeyBytes = 30;  // as tenant keys: 40 base64 characters

// Labelled is label || 0x00 || host_id: the zero byte keeps label and id apart.
std::string Labelled(std::string_view label, std::string_view host_id) {
  std::string out(label);
  out.push_back('\0');
  out.append(host_id);
  return out;
}

}  // namespace

Result<std::string> DeriveHostSecretKey(ByteSpan activation_secret, std::string_view host_id) {
  if (activation_secret.size() != kHostActivationSecretBytes) {
    return Status(reasons::kInternalError, "host activation secret: want 32 bytes, got " +
                                               std::to_string(activation_secret.size()));
  }
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                        EVP_KDF_free);
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(
      kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr, EVP_KDF_CTX_free);
  if (!ctx) {
    return Status(reasons::kInternalError, "HKDF unavailable");
  }
  std::string info = Labelled(kCredentialLabel, host_id);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<uint8_t*>(activation_secret.data()),
                                        activation_secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  std::array<uint8_t, kSecretKeyBytes> key{};
  if (EVP_KDF_derive(ctx.get(), key.data(), key.size(), params) != 1) {
    return Status(reasons::kInternalError, "HKDF failed");
  }
  std::string out = Base64Encode(key);
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

std::string HostActivationProof(std::string_view secret_access_key, std::string_view host_id) {
  const std::string message = Labelled(kProofLabel, host_id);
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac{};
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret_access_key.data(),
                secret_access_key.size(), reinterpret_cast<const uint8_t*>(message.data()),
                message.size(), mac.data(), mac.size(), &mac_len) == nullptr) {
    return "";
  }
  return HexEncode(ByteSpan(mac.data(), mac_len));
}

bool CheckHostActivationProof(std::string_view secret_access_key, std::string_view host_id,
                              std::string_view proof) {
  const std::string want = HostActivationProof(secret_access_key, host_id);
  return !want.empty() && proof.size() == want.size() &&
         CRYPTO_memcmp(proof.data(), want.data(), want.size()) == 0;
}

}  // namespace attest::protocol
