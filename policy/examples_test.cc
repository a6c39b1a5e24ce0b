// Every example policy under policy/examples/ loads, and is exercised against the shared vectors:
// one accepting, one rejecting for a named reason.
#include <gtest/gtest.h>

#include <filesystem>

#include "attest/core/file_io.h"
#include "policy/appraise_snp.h"

#include "attest/snp/wire.h"
#include "policy/loader.h"
#include "tests/testing/vectors.h"

namespace attest::policy {
namespace {

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
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    const std::string text = Example(entry.path().filename().string());
    const bool host = entry.path().filename().string().rfind("host-", 0) == 0;
    const Status status = host ? LoadHostPolicy(text).status() : LoadTenantPolicy(text).status();
    EXPECT_TRUE(status.ok()) << status.ToString();
    ++count;
  }
  EXPECT_GE(count, 2);
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

}  // namespace
}  // namespace attest::policy
