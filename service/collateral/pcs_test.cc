// PcsFetcher against the loopback replay of Intel PCS (routes.json): each recorded quote verifies
// with the collateral fetched for it at the scenario's time and is refused outside the window;
// hostile answers (wrong signature, wrong platform, expired CRL, missing header) are refused.
#include "service/collateral/pcs.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "tests/testing/replay_https_server.h"
#include "tests/testing/vectors.h"

namespace attest::service::collateral {
namespace {

using testing::ReadVector;
using testing::ReplayHttpsServer;
using testing::ReplayResponse;

TimePoint At(const char* text) { return ParseRfc3339(text).value(); }

Bytes AsBytesCopy(std::string_view text) { return Bytes(text.begin(), text.end()); }

struct Fixture {
  explicit Fixture(const std::string& scenario) {
    server = ReplayHttpsServer::Start();
    if (server == nullptr) {
      return;
    }
    EXPECT_TRUE(server->LoadScenario(scenario).ok());
    HttpClientOptions options;
    options.ca_bundle = server->ca_file();
    options.max_attempts = 2;
    options.backoff_base = std::chrono::milliseconds(5);
    client = std::make_unique<HttpClient>(options);
    PcsEndpoints endpoints;
    endpoints.base_url = server->url();
    endpoints.root_crl_url = server->url() + "/IntelSGXRootCA.der";
    pcs = std::make_unique<PcsFetcher>(*client, endpoints, verifier);
  }

  Result<FetchedDcap> FetchFor(const char* quote_file, TimePoint now, DcapId* id_out = nullptr) {
    Result<tdx::Quote> quote = tdx::ParseQuote(ReadVector(quote_file));
    if (!quote.ok()) {
      return quote.status();
    }
    ATTEST_ASSIGN_OR_RETURN(DcapId id, DcapIdForQuote(*quote));
    if (id_out != nullptr) {
      *id_out = id;
    }
    return pcs->Fetch(id, now);
  }

