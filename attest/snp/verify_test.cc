// Verification under a test AMD hierarchy (tests/testing/fake_snp.h): every check with a report
// and certificates made for it, including CRLs, which the real vectors do not have.
#include "attest/snp/verify.h"

#include <gtest/gtest.h>

#include "attest/core/x509.h"
#include "attest/snp/claims.h"
#include "attest/snp/wire.h"
#include "tests/testing/fake_snp.h"

namespace attest::snp {
namespace {

using std::chrono::hours;
using testing::DerOf;
using testing::FakeEndorsementSpec;
using testing::FakeSnpPlatform;
using testing::IssueCrl;

const TimePoint kNow = FromUnixSeconds(1750000000);

Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

class SnpVerifyTest : public ::testing::Test {
 protected:
  SnpVerifyTest() : platform_(Product::kMilan, kNow), roots_(platform_.Roots()) {}

  Status VerifyBytes(const Bytes& report_bytes, const SnpCollateral& collateral,
                     TimePoint at = kNow, SnpChainCache* cache = nullptr) {
    auto report = ParseSnpReport(report_bytes);
    if (!report.ok()) {
      return report.status();
    }
    auto verified = VerifySnpReport(*report, collateral, roots_, at, cache);
    return verified.ok() ? Status::Ok() : verified.status();
  }
  Status Verify(const SnpReport& report, std::vector<Bytes> crls = {}) {
    return VerifyBytes(platform_.SignReport(report), Collateral(std::move(crls)));
  }
  SnpCollateral Collateral(std::vector<Bytes> crls = {}) {
    return SnpCollateral{platform_.EndorsementDer(), {}, std::move(crls)};
  }

