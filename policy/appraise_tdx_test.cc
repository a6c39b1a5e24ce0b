#include "policy/appraise_tdx.h"

#include <gtest/gtest.h>

#include "attest/tdx/verify.h"
#include "policy/loader.h"
#include "tests/testing/vectors.h"

namespace attest::policy {
namespace {

struct Sample {
  const char* quote;
  const char* collateral;
  const char* at;
};
const Sample kTdx = {"tdx/dcap-qvl-v4/quote.bin", "tdx/dcap-qvl-v4/collateral.json",
                     "2025-07-01T00:00:00Z"};
const Sample kSgx = {"tdx/dcap-qvl-sgx-v3/quote.bin", "tdx/dcap-qvl-sgx-v3/collateral.json",
                     "2025-07-01T00:00:00Z"};
const std::string kMrTd =
    "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118"
    "b7";
const std::string kRtmr0 =
    "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9"
    "c0";
const std::string kMrEnclave = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb";
const std::string kMrSigner = "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6";

// Verify runs ParseQuote -> QuoteVerifier::Verify on a sample; verified carries its claims.
struct Verified {
  std::optional<tdx::Claims> verified;
};

Verified Verify(const Sample& s, bool with_collateral = true) {
  const std::string text = testing::ReadVectorText(s.collateral);
  auto collateral = tdx::ParseCollateralJson(text);
  EXPECT_TRUE(collateral.ok()) << collateral.status().ToString();
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  auto quote = tdx::ParseQuote(testing::ReadVector(s.quote));
  EXPECT_TRUE(quote.ok()) << quote.status().ToString();
  auto v = verifier.Verify(*quote, with_collateral ? &*collateral : nullptr, *ParseRfc3339(s.at));
  EXPECT_TRUE(v.verified.has_value()) << v.status.ToString();
  if (!v.verified) {
    return {};
  }
  return {tdx::ToClaims(*v.verified)};
}

std::vector<std::string> Codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& f : a.failures) {
    out.emplace_back(f.reason.id);
  }
  return out;
}

TEST(AppraiseTdxTest, Rules) {
  const Verified v = Verify(kTdx);
  ASSERT_TRUE(v.verified);
  const AppraisalContext ctx{*ParseRfc3339(kTdx.at)};
  const std::string base = R"("mr_td":[")" + kMrTd + R"("],"any_mr_config_id":true)";
  const std::string other48 = std::string(96, '0');
  struct Case {
    const char* name;
    std::string body;
    std::vector<std::string> want;
  } cases[] = {
      {"pinned mrtd, up to date", base, {}},
      {"other mrtd",
       R"("mr_td":[")" + other48 + R"("],"any_mr_config_id":true)",
       {"tdx.mr_td_rejected"}},
      {"rtmr0 listed", base + R"(,"rtmrs":[{"index":0,"values":[")" + kRtmr0 + R"("]}])", {}},
      {"rtmr0 other",
       base + R"(,"rtmrs":[{"index":0,"values":[")" + other48 + R"("]}])",
       {"tdx.rtmr_rejected"}},
      {"mr_seam pinned elsewhere",
       base + R"(,"mr_seam":[")" + other48 + R"("])",
       {"tdx.mr_seam_rejected"}},
      {"mr_config_id fixed mismatch",
       R"("any_mr_td":true,"mr_config_id":")" + std::string(96, '1') + R"(")",
       {"tdx.mr_config_id_rejected"}},
      {"mr_config_id launch ticket unknown",
       R"("any_mr_td":true,"mr_config_id_launch_ticket":true)",
       {"tdx.mr_config_id_rejected"}},
      {"mr_owner",
       base + R"(,"mr_owner":[")" + std::string(96, '2') + R"("])",
       {"tdx.mr_owner_rejected"}},
      {"xfam all bits",
       base + R"(,"xfam_mask":"ffffffffffffffff","xfam_value":"0000000000000000")",
       {"tdx.xfam_rejected"}},
      {"tee tcb svn too high",
       base + R"(,"min_tee_tcb_svn":"07000000000000000000000000000000")",
       {"tdx.tee_tcb_svn_too_low"}},
      {"tee tcb svn met", base + R"(,"min_tee_tcb_svn":"06010300000000000000000000000000")", {}},
      {"status not accepted",
       base + R"(,"accepted_tcb_statuses":["SWHardeningNeeded"])",
       {"tdx.tcb_status_rejected"}},
      {"collateral too old",
       base + R"(,"max_collateral_age_seconds":60)",
       {"tdx.collateral_too_old"}},
      {"several",
       R"("mr_td":[")" + other48 + R"("],"any_mr_config_id":true,"rtmrs":[{"index":1,"values":[")" +
           other48 + R"("]}])",
       {"tdx.mr_td_rejected", "tdx.rtmr_rejected"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto policy = LoadTenantPolicy(R"({"name":"t","tdx":{)" + c.body + "}}");
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    const Appraisal a = AppraiseTdx(*v.verified, policy->tdx(), ctx);
    EXPECT_EQ(Codes(a), c.want);
  }
}

