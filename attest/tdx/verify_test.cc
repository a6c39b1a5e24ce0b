// QuoteVerifier with the real Intel root and the shared vectors (real quotes and collateral);
// verify_fake_test.cc runs the outcomes only a test hierarchy can produce.
#include "attest/tdx/verify.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/tdx/claims.h"
#include "render/tdx_claims_json.h"
#include "tests/testing/fake_dcap.h"
#include "tests/testing/tdx_bytes.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

using attest::testing::DcapVerification;
using attest::testing::ReadVector;
using attest::testing::ReadVectorText;
using attest::testing::VerifyDcapBytes;
using nlohmann::json;

TimePoint At(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

Collateral VectorCollateral(const char* dir) {
  return ParseCollateralJson(ReadVectorText(std::string("tdx/") + dir + "/collateral.json"))
      .value();
}

// --- real vectors, real Intel root -------------------------------------------------------------

TEST(VerifyVectors, DcapQvlTdxV4UpToDate) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Collateral c = VectorCollateral("dcap-qvl-v4");
  const Bytes quote = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  for (const char* at : {"2025-06-19T10:32:27Z", "2025-07-01T00:00:00Z", "2025-07-19T10:00:35Z"}) {
    SCOPED_TRACE(at);
    DcapVerification v = VerifyDcapBytes(verifier, quote, &c, At(at));
    ASSERT_TRUE(v.status.ok()) << v.status.ToString();
    ASSERT_TRUE(v.verified && v.verified->tcb());
    EXPECT_EQ(v.verified->tcb()->status, TcbStatus::kUpToDate);
    EXPECT_TRUE(v.verified->tcb()->advisory_ids.empty());
    EXPECT_EQ(HexEncode(v.verified->pck().fmspc), "b0c06f000000");
    EXPECT_TRUE(ApplyDefaultTcbPolicy(*v.verified).ok());
    const json claims = render::ClaimsToJson(ToClaims(*v.verified));
    EXPECT_EQ(claims["tcb_status"], "UpToDate");
    EXPECT_EQ(claims["advisory_ids"], json::array());
    EXPECT_EQ(claims["mr_td"],
              "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b"
              "2538873118b7");
    EXPECT_EQ(claims["td_attributes"]["debug"], false);
    EXPECT_EQ(claims["collateral"]["tcb_info_next_update"], "2025-07-19T10:16:03Z");
  }
}

TEST(VerifyVectors, DcapQvlTdxV4OutsideWindow) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Collateral c = VectorCollateral("dcap-qvl-v4");
  const Bytes quote = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  struct Case {
    const char* at;
    const char* want;
  };
  const Case cases[] = {
      {"2025-06-19T10:32:26Z", "tdx.qe_identity_not_yet_valid"},  // QE identity issued later
      {"2025-06-19T10:16:02Z", "tdx.tcb_info_not_yet_valid"},
      {"2025-07-19T10:00:36Z", "x509.crl_expired"},  // PCK CRL nextUpdate passed
      {"2026-04-03T11:21:58Z", "x509.crl_expired"},  // root CRL too
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.at);
    DcapVerification v = VerifyDcapBytes(verifier, quote, &c, At(k.at));
    EXPECT_EQ(v.status.reason_id(), k.want) << v.status.ToString();
    EXPECT_TRUE(v.parsed.has_value());
  }
  // Without collateral the chain alone decides: the PCK certificate's window.
  DcapVerification far = VerifyDcapBytes(verifier, quote, nullptr, At("2045-01-01T00:00:00Z"));
  EXPECT_EQ(far.status.reason_id(), "x509.cert_expired");
  DcapVerification early = VerifyDcapBytes(verifier, quote, nullptr, At("2018-01-01T00:00:00Z"));
  EXPECT_EQ(early.status.reason_id(), "x509.cert_not_yet_valid");
}

