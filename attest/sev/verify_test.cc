#include "attest/sev/verify.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/sev/claims.h"
#include "attest/sev/crypto.h"
#include "tests/sev/platform_model.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/vectors.h"

namespace attest::sev {
namespace {

using testing::ReadVector;

struct Naples {
  Bytes pdh = ReadVector("sev/naples/pdh.cert");
  Bytes pek = ReadVector("sev/naples/pek.cert");
  Bytes oca = ReadVector("sev/naples/oca.cert");
  Bytes cek = ReadVector("sev/naples/cek.cert");
};

Result<VerifiedSevChain> VerifyBytes(const Naples& n, std::span<const AmdRoot> roots) {
  ATTEST_ASSIGN_OR_RETURN(SevPlatformCerts certs,
                          ParseSevPlatformCerts(n.pdh, n.pek, n.oca, n.cek));
  return VerifySevChain(certs, roots);
}

AmdRoot Root(const std::string& product) {
  auto root = LoadAmdRoot(product, ReadVector("sev/" + product + "/ark.cert"),
                          ReadVector("sev/" + product + "/ask.cert"));
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  return std::move(root).value();
}

TEST(SevVerify, VectorAnchorsSelfVerify) {
  for (const char* product : {"naples", "milan", "genoa"}) {
    SCOPED_TRACE(product);
    auto root = LoadAmdRoot(product, ReadVector(std::string("sev/") + product + "/ark.cert"),
                            ReadVector(std::string("sev/") + product + "/ask.cert"));
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(root->product(), product);
  }
}

TEST(SevVerify, BuiltinAnchorsAreTheVectors) {
  auto roots = BuiltinAmdRoots();
  ASSERT_TRUE(roots.ok()) << roots.status().ToString();
  ASSERT_EQ(roots->size(), 3u);
  const char* names[] = {"naples", "milan", "genoa"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*roots)[i].product(), names[i]);
    EXPECT_EQ((*roots)[i].ark().signed_bytes, Root(names[i]).ark().signed_bytes);
  }
}

TEST(SevVerify, NaplesChainVerifiesWithBuiltins) {
  auto roots = BuiltinAmdRoots();
  ASSERT_TRUE(roots.ok());
  auto chain = VerifyBytes(Naples(), *roots);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->product(), "naples");
  const SevChainClaims claims = ToClaims(*chain);
  EXPECT_EQ(claims.product, "naples");
  EXPECT_EQ(claims.api_major, 0);
  EXPECT_EQ(claims.api_minor, 16);
  EXPECT_EQ(claims.ask_key_id, HexEncode(Root("naples").ask().key_id));
  EXPECT_EQ(claims.pdh_sha256.size(), 64u);
}

TEST(SevVerify, NaplesChainUnderOtherProductsFails) {
  for (const char* product : {"milan", "genoa"}) {
    SCOPED_TRACE(product);
    const AmdRoot roots[] = {Root(product)};
    auto chain = VerifyBytes(Naples(), roots);
    ASSERT_FALSE(chain.ok());
    EXPECT_EQ(chain.status().reason_id(), "sev.chain_untrusted");
  }
  auto none = VerifyBytes(Naples(), {});
  EXPECT_EQ(none.status().reason_id(), "sev.chain_untrusted");
}

TEST(SevVerify, MixingArkAndAskAcrossProductsFails) {
  struct Case {
    const char* ark;
    const char* ask;
    std::string want;
  };
  const Case cases[] = {
      {"naples", "milan", "sev.issuer_mismatch"},
      {"milan", "naples", "sev.issuer_mismatch"},
      {"milan", "genoa", "sev.issuer_mismatch"},
      {"genoa", "milan", "sev.issuer_mismatch"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.ark) + " ark, " + c.ask + " ask");
    auto root = LoadAmdRoot("mixed", ReadVector(std::string("sev/") + c.ark + "/ark.cert"),
                            ReadVector(std::string("sev/") + c.ask + "/ask.cert"));
    ASSERT_FALSE(root.ok());
    EXPECT_EQ(root.status().reason_id(), c.want);
  }
  // Even with the certifying id forged to name the other ARK, the signature does not verify.
  Bytes ask = ReadVector("sev/genoa/ask.cert");
  const Bytes milan_ark = ReadVector("sev/milan/ark.cert");
  std::copy(milan_ark.begin() + 4, milan_ark.begin() + 20, ask.begin() + 20);
  auto forged = LoadAmdRoot("forged", milan_ark, ask);
  EXPECT_EQ(forged.status().reason_id(), "sev.signature_invalid");
}

TEST(SevVerify, ArkAndAskRolesChecked) {
  const Bytes ark = ReadVector("sev/naples/ark.cert");
  const Bytes ask = ReadVector("sev/naples/ask.cert");
  EXPECT_EQ(LoadAmdRoot("x", ask, ask).status().reason_id(), "sev.bad_usage");
  EXPECT_EQ(LoadAmdRoot("x", ark, ark).status().reason_id(), "sev.bad_usage");
  EXPECT_EQ(LoadAmdRoot("x", ReadVector("sev/naples/ark.cert.bad"), ask).status().reason_id(),
            "sev.cert_malformed");
}

