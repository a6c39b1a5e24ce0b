#include "protocol/jwe.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/ossl.h"
#include "protocol/ecdh_es.h"

namespace attest::protocol {
namespace {

using nlohmann::json;

std::vector<std::string> Split(const std::string& compact) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = compact.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(compact.substr(start, dot - start));
  }
  parts.push_back(compact.substr(start));
  return parts;
}

Bytes B64(const std::string& text) { return Base64UrlDecode(text).value(); }

// P384Key builds an EVP_PKEY from JWK coordinates (and d for a private key) with OpenSSL alone.
EvpPkeyPtr P384Key(const json& jwk) {
  Bytes point = {0x04};
  for (const char* c : {"x", "y"}) {
    const Bytes v = B64(jwk[c].get<std::string>());
    point.insert(point.end(), v.begin(), v.end());
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  BIGNUM* d = nullptr;
  if (jwk.contains("d")) {
    const Bytes dv = B64(jwk["d"].get<std::string>());
    d = BN_bin2bn(dv.data(), static_cast<int>(dv.size()), nullptr);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(d);
  return EvpPkeyPtr(key);
}

// IndependentDecrypt opens a compact ECDH-ES+A256KW / A256GCM JWE with OpenSSL primitives only
// (no libjose): ECDH (RFC 7518 4.6), Concat KDF (NIST SP 800-56A 5.8.1 as profiled in 4.6.2),
// AES key unwrap (RFC 3394), AES-256-GCM with the protected header as AAD (RFC 7516 5.2).
std::optional<Bytes> IndependentDecrypt(const std::string& compact, const json& private_jwk) {
  const auto parts = Split(compact);
  if (parts.size() != 5) {
    return std::nullopt;
  }
  const json header = json::parse(Base64UrlDecode(parts[0]).value());
  EvpPkeyPtr mine = P384Key(private_jwk);
  EvpPkeyPtr peer = P384Key(header["epk"]);
  EVP_PKEY_CTX* dctx = EVP_PKEY_CTX_new(mine.get(), nullptr);
  Bytes z(48);
  size_t z_len = z.size();
  const bool derived = EVP_PKEY_derive_init(dctx) == 1 &&
                       EVP_PKEY_derive_set_peer(dctx, peer.get()) == 1 &&
                       EVP_PKEY_derive(dctx, z.data(), &z_len) == 1;
  EVP_PKEY_CTX_free(dctx);
  if (!derived) {
    return std::nullopt;
  }
  auto u32 = [](Bytes& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) {
      b.push_back(static_cast<uint8_t>(v >> s));
    }
  };
  Bytes kdf_in;
  u32(kdf_in, 1);
  kdf_in.insert(kdf_in.end(), z.begin(), z.end());
  // Key agreement with key wrapping: AlgorithmID is the "alg" value itself (RFC 7518 4.6.2).
  const std::string alg_id = header["alg"].get<std::string>();
  u32(kdf_in, static_cast<uint32_t>(alg_id.size()));
  kdf_in.insert(kdf_in.end(), alg_id.begin(), alg_id.end());
  u32(kdf_in, 0);  // PartyUInfo (no apu)
  // PartyVInfo: the decoded apv, empty when there is none (RFC 7518 4.6.2).
  const Bytes apv =
      header.contains("apv") ? Base64UrlDecode(header["apv"].get<std::string>()).value() : Bytes();
  u32(kdf_in, static_cast<uint32_t>(apv.size()));
  kdf_in.insert(kdf_in.end(), apv.begin(), apv.end());
  u32(kdf_in, 256);  // SuppPubInfo: key length in bits
  const Sha256Digest kek = Sha256(kdf_in);

  const Bytes wrapped = B64(parts[1]);
  Bytes cek(wrapped.size());
  int len = 0, len2 = 0;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  bool ok = EVP_DecryptInit_ex(c, EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) == 1 &&
            EVP_DecryptUpdate(c, cek.data(), &len, wrapped.data(),
                              static_cast<int>(wrapped.size())) == 1 &&
            EVP_DecryptFinal_ex(c, cek.data() + len, &len2) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) {
    return std::nullopt;
  }
  cek.resize(static_cast<size_t>(len) + static_cast<size_t>(len2));
  if (cek.size() != 32) {
    return std::nullopt;
  }

  const Bytes iv = B64(parts[2]), ct = B64(parts[3]);
  Bytes tag = B64(parts[4]);
  Bytes out(ct.size() + 1);
  c = EVP_CIPHER_CTX_new();
  ok =
      EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) == 1 &&
      EVP_DecryptInit_ex(c, nullptr, nullptr, cek.data(), iv.data()) == 1 &&
      EVP_DecryptUpdate(c, nullptr, &len, reinterpret_cast<const uint8_t*>(parts[0].data()),
                        static_cast<int>(parts[0].size())) == 1 &&
      EVP_DecryptUpdate(c, out.data(), &len, ct.data(), static_cast<int>(ct.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(c, out.data() + len, &len2) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) {
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(len) + static_cast<size_t>(len2));
  return out;
}

