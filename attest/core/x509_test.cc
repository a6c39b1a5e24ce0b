#include "attest/core/x509.h"

#include <gtest/gtest.h>

#include "tests/testing/test_pki.h"
#include "tests/testing/vectors.h"

namespace attest {
namespace {

using testing::GenerateKey;
using testing::IssueCertificate;
using testing::IssueCrl;
using testing::KeyKind;

const TimePoint kT0 = FromUnixSeconds(1700000000);

class TestHierarchy {
 public:
  TestHierarchy()
      : root_key_(GenerateKey(KeyKind::kEcP256)),
        mid_key_(GenerateKey(KeyKind::kEcP256)),
        leaf_key_(GenerateKey(KeyKind::kEcP256)) {
    root_ = IssueCertificate(
        {"root", kT0 - std::chrono::hours(24), kT0 + std::chrono::hours(24 * 365), true, 1},
        root_key_.get(), nullptr, root_key_.get());
    mid_ = IssueCertificate(
        {"mid", kT0 - std::chrono::hours(24), kT0 + std::chrono::hours(24 * 365), true, 2},
        mid_key_.get(), root_.get(), root_key_.get());
    leaf_ = IssueCertificate(
        {"leaf", kT0 - std::chrono::hours(1), kT0 + std::chrono::hours(24), false, 3},
        leaf_key_.get(), mid_.get(), mid_key_.get());
  }
  EvpPkeyPtr root_key_, mid_key_, leaf_key_;
  X509Ptr root_, mid_, leaf_;
};

TEST(X509Test, ChainVerifiesAtTimeInsideWindows) {
  TestHierarchy h;
  X509* mids[] = {h.mid_.get()};
  X509* anchors[] = {h.root_.get()};
  auto chain = VerifyChain(h.leaf_.get(), mids, anchors, kT0);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_EQ(chain->size(), 3u);
  EXPECT_EQ(SubjectCommonName((*chain)[2].get()), "root");
}

TEST(X509Test, ChainFailuresHaveDistinctReasons) {
  TestHierarchy h;
  auto other_key = GenerateKey(KeyKind::kEcP256);
  auto other_root = IssueCertificate(
      {"root", kT0 - std::chrono::hours(24), kT0 + std::chrono::hours(24), true, 1},
      other_key.get(), nullptr, other_key.get());
  X509* mids[] = {h.mid_.get()};
  X509* anchors[] = {h.root_.get()};
  X509* wrong_anchors[] = {other_root.get()};
  struct Case {
    const char* name;
    std::span<X509* const> mids;
    std::span<X509* const> anchors;
    TimePoint at;
    std::string_view want;
  } cases[] = {
      {"expired leaf", mids, anchors, kT0 + std::chrono::hours(48), "x509.cert_expired"},
      {"not yet valid", mids, anchors, kT0 - std::chrono::hours(2), "x509.cert_not_yet_valid"},
      {"missing intermediate", {}, anchors, kT0, "x509.chain_untrusted"},
      {"other anchor same name", mids, wrong_anchors, kT0, "x509.chain_untrusted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto chain = VerifyChain(h.leaf_.get(), c.mids, c.anchors, c.at);
    ASSERT_FALSE(chain.ok());
    EXPECT_EQ(chain.status().reason_id(), c.want) << chain.status().ToString();
  }
}

TEST(X509Test, RevocationChecks) {
  TestHierarchy h;
  X509* mids[] = {h.mid_.get()};
  X509* anchors[] = {h.root_.get()};
  auto chain = VerifyChain(h.leaf_.get(), mids, anchors, kT0);
  ASSERT_TRUE(chain.ok());
  const auto from = kT0 - std::chrono::hours(1);
  const auto to = kT0 + std::chrono::hours(1);
  auto good = IssueCrl(h.mid_.get(), h.mid_key_.get(), {99}, from, to);
  auto revoking = IssueCrl(h.mid_.get(), h.mid_key_.get(), {3}, from, to);
  auto root_revoking_mid = IssueCrl(h.root_.get(), h.root_key_.get(), {2}, from, to);
  auto forged = IssueCrl(h.mid_.get(), h.leaf_key_.get(), {}, from, to);
  auto stale = IssueCrl(h.mid_.get(), h.mid_key_.get(), {}, from - std::chrono::hours(5),
                        from - std::chrono::hours(2));
  auto foreign_key = GenerateKey(KeyKind::kEcP256);
  auto foreign = IssueCertificate({"foreign", from, to, true, 7}, foreign_key.get(), nullptr,
                                  foreign_key.get());
  auto foreign_crl = IssueCrl(foreign.get(), foreign_key.get(), {}, from, to);
  struct Case {
    const char* name;
    X509_CRL* crl;
    std::string_view want;
  } cases[] = {
      {"not listed", good.get(), "ok"},
      {"leaf revoked", revoking.get(), "x509.cert_revoked"},
      {"intermediate revoked", root_revoking_mid.get(), "x509.cert_revoked"},
      {"forged signature", forged.get(), "x509.crl_signature_invalid"},
      {"stale", stale.get(), "x509.crl_expired"},
      {"issuer outside chain", foreign_crl.get(), "x509.crl_issuer_unknown"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    X509_CRL* crls[] = {c.crl};
    EXPECT_EQ(CheckNotRevoked(*chain, crls, kT0).reason_id(), c.want);
  }
}

TEST(X509Test, ParsesPemBundleDerAndCrlForms) {
  TestHierarchy h;
  const std::string pem = testing::PemOf(h.leaf_.get()) + testing::PemOf(h.mid_.get());
  auto bundle = ParseCertificates(AsBytes(pem));
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->size(), 2u);
  const Bytes der = testing::DerOf(h.leaf_.get());
  auto one = ParseCertificates(der);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(CertificateFingerprint((*one)[0].get()), Sha256(der));

  Bytes trailing = der;
  trailing.push_back(0);
  struct Case {
    const char* name;
    Bytes input;
  } cases[] = {
      {"empty", {}},
      {"garbage", {1, 2, 3}},
      {"trailing byte", trailing},
      {"truncated", Bytes(der.begin(), der.end() - 1)},
      {"pem without certificate", Bytes{'-', '-', '-', '-', '-', 'B', 'E', 'G', 'I', 'N', ' '}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = ParseCertificates(c.input);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "x509.cert_malformed");
  }
  EXPECT_EQ(ParseCrl(Bytes{0x30, 0x00}).status().reason_id(), "x509.crl_malformed");
}

TEST(X509Test, AmdMilanVcekChainsToArkWithRsaPss) {
  auto chain_pem = ParseCertificates(testing::ReadVector("snp/certs/ask_ark_milan.pem"));
  ASSERT_TRUE(chain_pem.ok());
  auto vcek = ParseCertificateDer(testing::ReadVector("snp/gsg-milan-v2/vcek.der"));
  ASSERT_TRUE(vcek.ok());
  X509* mids[] = {(*chain_pem)[0].get()};
  X509* anchors[] = {(*chain_pem)[1].get()};
  auto at = ParseRfc3339("2024-01-01T00:00:00Z");
  EXPECT_TRUE(VerifyChain(vcek->get(), mids, anchors, *at).ok());
  EXPECT_EQ(SubjectCommonName((*chain_pem)[1].get()), "ARK-Milan");
  EXPECT_EQ(IssuerCommonName(vcek->get()), "SEV-Milan");
  EXPECT_EQ(FormatRfc3339(NotAfter(vcek->get())), "2029-09-24T00:55:28Z");
}

}  // namespace
}  // namespace attest