TEST(SevVerify, CertificatesInWrongPositionsRejected) {
  const Naples n;
  EXPECT_EQ(ParseSevPlatformCerts(n.pek, n.pek, n.oca, n.cek).status().reason_id(),
            "sev.bad_usage");
  EXPECT_EQ(ParseSevPlatformCerts(n.pdh, n.oca, n.oca, n.cek).status().reason_id(),
            "sev.bad_usage");
  EXPECT_EQ(ParseSevPlatformCerts(n.pdh, n.pek, n.cek, n.cek).status().reason_id(),
            "sev.bad_usage");
  EXPECT_EQ(ParseSevPlatformCerts(n.pdh, n.pek, n.oca, n.oca).status().reason_id(),
            "sev.bad_usage");
}

// Flip one byte inside a signature or a signed body: the link that covers it must fail.
TEST(SevVerify, FlippedSignatureAndBodyBytesRejected) {
  struct Case {
    std::string name;
    int cert;  // 0 pdh, 1 pek, 2 oca, 3 cek
    size_t offset;
    std::string want;
  };
  const size_t slot1 = 0x41c;
  const size_t slot2 = 0x624;
  const std::vector<Case> cases = {
      {"pdh sig r[0]", 0, slot1, "sev.signature_invalid"},
      {"pdh sig r[47]", 0, slot1 + 47, "sev.signature_invalid"},
      {"pdh sig s[0]", 0, slot1 + 72, "sev.signature_invalid"},
      {"pdh body api minor", 0, 0x5, "sev.signature_invalid"},
      {"pdh body qx", 0, 0x14, "sev.signature_invalid"},
      {"pek oca sig", 1, slot1 + 10, "sev.signature_invalid"},
      {"pek cek sig", 1, slot2 + 90, "sev.signature_invalid"},
      {"pek body qy", 1, 0x14 + 72 + 3, "sev.signature_invalid"},
      {"oca self sig", 2, slot1 + 100, "sev.signature_invalid"},
      {"oca body", 2, 0x5, "sev.signature_invalid"},
      {"oca key off the curve", 2, 0x20, "sev.cert_malformed"},
      {"cek ask sig first", 3, slot1, "sev.chain_untrusted"},
      {"cek ask sig last", 3, slot1 + 255, "sev.chain_untrusted"},
      {"cek ask sig padding", 3, slot1 + 256, "sev.chain_untrusted"},
      {"cek body", 3, 0x30, "sev.chain_untrusted"},
  };
  auto roots = BuiltinAmdRoots();
  ASSERT_TRUE(roots.ok());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Naples n;
    Bytes* certs[] = {&n.pdh, &n.pek, &n.oca, &n.cek};
    (*certs[c.cert])[c.offset] ^= 0x01;
    auto chain = VerifyBytes(n, *roots);
    ASSERT_FALSE(chain.ok());
    EXPECT_EQ(chain.status().reason_id(), c.want) << chain.status().ToString();
  }
}

TEST(SevVerify, FlippedAnchorSignatureBytesRejected) {
  for (const char* product : {"naples", "milan", "genoa"}) {
    for (const char* role : {"ark", "ask"}) {
      SCOPED_TRACE(std::string(product) + " " + role);
      Bytes ark = ReadVector(std::string("sev/") + product + "/ark.cert");
      Bytes ask = ReadVector(std::string("sev/") + product + "/ask.cert");
      Bytes& target = std::string(role) == "ark" ? ark : ask;
      for (size_t offset : {target.size() - 1, target.size() - 100, size_t{0x70}}) {
        Bytes mutated = target;
        mutated[offset] ^= 0x80;
        auto root = std::string(role) == "ark" ? LoadAmdRoot(product, mutated, ask)
                                               : LoadAmdRoot(product, ark, mutated);
        ASSERT_FALSE(root.ok()) << offset;
        EXPECT_EQ(root.status().reason_id(), "sev.signature_invalid") << offset;
      }
    }
  }
}

