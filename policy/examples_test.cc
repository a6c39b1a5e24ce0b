// Every example policy under policy/examples/ loads, and is exercised against the shared vectors:
// one accepting, one rejecting for a named reason.
#include <gtest/gtest.h>

#include <filesystem>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tdx/verify.h"
#include "attest/tpm/claims.h"
#include "policy/appraise_host.h"
#include "policy/appraise_sev.h"
#include "policy/appraise_snp.h"
#include "policy/appraise_tdx.h"

#include "attest/snp/wire.h"
#include "policy/loader.h"
#include "tests/testing/vectors.h"

namespace attest::policy {
namespace {

// AppraiseLaunch runs the SEV steps on e against the policy's accepted digests (VerifyLaunch ->
// ToClaims), then appraises the claims.
Appraisal AppraiseLaunch(const sev::LaunchEvidence& e, const v1::SevPolicy& p,
                         const std::vector<Sha256Digest>& digests_from_parts) {
  auto verified = sev::VerifyLaunch(e, AcceptedLaunchDigests(p, digests_from_parts));
  EXPECT_TRUE(verified.ok()) << verified.status().ToString();
  return AppraiseSevLaunch(sev::ToClaims(*verified), p);
}

std::string Example(const std::string& name) {
  auto bytes = ReadFileBytes("policy/examples/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : "";
}

snp::SnpClaims VerifiedSnp(const char* report, const char* vcek, const char* at) {
  auto parsed = snp::ParseSnpReport(testing::ReadVector(report));
  auto verified = snp::VerifySnpReport(*parsed, {testing::ReadVector(vcek), {}, {}},
                                       snp::SnpTrustRoots::BuiltIn(), *ParseRfc3339(at));
  EXPECT_TRUE(verified.ok()) << verified.status().ToString();
  return snp::ToClaims(*verified);
}

TEST(PolicyExamplesTest, EveryExampleLoads) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("policy/examples")) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    SCOPED_TRACE(entry.path().string());
    const std::string text = Example(entry.path().filename().string());
    const bool host = entry.path().filename().string().rfind("host-", 0) == 0;
    const Status status = host ? LoadHostPolicy(text).status() : LoadTenantPolicy(text).status();
    EXPECT_TRUE(status.ok()) << status.ToString();
    ++count;
  }
  EXPECT_GE(count, 10);
}

TEST(PolicyExamplesTest, SnpExamplesAgainstVectors) {
  const auto virtee = VerifiedSnp("snp/virtee-milan-v2/report.bin", "snp/virtee-milan-v2/vcek.der",
                                  "2024-01-01T00:00:00Z");
  const auto gsg = VerifiedSnp("snp/gsg-milan-v2/report.bin", "snp/gsg-milan-v2/vcek.der",
                               "2024-01-01T00:00:00Z");
  const AppraisalContext ctx{*ParseRfc3339("2024-01-01T00:00:00Z")};
  const auto pinned = LoadTenantPolicy(Example("snp-milan-virtee.json"));
  const auto no_debug = LoadTenantPolicy(Example("snp-no-debug.json"));
  ASSERT_TRUE(pinned.ok() && no_debug.ok());

  EXPECT_TRUE(AppraiseSnp(virtee, pinned->snp(), ctx).affirmed());
  const Appraisal other_guest = AppraiseSnp(gsg, pinned->snp(), ctx);
  ASSERT_FALSE(other_guest.affirmed());
  EXPECT_EQ(other_guest.failures[0].reason.id, "snp.measurement_rejected");

  EXPECT_TRUE(AppraiseSnp(virtee, no_debug->snp(), ctx).affirmed());
  const Appraisal debug_guest = AppraiseSnp(gsg, no_debug->snp(), ctx);
  ASSERT_EQ(debug_guest.failures.size(), 1u);
  EXPECT_EQ(debug_guest.failures[0].reason.id, "snp.debug_forbidden");
}

std::vector<std::string> Codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& f : a.failures) {
    out.emplace_back(f.reason.id);
  }
  return out;
}

