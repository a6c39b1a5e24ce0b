// DecideHostQuote over software-TPM quotes of a real swtpm event log: every outcome (verified and
// trusted, evidence rejected, policy missing, broken or denying) with its reasons, no store.
#include "service/hosts/host_quote.h"

#include <gtest/gtest.h>

#include <functional>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/pcr_json.h"
#include "tests/testing/fake_tpm.h"

namespace attest::service::hosts {
namespace {

using attest::testing::FakeTpm;
using std::chrono::seconds;

const TimePoint kNow = *ParseRfc3339("2026-03-01T12:00:00Z");

constexpr char kDevPolicy[] =
    R"({"name": "dev", "any_firmware": true, "any_boot_application": true})";
constexpr char kSecureBootPolicy[] = R"({"name": "sb", "any_firmware": true,
    "any_boot_application": true, "require_secure_boot": true})";

store::PolicyVersion HostPolicy(const char* document, int64_t version) {
  store::PolicyVersion pv;
  pv.name = "dev";
  pv.version = version;
  pv.document = document;
  return pv;
}

class DecideHostQuoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = ReadFileBytes("attest/tpm/testdata/swtpm/bench-100/eventlog.bin");
    ASSERT_TRUE(log.ok());
    log_ = *log;
    auto replay = tpm::ReplayEventLog(*tpm::ParseEventLog(log_));
    ASSERT_TRUE(replay.ok());
    pcrs_[tpm::kAlgSha256] = (*replay)[tpm::kAlgSha256];
    host_.id = "host-1";
    host_.host_policy = "dev";
    host_.ak_public = tpm_.ak_public();
    host_.platform = Platform(0x11);
  }

  // Platform is the canonical document of a host with one SNP chip, every byte `fill`.
  static std::string Platform(uint8_t fill) {
    protocol::HostPlatform p;
    p.snp_chip_ids.emplace_back();
    p.snp_chip_ids.back().fill(fill);
    return protocol::SerializeHostPlatform(p).value();
  }

  // Requote signs in's quote again over qualifying data (its PCRs unchanged).
  void Requote(HostQuoteInput& in, ByteSpan qualifying_data) const {
    const FakeTpm::SignedQuote q = tpm_.Quote(qualifying_data, pcrs_);
    in.evidence.quote = q.attest;
    in.evidence.signature = q.signature;
  }

  // Input is a good quote of the log with the dev policy at version 3.
  HostQuoteInput Input() {
    HostQuoteInput in;
    in.host = &host_;
    in.evidence.nonce = Bytes(32, 0x5a);
    in.evidence.platform = host_.platform;
    const FakeTpm::SignedQuote q =
        tpm_.Quote(protocol::QuoteQualifyingData(in.evidence.nonce, in.evidence.platform), pcrs_);
    in.evidence.quote = q.attest;
    in.evidence.signature = q.signature;
    in.evidence.event_log = log_;
    in.host_policy = HostPolicy(kDevPolicy, 3);
    in.now = kNow;
    in.trust_ttl = seconds(600);
    return in;
  }

  // QuoteOtherPcrs re-signs in's quote over PCR values that differ from the log's in one bit and
  // returns those values.
  tpm::PcrBanks QuoteOtherPcrs(HostQuoteInput& in) const {
    tpm::PcrBanks other = pcrs_;
    other.begin()->second.begin()->second[0] ^= 1;
    const FakeTpm::SignedQuote q =
        tpm_.Quote(protocol::QuoteQualifyingData(in.evidence.nonce, in.evidence.platform), other);
    in.evidence.quote = q.attest;
    in.evidence.signature = q.signature;
    return other;
  }

  FakeTpm tpm_ = FakeTpm::Create();
  store::Host host_;
  Bytes log_;
  tpm::PcrBanks pcrs_;
};

TEST_F(DecideHostQuoteTest, GoodQuoteUnderItsPolicyIsTrustedForTheTtl) {
  const HostQuoteDecision d = DecideHostQuote(Input());
  EXPECT_TRUE(d.verified());
  ASSERT_TRUE(d.appraisal.has_value());
  EXPECT_FALSE(d.policy_error.has_value());
  EXPECT_TRUE(d.trusted);
  EXPECT_EQ(d.trusted_until, kNow + seconds(600));
  EXPECT_EQ(d.policy_version, "dev@3");
  EXPECT_TRUE(d.reason_codes().empty());
  ASSERT_TRUE(d.claims.quote.has_value());
  EXPECT_TRUE(d.claims.quote->nonce_checked);
  EXPECT_TRUE(d.claims.boot.has_value());
}

