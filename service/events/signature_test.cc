// Webhook signatures against vectors computed independently of this code:
//   printf '%s' '1764057600.{"id":"ev-1","type":"host.untrusted"}' |
//     openssl dgst -sha256 -hmac 'whsec-test-0123456789'
//   -> f1eff794155c2090d847cfb1dc4bc488247e2489337d92e56c32e297f3fbd256
//   printf '%s' '0.' | openssl dgst -sha256 -hmac 'k-0123456789abcdef'
//   -> 5ea1ff8978d1732d26c19fd905d2727adbf3a2de28ad0c56d4d53981ddd83c0f
#include "service/events/signature.h"

#include <gtest/gtest.h>

#include <string>

namespace attest::service::events {
namespace {

using std::chrono::seconds;

constexpr char kSecret[] = "whsec-test-0123456789";
constexpr char kBody[] = R"({"id":"ev-1","type":"host.untrusted"})";
constexpr char kMac[] = "f1eff794155c2090d847cfb1dc4bc488247e2489337d92e56c32e297f3fbd256";
constexpr int64_t kT = 1764057600;

TEST(Signature, MatchesOpensslVectors) {
  EXPECT_EQ(SignPayload(kSecret, kT, kBody), kMac);
  EXPECT_EQ(SignPayload("k-0123456789abcdef", 0, ""),
            "5ea1ff8978d1732d26c19fd905d2727adbf3a2de28ad0c56d4d53981ddd83c0f");
  EXPECT_EQ(SignatureHeader(kSecret, kT, kBody), std::string("t=1764057600,v1=") + kMac);
}

TEST(Signature, VerifyAcceptsOnlyTheSignedBodyInsideTheWindow) {
  const TimePoint at = FromUnixSeconds(kT);
  const std::string good = std::string("t=1764057600,v1=") + kMac;
  const std::string wrong_mac = "t=1764057600,v1=" + std::string(64, '0');
  const struct {
    std::string name;
    std::string secret, header, body;
    TimePoint now;
    std::string want;
  } cases[] = {
      {"good", kSecret, good, kBody, at, "ok"},
      {"good at the window's end", kSecret, good, kBody, at + seconds(300), "ok"},
      {"good with a second, unknown v1", kSecret, wrong_mac + ",v1=" + kMac, kBody, at, "ok"},
      {"unknown scheme ignored", kSecret, good + ",v0=abc", kBody, at, "ok"},
      {"replayed later", kSecret, good, kBody, at + seconds(301), "webhook.signature_expired"},
      {"from the future", kSecret, good, kBody, at - seconds(301), "webhook.signature_expired"},
      {"other body", kSecret, good, std::string(kBody) + " ", at, "webhook.signature_invalid"},
      {"other secret", "whsec-test-0123456788", good, kBody, at, "webhook.signature_invalid"},
      {"zero mac", kSecret, wrong_mac, kBody, at, "webhook.signature_invalid"},
      {"upper-case hex", kSecret,
       "t=1764057600,v1=F1EFF794155C2090D847CFB1DC4BC488247E2489337D92E5"
       "6C32E297F3FBD256",
       kBody, at, "webhook.signature_invalid"},
      {"timestamp moved", kSecret, std::string("t=1764057601,v1=") + kMac, kBody, at,
       "webhook.signature_invalid"},
      {"no v1", kSecret, "t=1764057600", kBody, at, "webhook.signature_malformed"},
      {"no t", kSecret, std::string("v1=") + kMac, kBody, at, "webhook.signature_malformed"},
      {"two t", kSecret, "t=1,t=1764057600,v1=" + std::string(kMac), kBody, at,
       "webhook.signature_malformed"},
      {"t not a number", kSecret, std::string("t=12a,v1=") + kMac, kBody, at,
       "webhook.signature_malformed"},
      {"negative t", kSecret, std::string("t=-1,v1=") + kMac, kBody, at,
       "webhook.signature_malformed"},
      {"item without =", kSecret, good + ",junk", kBody, at, "webhook.signature_malformed"},
      {"empty", kSecret, "", kBody, at, "webhook.signature_malformed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(VerifySignatureHeader(c.secret, c.header, c.body, c.now, seconds(300)).reason_id(),
              c.want);
  }
}

}  // namespace
}  // namespace attest::service::events
