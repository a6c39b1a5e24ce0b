// KdsFetcher against the loopback replay of AMD KDS (routes.json scenario kds-2025): every real
// SNP report there verifies with what was fetched, at the scenario's time, and hostile answers are
// refused with collateral.* reasons.
#include "service/collateral/kds.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/snp/verify.h"
#include "attest/snp/wire.h"
#include "tests/testing/replay_https_server.h"
#include "tests/testing/vectors.h"

namespace attest::service::collateral {
namespace {

using snp::EndorsementKind;
using snp::Product;
using testing::ReadVector;
using testing::ReplayHttpsServer;
using testing::ReplayResponse;

TimePoint At(const char* text) { return ParseRfc3339(text).value(); }

class KdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ReplayHttpsServer::Start();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->LoadScenario("kds-2025").ok());
    HttpClientOptions options;
    options.ca_bundle = server_->ca_file();
    options.max_attempts = 2;
    options.backoff_base = std::chrono::milliseconds(5);
    client_ = std::make_unique<HttpClient>(options);
    kds_ = std::make_unique<KdsFetcher>(*client_, server_->url(), snp::SnpTrustRoots::BuiltIn());
  }

  // Serve replaces what path answers (all queries) with body.
  void Serve(const std::string& path, const std::string& query, Bytes body) {
    ReplayResponse r;
    r.body = std::move(body);
    server_->Route(path, query, r);
  }

  std::unique_ptr<ReplayHttpsServer> server_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<KdsFetcher> kds_;
};

struct ReportCase {
  const char* report = "";
  std::optional<Product> product;  // version 2 reports carry no CPUID
  const char* good_at = "";
  const char* expired_at = "";  // past the CRL's nextUpdate
};

TEST_F(KdsTest, EachRecordedReportVerifiesWithFetchedCollateralAndNotAfterExpiry) {
  const ReportCase cases[] = {
      {"collateral/evidence/openpcc-azure-genoa-v3/report.bin", std::nullopt,
       "2025-07-01T00:00:00Z", "2025-11-04T00:00:00Z"},
      {"snp/azure-genoa-v3/report.bin", std::nullopt, "2025-07-01T00:00:00Z",
       "2025-11-04T00:00:00Z"},
      {"snp/gsg-milan-v2/report.bin", Product::kMilan, "2025-07-01T00:00:00Z",
       "2026-05-13T00:00:00Z"},
      {"snp/virtee-milan-v2/report.bin", Product::kMilan, "2025-07-01T00:00:00Z",
       "2026-05-13T00:00:00Z"},
  };
  for (const ReportCase& c : cases) {
    SCOPED_TRACE(c.report);
    Result<snp::SnpReport> report = snp::ParseSnpReport(ReadVector(c.report));
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    Result<VcekId> id = VcekIdForReport(*report, c.product);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    const TimePoint now = At(c.good_at);
    Result<KdsItem> chain = kds_->FetchCertChain(EndorsementKind::kVcek, id->product, now);
    ASSERT_TRUE(chain.ok()) << chain.status().ToString();
    Result<KdsItem> crl = kds_->FetchCrl(EndorsementKind::kVcek, id->product, now);
    ASSERT_TRUE(crl.ok()) << crl.status().ToString();
    Result<KdsItem> vcek = kds_->FetchVcek(*id, chain->bytes, crl->bytes, now);
    ASSERT_TRUE(vcek.ok()) << vcek.status().ToString();

    snp::SnpCollateral collateral{vcek->bytes, {chain->bytes}, {crl->bytes}};
    Result<snp::VerifiedSnpReport> verified =
        snp::VerifySnpReport(*report, collateral, snp::SnpTrustRoots::BuiltIn(), now);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();

    Result<KdsItem> stale = kds_->FetchCrl(EndorsementKind::kVcek, id->product, At(c.expired_at));
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.status().reason_id(), reasons::kCollateralExpired.id);
  }
}

TEST_F(KdsTest, TurinUsesTheEightByteHwIdAndFmcSpl) {
  // No Turin report is recorded; the VCEK's own extensions name what a report would.
  Bytes der = ReadVector("snp/virtee-turin/vcek.der");
  Result<std::vector<X509Ptr>> certs = ParseCertificates(der);
  ASSERT_TRUE(certs.ok());
  Result<snp::EndorsementInfo> info = snp::ParseEndorsementCert((*certs)[0].get());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  VcekId id{Product::kTurin, info->hw_id, snp::EncodeTcb(info->tcb, Product::kTurin)};
  EXPECT_EQ(VcekPath(id),
            "/vcek/v1/Turin/1e550a8ee5cf9f4d?fmcSPL=0&blSPL=0&teeSPL=0&snpSPL=0&ucodeSPL=9");
  const TimePoint now = At("2025-07-01T00:00:00Z");
  Result<KdsItem> chain = kds_->FetchCertChain(EndorsementKind::kVcek, Product::kTurin, now);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  // The Turin chain is served with CRLF line ends, and kept byte for byte.
  EXPECT_NE(std::string(chain->bytes.begin(), chain->bytes.end()).find("\r\n"), std::string::npos);
  Result<KdsItem> vcek = kds_->FetchVcek(id, chain->bytes, {}, now);
  ASSERT_TRUE(vcek.ok()) << vcek.status().ToString();
  EXPECT_EQ(vcek->bytes, der);
}

