#include "policy/appraise_snp.h"

#include "attest/snp/wire.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "policy/appraisal_json.h"
#include "policy/loader.h"
#include "tests/testing/fake_snp.h"

namespace attest::policy {
namespace {

const TimePoint kNow = FromUnixSeconds(1750000000);

class AppraiseSnpTest : public ::testing::Test {
 protected:
  AppraiseSnpTest() : platform_(snp::Product::kMilan, kNow), roots_(platform_.Roots()) {}

  snp::SnpClaims Claims(const snp::SnpReport& report) {
    auto parsed = snp::ParseSnpReport(platform_.SignReport(report));
    EXPECT_TRUE(parsed.ok());
    auto verified =
        snp::VerifySnpReport(*parsed, {platform_.EndorsementDer(), {}, {}}, roots_, kNow);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    return snp::ToClaims(*verified);
  }

  v1::SnpPolicy Policy(const std::string& body) {
    auto p = LoadTenantPolicy(R"({"name":"p","snp":{)" + body + "}}");
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p->snp();
  }

  std::vector<std::string> Codes(const Appraisal& a) {
    std::vector<std::string> out;
    for (const auto& f : a.failures) {
      out.emplace_back(f.reason.id);
    }
    return out;
  }

  testing::FakeSnpPlatform platform_;
  snp::SnpTrustRoots roots_;
};

TEST_F(AppraiseSnpTest, EachRule) {
  const std::string measurement = std::string(96, '1');  // DefaultReport fills 0x11
  const std::string base = R"("measurements":[")" + measurement + R"("],"any_host_data":true)";
  struct Case {
    const char* name;
    std::function<void(snp::SnpReport&)> mutate;
    std::string policy;
    std::vector<std::string> want;
  } cases[] = {
      {"all good", [](snp::SnpReport&) {}, base, {}},
      {"other measurement",
       [](snp::SnpReport& r) { r.measurement[0] = 0; },
       base,
       {"snp.measurement_rejected"}},
      {"debug forbidden by default",
       [](snp::SnpReport& r) { r.policy |= 1ull << 19; },
       base,
       {"snp.debug_forbidden"}},
      {"debug allowed",
       [](snp::SnpReport& r) { r.policy |= 1ull << 19; },
       base + R"(,"allow_debug":true)",
       {}},
      {"migration agent",
       [](snp::SnpReport& r) { r.policy |= 1ull << 18; },
       base,
       {"snp.migrate_ma_forbidden"}},
      {"smt must be off",
       [](snp::SnpReport& r) { r.policy |= 1ull << 16; },
       base + R"(,"require_smt_disabled":true)",
       {"snp.smt_forbidden"}},
      {"vmpl 1 by default", [](snp::SnpReport& r) { r.vmpl = 1; }, base, {"snp.vmpl_rejected"}},
      {"vmpl 1 listed", [](snp::SnpReport& r) { r.vmpl = 1; }, base + R"(,"vmpls":[1,2])", {}},
      {"guest svn",
       [](snp::SnpReport& r) { r.guest_svn = 2; },
       base + R"(,"min_guest_svn":3)",
       {"snp.guest_svn_too_low"}},
      {"firmware",
       [](snp::SnpReport&) {},
       base + R"(,"min_firmware":"1.55.1")",
       {"snp.firmware_too_old"}},
      {"firmware ok", [](snp::SnpReport&) {}, base + R"(,"min_firmware":"1.55.0")", {}},
      {"reported tcb",
       [](snp::SnpReport&) {},
       base + R"(,"min_reported_tcb":{"snp":9})",
       {"snp.tcb_too_low"}},
      {"launch tcb ok",
       [](snp::SnpReport&) {},
       base + R"(,"min_launch_tcb":{"snp":8,"microcode":115})",
       {}},
      {"host data fixed",
       [](snp::SnpReport&) {},
       R"("measurements":[")" + measurement + R"("],"host_data":")" + std::string(64, 'a') + R"(")",
       {"snp.host_data_rejected"}},
      {"host data launch ticket without ticket",
       [](snp::SnpReport&) {},
       R"("measurements":[")" + measurement + R"("],"host_data_launch_ticket":true)",
       {"snp.host_data_rejected"}},
      {"vlek not accepted by default", [](snp::SnpReport&) {}, base, {}},
      {"chip not listed",
       [](snp::SnpReport&) {},
       base + R"(,"chip_ids":[")" + std::string(128, 'b') + R"("])",
       {"snp.chip_rejected"}},
      {"id key required",
       [](snp::SnpReport&) {},
       base + R"(,"id_key_digests":[")" + std::string(96, 'c') + R"("])",
       {"snp.id_key_rejected"}},
      {"author key required but not enabled",
       [](snp::SnpReport&) {},
       base + R"(,"author_key_digests":[")" + std::string(96, '0') + R"("])",
       {"snp.author_key_rejected"}},
      {"several at once",
       [](snp::SnpReport& r) {
         r.measurement[0] = 0;
         r.policy |= 1ull << 19;
         r.vmpl = 2;
       },
       base,
       {"snp.measurement_rejected", "snp.debug_forbidden", "snp.vmpl_rejected"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    snp::SnpReport report = platform_.DefaultReport();
    c.mutate(report);
    const Appraisal a = AppraiseSnp(Claims(report), Policy(c.policy), AppraisalContext{kNow});
    EXPECT_EQ(Codes(a), c.want);
    EXPECT_EQ(a.Status(), c.want.empty() ? TrustTier::kAffirming : TrustTier::kContraindicated);
  }
}

TEST_F(AppraiseSnpTest, LaunchTicketBinding) {
  snp::SnpReport report = platform_.DefaultReport();
  report.host_data.fill(0x5a);
  const auto claims = Claims(report);
  const auto policy = Policy(R"("any_measurement":true,"host_data_launch_ticket":true)");
  AppraisalContext ctx{kNow};
  ctx.launch_ticket_sha256_hex = HexEncode(report.host_data);
  EXPECT_TRUE(AppraiseSnp(claims, policy, ctx).affirmed());
  ctx.launch_ticket_sha256_hex = std::string(64, '0');
  const Appraisal wrong = AppraiseSnp(claims, policy, ctx);
  ASSERT_EQ(wrong.failures.size(), 1u);
  EXPECT_EQ(wrong.failures[0].got,
            std::string(64, 'a').replace(0, 64, HexEncode(report.host_data)));
  EXPECT_EQ(wrong.trust.instance_identity, TrustTier::kContraindicated);
  EXPECT_EQ(wrong.trust.executables, TrustTier::kAffirming);
}

TEST_F(AppraiseSnpTest, VlekNeedsToBeListed) {
  testing::FakeEndorsementSpec spec = platform_.spec();
  spec.vlek = true;
  platform_.IssueEndorsement(spec);
  const auto claims = Claims(platform_.DefaultReport());
  const std::string base = R"("any_measurement":true,"any_host_data":true)";
  EXPECT_EQ(Codes(AppraiseSnp(claims, Policy(base), {kNow})),
            std::vector<std::string>{"snp.signing_key_rejected"});
  EXPECT_TRUE(AppraiseSnp(claims, Policy(base + R"(,"signing_keys":["VLEK"])"), {kNow}).affirmed());
}

TEST_F(AppraiseSnpTest, UnverifiedClaimsAreNeverAffirmed) {
  const auto claims = snp::UnverifiedClaims(platform_.DefaultReport());
  const Appraisal a =
      AppraiseSnp(claims, Policy(R"("any_measurement":true,"any_host_data":true)"), {kNow});
  EXPECT_FALSE(a.affirmed());
  EXPECT_EQ(a.failures[0].reason.id, "policy.no_rules_for_evidence");
}

TEST_F(AppraiseSnpTest, DeterministicByteForByte) {
  snp::SnpReport report = platform_.DefaultReport();
  report.policy |= 1ull << 19;
  report.vmpl = 3;
  const auto policy = Policy(R"("measurements":[")" + std::string(96, 'e') +
                             R"("],"any_host_data":true,"min_reported_tcb":{"snp":99})");
  Appraisal first = AppraiseSnp(Claims(report), policy, {kNow});
  first.policy_identity = "p@sha256:x";
  const std::string once = AppraisalToJson(first).dump();
  for (int i = 0; i < 20; ++i) {
    Appraisal again = AppraiseSnp(Claims(report), policy, {kNow});
    again.policy_identity = "p@sha256:x";
    ASSERT_EQ(AppraisalToJson(again).dump(), once);
  }
  EXPECT_NE(once.find("\"snp.tcb_too_low\""), std::string::npos);
}

}  // namespace
}  // namespace attest::policy