TEST(VerifyVectors, DcapQvlSgxV3ConfigurationAndSwHardeningNeeded) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Collateral c = VectorCollateral("dcap-qvl-sgx-v3");
  const Bytes quote = ReadVector("tdx/dcap-qvl-sgx-v3/quote.bin");
  for (const char* at : {"2025-06-19T10:56:11Z", "2025-07-19T10:01:18Z"}) {
    SCOPED_TRACE(at);
    DcapVerification v = VerifyDcapBytes(verifier, quote, &c, At(at));
    ASSERT_TRUE(v.status.ok()) << v.status.ToString();
    EXPECT_EQ(v.verified->tcb()->status, TcbStatus::kConfigurationAndSwHardeningNeeded);
    EXPECT_EQ(v.verified->tcb()->advisory_ids,
              (std::vector<std::string>{"INTEL-SA-00289", "INTEL-SA-00615"}));
    EXPECT_EQ(HexEncode(v.verified->pck().fmspc), "00a067110000");
    const json claims = render::ClaimsToJson(ToClaims(*v.verified));
    EXPECT_EQ(claims["mr_signer"],
              "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
    EXPECT_EQ(claims["attributes"]["debug"], false);
    EXPECT_TRUE(ApplyDefaultTcbPolicy(*v.verified).ok());
  }
  EXPECT_EQ(VerifyDcapBytes(verifier, quote, &c, At("2025-06-19T10:56:10Z")).status.reason_id(),
            "tdx.tcb_info_not_yet_valid");
  EXPECT_EQ(VerifyDcapBytes(verifier, quote, &c, At("2025-07-19T10:01:19Z")).status.reason_id(),
            "tdx.qe_identity_expired");
}

TEST(VerifyVectors, CollateralOfOtherTeeRejected) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Collateral sgx = VectorCollateral("dcap-qvl-sgx-v3");
  DcapVerification v = VerifyDcapBytes(verifier, ReadVector("tdx/dcap-qvl-v4/quote.bin"), &sgx,
                                       At("2025-07-01T00:00:00Z"));
  // The SGX collateral's PCK CRL is the Processor CA's; this PCK is issued by the Platform CA.
  EXPECT_EQ(v.status.reason_id(), "x509.crl_issuer_unknown");
}

TEST(VerifyVectors, GoTdxQuotesWithoutCollateral) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  Bytes spr = ReadVector("tdx/gotdx-v4-spr/quote.bin");
  spr.resize(4935);  // drop the source test's trailing text (see wire_test)
  DcapVerification v = VerifyDcapBytes(verifier, spr, nullptr, At("2023-07-01T01:00:00Z"));
  ASSERT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_FALSE(v.verified->collateral_checked());
  EXPECT_EQ(HexEncode(v.verified->pck().fmspc), "50806f000000");
  EXPECT_TRUE(ApplyDefaultTcbPolicy(*v.verified).ok());
  EXPECT_EQ(render::ClaimsToJson(ToClaims(*v.verified)).count("tcb_status"), 0u);
  EXPECT_EQ(VerifyDcapBytes(verifier, spr, nullptr, At("2053-07-01T01:00:00Z")).status.reason_id(),
            "x509.cert_expired");

  DcapVerification v5 = VerifyDcapBytes(verifier, ReadVector("tdx/gotdx-v5/quote.bin"), nullptr,
                                        At("2026-02-03T01:00:00Z"));
  ASSERT_TRUE(v5.status.ok()) << v5.status.ToString();
  EXPECT_EQ(HexEncode(v5.verified->pck().fmspc), "90c06f000000");

  DcapVerification ccel = VerifyDcapBytes(verifier, ReadVector("tdx/gotdx-ccel/quote.bin"), nullptr,
                                          At("2025-01-01T00:00:00Z"));
  ASSERT_TRUE(ccel.status.ok()) << ccel.status.ToString();
}

