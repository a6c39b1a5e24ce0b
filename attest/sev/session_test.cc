#include "attest/sev/session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/sev/measurement.h"
#include "attest/sev/secret.h"
#include "attest/sev/verify.h"
#include "tests/sev/platform_model.h"

namespace attest::sev {
namespace {

// Known answers published with virtee/sev (src/session/key.rs tests `derive` and `mac`,
// src/session/mod.rs test `session`): all-zero z, nonce, IV, TEK, TIK and policy.
TEST(SevSession, KdfKnownAnswer) {
  const Bytes zero(16, 0);
  const std::array<uint8_t, 16> nonce{};
  EXPECT_EQ(HexEncode(SevKdf(zero, "sev-master-secret", nonce, 16)),
            "ab4d269fcc62bedb4511d56c386ce706");
}

TEST(SevSession, WrapKnownAnswer) {
  const Bytes z(16, 0);
  const SessionBlob blob = WrapTransportKeys(z, {}, {}, TransportKeys{}, 0);
  EXPECT_EQ(HexEncode(blob.wrap_tk),
            "2137bc7f9bb8bd7c3e55a576a15d3454b3856b8ba27afadf46dcfee9f02c02c4");
  EXPECT_EQ(HexEncode(blob.wrap_mac),
            "3176c0752738bd9d5e86689534020f528c088f16238826b000b327dee6aeed7d");
  EXPECT_EQ(HexEncode(blob.policy_mac),
            "aa7855e13839dd767cd5da7c1ff5036540c9264b7a803029315e55375287b4af");
  const Bytes wire = SerializeSessionBlob(blob);
  ASSERT_EQ(wire.size(), kSessionBlobSize);
  EXPECT_EQ(HexEncode(ByteSpan(wire).subspan(16, 32)), HexEncode(blob.wrap_tk));
  EXPECT_EQ(HexEncode(ByteSpan(wire).subspan(96, 32)), HexEncode(blob.policy_mac));
}

TEST(SevSession, KdfLongerOutputUsesCounter) {
  const Bytes key(32, 7);
  const Bytes one = SevKdf(key, "label", {}, 32);
  const Bytes two = SevKdf(key, "label", {}, 48);
  ASSERT_EQ(two.size(), 48u);
  // L is part of every block, so a longer output is not an extension of a shorter one.
  EXPECT_NE(Bytes(two.begin(), two.begin() + 32), one);
  EXPECT_NE(SevKdf(key, "label", {}, 16), SevKdf(key, "labek", {}, 16));
}

TEST(SevSession, ParseSessionBlobSizes) {
  EXPECT_EQ(ParseSessionBlob(Bytes(127)).status().reason_id(), "sev.session_malformed");
  EXPECT_EQ(ParseSessionBlob(Bytes(129)).status().reason_id(), "sev.session_malformed");
  Bytes wire(128);
  for (size_t i = 0; i < wire.size(); ++i) {
    wire[i] = static_cast<uint8_t>(i);
  }
  auto blob = ParseSessionBlob(wire);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->nonce[0], 0);
  EXPECT_EQ(blob->wrap_tk[0], 16);
  EXPECT_EQ(blob->wrap_iv[0], 48);
  EXPECT_EQ(blob->wrap_mac[0], 64);
  EXPECT_EQ(blob->policy_mac[0], 96);
  EXPECT_EQ(SerializeSessionBlob(*blob), wire);
}

class SevRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = LoadAmdRoot("test", model_.ark(), model_.ask());
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    auto certs = ParseSevPlatformCerts(model_.pdh(), model_.pek(), model_.oca(), model_.cek());
    ASSERT_TRUE(certs.ok());
    const AmdRoot roots[] = {*root};
    auto chain = VerifySevChain(*certs, roots);
    ASSERT_TRUE(chain.ok()) << chain.status().ToString();
    auto session = CreateOwnerSession(chain->certs().pdh, kPolicy);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    owner_ = std::move(session).value();
  }

  static constexpr uint32_t kPolicy =
      kPolicyNoDebug | kPolicyNoKeySharing | kPolicyDomain | kPolicySev;
  testing::SevPlatformModel model_ = testing::SevPlatformModel::Create();
  OwnerSession owner_;
};

TEST_F(SevRoundTrip, PlatformUnwrapsTheOwnersKeys) {
  auto dh = ParseSevCert(owner_.dh_cert);
  ASSERT_TRUE(dh.ok()) << dh.status().ToString();
  EXPECT_EQ(dh->pubkey_usage, static_cast<uint32_t>(Usage::kPdh));
  EXPECT_TRUE(dh->sigs[0].empty());
  ASSERT_EQ(owner_.session.size(), kSessionBlobSize);
  const Status started = model_.LaunchStart(owner_.dh_cert, owner_.session, kPolicy);
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(model_.unwrapped_keys().tek, owner_.keys.tek);
  EXPECT_EQ(model_.unwrapped_keys().tik, owner_.keys.tik);
}

