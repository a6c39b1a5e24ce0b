#include "protocol/jwe.h"

// libjose's headers declare C functions without extern "C".
extern "C" {
#include <jose/jose.h>
}
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/json.h"
#include "protocol/ecdh_es.h"

namespace attest::protocol {
namespace {

constexpr size_t kCoordBytes = 48;

struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

Status KeyInvalid(const std::string& why) {
  return Status(reasons::kReleaseGuestKeyInvalid, "guest key: " + why);
}
Status JweInvalid(const std::string& why) {
  return Status(reasons::kReleaseJweInvalid, "jwe: " + why);
}

std::string Dump(const json_t* j) {
  char* text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
  if (text == nullptr) {
    return "";
  }
  std::string out(text);
  OPENSSL_cleanse(text, out.size());
  std::free(text);
  return out;
}

std::string Str(const json_t* object, const char* key) {
  const char* v = json_string_value(json_object_get(object, key));
  return v != nullptr ? v : "";
}

bool OnP384(ByteSpan point) {
  using GroupPtr = std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)>;
  using PointPtr = std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)>;
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_secp384r1), EC_GROUP_free);
  if (!group) {
    return false;
  }
  PointPtr p(EC_POINT_new(group.get()), EC_POINT_free);
  return p && EC_POINT_oct2point(group.get(), p.get(), point.data(), point.size(), nullptr) == 1 &&
         EC_POINT_is_on_curve(group.get(), p.get(), nullptr) == 1 &&
         EC_POINT_is_at_infinity(group.get(), p.get()) == 0;
}

}  // namespace

// kMaxJwkBytes bounds a guest key: a P-384 JWK is about 200 bytes.
constexpr size_t kMaxJwkBytes = 4096;

Sha512Digest ReportDataBinding(ByteSpan nonce, const GuestPublicKey& key) {
  Bytes data(nonce.begin(), nonce.end());
  data.insert(data.end(), key.point.begin(), key.point.end());
  return Sha512(data);
}

Result<GuestPublicKey> ParseGuestJwk(std::string_view jwk_json) {
  if (jwk_json.size() > kMaxJwkBytes) {
    return KeyInvalid("JWK longer than 4 KiB");
  }
  // The project's strict reader (attest/core/json.h): a JWK with a repeated member is refused.
  Result<nlohmann::json> parsed = ReadJson(jwk_json, reasons::kReleaseGuestKeyInvalid);
  if (!parsed.ok() || !parsed->is_object()) {
    return KeyInvalid("not a JSON object");
  }
  return GuestJwkFromJson(*parsed);
}

Result<GuestPublicKey> GuestJwkFromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    return KeyInvalid("not a JSON object");
  }
  // The members are all strings (checked below), so their lengths bound the text's.
  size_t text_bytes = 0;
  for (const auto& [name, value] : j.items()) {
    text_bytes +=
        name.size() + (value.is_string() ? value.get_ref<const std::string&>().size() : 0);
  }
  if (text_bytes > kMaxJwkBytes) {
    return KeyInvalid("JWK longer than 4 KiB");
  }
  if (j.contains("d")) {
    return KeyInvalid("a private key (\"d\") was sent; send the public key");
  }
  for (const auto& [name, value] : j.items()) {
    if (name != "kty" && name != "crv" && name != "x" && name != "y" && name != "kid" &&
        name != "use" && name != "alg") {
      return KeyInvalid("unexpected member \"" + name + "\"");
    }
    if (!value.is_string()) {
      return KeyInvalid("member \"" + name + "\" is not a string");
    }
  }
  if (StringMember(j, "kty") != "EC" || StringMember(j, "crv") != "P-384") {
    return KeyInvalid("kty must be \"EC\" and crv \"P-384\"");
  }
  if (j.contains("use") && j["use"] != "enc") {
    return KeyInvalid("use must be \"enc\"");
  }
  if (j.contains("alg") && j["alg"] != "ECDH-ES+A256KW") {
    return KeyInvalid("alg must be \"ECDH-ES+A256KW\"");
  }
  auto x = Base64UrlDecode(StringMember(j, "x"));
  auto y = Base64UrlDecode(StringMember(j, "y"));
  if (!x.ok() || !y.ok() || x->size() != kCoordBytes || y->size() != kCoordBytes) {
    return KeyInvalid("x and y must be base64url of 48 bytes each");
  }
  GuestPublicKey key;
  key.point.push_back(0x04);
  key.point.insert(key.point.end(), x->begin(), x->end());
  key.point.insert(key.point.end(), y->begin(), y->end());
  if (!OnP384(key.point)) {
    return KeyInvalid("(x, y) is not a point on P-384");
  }
  // Rebuilt from the decoded bytes, so one key has exactly one spelling.
  nlohmann::json canonical = {
      {"kty", "EC"}, {"crv", "P-384"}, {"x", Base64UrlEncode(*x)}, {"y", Base64UrlEncode(*y)}};
  key.jwk_json = canonical.dump();
  return key;
}