struct Guest {
  std::string private_jwk;
  GuestPublicKey key;
};

Guest NewGuest() {
  Guest g;
  g.private_jwk = GenerateGuestKey().value();
  g.key = ParseGuestJwk(PublicJwk(g.private_jwk).value()).value();
  return g;
}

TEST(Jwe, RoundTripThroughLibjoseAndAnIndependentDecryptor) {
  const Guest g = NewGuest();
  EXPECT_EQ(g.key.point.size(), 97u);
  const Bytes volume_key = Bytes(32, 0x5a);
  const std::string jwe = EncryptToGuest(volume_key, g.key, "vol-1").value();
  const auto parts = Split(jwe);
  ASSERT_EQ(parts.size(), 5u);
  // Header: everything protected; exactly these members.
  const json header = json::parse(Base64UrlDecode(parts[0]).value());
  EXPECT_EQ(header["alg"], "ECDH-ES+A256KW");
  EXPECT_EQ(header["enc"], "A256GCM");
  EXPECT_EQ(header["kid"], "vol-1");
  EXPECT_EQ(header["apv"], Base64UrlEncode(AsBytes("vol-1")));
  EXPECT_EQ(header["epk"]["kty"], "EC");
  EXPECT_EQ(header["epk"]["crv"], "P-384");
  EXPECT_FALSE(header["epk"].contains("d"));
  EXPECT_EQ(header.size(), 5u);
  EXPECT_EQ(B64(parts[1]).size(), 40u);  // A256KW of a 32-byte CEK
  EXPECT_EQ(B64(parts[2]).size(), 12u);
  EXPECT_EQ(B64(parts[3]).size(), 32u);
  EXPECT_EQ(B64(parts[4]).size(), 16u);
  EXPECT_EQ(jwe.find(Base64UrlEncode(volume_key)), std::string::npos);

  EXPECT_EQ(DecryptFromService(jwe, g.private_jwk).value(), volume_key);
  const auto independent = IndependentDecrypt(jwe, json::parse(g.private_jwk));
  ASSERT_TRUE(independent.has_value());
  EXPECT_EQ(*independent, volume_key);
  // Fresh ephemeral key and CEK each time.
  EXPECT_NE(EncryptToGuest(volume_key, g.key, "vol-1").value(), jwe);
}

// One ephemeral key for several volumes (JweSealer): every JWE opens, and each still has its own
// key-wrapping key (apv = its volume id), CEK and IV.
TEST(Jwe, OneEphemeralKeyPerReleaseKeepsVolumesApart) {
  const Guest g = NewGuest();
  JweSealer sealer = JweSealer::Make(EphemeralKey::Generate().value(), g.key).value();
  const std::vector<std::pair<std::string, Bytes>> volumes = {
      {"vol-1", Bytes(32, 0x11)}, {"vol-2", Bytes(32, 0x11)}, {"vol-3", Bytes(64, 0x33)}};
  std::vector<std::vector<std::string>> sealed;
  for (const auto& [id, key] : volumes) {
    SCOPED_TRACE(id);
    const std::string jwe = sealer.Seal(key, id).value();
    EXPECT_EQ(DecryptFromService(jwe, g.private_jwk).value(), key);
    EXPECT_EQ(IndependentDecrypt(jwe, json::parse(g.private_jwk)), key);
    sealed.push_back(Split(jwe));
  }
  const json h0 = json::parse(Base64UrlDecode(sealed[0][0]).value());
  for (size_t i = 1; i < sealed.size(); ++i) {
    const json h = json::parse(Base64UrlDecode(sealed[i][0]).value());
    EXPECT_EQ(h["epk"], h0["epk"]);  // one ephemeral key
    EXPECT_NE(h["apv"], h0["apv"]);
    EXPECT_NE(sealed[i][1], sealed[0][1]);  // wrapped CEK
    EXPECT_NE(sealed[i][2], sealed[0][2]);  // IV
  }
  // Equal volume keys do not give equal ciphertexts.
  EXPECT_NE(sealed[1][3], sealed[0][3]);
}