TEST_F(DecideHostQuoteTest, EveryFailureIsNamedAndNeverTrusted) {
  const struct {
    std::string name;
    std::function<void(HostQuoteInput&, store::Host&)> edit;
    bool verified;
    std::string want_code;
  } cases[] = {
      {"another nonce", [](HostQuoteInput& in, store::Host&) { in.evidence.nonce[0] ^= 1; }, false,
       "tpm.nonce_mismatch"},
      {"quote over the bare nonce (agent without platform binding)",
       [this](HostQuoteInput& in, store::Host&) { Requote(in, in.evidence.nonce); }, false,
       "tpm.nonce_mismatch"},
      {"quote bound to another document than the one sent",
       [this](HostQuoteInput& in, store::Host&) {
         Requote(in, protocol::QuoteQualifyingData(in.evidence.nonce, Platform(0x22)));
       },
       false, "tpm.nonce_mismatch"},
      {"document sent is not the one the quote binds",
       [](HostQuoteInput& in, store::Host&) { in.evidence.platform = Platform(0x22); }, false,
       "tpm.nonce_mismatch"},
      {"platform changed: bound quote of another chip",
       [this](HostQuoteInput& in, store::Host&) {
         in.evidence.platform = Platform(0x22);
         Requote(in, protocol::QuoteQualifyingData(in.evidence.nonce, in.evidence.platform));
       },
       true, "host.platform_changed"},
      {"platform changed before, not re-enrolled",
       [](HostQuoteInput&, store::Host& h) { h.platform_changed_at = kNow - seconds(60); }, true,
       "host.platform_changed"},
      {"no platform recorded at enrollment",
       [this](HostQuoteInput& in, store::Host& h) {
         h.platform.clear();
         in.evidence.platform.clear();
         Requote(in, protocol::QuoteQualifyingData(in.evidence.nonce, ""));
       },
       true, "host.platform_changed"},
      {"signature flipped",
       [](HostQuoteInput& in, store::Host&) { in.evidence.signature.back() ^= 1; }, false,
       "tpm.signature_invalid"},
      {"quote truncated", [](HostQuoteInput& in, store::Host&) { in.evidence.quote.resize(10); },
       false, "tpm.attest_malformed"},
      {"registered AK unreadable",
       [](HostQuoteInput&, store::Host& h) {
         h.ak_public = {1, 2};
       },
       false, "tpm.public_malformed"},
      {"PCR file unreadable",
       [](HostQuoteInput& in, store::Host&) {
         in.evidence.pcrs = tpm::ParsePcrValues(Bytes{'{', 'x'});
       },
       false, "tpm.pcrs_malformed"},
      {"event log of another boot",
       [this](HostQuoteInput& in, store::Host&) { QuoteOtherPcrs(in); }, false,
       "tpm.pcr_digest_mismatch"},
      {"quoted PCRs sent, not the log's",
       [this](HostQuoteInput& in, store::Host&) {
         const tpm::PcrBanks other = QuoteOtherPcrs(in);
         const std::string json =
             nlohmann::ordered_json{{"banks", tpm::PcrBanksToJson(other)}}.dump();
         in.evidence.pcrs = tpm::ParsePcrValues(Bytes(json.begin(), json.end()));
       },
       false, "eventlog.pcr_mismatch"},
      {"host policy deleted",
       [](HostQuoteInput& in, store::Host&) {
         in.host_policy = Status(reasons::kStoreNotFound, "gone");
       },
       true, "api.host_policy_missing"},
      {"host policy unreadable",
       [](HostQuoteInput& in, store::Host&) { in.host_policy->document = "{"; }, true, ""},
      {"host policy denies",
       [](HostQuoteInput& in, store::Host&) { in.host_policy = HostPolicy(kSecureBootPolicy, 1); },
       true, "host.secure_boot_off"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    store::Host host = host_;
    HostQuoteInput in = Input();
    in.host = &host;
    c.edit(in, host);
    const HostQuoteDecision d = DecideHostQuote(in);
    EXPECT_FALSE(d.trusted);
    EXPECT_FALSE(d.trusted_until.has_value());
    EXPECT_EQ(d.verified(), c.verified);
    const std::vector<std::string> codes = d.reason_codes();
    ASSERT_FALSE(codes.empty());
    if (!c.want_code.empty()) {
      EXPECT_EQ(codes.front(), c.want_code);
    }
    if (c.verified) {
      EXPECT_TRUE(d.platform_error.has_value() || d.policy_error.has_value() ||
                  (d.appraisal && !d.appraisal->affirmed()));
    } else {
      EXPECT_FALSE(d.appraisal.has_value());
      EXPECT_TRUE(d.policy_version.empty());
    }
  }
}

TEST_F(DecideHostQuoteTest, OnlyANewlyChangedPlatformIsRecorded) {
  // A quote that verifies for another document is a change to record (latched by the store)...
  HostQuoteInput in = Input();
  in.evidence.platform = Platform(0x22);
  Requote(in, protocol::QuoteQualifyingData(in.evidence.nonce, in.evidence.platform));
  HostQuoteDecision d = DecideHostQuote(in);
  EXPECT_TRUE(d.platform_changed);
  EXPECT_FALSE(d.trusted);
  // ... even when the host policy itself accepts the boot.
  ASSERT_TRUE(d.appraisal.has_value());
  EXPECT_TRUE(d.appraisal->affirmed());
  // The same document as enrolled: nothing to record.
  EXPECT_FALSE(DecideHostQuote(Input()).platform_changed);
  // A quote that does not verify proves nothing about the host: not recorded either.
  in.evidence.signature.back() ^= 1;
  EXPECT_FALSE(DecideHostQuote(in).platform_changed);
  // Already latched: still refused, and back on the enrolled document it stays refused.
  store::Host latched = host_;
  latched.platform_changed_at = kNow;
  HostQuoteInput back = Input();
  back.host = &latched;
  d = DecideHostQuote(back);
  EXPECT_FALSE(d.trusted);
  EXPECT_FALSE(d.platform_changed);
  ASSERT_TRUE(d.platform_error.has_value());
  EXPECT_EQ(d.platform_error->reason_id(), "host.platform_changed");
}

TEST_F(DecideHostQuoteTest, AHostPolicyIsLoadedOnceThroughTheCache) {
  policy::HostPolicyCache cache;
  HostQuoteInput in = Input();
  in.host_policies = &cache;
  const HostQuoteDecision first = DecideHostQuote(in);
  const HostQuoteDecision second = DecideHostQuote(in);
  EXPECT_TRUE(first.trusted);
  EXPECT_TRUE(second.trusted);
  EXPECT_EQ(second.policy_version, "dev@3");
  EXPECT_EQ(cache.size(), 1u);
  // A broken document is refused the same way, and not kept.
  in.host_policy->document = "{";
  EXPECT_TRUE(DecideHostQuote(in).policy_error.has_value());
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace attest::service::hosts