std::string JwkThumbprint(const GuestPublicKey& key) {
  // jwk_json already is RFC 7638 section 3.2's input: the required members only, sorted, compact.
  return Base64UrlEncode(Sha256(AsBytes(key.jwk_json)));
}

Result<std::string> EncryptToGuest(ByteSpan plaintext, const GuestPublicKey& key,
                                   std::string_view kid) {
  ATTEST_ASSIGN_OR_RETURN(EphemeralKey ephemeral, EphemeralKey::Generate());
  ATTEST_ASSIGN_OR_RETURN(JweSealer sealer, JweSealer::Make(std::move(ephemeral), key));
  return sealer.Seal(plaintext, kid);
}

Result<Bytes> DecryptFromService(std::string_view compact, std::string_view private_jwk_json) {
  if (compact.size() > (1 << 20)) {
    return JweInvalid("longer than 1 MiB");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = compact.find('.');; dot = compact.find('.', start)) {
    parts.emplace_back(compact.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
    if (parts.size() > 5) {
      break;
    }
  }
  if (parts.size() != 5) {
    return JweInvalid("compact JWE has 5 dot-separated parts");
  }
  for (size_t i = 0; i < 5; ++i) {
    if (parts[i].empty() || !Base64UrlDecode(parts[i]).ok()) {
      return JweInvalid("part " + std::to_string(i + 1) + " is not base64url");
    }
  }
  const Bytes header_bytes = Base64UrlDecode(parts[0]).value();
  Result<nlohmann::json> parsed_header = ReadJson(
      std::string_view(reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size()),
      reasons::kReleaseJweInvalid);
  const nlohmann::json header = parsed_header.ok() ? *parsed_header : nlohmann::json();
  if (!header.is_object() || StringMember(header, "alg") != "ECDH-ES+A256KW" ||
      StringMember(header, "enc") != "A256GCM") {
    return JweInvalid("protected header must say alg ECDH-ES+A256KW, enc A256GCM");
  }
  if (header.contains("zip") || header.contains("crit")) {
    return JweInvalid("zip and crit are not accepted");
  }
  if (!header.contains("epk") || !header["epk"].is_object() ||
      StringMember(header["epk"], "crv") != "P-384" || StringMember(header["epk"], "kty") != "EC") {
    return JweInvalid("epk must be an EC P-384 key");
  }
  const std::string private_text(private_jwk_json);
  JsonPtr jwk(json_loads(private_text.c_str(), 0, nullptr));
  if (!jwk || Str(jwk.get(), "crv") != "P-384" || Str(jwk.get(), "d").empty()) {
    return JweInvalid("the private key is not a P-384 private JWK");
  }
  JsonPtr jwe(json_pack("{s:s,s:s,s:s,s:s,s:s}", "protected", parts[0].c_str(), "encrypted_key",
                        parts[1].c_str(), "iv", parts[2].c_str(), "ciphertext", parts[3].c_str(),
                        "tag", parts[4].c_str()));
  if (!jwe) {
    return JweInvalid("cannot rebuild the JWE object");
  }
  size_t len = 0;
  void* plain = jose_jwe_dec(nullptr, jwe.get(), nullptr, jwk.get(), &len);
  if (plain == nullptr) {
    return JweInvalid("does not open with this key");
  }
  Bytes out(static_cast<uint8_t*>(plain), static_cast<uint8_t*>(plain) + len);
  OPENSSL_cleanse(plain, len);
  std::free(plain);
  return out;
}

Result<std::string> GenerateGuestKey() {
  JsonPtr jwk(json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-384"));
  if (!jwk || !jose_jwk_gen(nullptr, jwk.get())) {
    return Status(reasons::kReleaseJweFailed, "jwe: P-384 key generation failed");
  }
  return Dump(jwk.get());
}

Result<std::string> PublicJwk(std::string_view private_jwk_json) {
  const std::string text(private_jwk_json);
  JsonPtr jwk(json_loads(text.c_str(), 0, nullptr));
  if (!jwk || !jose_jwk_pub(nullptr, jwk.get())) {
    return Status(reasons::kReleaseGuestKeyInvalid, "guest key: not a JWK");
  }
  return Dump(jwk.get());
}

}  // namespace attest::protocol
