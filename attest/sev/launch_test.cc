#include "attest/sev/launch.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/sev/claims.h"

namespace attest::sev {
namespace {

Sha256Digest Digest(const char* hex) {
  Sha256Digest d{};
  const Bytes b = *HexDecode(hex);
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

// The shared SEV launch-measurement vector (../shared/vectors/sev/launch-measurement-vector.json):
// its launch digest is SHA-256 of the empty string.
const char kDigest[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

LaunchEvidence Vector() {
  LaunchEvidence e;
  e.tik = *HexDecode("66320db73158a35a255d051758e95ed4");
  e.api_major = 0;
  e.api_minor = 18;
  e.build = 15;
  e.policy = 0;
  e.measurement.measure =
      Digest("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea");
  const Bytes mnonce = *HexDecode("4fbe0bedbad6c86ae8f68971d103e554");
  std::copy(mnonce.begin(), mnonce.end(), e.measurement.mnonce.begin());
  return e;
}

TEST(VerifyLaunchTest, ProvesOnlyTheDigestMeasureBinds) {
  const Sha256Digest vector = Digest(kDigest);
  const Sha256Digest other = Digest(std::string(64, 'a').c_str());
  struct Case {
    const char* name;
    std::function<void(LaunchEvidence&)> mutate;
    std::vector<Sha256Digest> expected;
    bool want_proven;
  } cases[] = {
      {"vector digest", nullptr, {vector}, true},
      {"found after another", nullptr, {other, vector}, true},
      {"no expected digest", nullptr, {}, false},
      {"other digest only", nullptr, {other}, false},
      {"mnonce changed", [](LaunchEvidence& e) { e.measurement.mnonce[0] ^= 1; }, {vector}, false},
      {"measure changed",
       [](LaunchEvidence& e) { e.measurement.measure[31] ^= 1; },
       {vector},
       false},
      {"build changed", [](LaunchEvidence& e) { e.build = 16; }, {vector}, false},
      {"api changed", [](LaunchEvidence& e) { e.api_minor = 19; }, {vector}, false},
      {"policy changed", [](LaunchEvidence& e) { e.policy = kPolicyNoDebug; }, {vector}, false},
      {"other tik", [](LaunchEvidence& e) { e.tik[0] ^= 1; }, {vector}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LaunchEvidence e = Vector();
    if (c.mutate) {
      c.mutate(e);
    }
    auto v = VerifyLaunch(e, c.expected);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->proven_digest().has_value(), c.want_proven);
    if (c.want_proven) {
      EXPECT_EQ(*v->proven_digest(), vector);
    }
    const LaunchClaims claims = ToClaims(*v);
    EXPECT_EQ(claims.launch_digest, v->proven_digest());
    EXPECT_EQ(claims.num_expected_digests, c.expected.size());
    EXPECT_EQ(claims.measure, e.measurement.measure);
  }
}

TEST(VerifyLaunchTest, RejectsATikOfTheWrongSize) {
  for (size_t size : {0u, 15u, 17u, 32u}) {
    SCOPED_TRACE(size);
    LaunchEvidence e = Vector();
    e.tik.resize(size);
    const std::vector<Sha256Digest> expected = {Digest(kDigest)};
    EXPECT_EQ(VerifyLaunch(e, expected).status().reason_id(), "sev.bad_argument");
  }
}

TEST(LaunchClaimsTest, PolicyBitsAndPlatform) {
  struct Case {
    uint32_t policy = 0;
    GuestPolicy want;
  } cases[] = {
      {0, {0, false, false, false, false, false, false}},
      {kPolicyNoDebug | kPolicyEs, {0x5, true, false, true, false, false, false}},
      {0x3f, {0x3f, true, true, true, true, true, true}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.policy);
    LaunchEvidence e = Vector();
    e.policy = c.policy;
    auto v = VerifyLaunch(e, {});
    ASSERT_TRUE(v.ok());
    const LaunchClaims claims = ToClaims(*v);
    EXPECT_EQ(claims.policy.raw, c.want.raw);
    EXPECT_EQ(claims.policy.no_debug, c.want.no_debug);
    EXPECT_EQ(claims.policy.no_key_sharing, c.want.no_key_sharing);
    EXPECT_EQ(claims.policy.es, c.want.es);
    EXPECT_EQ(claims.policy.no_send, c.want.no_send);
    EXPECT_EQ(claims.policy.domain, c.want.domain);
    EXPECT_EQ(claims.policy.sev, c.want.sev);
    EXPECT_EQ(claims.api_minor, 18);
    EXPECT_EQ(claims.build, 15);
  }
}

}  // namespace
}  // namespace attest::sev