// Pieces of one volume's JWE do not open under another's header: each volume's key-wrapping key
// is bound to its id, and the header is the GCM AAD.
TEST(Jwe, OneEphemeralKeyPerReleaseRefusesMixedPieces) {
  const Guest g = NewGuest();
  const Guest other = NewGuest();
  JweSealer sealer = JweSealer::Make(EphemeralKey::Generate().value(), g.key).value();
  const auto a = Split(sealer.Seal(Bytes(32, 0xaa), "vol-a").value());
  const auto b = Split(sealer.Seal(Bytes(32, 0xbb), "vol-b").value());
  auto join = [](const std::vector<std::string>& p) {
    return p[0] + "." + p[1] + "." + p[2] + "." + p[3] + "." + p[4];
  };
  json header_b = json::parse(Base64UrlDecode(b[0]).value());
  json apv_of_a = header_b;
  apv_of_a["apv"] = Base64UrlEncode(AsBytes("vol-a"));
  json no_apv = header_b;
  no_apv.erase("apv");
  const std::string b_with_apv_of_a = Base64UrlEncode(AsBytes(apv_of_a.dump()));
  const std::string b_without_apv = Base64UrlEncode(AsBytes(no_apv.dump()));
  struct Case {
    std::string name;
    std::string jwe;
    std::string private_jwk;
  };
  const std::vector<Case> cases = {
      {"a's wrapped CEK under b's header", join({b[0], a[1], b[2], b[3], b[4]}), g.private_jwk},
      {"a's body under b's header", join({b[0], a[1], a[2], a[3], a[4]}), g.private_jwk},
      {"b's header with a's apv", join({b_with_apv_of_a, b[1], b[2], b[3], b[4]}), g.private_jwk},
      {"b's header without apv", join({b_without_apv, b[1], b[2], b[3], b[4]}), g.private_jwk},
      {"a's IV in b", join({b[0], b[1], a[2], b[3], b[4]}), g.private_jwk},
      {"another guest's key", join(b), other.private_jwk},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto opened = DecryptFromService(c.jwe, c.private_jwk);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().reason_id(), reasons::kReleaseJweInvalid.id);
    EXPECT_FALSE(IndependentDecrypt(c.jwe, json::parse(c.private_jwk)).has_value());
  }
  EXPECT_EQ(DecryptFromService(join(a), g.private_jwk).value(), Bytes(32, 0xaa));
  EXPECT_EQ(DecryptFromService(join(b), g.private_jwk).value(), Bytes(32, 0xbb));
}

TEST(Jwe, DecryptFailures) {
  const Guest g = NewGuest();
  const Guest other = NewGuest();
  const std::string jwe = EncryptToGuest(Bytes(32, 1), g.key, "vol-1").value();
  const auto parts = Split(jwe);
  auto join = [](std::vector<std::string> p) {
    return p[0] + "." + p[1] + "." + p[2] + "." + p[3] + "." + p[4];
  };
  auto with_header = [&](const json& h) {
    auto p = parts;
    p[0] = Base64UrlEncode(AsBytes(h.dump()));
    return join(p);
  };
  const json header = json::parse(Base64UrlDecode(parts[0]).value());
  json alg_a128 = header;
  alg_a128["alg"] = "ECDH-ES+A128KW";
  json alg_direct = header;
  alg_direct["alg"] = "ECDH-ES";
  json enc_cbc = header;
  enc_cbc["enc"] = "A256CBC-HS512";
  json kid_changed = header;
  kid_changed["kid"] = "vol-2";  // the header is authenticated: editing it breaks the tag
  json zip = header;
  zip["zip"] = "DEF";
  json epk_p256 = header;
  epk_p256["epk"]["crv"] = "P-256";
  json alg_number = header;  // a member of another type refuses, never throws
  alg_number["alg"] = 1;
  json enc_object = header;
  enc_object["enc"] = json::object();
  json epk_crv_array = header;
  epk_crv_array["epk"]["crv"] = json::array({"P-384"});
  auto flip = [&](size_t part) {
    auto p = parts;
    Bytes b = B64(p[part]);
    b[0] ^= 1;
    p[part] = Base64UrlEncode(b);
    return join(p);
  };
  struct Case {
    std::string name, jwe, key;
  };
  const std::vector<Case> cases = {
      {"other private key", jwe, other.private_jwk},
      {"public key only", jwe, PublicJwk(g.private_jwk).value()},
      {"alg A128KW", with_header(alg_a128), g.private_jwk},
      {"alg direct ECDH-ES", with_header(alg_direct), g.private_jwk},
      {"enc CBC", with_header(enc_cbc), g.private_jwk},
      {"kid changed", with_header(kid_changed), g.private_jwk},
      {"zip", with_header(zip), g.private_jwk},
      {"epk on P-256", with_header(epk_p256), g.private_jwk},
      {"alg a number", with_header(alg_number), g.private_jwk},
      {"enc an object", with_header(enc_object), g.private_jwk},
      {"epk crv an array", with_header(epk_crv_array), g.private_jwk},
      {"header an array", with_header(json::array({"ECDH-ES+A256KW"})), g.private_jwk},
      {"flipped encrypted key", flip(1), g.private_jwk},
      {"flipped iv", flip(2), g.private_jwk},
      {"flipped ciphertext", flip(3), g.private_jwk},
      {"flipped tag", flip(4), g.private_jwk},
      {"four parts", parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3], g.private_jwk},
      {"six parts", jwe + ".x", g.private_jwk},
      {"empty part", parts[0] + ".." + parts[2] + "." + parts[3] + "." + parts[4], g.private_jwk},
      {"not base64url", "!!." + parts[1] + "." + parts[2] + "." + parts[3] + "." + parts[4],
       g.private_jwk},
      {"empty", "", g.private_jwk},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DecryptFromService(c.jwe, c.key).status().reason_id(), "release.jwe_invalid");
  }
  EXPECT_FALSE(IndependentDecrypt(jwe, json::parse(other.private_jwk)).has_value());
  EXPECT_FALSE(IndependentDecrypt(with_header(kid_changed), json::parse(g.private_jwk)));
}

