// Classify and Counters over hand-made answers: what counts as documented, what breaks a run.
#include "deploy/ha/chaos/invariants.h"

#include <gtest/gtest.h>

#include "client/reasons.h"

namespace attest::chaos {
namespace {

Result<client::ClientResponse> Reply(int status, const std::string& retry_after = "",
                                     const std::string& code = "x") {
  client::ClientResponse r;
  r.status = status;
  r.retry_after = retry_after;
  r.json = {{"code", code}};
  r.body = r.json.dump();
  return r;
}

TEST(ChaosClassify, EachAnswerItsKind) {
  const std::set<int> created = {201};
  const struct {
    std::string name;
    Result<client::ClientResponse> answer;
    Answer want;
  } cases[] = {
      {"created", Reply(201), Answer::kExpected},
      {"503 with Retry-After", Reply(503, "1"), Answer::kDocumented},
      {"429 with Retry-After", Reply(429, "12"), Answer::kDocumented},
      {"connection refused", Status(reasons::kClientTransport, "refused"), Answer::kTransport},
      {"a resent copy refused", Reply(403, "", "store.request_replayed"), Answer::kResent},
      {"refused by a clock-stepped replica", Reply(403, "", "RequestTimeTooSkewed"),
       Answer::kSkewed},
      {"another 403", Reply(403, "", "SignatureDoesNotMatch"), Answer::kUnexpected},
      {"another 403", Reply(403, "", "AccessDenied"), Answer::kUnexpected},
      {"503 without Retry-After", Reply(503), Answer::kUnexpected},
      {"429 without Retry-After", Reply(429), Answer::kUnexpected},
      {"500 even with Retry-After", Reply(500, "1"), Answer::kUnexpected},
      {"200 where only 201 is right", Reply(200), Answer::kUnexpected},
      {"404", Reply(404), Answer::kUnexpected},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Classify(c.answer, created), c.want);
  }
}

TEST(ChaosCounters, OnlyBrokenInvariantsBreakTheRun) {
  Counters ok;
  ok.Count("a", Reply(201), {201});
  ok.Count("b", Reply(503, "1"), {201});
  ok.Count("c", Status(reasons::kClientTransport, "reset"), {201});
  ok.acked = 5;
  ok.good_refused = 1;  // reported, not an invariant: a refusal is never a leak
  EXPECT_FALSE(ok.Broken());
  EXPECT_EQ(ok.ToJson()["documented_errors"], 1);
  EXPECT_EQ(ok.ToJson()["transport_errors"], 1);
  EXPECT_EQ(ok.ToJson()["requests"], 3);

  for (int i = 0; i < 5; ++i) {
    Counters broken;
    std::atomic<int64_t>* field[] = {&broken.acked_lost, &broken.nonce_reuse, &broken.wrong_release,
                                     &broken.unexpected_errors, &broken.acked_unchecked};
    *field[i] = 1;
    EXPECT_TRUE(broken.Broken()) << i;
  }
}

TEST(ChaosCounters, KeepsAFewUnexpectedSamples) {
  Counters c;
  for (int i = 0; i < 30; ++i) {
    c.Count("volume.create", Reply(500), {201});
  }
  EXPECT_EQ(c.unexpected_errors, 30);
  ASSERT_EQ(c.Samples().size(), 20U);
  EXPECT_EQ(c.Samples()[0].rfind("volume.create: 500 ", 0), 0U) << c.Samples()[0];
}

}  // namespace
}  // namespace attest::chaos
