#include "policy/appraise_sev.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "policy/loader.h"

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

// The shared SEV launch-measurement vector (../shared/vectors/sev/launch-measurement-vector.json).
sev::LaunchEvidence Vector() {
  sev::LaunchEvidence e;
  e.tik = *HexDecode("66320db73158a35a255d051758e95ed4");
  e.api_major = 0;
  e.api_minor = 18;
  e.build = 15;
  e.policy = 0;
  const Bytes measure =
      *HexDecode("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea");
  const Bytes mnonce = *HexDecode("4fbe0bedbad6c86ae8f68971d103e554");
  std::copy(measure.begin(), measure.end(), e.measurement.measure.begin());
  std::copy(mnonce.begin(), mnonce.end(), e.measurement.mnonce.begin());
  return e;
}

const char kDigest[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::vector<std::string> Codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& f : a.failures) {
    out.emplace_back(f.reason.id);
  }
  return out;
}

TEST(AppraiseSevTest, Rules) {
  const std::string listed = std::string(R"("launch_digests":[")") + kDigest + R"("])";
  struct Case {
    const char* name;
    std::string body;
    std::function<void(sev::LaunchEvidence&)> mutate;
    std::vector<std::string> want;
  } cases[] = {
      {"vector digest listed, debug allowed", listed + R"(,"allow_debug":true)", nullptr, {}},
      {"policy 0 allows debugging: forbidden by default", listed, nullptr, {"sev.debug_forbidden"}},
      {"other digest",
       std::string(R"("launch_digests":[")") + std::string(64, 'a') + R"("],"allow_debug":true)",
       nullptr,
       {"sev.launch_digest_rejected"}},
      {"mnonce changed",
       listed + R"(,"allow_debug":true)",
       [](sev::LaunchEvidence& e) { e.measurement.mnonce[0] ^= 1; },
       {"sev.launch_digest_rejected"}},
      {"build changed",
       listed + R"(,"allow_debug":true)",
       [](sev::LaunchEvidence& e) { e.build = 16; },
       {"sev.launch_digest_rejected"}},
      {"es required",
       listed + R"(,"allow_debug":true,"require_es":true)",
       nullptr,
       {"sev.es_required"}},
      {"api too old",
       listed + R"(,"allow_debug":true,"min_api_version":"0.24")",
       nullptr,
       {"sev.firmware_too_old"}},
      {"build too old",
       listed + R"(,"allow_debug":true,"min_build":16)",
       nullptr,
       {"sev.firmware_too_old"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto policy = LoadTenantPolicy(R"({"name":"v","sev":{)" + c.body + "}}");
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    sev::LaunchEvidence e = Vector();
    if (c.mutate) {
      c.mutate(e);
    }
    EXPECT_EQ(Codes(AppraiseLaunch(e, policy->sev(), {})), c.want);
  }
}

TEST(AppraiseSevTest, DigestsComputedFromPartsCount) {
  auto policy = LoadTenantPolicy(R"({"name":"v","sev":{"launch_parts":[{"firmware_sha256":")" +
                                 std::string(64, 'f') + R"("}],"allow_debug":true}})");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  Sha256Digest digest{};
  const Bytes bytes = *HexDecode(kDigest);
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  EXPECT_TRUE(AppraiseLaunch(Vector(), policy->sev(), {digest}).affirmed());
  EXPECT_FALSE(AppraiseLaunch(Vector(), policy->sev(), {}).affirmed());
}

}  // namespace
}  // namespace attest::policy