// RFC 7638 thumbprints of P-384 keys; the values were computed outside this code (Python's
// hashlib over the RFC's canonical JSON). The first key is the curve's generator.
TEST(Jwe, JwkThumbprint) {
  const struct {
    const char* jwk;
    const char* thumbprint;
  } cases[] = {
      {R"({"kty":"EC","crv":"P-384",
           "x":"qofKIr6LBTeOscce8yCtdG4dO2KLp5uYWfdB4IJUKjhVAvJdv1UpbDpUXjhydgq3",
           "y":"NhfeSpYmLG9dnpi_kpLcKfj0Hb0omhR86doxE7XwuMAKYLHOHX6BnXpDHXyQ6g5f"})",
       "-W6Wzot_wuerYbKBVKfGEks3iY2EALna-hBqObnPuJE"},
      // The optional members and their order do not change it.
      {R"({"y":"NhfeSpYmLG9dnpi_kpLcKfj0Hb0omhR86doxE7XwuMAKYLHOHX6BnXpDHXyQ6g5f",
           "use":"enc","alg":"ECDH-ES+A256KW","kid":"guest",
           "x":"qofKIr6LBTeOscce8yCtdG4dO2KLp5uYWfdB4IJUKjhVAvJdv1UpbDpUXjhydgq3",
           "crv":"P-384","kty":"EC"})",
       "-W6Wzot_wuerYbKBVKfGEks3iY2EALna-hBqObnPuJE"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.jwk);
    Result<GuestPublicKey> key = ParseGuestJwk(c.jwk);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(JwkThumbprint(*key), c.thumbprint);
  }
  // Another key, another thumbprint.
  EXPECT_NE(JwkThumbprint(NewGuest().key), cases[0].thumbprint);
}

TEST(Jwe, GuestKeyChecks) {
  const Guest g = NewGuest();
  const json pub = json::parse(PublicJwk(g.private_jwk).value());
  EXPECT_EQ(ParseGuestJwk(pub.dump())->jwk_json, g.key.jwk_json);
  json with_use = pub;
  with_use["use"] = "enc";
  with_use["alg"] = "ECDH-ES+A256KW";
  EXPECT_TRUE(ParseGuestJwk(with_use.dump()).ok());

  auto edit = [&](const std::function<void(json&)>& f) {
    json j = pub;
    f(j);
    return j.dump();
  };
  // (x, y) not on the curve: y + 1.
  Bytes y = B64(pub["y"].get<std::string>());
  y.back() ^= 1;
  const std::string y_off_curve = Base64UrlEncode(y);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"private key sent", g.private_jwk},
      {"P-256", edit([](json& j) { j["crv"] = "P-256"; })},
      {"RSA", edit([](json& j) { j["kty"] = "RSA"; })},
      {"short x", edit([](json& j) { j["x"] = Base64UrlEncode(Bytes(47, 1)); })},
      {"x missing", edit([](json& j) { j.erase("x"); })},
      {"off curve", edit([&](json& j) { j["y"] = y_off_curve; })},
      {"use sig", edit([](json& j) { j["use"] = "sig"; })},
      {"alg ES384", edit([](json& j) { j["alg"] = "ES384"; })},
      {"unknown member", edit([](json& j) { j["x5c"] = "x"; })},
      {"number member", edit([](json& j) { j["kid"] = 1; })},
      {"not json", "{"},
      {"array", "[]"},
      {"huge", std::string(5000, ' ')},
      // The strict reader (attest/core/json.h): a repeated member, bytes after a NUL.
      {"crv twice", pub.dump().substr(0, pub.dump().size() - 1) + R"(,"crv":"P-256"})"},
      {"bytes after a NUL", pub.dump() + std::string("\0x", 2)},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ParseGuestJwk(text).status().reason_id(), "release.guest_key_invalid");
  }
}

}  // namespace
}  // namespace attest::protocol