TEST(PolicyExamplesTest, TdxAndSgxExamplesAgainstVectors) {
  const TimePoint at = *ParseRfc3339("2025-07-01T00:00:00Z");
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  auto tdx_collateral =
      tdx::ParseCollateralJson(testing::ReadVectorText("tdx/dcap-qvl-v4/collateral.json"));
  auto sgx_collateral =
      tdx::ParseCollateralJson(testing::ReadVectorText("tdx/dcap-qvl-sgx-v3/collateral.json"));
  ASSERT_TRUE(tdx_collateral.ok() && sgx_collateral.ok());
  const auto td_quote = tdx::ParseQuote(testing::ReadVector("tdx/dcap-qvl-v4/quote.bin"));
  const auto enclave_quote = tdx::ParseQuote(testing::ReadVector("tdx/dcap-qvl-sgx-v3/quote.bin"));
  ASSERT_TRUE(td_quote.ok() && enclave_quote.ok());
  const auto td_v = verifier.Verify(*td_quote, &*tdx_collateral, at);
  const auto enclave_v = verifier.Verify(*enclave_quote, &*sgx_collateral, at);
  ASSERT_TRUE(td_v.verified && enclave_v.verified);
  const tdx::Claims td = tdx::ToClaims(*td_v.verified);
  const tdx::Claims enclave = tdx::ToClaims(*enclave_v.verified);
  const AppraisalContext ctx{at};

  EXPECT_TRUE(
      AppraiseTdx(td, LoadTenantPolicy(Example("tdx-dcap-qvl.json"))->tdx(), ctx).affirmed());
  EXPECT_EQ(Codes(AppraiseTdx(td, LoadTenantPolicy(Example("tdx-newer-module.json"))->tdx(), ctx)),
            std::vector<std::string>{"tdx.tee_tcb_svn_too_low"});

  const Appraisal tolerated =
      AppraiseSgx(enclave, LoadTenantPolicy(Example("sgx-dcap-qvl.json"))->sgx(), ctx);
  EXPECT_TRUE(tolerated.affirmed());
  EXPECT_EQ(tolerated.Status(), TrustTier::kWarning);
  const Appraisal strict =
      AppraiseSgx(enclave, LoadTenantPolicy(Example("sgx-uptodate-only.json"))->sgx(), ctx);
  ASSERT_FALSE(strict.affirmed());
  EXPECT_EQ(strict.failures[0].reason.id, "sgx.tcb_status_rejected");
}

TEST(PolicyExamplesTest, SevExamplesAgainstTheMeasurementVector) {
  sev::LaunchEvidence e;
  e.tik = *HexDecode("66320db73158a35a255d051758e95ed4");
  e.api_minor = 18;
  e.build = 15;
  const Bytes measure =
      *HexDecode("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea");
  const Bytes mnonce = *HexDecode("4fbe0bedbad6c86ae8f68971d103e554");
  std::copy(measure.begin(), measure.end(), e.measurement.measure.begin());
  std::copy(mnonce.begin(), mnonce.end(), e.measurement.mnonce.begin());
  EXPECT_TRUE(
      AppraiseLaunch(e, LoadTenantPolicy(Example("sev-debug-allowed.json"))->sev(), {}).affirmed());
  EXPECT_EQ(Codes(AppraiseLaunch(e, LoadTenantPolicy(Example("sev-no-debug.json"))->sev(), {})),
            std::vector<std::string>{"sev.debug_forbidden"});
}

TEST(PolicyExamplesTest, HostExamplesAgainstTheOvmfLog) {
  auto log = tpm::ParseEventLog(testing::ReadVector("tpm/ovmf-swtpm/eventlog.bin"));
  ASSERT_TRUE(log.ok());
  tpm::HostClaims claims;
  claims.boot = tpm::ExtractBootClaims(*log, *tpm::ReplayEventLog(*log));
  EXPECT_TRUE(AppraiseHost(claims, *LoadHostPolicy(Example("host-dev-ovmf.json")), {}).affirmed());
  EXPECT_EQ(Codes(AppraiseHost(claims, *LoadHostPolicy(Example("host-secure-boot.json")), {})),
            std::vector<std::string>{"host.secure_boot_off"});
}

}  // namespace
}  // namespace attest::policy