  std::unique_ptr<ReplayHttpsServer> server;
  std::unique_ptr<HttpClient> client;
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  std::unique_ptr<PcsFetcher> pcs;
};

struct ScenarioCase {
  const char* scenario;
  const char* quote;
  const char* at;
  std::string_view want_status;  // the TCB status the quote gets with the fetched collateral
  const char* expired_at;        // a time past the collateral's window
};

TEST(PcsTest, EachRecordedQuoteVerifiesWithFetchedCollateralAndNotAfterExpiry) {
  const ScenarioCase cases[] = {
      // MANIFEST says OutOfDate (dcap-qvl-js). The quote's TDX module (TEE_TCB_SVN 04 01 ...)
      // is major version 1, so TDX_01's identity applies and, as in Intel's QVL, TEE_TCB_SVN
      // bytes 0-1 are left out of the platform level match: [7] >= 7 matches the first level,
      // UpToDate. dcap-qvl-js compares byte 0 too (4 < 5) and falls to an OutOfDate level.
      {"pcs-2025-05-27", "tdx/gotdx-ccel/quote.bin", "2025-06-01T00:00:00Z", "UpToDate",
       "2025-06-27T00:00:00Z"},
      {"pcs-2025-05-27", "collateral/evidence/openpcc-gce-tdx-v4/quote.bin", "2025-06-01T00:00:00Z",
       "UpToDate", "2025-06-27T00:00:00Z"},
      {"pcs-2025-05-27", "collateral/evidence/mobilecoin-sgx-v3/quote.bin", "2025-06-01T00:00:00Z",
       "OutOfDate", "2025-06-27T00:00:00Z"},
      {"pcs-2025-06-19", "tdx/dcap-qvl-v4/quote.bin", "2025-06-27T00:00:00Z", "UpToDate",
       "2025-07-20T00:00:00Z"},
      {"pcs-2025-06-19", "tdx/dcap-qvl-sgx-v3/quote.bin", "2025-06-27T00:00:00Z",
       "ConfigurationAndSWHardeningNeeded", "2025-07-20T00:00:00Z"},
  };
  for (const ScenarioCase& c : cases) {
    SCOPED_TRACE(std::string(c.scenario) + " " + c.quote);
    Fixture f(c.scenario);
    ASSERT_NE(f.server, nullptr);
    Result<FetchedDcap> fetched = f.FetchFor(c.quote, At(c.at));
    ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
    Result<tdx::Quote> quote = tdx::ParseQuote(ReadVector(c.quote));
    ASSERT_TRUE(quote.ok());
    tdx::Verification v = f.verifier.Verify(*quote, &fetched->collateral, At(c.at));
    ASSERT_TRUE(v.status.ok()) << v.status.ToString();
    ASSERT_TRUE(v.verified && v.verified->tcb());
    EXPECT_EQ(tdx::TcbStatusName(v.verified->tcb()->status), c.want_status);
    EXPECT_GT(fetched->dates.tcb_evaluation_data_number, 0);

    Result<FetchedDcap> late = f.FetchFor(c.quote, At(c.expired_at));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.status().reason_id(), reasons::kCollateralExpired.id)
        << late.status().ToString();
  }
}

TEST(PcsTest, RecordedNegativesAreRefused) {
  struct Case {
    const char* scenario;
    const char* quote;
    const char* at;
    std::string_view want;
  } cases[] = {
      // The PCK CRL captured in May 2023 expired before the quote's window (MANIFEST).
      {"pcs-2023-07-12", "collateral/evidence/mobilecoin-sgx-v3/quote.bin", "2023-07-13T00:00:00Z",
       reasons::kCollateralExpired.id},
      // 2026 TCB info served with the 2018-2025 TCB Signing chain.
      {"pcs-2023-06", "tdx/gotdx-v5/quote.bin", "2026-02-03T01:00:00Z",
       reasons::kCollateralExpired.id},
      // Before the collateral's issue date.
      {"pcs-2025-05-27", "tdx/gotdx-ccel/quote.bin", "2025-05-27T19:00:00Z",
       reasons::kCollateralExpired.id},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.scenario) + " " + c.quote);
    Fixture f(c.scenario);
    ASSERT_NE(f.server, nullptr);
    Result<FetchedDcap> fetched = f.FetchFor(c.quote, At(c.at));
    ASSERT_FALSE(fetched.ok());
    EXPECT_EQ(fetched.status().reason_id(), c.want) << fetched.status().ToString();
  }
}