  FakeSnpPlatform platform_;
  SnpTrustRoots roots_;
};

TEST_F(SnpVerifyTest, AcceptsConsistentReportAndDecodesClaims) {
  SnpReport report = platform_.DefaultReport();
  report.report_data.fill(0x42);
  auto parsed = ParseSnpReport(platform_.SignReport(report));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto verified = VerifySnpReport(*parsed, Collateral(), roots_, kNow);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  const SnpClaims claims = ToClaims(*verified);
  EXPECT_EQ(claims.product, Product::kMilan);
  EXPECT_EQ(claims.signing_key, EndorsementKind::kVcek);
  EXPECT_EQ(claims.report.report_data[63], 0x42);
  ASSERT_TRUE(claims.reported_tcb.parts.has_value());
  EXPECT_EQ(claims.reported_tcb.parts->snp, 8);
  EXPECT_EQ(claims.reported_tcb.parts->microcode, 115);
}

TEST_F(SnpVerifyTest, TestHierarchyIsNotTrustedByBuiltInRoots) {
  auto parsed = ParseSnpReport(platform_.SignReport(platform_.DefaultReport()));
  ASSERT_TRUE(parsed.ok());
  auto r = VerifySnpReport(*parsed, Collateral(), SnpTrustRoots::BuiltIn(), kNow);
  EXPECT_EQ(r.status().reason_id(), "snp.chain_untrusted");
}

TEST_F(SnpVerifyTest, ReportFieldsMustAgreeWithTheCertificate) {
  struct Case {
    const char* name;
    std::function<void(SnpReport&)> mutate;
    std::string_view want;
  } cases[] = {
      {"unchanged", [](SnpReport&) {}, "ok"},
      {"bootloader spl", [](SnpReport& r) { r.reported_tcb ^= 0x01; }, "snp.tcb_mismatch"},
      {"tee spl", [](SnpReport& r) { r.reported_tcb ^= 0x0100; }, "snp.tcb_mismatch"},
      {"reserved tcb byte", [](SnpReport& r) { r.reported_tcb ^= 0x010000; }, "snp.tcb_mismatch"},
      {"snp spl", [](SnpReport& r) { r.reported_tcb ^= 0x01ull << 48; }, "snp.tcb_mismatch"},
      {"microcode spl", [](SnpReport& r) { r.reported_tcb ^= 0x01ull << 56; }, "snp.tcb_mismatch"},
      {"chip id", [](SnpReport& r) { r.chip_id[63] ^= 1; }, "snp.chip_id_mismatch"},
      {"says vlek", [](SnpReport& r) { r.signing_key = SigningKey::kVlek; },
       "snp.signing_key_kind_mismatch"},
      {"unsigned", [](SnpReport& r) { r.signing_key = SigningKey::kNone; },
       "snp.signing_key_kind_mismatch"},
      {"genoa cpuid", [](SnpReport& r) { r.cpuid_mod_id = 0x11; }, "snp.product_mismatch"},
      {"turin cpuid", [](SnpReport& r) { r.cpuid_fam_id = 0x1A; }, "snp.product_mismatch"},
      {"unknown cpuid", [](SnpReport& r) { r.cpuid_fam_id = 0x17; }, "snp.product_mismatch"},
      {"version 2 (no cpuid)",
       [](SnpReport& r) {
         r.version = 2;
         r.has_cpuid = false;
       },
       "ok"},
      {"version 5",
       [](SnpReport& r) {
         r.version = 5;
         r.launch_mit_vector = 7;
       },
       "ok"},
      {"current tcb differs (only reported is certified)",
       [](SnpReport& r) { r.current_tcb ^= 0x01ull << 56; }, "ok"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SnpReport report = platform_.DefaultReport();
    c.mutate(report);
    EXPECT_EQ(Verify(report).reason_id(), c.want);
  }
}

TEST_F(SnpVerifyTest, SignatureChecks) {
  const Bytes good = platform_.SignReport(platform_.DefaultReport());
  Bytes zero_r = good;
  std::fill(zero_r.begin() + kSignatureOffset, zero_r.begin() + kSignatureOffset + 48, 0);
  Bytes swapped = good;
  std::swap_ranges(swapped.begin() + kSignatureOffset, swapped.begin() + kSignatureOffset + 48,
                   swapped.begin() + kSignatureOffset + 72);
  Bytes other_key = good;
  FakeSnpPlatform other(Product::kMilan, kNow);
  const Bytes foreign = other.SignReport(platform_.DefaultReport());
  std::copy(foreign.begin() + kSignatureOffset, foreign.end(),
            other_key.begin() + kSignatureOffset);
  for (const auto& [name, bytes] :
       {std::pair{"zero r", zero_r}, std::pair{"r and s swapped", swapped},
        std::pair{"another key's signature", other_key}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(VerifyBytes(bytes, Collateral()).reason_id(), "snp.signature_invalid");
  }
}

TEST_F(SnpVerifyTest, RevocationAndCrlChecks) {
  const SnpReport report = platform_.DefaultReport();
  const auto from = kNow - hours(1);
  const auto to = kNow + hours(24);
  const Bytes vcek_revoked = DerOf(
      IssueCrl(platform_.ask(), platform_.ask_key(), {platform_.spec().serial}, from, to, true)
          .get());
  const Bytes ask_revoked =
      DerOf(IssueCrl(platform_.ark(), platform_.ark_key(), {2}, from, to, true).get());
  const Bytes clean =
      DerOf(IssueCrl(platform_.ark(), platform_.ark_key(), {77}, from, to, true).get());
  const Bytes forged =
      DerOf(IssueCrl(platform_.ark(), platform_.ask_key(), {}, from, to, true).get());
  const Bytes stale = DerOf(
      IssueCrl(platform_.ark(), platform_.ark_key(), {}, from - hours(48), from - hours(24), true)
          .get());
  struct Case {
    const char* name;
    Bytes crl;
    std::string_view want;
  } cases[] = {
      {"clean ark crl", clean, "ok"},
      {"vcek revoked by ask crl", vcek_revoked, "snp.revoked"},
      {"ask revoked by ark crl", ask_revoked, "snp.revoked"},
      {"crl signed by the wrong key", forged, "x509.crl_signature_invalid"},
      {"crl past nextUpdate", stale, "x509.crl_expired"},
      {"crl garbage", Bytes{0x30, 0x03, 0x02, 0x01, 0x00}, "x509.crl_malformed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Verify(report, {c.crl}).reason_id(), c.want);
  }
}

TEST_F(SnpVerifyTest, SuppliedRootMustBeThePinnedArk) {
  const Bytes signed_report = platform_.SignReport(platform_.DefaultReport());
  FakeSnpPlatform impostor(Product::kMilan, kNow);
  SnpCollateral with_foreign_ark{platform_.EndorsementDer(), {ToBytes(impostor.ChainPem())}, {}};
  EXPECT_EQ(VerifyBytes(signed_report, with_foreign_ark).reason_id(), "snp.chain_untrusted");
  SnpCollateral with_own_chain{platform_.EndorsementDer(), {ToBytes(platform_.ChainPem())}, {}};
  EXPECT_TRUE(VerifyBytes(signed_report, with_own_chain).ok());
  // A VCEK bundle (VCEK, ASK, ARK in one PEM) is accepted as the endorsement argument.
  const std::string bundle = testing::PemOf(platform_.endorsement()) + platform_.ChainPem();
  EXPECT_TRUE(VerifyBytes(signed_report, SnpCollateral{ToBytes(bundle), {}, {}}).ok());
}

// Collateral that repeats a pinned certificate byte for byte (an extended report's certificate
// table carries ASK and ARK as DER; KDS's cert_chain as PEM) is recognised without decoding it
// again; anything else, however close, is decoded and checked as before.
TEST_F(SnpVerifyTest, PinnedCertificatesInTheCollateralAreRecognisedByTheirBytes) {
  const ProductRoots* milan = roots_.Find(Product::kMilan);
  ASSERT_NE(milan, nullptr);
  const Bytes ask = DerOf(platform_.ask()), ark = DerOf(platform_.ark());
  Bytes ask_flipped = ask;
  ask_flipped[3] ^= 0x01;  // the low byte of the outer SEQUENCE's length: no longer one certificate
  Bytes ask_longer = ask;
  ask_longer.push_back(0);
  EXPECT_TRUE(milan->IsKnownEncoding(ask));
  EXPECT_TRUE(milan->IsKnownEncoding(ark));
  EXPECT_TRUE(milan->IsKnownEncoding(ToBytes(platform_.ChainPem())));
  EXPECT_FALSE(milan->IsKnownEncoding(ask_flipped));
  EXPECT_FALSE(milan->IsKnownEncoding(ask_longer));
  EXPECT_FALSE(milan->IsKnownEncoding(platform_.EndorsementDer()));
  EXPECT_FALSE(milan->IsKnownEncoding(Bytes{}));

  FakeSnpPlatform impostor(Product::kMilan, kNow);
  const Bytes signed_report = platform_.SignReport(platform_.DefaultReport());
  const struct {
    std::string name;
    std::vector<Bytes> chain;
    std::string want;  // "" = verifies
  } cases[] = {
      {"ASK and ARK as DER, as a certificate table gives them", {ask, ark}, ""},
      {"the KDS chain as PEM", {ToBytes(platform_.ChainPem())}, ""},
      {"the ARK alone", {ark}, ""},
      {"a corrupted ASK", {ask_flipped, ark}, "x509.cert_malformed"},
      {"another hierarchy's ARK after ours", {ask, DerOf(impostor.ark())}, "snp.chain_untrusted"},
      {"another hierarchy's chain", {ToBytes(impostor.ChainPem())}, "snp.chain_untrusted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status s = VerifyBytes(signed_report, {platform_.EndorsementDer(), c.chain, {}});
    EXPECT_EQ(s.ok() ? "" : std::string(s.reason_id()), c.want) << s.ToString();
  }
}

TEST_F(SnpVerifyTest, EndorsementKeyKinds) {
  FakeEndorsementSpec vlek = platform_.spec();
  vlek.vlek = true;
  platform_.IssueEndorsement(vlek);
  EXPECT_TRUE(Verify(platform_.DefaultReport()).ok());
  SnpReport says_vcek = platform_.DefaultReport();
  says_vcek.signing_key = SigningKey::kVcek;
  EXPECT_EQ(Verify(says_vcek).reason_id(), "snp.signing_key_kind_mismatch");

  FakeEndorsementSpec p256 = platform_.spec();
  p256.vlek = false;
  p256.key = testing::KeyKind::kEcP256;
  platform_.IssueEndorsement(p256);
  auto parsed = ParseSnpReport(FakeSnpPlatform::SerializeUnsigned(platform_.DefaultReport()));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(VerifySnpReport(*parsed, Collateral(), roots_, kNow).status().reason_id(),
            "snp.unsupported_signature_algo");
}

TEST_F(SnpVerifyTest, CertificateWindows) {
  const Bytes report = platform_.SignReport(platform_.DefaultReport());
  EXPECT_EQ(VerifyBytes(report, Collateral(), kNow + hours(24 * 366)).reason_id(),
            "snp.cert_expired");
  EXPECT_EQ(VerifyBytes(report, Collateral(), kNow - hours(25)).reason_id(), "snp.cert_expired");
}

TEST_F(SnpVerifyTest, CacheIsReusedOnlyInsideItsWindow) {
  const Bytes report = platform_.SignReport(platform_.DefaultReport());
  SnpChainCache cache;
  ASSERT_TRUE(VerifyBytes(report, Collateral(), kNow, &cache).ok());
  EXPECT_EQ(cache.size(), 1u);
  ASSERT_TRUE(VerifyBytes(report, Collateral(), kNow + hours(1), &cache).ok());
  EXPECT_EQ(cache.size(), 1u);
  // Outside the VCEK's window the cached entry is not used: the full check reports expiry.
  EXPECT_EQ(VerifyBytes(report, Collateral(), kNow + hours(24 * 366), &cache).reason_id(),
            "snp.cert_expired");
  // Another CRL is another cache entry, and its revocation is seen.
  const Bytes revoked =
      DerOf(IssueCrl(platform_.ask(), platform_.ask_key(), {platform_.spec().serial},
                     kNow - hours(1), kNow + hours(1), true)
                .get());
  EXPECT_EQ(VerifyBytes(report, Collateral({revoked}), kNow, &cache).reason_id(), "snp.revoked");
  // A cached chain never vouches for a report signed by another key.
  FakeSnpPlatform other(Product::kMilan, kNow);
  const Bytes forged = other.SignReport(platform_.DefaultReport());
  EXPECT_EQ(VerifyBytes(forged, Collateral(), kNow, &cache).reason_id(), "snp.signature_invalid");
}

TEST(SnpVerifyProductsTest, GenoaAndTurinLayouts) {
  for (Product product : {Product::kGenoa, Product::kTurin}) {
    SCOPED_TRACE(ProductName(product));
    FakeSnpPlatform platform(product, kNow);
    SnpTrustRoots roots = platform.Roots();
    SnpCollateral collateral{platform.EndorsementDer(), {}, {}};
    auto good = ParseSnpReport(platform.SignReport(platform.DefaultReport()));
    ASSERT_TRUE(good.ok());
    auto verified = VerifySnpReport(*good, collateral, roots, kNow);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    const SnpClaims claims = ToClaims(*verified);
    EXPECT_EQ(claims.reported_tcb.parts->fmc.has_value(), product == Product::kTurin);
    SnpReport wrong_low_byte = platform.DefaultReport();
    wrong_low_byte.reported_tcb ^= 1;  // Turin: FMC; Genoa: boot loader
    auto bad = ParseSnpReport(platform.SignReport(wrong_low_byte));
    EXPECT_EQ(VerifySnpReport(*bad, collateral, roots, kNow).status().reason_id(),
              "snp.tcb_mismatch");
  }
}

}  // namespace
}  // namespace attest::snp