TEST_F(SevRoundTrip, TamperedSessionRejectedByPlatform) {
  struct Case {
    std::string name;
    size_t offset;  // into the session blob; SIZE_MAX = change the policy instead
  };
  const Case cases[] = {{"nonce", 3},     {"wrap_tk", 20},     {"wrap_iv", 50},
                        {"wrap_mac", 70}, {"policy_mac", 127}, {"policy", SIZE_MAX}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes session = owner_.session;
    uint32_t policy = kPolicy;
    if (c.offset == SIZE_MAX) {
      policy |= kPolicyEs;
    } else {
      session[c.offset] ^= 0x10;
    }
    EXPECT_EQ(model_.LaunchStart(owner_.dh_cert, session, policy).reason_id(), "sev.mac_invalid");
  }
  // Another owner key: the platform derives another secret and the wrap MAC fails.
  auto other = CreateOwnerSession(*ParseSevCert(model_.pdh()), kPolicy);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(model_.LaunchStart(other->dh_cert, owner_.session, kPolicy).reason_id(),
            "sev.mac_invalid");
}

TEST_F(SevRoundTrip, MeasureThenInjectRecoversTheVolumeKey) {
  ASSERT_TRUE(model_.LaunchStart(owner_.dh_cert, owner_.session, kPolicy).ok());
  const Bytes firmware(65536, 0x90);
  LaunchDigestInput ld_in;
  ld_in.firmware = firmware;
  ld_in.policy = kPolicy;
  auto ld = ComputeLaunchDigest(ld_in);
  ASSERT_TRUE(ld.ok());
  auto reported = model_.LaunchMeasure(*ld);
  ASSERT_TRUE(reported.ok());
  auto m = ParseLaunchMeasurement(*reported);
  ASSERT_TRUE(m.ok());

  LaunchMeasureInput in;
  in.api_major = 0;
  in.api_minor = 24;
  in.build = 15;
  in.policy = kPolicy;
  in.launch_digest = *ld;
  in.mnonce = m->mnonce;
  ASSERT_TRUE(VerifyLaunchMeasure(owner_.keys.tik, in, m->measure).ok());
  // The owner expected another firmware: the measurement does not match.
  LaunchMeasureInput wrong = in;
  wrong.launch_digest = Sha256(AsBytes("other firmware"));
  EXPECT_EQ(VerifyLaunchMeasure(owner_.keys.tik, wrong, m->measure).reason_id(),
            "sev.measurement_mismatch");

  const Bytes volume_key(64, 0x4b);
  const SecretEntry entries[] = {{*ParseGuid(kDiskKeyGuid), volume_key}};
  auto table = BuildSecretTable(entries);
  ASSERT_TRUE(table.ok());
  auto secret = PackageLaunchSecret(owner_.keys, m->measure, *table);
  ASSERT_TRUE(secret.ok());
  ASSERT_EQ(secret->header.size(), kSecretHeaderSize);
  EXPECT_NE(secret->ciphertext, *table);

  auto plain = model_.LaunchSecret(secret->header, secret->ciphertext);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto parsed = ParseSecretTable(*plain);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].guid, *ParseGuid(kDiskKeyGuid));
  EXPECT_EQ((*parsed)[0].value, volume_key);

  // Tampering with any part of the header or the ciphertext is caught by the header MAC.
  struct Case {
    std::string name;
    bool in_header;
    size_t offset;
  };
  const Case cases[] = {{"flags", true, 0},       {"iv", true, 4},
                        {"mac first", true, 20},  {"mac last", true, 51},
                        {"ciphertext", false, 0}, {"ciphertext end", false, table->size() - 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LaunchSecret t = *secret;
    (c.in_header ? t.header : t.ciphertext)[c.offset] ^= 0x01;
    EXPECT_EQ(model_.LaunchSecret(t.header, t.ciphertext).status().reason_id(), "sev.mac_invalid");
  }
  // A secret bound to another measurement is refused.
  Sha256Digest other_measure = m->measure;
  other_measure[0] ^= 1;
  auto rebound = PackageLaunchSecret(owner_.keys, other_measure, *table);
  ASSERT_TRUE(rebound.ok());
  EXPECT_EQ(model_.LaunchSecret(rebound->header, rebound->ciphertext).status().reason_id(),
            "sev.mac_invalid");
  EXPECT_EQ(model_.LaunchSecret(ByteSpan(secret->header.data(), 51), secret->ciphertext)
                .status()
                .reason_id(),
            "sev.session_malformed");
}

TEST(SevSessionCreate, RejectsNonPdh) {
  const testing::SevPlatformModel model = testing::SevPlatformModel::Create();
  auto pek = ParseSevCert(model.pek());
  ASSERT_TRUE(pek.ok());
  EXPECT_EQ(CreateOwnerSession(*pek, 0).status().reason_id(), "sev.bad_usage");
  auto pdh = ParseSevCert(model.pdh());
  ASSERT_TRUE(pdh.ok());
  pdh->qx_be[47] ^= 1;  // off the curve
  EXPECT_EQ(CreateOwnerSession(*pdh, 0).status().reason_id(), "sev.cert_malformed");
}

}  // namespace
}  // namespace attest::sev