TEST(PcsTest, LowerCaseFmspcRecordingsAreFetchedByPlatformKey) {
  // pcs-2023-06 recorded its TCB info for a lower-case FMSPC; the signed body keeps that case.
  // (Its quote has non-zero bytes after the quote, which ParseQuote refuses, so the platform is
  // named by its cache key.)
  Fixture f("pcs-2023-06");
  ASSERT_NE(f.server, nullptr);
  Result<DcapId> id = ParseDcapCacheKey("TDX/50806F000000/platform");
  ASSERT_TRUE(id.ok());
  Result<FetchedDcap> fetched = f.pcs->Fetch(*id, At("2023-07-01T01:00:00Z"));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_NE(fetched->collateral.tcb_info_body.find("\"50806f000000\""), std::string::npos);
  Result<FetchedDcap> late = f.pcs->Fetch(*id, At("2023-07-09T00:00:00Z"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().reason_id(), reasons::kCollateralExpired.id);
}

ReplayResponse Altered(const ReplayResponse& r, const std::function<void(ReplayResponse&)>& edit) {
  ReplayResponse out = r;
  edit(out);
  return out;
}

void SetHeader(ReplayResponse& r, const std::string& name, const std::string& value) {
  for (auto& [key, v] : r.headers) {
    if (key == name) {
      v = value;
    }
  }
}

void DropHeader(ReplayResponse& r, const std::string& name) {
  std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
}

TEST(PcsTest, HostileAnswersAreRefused) {
  const char* kQuote = "collateral/evidence/openpcc-gce-tdx-v4/quote.bin";
  const TimePoint now = At("2025-06-01T00:00:00Z");
  const std::string tcb_path = "/tdx/certification/v4/tcb";
  const std::string tcb_query = "fmspc=00806F050000";
  const std::string qe_path = "/tdx/certification/v4/qe/identity";
  const std::string crl_path = "/sgx/certification/v4/pckcrl";

  struct Case {
    const char* name;
    std::string path;
    std::string query;
    std::function<void(ReplayResponse&)> edit;
    std::string_view want;
  };
  const std::vector<Case> cases = {
      {"TCB info signature flipped", tcb_path, tcb_query,
       [](ReplayResponse& r) {
         std::string body(r.body.begin(), r.body.end());
         const size_t at = body.find("\"signature\":\"") + 13;
         body[at] = body[at] == '0' ? '1' : '0';
         r.body.assign(body.begin(), body.end());
       },
       reasons::kCollateralSignatureInvalid.id},
      {"TCB info body edited", tcb_path, tcb_query,
       [](ReplayResponse& r) {
         std::string body(r.body.begin(), r.body.end());
         const size_t at = body.find("UpToDate");
         body.replace(at, 8, "OutOfDat");
         r.body.assign(body.begin(), body.end());
       },
       reasons::kCollateralSignatureInvalid.id},
      {"TCB info for another FMSPC", tcb_path, tcb_query,
       [](ReplayResponse& r) {
         Bytes other = ReadVector(
             "collateral/pcs/dcap-qvl-2025-06-19-tdx/"
             "tdx-tcb-fmspc-B0C06F000000.body.json");
         r.body = other;
       },
       reasons::kCollateralExpired.id},  // that body's window opens 2025-06-19
      {"TCB info issuer chain header missing", tcb_path, tcb_query,
       [](ReplayResponse& r) { DropHeader(r, "TCB-Info-Issuer-Chain"); },
       reasons::kCollateralMalformed.id},
      {"TCB info issuer chain not percent-encoded PEM", tcb_path, tcb_query,
       [](ReplayResponse& r) { SetHeader(r, "TCB-Info-Issuer-Chain", "%ZZnot-pem"); },
       reasons::kCollateralMalformed.id},
      {"TCB info issuer chain from the old signing cert", tcb_path, tcb_query,
       [](ReplayResponse& r) {
         Bytes old = ReadVector("collateral/pcs/headers/tcb-signing-chain-2018-2025.hdrval");
         SetHeader(r, "TCB-Info-Issuer-Chain", std::string(old.begin(), old.end()));
       },
       reasons::kCollateralExpired.id},
      {"TCB info truncated JSON", tcb_path, tcb_query,
       [](ReplayResponse& r) { r.body.resize(r.body.size() / 2); },
       reasons::kCollateralMalformed.id},
      {"QE identity is the SGX one", qe_path, "",
       [](ReplayResponse& r) {
         r.body = ReadVector("collateral/pcs/teepot-2025-05-27/sgx-qe-identity.body.json");
       },
       reasons::kCollateralMismatch.id},
      {"PCK CRL of the other CA", crl_path, "ca=platform",
       [](ReplayResponse& r) {
         r.body = ReadVector("collateral/pcs/teepot-2025-05-27/sgx-pckcrl-processor-der.body.der");
       },
       reasons::kCollateralChainUntrusted.id},
      {"PCK CRL issuer chain header missing", crl_path, "ca=platform",
       [](ReplayResponse& r) { DropHeader(r, "SGX-PCK-CRL-Issuer-Chain"); },
       reasons::kCollateralMalformed.id},
      {"root CA CRL expired (nextUpdate 2024-04-02)", "/IntelSGXRootCA.der", "",
       [](ReplayResponse& r) { r.body = ReadVector("tdx/gotdx-v4-spr/root_ca_crl.der"); },
       reasons::kCollateralExpired.id},
      {"root CA CRL garbage", "/IntelSGXRootCA.der", "",
       [](ReplayResponse& r) {
         r.body = Bytes{0x30, 0x82, 0x01};
       },
       reasons::kCollateralMalformed.id},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Fixture f("pcs-2025-05-27");
    ASSERT_NE(f.server, nullptr);
    const ReplayResponse* recorded = f.server->Find(c.path, c.query);
    ASSERT_NE(recorded, nullptr);
    f.server->Route(c.path, c.query, Altered(*recorded, c.edit));
    Result<FetchedDcap> fetched = f.FetchFor(kQuote, now);
    ASSERT_FALSE(fetched.ok());
    EXPECT_EQ(fetched.status().reason_id(), c.want) << fetched.status().ToString();
  }
}

TEST(PcsTest, PccsHexCrlsAreAccepted) {
  const char* kQuote = "tdx/dcap-qvl-v4/quote.bin";
  Fixture f("pcs-2025-06-19");
  ASSERT_NE(f.server, nullptr);
  for (const char* path : {"/sgx/certification/v4/pckcrl", "/IntelSGXRootCA.der"}) {
    const std::string query =
        std::string(path).ends_with("pckcrl") ? "ca=platform&encoding=der" : "";
    const ReplayResponse* recorded = f.server->Find(path, query);
    ASSERT_NE(recorded, nullptr);
    ReplayResponse hex = *recorded;
    const std::string text = HexEncode(hex.body);
    hex.body.assign(text.begin(), text.end());
    f.server->Route(path, query, hex);
  }
  Result<FetchedDcap> fetched = f.FetchFor(kQuote, At("2025-06-27T00:00:00Z"));
  EXPECT_TRUE(fetched.ok()) << fetched.status().ToString();
}

TEST(PcsTest, VendorErrorsKeepTheirReasons) {
  Fixture f("pcs-2025-05-27");
  ASSERT_NE(f.server, nullptr);
  ReplayResponse unavailable;
  unavailable.status = 503;
  f.server->Fault("/tdx/certification/v4/qe/identity", {unavailable, unavailable});
  Result<FetchedDcap> got =
      f.FetchFor("collateral/evidence/openpcc-gce-tdx-v4/quote.bin", At("2025-06-01T00:00:00Z"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().reason_id(), reasons::kCollateralHttpError.id);

  DcapId unknown;
  unknown.fmspc = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  unknown.tdx = false;
  Result<FetchedDcap> missing = f.pcs->Fetch(unknown, At("2025-06-01T00:00:00Z"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason_id(), reasons::kCollateralNotFound.id);
}

TEST(PcsTest, CacheKeysAndCrlBodies) {
  DcapId id;
  id.tdx = true;
  id.fmspc = {0x00, 0x80, 0x6f, 0x05, 0x00, 0x00};
  id.ca = PckCa::kProcessor;
  EXPECT_EQ(DcapCacheKey(id), "TDX/00806F050000/processor");
  Result<DcapId> lower = ParseDcapCacheKey("TDX/00806f050000/processor");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->fmspc, id.fmspc);
  for (const char* key :
       {"", "TDX", "TDX/00806F050000", "TDX/00806F050000/", "XXX/00806F050000/platform",
        "TDX/00806F05000/platform", "TDX/00806F05000G/platform", "TDX/00806F050000/root"}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(ParseDcapCacheKey(key).status().reason_id(), reasons::kCollateralBadRequest.id);
  }
  const Bytes der = {0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_EQ(DecodeCrlBody(AsBytesCopy("3003020100")), der);
  EXPECT_EQ(DecodeCrlBody(AsBytesCopy("3003020100\n")), der);
  EXPECT_EQ(DecodeCrlBody(der), der);
  EXPECT_EQ(DecodeCrlBody(AsBytesCopy("-----BEGIN X509 CRL-----")),
            AsBytesCopy("-----BEGIN X509 CRL-----"));
}

}  // namespace
}  // namespace attest::service::collateral