TEST(AppraiseTdxTest, WithoutCollateralThereIsNoTcbStatus) {
  const Verified v = Verify(kTdx, false);
  ASSERT_TRUE(v.verified);
  auto policy =
      LoadTenantPolicy(R"({"name":"t","tdx":{"any_mr_td":true,"any_mr_config_id":true}})");
  EXPECT_EQ(Codes(AppraiseTdx(*v.verified, policy->tdx(), {*ParseRfc3339(kTdx.at)})),
            std::vector<std::string>{"tdx.no_tcb_status"});
}

TEST(AppraiseSgxTest, StatusAdvisoriesAndIdentity) {
  const Verified v = Verify(kSgx);
  ASSERT_TRUE(v.verified);
  const AppraisalContext ctx{*ParseRfc3339(kSgx.at)};
  const std::string identity = R"("mr_enclave":[")" + kMrEnclave + R"("])";
  struct Case {
    const char* name;
    std::string body;
    std::vector<std::string> want;
    TrustTier status;
  } cases[] = {
      {"default accepts UpToDate only",
       identity,
       {"sgx.tcb_status_rejected", "sgx.advisory_rejected", "sgx.advisory_rejected"},
       TrustTier::kContraindicated},
      {"status and advisories accepted: a warning",
       identity +
           R"(,"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"allowed_advisory_ids":["INTEL-SA-00289","INTEL-SA-00615"])",
       {},
       TrustTier::kWarning},
      {"wildcard advisories",
       identity +
           R"(,"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"allowed_advisory_ids":["*"])",
       {},
       TrustTier::kWarning},
      {"one advisory not tolerated",
       identity +
           R"(,"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"allowed_advisory_ids":["INTEL-SA-00289"])",
       {"sgx.advisory_rejected"},
       TrustTier::kContraindicated},
      {"signer and product",
       R"("mr_signer":[")" + kMrSigner +
           R"("],"isv_prod_id":7,"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"allowed_advisory_ids":["*"])",
       {"sgx.isv_prod_id_rejected"},
       TrustTier::kContraindicated},
      {"other enclave",
       R"("mr_enclave":[")" + std::string(64, 'a') +
           R"("],"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"allowed_advisory_ids":["*"])",
       {"sgx.mr_enclave_rejected"},
       TrustTier::kContraindicated},
      {"isv svn",
       identity +
           R"(,"min_isv_svn":65535,"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"allowed_advisory_ids":["*"])",
       {"sgx.isv_svn_too_low"},
       TrustTier::kContraindicated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto policy = LoadTenantPolicy(R"({"name":"s","sgx":{)" + c.body + "}}");
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    const Appraisal a = AppraiseSgx(*v.verified, policy->sgx(), ctx);
    EXPECT_EQ(Codes(a), c.want);
    EXPECT_EQ(a.Status(), c.status);
  }
  auto tdx_policy =
      LoadTenantPolicy(R"({"name":"t","tdx":{"any_mr_td":true,"any_mr_config_id":true}})");
  EXPECT_EQ(Codes(AppraiseTdx(*v.verified, tdx_policy->tdx(), ctx)),
            std::vector<std::string>{"policy.no_rules_for_evidence"});
}

}  // namespace
}  // namespace attest::policy