TEST(VerifyVectors, GoTdxSprCollateralPieces) {
  // The SPR vector's CRLs verify against the quote's own chain at the source test's time; its TCB
  // info lists no level for TEE_TCB_SVN 03.00.04 (TDX module SVN component 4 < 5): Intel's
  // algorithm answers "TCB not supported", our tdx.tcb_level_not_found.
  Bytes spr = ReadVector("tdx/gotdx-v4-spr/quote.bin");
  spr.resize(4935);
  const Quote q = ParseQuote(spr).value();
  auto chain = ParseCertificates(q.pck_chain_pem).value();
  auto pck_crl = ParseCrl(ReadVector("tdx/gotdx-v4-spr/pck_platform_crl.der")).value();
  auto root_crl = ParseCrl(ReadVector("tdx/gotdx-v4-spr/root_ca_crl.der")).value();
  X509_CRL* crls[] = {pck_crl.get(), root_crl.get()};
  EXPECT_TRUE(CheckNotRevoked(chain, crls, At("2023-07-01T01:00:00Z")).ok());
  EXPECT_EQ(CheckNotRevoked(chain, crls, At("2023-07-08T07:27:53Z")).reason_id(),
            "x509.crl_expired");

  PcsFiles files;
  files.tcb_info_response = ReadVectorText("tdx/gotdx-v4-spr/tcbinfo.json");
  files.qe_identity_response = ReadVectorText("tdx/gotdx-v4-spr/qe_identity.json");
  files.tcb_info_issuer_chain = files.qe_identity_issuer_chain = Bytes{'x'};
  files.pck_crl = files.root_ca_crl = Bytes{'x'};
  Collateral c = CollateralFromPcs(files).value();
  const TcbInfo info = ParseTcbInfo(c.tcb_info_body).value();
  const QeIdentity qe = ParseQeIdentity(c.qe_identity_body).value();
  const PckExtensions pck = ParsePckExtensions(chain[0].get()).value();
  EXPECT_EQ(info.fmspc, pck.fmspc);
  EXPECT_TRUE(CheckQeIdentity(q.qe_report, qe).ok());
  EXPECT_EQ(EvaluateTcb(q, pck, info, qe).status().reason_id(), "tdx.tcb_level_not_found");
}

// Flipping any byte of the signed region (header + body) must be rejected; also the signature,
// the attestation key, the QE report, its signature and the QE auth data.
void ExpectEveryFlipRejected(const Bytes& quote, const Collateral& c, TimePoint at) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  ASSERT_TRUE(VerifyDcapBytes(verifier, quote, &c, at).status.ok());
  const Quote q = ParseQuote(quote).value();
  const size_t end = q.signed_data.size() + 4 + 128 + (q.header.version == 3 ? 0 : 6) + 384 + 64 +
                     2 + q.qe_auth_data.size();
  size_t rejected = 0;
  for (size_t i = 0; i < end; ++i) {
    Bytes b = quote;
    b[i] ^= 0x01;
    DcapVerification v = VerifyDcapBytes(verifier, b, &c, at);
    EXPECT_FALSE(v.status.ok()) << "flip at " << i << " accepted";
    rejected += !v.status.ok();
  }
  EXPECT_EQ(rejected, end);
}

TEST(VerifyVectors, EveryByteFlipRejectedTdx) {
  ExpectEveryFlipRejected(ReadVector("tdx/dcap-qvl-v4/quote.bin"), VectorCollateral("dcap-qvl-v4"),
                          At("2025-07-01T00:00:00Z"));
}

TEST(VerifyVectors, EveryByteFlipRejectedSgx) {
  ExpectEveryFlipRejected(ReadVector("tdx/dcap-qvl-sgx-v3/quote.bin"),
                          VectorCollateral("dcap-qvl-sgx-v3"), At("2025-07-01T00:00:00Z"));
}

