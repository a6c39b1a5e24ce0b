#include "bench/fleet/op_recorder.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace attest::bench::fleet {
namespace {

TEST(Percentile, NearestRankOverSortedSamples) {
  const std::vector<double> hundred = [] {
    std::vector<double> v;
    for (int i = 1; i <= 100; ++i) {
      v.push_back(i);
    }
    return v;
  }();
  struct Case {
    const char* name;
    std::vector<double> sorted;
    double q, want;
  } cases[] = {
      {"empty", {}, 0.5, 0},
      {"one", {7}, 0.99, 7},
      {"p50 of 100", hundred, 0.5, 50},
      {"p99 of 100", hundred, 0.99, 99},
      {"max", hundred, 1.0, 100},
      {"q 0 is the min", hundred, 0, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Percentile(c.sorted, c.q), c.want);
  }
}

TEST(OpRecorder, SummarisesSuccessesAndCountsFailuresByStatusAndCode) {
  OpRecorder rec;
  for (int i = 1; i <= 10; ++i) {
    rec.Ok("host_quote", i);
  }
  rec.Failed("host_quote", 503, "api.verifications_busy");
  rec.Failed("host_quote", 503, "api.verifications_busy");
  rec.Failed("guest_attest", 0, "client.transport_error");
  rec.Failed("guest_attest", 403, "");
  const auto s = rec.Summarise(2.0);
  ASSERT_EQ(s.size(), 2u);
  const OpSummary& q = s.at("host_quote");
  EXPECT_EQ(q.count, 12u);
  EXPECT_EQ(q.errors, 2u);
  EXPECT_EQ(q.per_second, 5.0);  // successes only
  EXPECT_EQ(q.p50_ms, 5);
  EXPECT_EQ(q.max_ms, 10);
  EXPECT_EQ(q.errors_by_code.at("503 api.verifications_busy"), 2u);
  const OpSummary& a = s.at("guest_attest");
  EXPECT_EQ(a.count, 2u);
  EXPECT_EQ(a.p99_ms, 0);  // no success: no latency
  EXPECT_EQ(a.errors_by_code.at("0 client.transport_error"), 1u);
  EXPECT_EQ(a.errors_by_code.at("403 -"), 1u);
  EXPECT_EQ(rec.TotalOps(), 14u);
  EXPECT_EQ(rec.TotalErrors(), 4u);
  const nlohmann::json j = SummaryJson(s);
  EXPECT_EQ(j["host_quote"]["errors_by_code"]["503 api.verifications_busy"], 2);
  EXPECT_EQ(j["guest_attest"]["count"], 2);
}

// The first few failures of an operation keep their messages (a transport error says which
// connection step failed); later ones are only counted.
TEST(OpRecorder, KeepsTheFirstFewFailureMessages) {
  OpRecorder rec;
  rec.Failed("host_quote", 0, "client.transport_error", "");  // no detail: nothing kept
  for (size_t i = 0; i < OpRecorder::kMaxErrorSamples + 2; ++i) {
    rec.Failed("host_quote", 0, "client.transport_error", "cut " + std::to_string(i));
  }
  rec.Failed("guest_attest", 503, "store.database_error", std::string(1000, 'x'));
  const auto s = rec.Summarise(1.0);
  const OpSummary& q = s.at("host_quote");
  EXPECT_EQ(q.errors, OpRecorder::kMaxErrorSamples + 3);
  ASSERT_EQ(q.error_samples.size(), OpRecorder::kMaxErrorSamples);
  EXPECT_EQ(q.error_samples[0], "0 client.transport_error: cut 0");
  EXPECT_EQ(s.at("guest_attest").error_samples.at(0).size(),
            std::string("503 store.database_error: ").size() + 300);  // cut to 300 characters
  const nlohmann::json j = SummaryJson(s);
  EXPECT_EQ(j["host_quote"]["error_samples"].size(), OpRecorder::kMaxErrorSamples);
  rec.Ok("tenant_vm_get", 1);
  EXPECT_FALSE(SummaryJson(rec.Summarise(1.0))["tenant_vm_get"].contains("error_samples"));
}

TEST(OpRecorder, CountsEveryRecordFromManyThreads) {
  OpRecorder rec;
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&rec] {
      for (int i = 0; i < 1000; ++i) {
        rec.Ok("op", 1);
        rec.Failed("op", 429, "api.rate_limited");
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(rec.TotalOps(), 16000u);
  EXPECT_EQ(rec.TotalErrors(), 8000u);
}

}  // namespace
}  // namespace attest::bench::fleet