TEST_F(KdsTest, VlekChainsVerifyAndTheMissingVlekCrlIsNotFound) {
  const TimePoint now = At("2025-07-01T00:00:00Z");
  for (Product p : {Product::kMilan, Product::kGenoa, Product::kTurin}) {
    SCOPED_TRACE(snp::ProductName(p));
    Result<KdsItem> chain = kds_->FetchCertChain(EndorsementKind::kVlek, p, now);
    EXPECT_TRUE(chain.ok()) << chain.status().ToString();
  }
  Result<KdsItem> crl = kds_->FetchCrl(EndorsementKind::kVlek, Product::kMilan, now);
  ASSERT_FALSE(crl.ok());
  EXPECT_EQ(crl.status().reason_id(), reasons::kCollateralNotFound.id);
}

Bytes Flipped(Bytes b, size_t from_end) {
  b[b.size() - from_end] ^= 0x01;
  return b;
}

TEST_F(KdsTest, HostileAnswersAreRefused) {
  const TimePoint now = At("2025-07-01T00:00:00Z");
  const Bytes milan_crl = ReadVector("collateral/kds/openpcc-2025/vcek-Milan-crl.body.der");
  const Bytes genoa_chain = ReadVector("snp/certs/ask_ark_genoa.pem");
  const Bytes milan_chain = ReadVector("snp/certs/ask_ark_milan.pem");
  const Bytes milan_vlek_chain = ReadVector("snp/certs/ask_ark_milan_vlek.pem");
  std::string one_cert(milan_chain.begin(), milan_chain.end());
  one_cert = one_cert.substr(0, one_cert.find("-----END CERTIFICATE-----") + 26);
  struct Case {
    const char* name;
    const char* path;
    Bytes body;
    EndorsementKind kind;
    std::string_view want;
  } cases[] = {
      {"Genoa chain at the Milan URL", "/vcek/v1/Milan/cert_chain", genoa_chain,
       EndorsementKind::kVcek, reasons::kCollateralChainUntrusted.id},
      {"VCEK chain at the VLEK URL", "/vlek/v1/Milan/cert_chain", milan_chain,
       EndorsementKind::kVlek, reasons::kCollateralMismatch.id},
      {"VLEK chain at the VCEK URL", "/vcek/v1/Milan/cert_chain", milan_vlek_chain,
       EndorsementKind::kVcek, reasons::kCollateralMismatch.id},
      {"chain without its ARK", "/vcek/v1/Milan/cert_chain",
       Bytes(one_cert.begin(), one_cert.end()), EndorsementKind::kVcek,
       reasons::kCollateralMalformed.id},
      {"chain as DER", "/vcek/v1/Milan/cert_chain", ReadVector("snp/gsg-milan-v2/vcek.der"),
       EndorsementKind::kVcek, reasons::kCollateralMalformed.id},
      {"empty chain",
       "/vcek/v1/Milan/cert_chain",
       {},
       EndorsementKind::kVcek,
       reasons::kCollateralMalformed.id},
      {"CRL signature flipped", "/vcek/v1/Milan/crl", Flipped(milan_crl, 3), EndorsementKind::kVcek,
       reasons::kCollateralSignatureInvalid.id},
      {"CRL of Genoa at the Milan URL", "/vcek/v1/Milan/crl",
       ReadVector("collateral/kds/openpcc-2025/vcek-Genoa-crl.body.der"), EndorsementKind::kVcek,
       reasons::kCollateralChainUntrusted.id},
      {"CRL truncated", "/vcek/v1/Milan/crl", Bytes(milan_crl.begin(), milan_crl.begin() + 100),
       EndorsementKind::kVcek, reasons::kCollateralMalformed.id},
      {"empty CRL",
       "/vcek/v1/Milan/crl",
       {},
       EndorsementKind::kVcek,
       reasons::kCollateralMalformed.id},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Serve(c.path, "", c.body);
    const std::string path(c.path);
    Result<KdsItem> got = path.ends_with("/crl")
                              ? kds_->FetchCrl(c.kind, Product::kMilan, now)
                              : kds_->FetchCertChain(c.kind, Product::kMilan, now);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().reason_id(), c.want) << got.status().ToString();
  }
}