TEST(VerifyVectors, CorruptedCollateralRejected) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Bytes quote = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  const Collateral good = VectorCollateral("dcap-qvl-v4");
  struct Case {
    const char* name;
    std::function<void(Collateral&)> mutate;
    const char* want;
  };
  const Case cases[] = {
      {"tcb info body byte", [](Collateral& c) { c.tcb_info_body[40] ^= 1; },
       "tdx.tcb_info_signature_invalid"},
      {"tcb info whitespace added", [](Collateral& c) { c.tcb_info_body.insert(1, " "); },
       "tdx.tcb_info_signature_invalid"},
      {"tcb info signature", [](Collateral& c) { c.tcb_info_signature[5] ^= 1; },
       "tdx.tcb_info_signature_invalid"},
      {"qe identity zeroed signature",
       [](Collateral& c) {
         std::fill(c.qe_identity_signature.begin(), c.qe_identity_signature.end(), 0);
       },
       "tdx.qe_identity_signature_invalid"},
      {"qe identity changed MRSIGNER",
       [](Collateral& c) {
         const size_t at = c.qe_identity_body.find("\"mrsigner\":\"") + 12;
         c.qe_identity_body[at] = c.qe_identity_body[at] == 'D' ? 'E' : 'D';
       },
       "tdx.qe_identity_signature_invalid"},
      {"qe identity empty", [](Collateral& c) { c.qe_identity_body = "{}"; },
       "tdx.qe_identity_signature_invalid"},
      {"pck crl signature", [](Collateral& c) { c.pck_crl[c.pck_crl.size() - 3] ^= 1; },
       "x509.crl_signature_invalid"},
      {"root crl signature", [](Collateral& c) { c.root_ca_crl[c.root_ca_crl.size() - 3] ^= 1; },
       "x509.crl_signature_invalid"},
      {"pck crl swapped for root crl", [](Collateral& c) { c.pck_crl = c.root_ca_crl; },
       "x509.crl_issuer_unknown"},
      {"tcb signing chain without root",
       [](Collateral& c) {
         std::string s(c.tcb_info_issuer_chain.begin(), c.tcb_info_issuer_chain.end());
         s = s.substr(0, s.find("-----END CERTIFICATE-----") + 25);
         c.tcb_info_issuer_chain.assign(s.begin(), s.end());
       },
       "ok"},  // the pinned root completes the chain
      {"tcb signing chain is the pck crl chain",
       [](Collateral& c) { c.tcb_info_issuer_chain = c.pck_crl_issuer_chain; },
       "tdx.collateral_chain_invalid"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Collateral c = good;
    k.mutate(c);
    DcapVerification v = VerifyDcapBytes(verifier, quote, &c, At("2025-07-01T00:00:00Z"));
    EXPECT_EQ(v.status.reason_id(), k.want) << v.status.ToString();
  }
}

TEST(VerifyVectors, WarmCacheKeepsWindows) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Collateral c = VectorCollateral("dcap-qvl-v4");
  const Bytes quote = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  ASSERT_TRUE(VerifyDcapBytes(verifier, quote, &c, At("2025-07-01T00:00:00Z")).status.ok());
  ASSERT_TRUE(VerifyDcapBytes(verifier, quote, &c, At("2025-07-02T00:00:00Z")).status.ok());
  // A cached entry never extends validity: outside the window the full check reports why.
  EXPECT_EQ(VerifyDcapBytes(verifier, quote, &c, At("2025-07-19T10:00:36Z")).status.reason_id(),
            "x509.crl_expired");
  EXPECT_EQ(VerifyDcapBytes(verifier, quote, &c, At("2025-06-19T10:32:26Z")).status.reason_id(),
            "tdx.qe_identity_not_yet_valid");
  ASSERT_TRUE(VerifyDcapBytes(verifier, quote, &c, At("2025-07-03T00:00:00Z")).status.ok());
  // A forged quote under a warm cache still fails its signature.
  Bytes forged = quote;
  forged[200] ^= 0x80;
  EXPECT_EQ(VerifyDcapBytes(verifier, forged, &c, At("2025-07-03T00:00:00Z")).status.reason_id(),
            "tdx.signature_invalid");
}

// ToClaims on an rvalue (key release's form) moves the TCB verdict out and says the same.
TEST(VerifyVectors, ToClaimsMovedEqualsCopied) {
  QuoteVerifier verifier = QuoteVerifier::Default();
  const Collateral c = VectorCollateral("dcap-qvl-sgx-v3");
  DcapVerification v = VerifyDcapBytes(verifier, ReadVector("tdx/dcap-qvl-sgx-v3/quote.bin"), &c,
                                       At("2025-07-01T00:00:00Z"));
  ASSERT_TRUE(v.status.ok()) << v.status.ToString();
  const Claims copied = ToClaims(*v.verified);
  const Claims moved = ToClaims(std::move(*v.verified));
  EXPECT_TRUE(moved.verified);
  ASSERT_TRUE(moved.tcb && moved.pck && moved.collateral && moved.enclave);
  EXPECT_EQ(moved.tcb->advisory_ids,
            (std::vector<std::string>{"INTEL-SA-00289", "INTEL-SA-00615"}));
  EXPECT_EQ(render::ClaimsToJson(moved), render::ClaimsToJson(copied));
}

}  // namespace
}  // namespace attest::tdx