// The test hierarchy of the platform model: a complete chain in the real formats.
TEST(SevVerify, ModelHierarchyVerifiesOnlyUnderItsOwnRoot) {
  const testing::SevPlatformModel model = testing::SevPlatformModel::Create();
  auto root = LoadAmdRoot("test", model.ark(), model.ask());
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  auto certs = ParseSevPlatformCerts(model.pdh(), model.pek(), model.oca(), model.cek());
  ASSERT_TRUE(certs.ok()) << certs.status().ToString();
  const AmdRoot roots[] = {*root};
  auto chain = VerifySevChain(*certs, roots);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->product(), "test");

  auto builtins = BuiltinAmdRoots();
  ASSERT_TRUE(builtins.ok());
  EXPECT_EQ(VerifySevChain(*certs, *builtins).status().reason_id(), "sev.chain_untrusted");

  // The model's PEK/PDH under the Naples CEK and OCA: the links do not hold.
  const Naples n;
  auto mixed = ParseSevPlatformCerts(model.pdh(), model.pek(), n.oca, n.cek);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(VerifySevChain(*mixed, *builtins).status().reason_id(), "sev.signature_invalid");
  auto mixed2 = ParseSevPlatformCerts(n.pdh, n.pek, n.oca, model.cek());
  ASSERT_TRUE(mixed2.ok());
  EXPECT_EQ(VerifySevChain(*mixed2, roots).status().reason_id(), "sev.signature_invalid");
}

TEST(SevVerify, MissingSlotAndAlgorithmMismatchRejected) {
  using testing::GenerateKey;
  using testing::KeyKind;
  using testing::MakeSevCert;
  auto u = [](Usage x) { return static_cast<uint32_t>(x); };
  auto a = [](Algo x) { return static_cast<uint32_t>(x); };
  EvpPkeyPtr ark = GenerateKey(KeyKind::kRsa2048);
  EvpPkeyPtr ask = GenerateKey(KeyKind::kRsa2048);
  EvpPkeyPtr cek = GenerateKey(KeyKind::kEcP384);
  EvpPkeyPtr oca = GenerateKey(KeyKind::kEcP384);
  EvpPkeyPtr pek = GenerateKey(KeyKind::kEcP384);
  EvpPkeyPtr pdh = GenerateKey(KeyKind::kEcP384);
  const std::array<uint8_t, 16> ark_id{1};
  const std::array<uint8_t, 16> ask_id{2};
  auto root =
      LoadAmdRoot("t", testing::MakeAmdCert(ark.get(), u(Usage::kArk), ark_id, ark_id, ark.get()),
                  testing::MakeAmdCert(ask.get(), u(Usage::kAsk), ask_id, ark_id, ark.get()));
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  const AmdRoot roots[] = {*root};
  const Bytes cek_cert =
      MakeSevCert(cek.get(), u(Usage::kCek), a(Algo::kEcdsaSha256), {{ask.get(), u(Usage::kAsk)}});
  const Bytes oca_cert =
      MakeSevCert(oca.get(), u(Usage::kOca), a(Algo::kEcdsaSha256), {{oca.get(), u(Usage::kOca)}});
  const Bytes pdh_cert =
      MakeSevCert(pdh.get(), u(Usage::kPdh), a(Algo::kEcdhSha256), {{pek.get(), u(Usage::kPek)}});
  const Bytes pek_good = MakeSevCert(pek.get(), u(Usage::kPek), a(Algo::kEcdsaSha256),
                                     {{oca.get(), u(Usage::kOca)}, {cek.get(), u(Usage::kCek)}});
  const Bytes pek_no_cek =
      MakeSevCert(pek.get(), u(Usage::kPek), a(Algo::kEcdsaSha256), {{oca.get(), u(Usage::kOca)}});
  const Bytes pek_no_oca =
      MakeSevCert(pek.get(), u(Usage::kPek), a(Algo::kEcdsaSha256), {{cek.get(), u(Usage::kCek)}});
  // The CEK claims SHA-384 ECDSA but signs PEK slots with SHA-256.
  const Bytes cek_384 =
      MakeSevCert(cek.get(), u(Usage::kCek), a(Algo::kEcdsaSha384), {{ask.get(), u(Usage::kAsk)}});
  struct Case {
    std::string name;
    const Bytes& pek;
    const Bytes& cek;
    std::string want;
  };
  const Case cases[] = {
      {"good", pek_good, cek_cert, "ok"},
      {"pek without cek slot", pek_no_cek, cek_cert, "sev.signature_invalid"},
      {"pek without oca slot", pek_no_oca, cek_cert, "sev.signature_invalid"},
      {"slot algo differs from signer", pek_good, cek_384, "sev.unsupported_algorithm"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto certs = ParseSevPlatformCerts(pdh_cert, c.pek, oca_cert, c.cek);
    ASSERT_TRUE(certs.ok()) << certs.status().ToString();
    auto chain = VerifySevChain(*certs, roots);
    EXPECT_EQ(chain.ok() ? std::string("ok") : std::string(chain.status().reason_id()), c.want)
        << (chain.ok() ? "" : chain.status().ToString());
  }
}

TEST(SevVerify, OffCurvePointRejected) {
  Bytes pdh = ReadVector("sev/naples/pdh.cert");
  pdh[0x14] ^= 0x01;  // qx changes: the point leaves the curve (and the signature breaks)
  auto cert = ParseSevCert(pdh);
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(SevCertPublicKey(*cert).status().reason_id(), "sev.cert_malformed");
}

}  // namespace
}  // namespace attest::sev