TEST_F(KdsTest, VcekForAnotherChipOrTcbIsRefused) {
  const TimePoint now = At("2025-07-01T00:00:00Z");
  Result<snp::SnpReport> report = snp::ParseSnpReport(ReadVector("snp/gsg-milan-v2/report.bin"));
  ASSERT_TRUE(report.ok());
  Result<VcekId> id = VcekIdForReport(*report, Product::kMilan);
  ASSERT_TRUE(id.ok());
  const Bytes chain = ReadVector("snp/certs/ask_ark_milan.pem");
  const Bytes crl = ReadVector("collateral/kds/openpcc-2025/vcek-Milan-crl.body.der");
  const std::string path = VcekPath(*id);
  const std::string route = path.substr(0, path.find('?'));
  const std::string query = path.substr(path.find('?') + 1);

  struct Case {
    const char* name;
    Bytes body;
    std::string_view want;
  } cases[] = {
      {"another chip's VCEK", ReadVector("snp/virtee-milan-v2/vcek.der"),
       reasons::kCollateralMismatch.id},
      {"a Genoa VCEK", ReadVector("snp/azure-genoa-v3/vcek.pem"),
       reasons::kCollateralChainUntrusted.id},
      {"a VLEK", ReadVector("snp/trustee-milan-vlek-v3/vlek.der"), reasons::kCollateralMismatch.id},
      {"signature flipped", Flipped(ReadVector("snp/gsg-milan-v2/vcek.der"), 5),
       reasons::kCollateralChainUntrusted.id},
      {"truncated", Bytes(30, 0x30), reasons::kCollateralMalformed.id},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Serve(route, query, c.body);
    Result<KdsItem> got = kds_->FetchVcek(*id, chain, crl, now);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().reason_id(), c.want) << got.status().ToString();
  }
  // A different TCB asks another URL (the recorded one has none for it).
  VcekId other = *id;
  other.tcb ^= 0x01;
  Result<KdsItem> missing = kds_->FetchVcek(other, chain, crl, now);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason_id(), reasons::kCollateralNotFound.id);
}

TEST_F(KdsTest, ThrottledVcekIsRateLimited) {
  ASSERT_TRUE(server_->LoadScenario("synthetic-errors").ok());
  Result<snp::SnpReport> report = snp::ParseSnpReport(ReadVector("snp/gsg-milan-v2/report.bin"));
  ASSERT_TRUE(report.ok());
  Result<VcekId> id = VcekIdForReport(*report, Product::kMilan);
  ASSERT_TRUE(id.ok());
  Result<KdsItem> got = kds_->FetchVcek(*id, {}, {}, At("2025-07-01T00:00:00Z"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().reason_id(), reasons::kCollateralRateLimited.id);
  EXPECT_EQ(server_->total_hits(), 2);  // max_attempts
}

TEST(VcekIdTest, ReportsThatNameNoFetchableVcekAreBadRequests) {
  Result<snp::SnpReport> vlek =
      snp::ParseSnpReport(ReadVector("snp/trustee-milan-vlek-v3/report.bin"));
  ASSERT_TRUE(vlek.ok());
  EXPECT_EQ(VcekIdForReport(*vlek, std::nullopt).status().reason_id(),
            reasons::kCollateralBadRequest.id);
  Result<snp::SnpReport> v2 = snp::ParseSnpReport(ReadVector("snp/gsg-milan-v2/report.bin"));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(VcekIdForReport(*v2, std::nullopt).status().reason_id(),
            reasons::kCollateralBadRequest.id);
  Result<snp::SnpReport> genoa = snp::ParseSnpReport(ReadVector("snp/azure-genoa-v3/report.bin"));
  ASSERT_TRUE(genoa.ok());
  EXPECT_EQ(VcekIdForReport(*genoa, Product::kMilan).status().reason_id(),
            reasons::kCollateralBadRequest.id);
  EXPECT_TRUE(VcekIdForReport(*genoa, Product::kGenoa).ok());
}

TEST(VcekIdTest, CacheKeysRoundTripAndRejectGarbage) {
  Result<snp::SnpReport> report = snp::ParseSnpReport(ReadVector("snp/gsg-milan-v2/report.bin"));
  ASSERT_TRUE(report.ok());
  Result<VcekId> id = VcekIdForReport(*report, Product::kMilan);
  ASSERT_TRUE(id.ok());
  Result<VcekId> back = ParseVcekCacheKey(VcekCacheKey(*id));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->product, id->product);
  EXPECT_EQ(back->hw_id, id->hw_id);
  EXPECT_EQ(back->tcb, id->tcb);
  const std::string hw64(128, 'a');
  for (const std::string& key : {std::string(""), std::string("Milan"), "Milan/" + hw64,
                                 "Rome/" + hw64 + "/0000000000000000", "Milan/" + hw64 + "/00",
                                 "Turin/" + hw64 + "/0000000000000000",
                                 "Milan/" + std::string(127, 'a') + "z/0000000000000000"}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(ParseVcekCacheKey(key).status().reason_id(), reasons::kCollateralBadRequest.id);
  }
  auto h = ParseHierarchyKey(HierarchyKey(EndorsementKind::kVlek, Product::kTurin));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->first, EndorsementKind::kVlek);
  EXPECT_EQ(h->second, Product::kTurin);
  for (const char* key : {"", "vcek", "vcek/", "vcek/Rome", "ask/Milan", "vcek/milan"}) {
    SCOPED_TRACE(key);
    EXPECT_FALSE(ParseHierarchyKey(key).ok());
  }
}

}  // namespace
}  // namespace attest::service::collateral
