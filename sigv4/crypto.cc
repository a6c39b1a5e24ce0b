#include "sigv4/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "attest/core/ossl.h"
#include "attest/core/wipe.h"

namespace attest::sigv4 {
namespace {

using EvpMacPtr = OsslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OsslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "sigv4: %s failed: %s\n", what, OsslErrors().c_str());
  std::abort();
}

// HmacAlgorithm fetches the HMAC implementation once; EVP_MAC objects are immutable and may be
// shared between threads, while each call builds its own context.
EVP_MAC* HmacAlgorithm() {
  static EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) {
    Die("EVP_MAC_fetch(HMAC)");
  }
  return mac.get();
}

}  // namespace

Sha256Digest HmacSha256(ByteSpan key, ByteSpan data) {
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(HmacAlgorithm()));
  if (!ctx) {
    Die("EVP_MAC_CTX_new");
  }
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  // A zero-length key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const uint8_t kEmpty = 0;
  if (EVP_MAC_init(ctx.get(), key.empty() ? &kEmpty : key.data(), key.size(), params) != 1) {
    Die("EVP_MAC_init");
  }
  if (!data.empty() && EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) {
    Die("EVP_MAC_update");
  }
  Sha256Digest out{};
  size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1 || out_len != out.size()) {
    Die("EVP_MAC_final");
  }
  return out;
}

Sha256Digest DeriveSigningKey(std::string_view secret, std::string_view date,
                              std::string_view region, std::string_view service) {
  // Every intermediate key is as good as the secret for its date: none outlives the call.
  std::string k_secret = "AWS4";
  k_secret += secret;
  const Wiped<Sha256Digest> k_date(HmacSha256(AsBytes(k_secret), AsBytes(date)));
  Wipe(k_secret);
  const Wiped<Sha256Digest> k_region(HmacSha256(k_date.get(), AsBytes(region)));
  const Wiped<Sha256Digest> k_service(HmacSha256(k_region.get(), AsBytes(service)));
  return HmacSha256(k_service.get(), AsBytes("aws4_request"));
}

}  // namespace attest::sigv4
