#include "bench/fleet/load_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace attest::bench::fleet {
namespace {

TEST(OpenLoopPlan, SpreadsQuotesEvenlyAndKeepsTimeOrder) {
  OpenLoopRates r;
  r.hosts = 4;
  r.quote_interval_seconds = 60;
  r.guests = 3;
  r.guest_pairs_per_second = 0.5;
  r.tenant_ops_per_second = 0.1;
  r.duration_seconds = 120;
  auto plan = OpenLoopPlan(r);
  ASSERT_TRUE(plan.ok());
  std::map<OpKind, int> counts;
  std::map<int, std::vector<double>> host_times;
  for (const PlannedOp& op : *plan) {
    ++counts[op.kind];
    if (op.kind == OpKind::kHostQuote) {
      host_times[op.index].push_back(op.at_seconds);
    }
    if (op.kind == OpKind::kGuestRelease) {
      EXPECT_LT(op.index, 3);
    }
  }
  EXPECT_TRUE(std::is_sorted(
      plan->begin(), plan->end(),
      [](const PlannedOp& a, const PlannedOp& b) { return a.at_seconds < b.at_seconds; }));
  EXPECT_EQ(counts[OpKind::kHostQuote], 8);  // 4 hosts x 2 intervals
  EXPECT_EQ(counts[OpKind::kGuestRelease], 60);
  EXPECT_EQ(counts[OpKind::kTenantOp], 12);
  // Host h first quotes at h * 15 s, then every 60 s.
  for (int h = 0; h < 4; ++h) {
    ASSERT_EQ(host_times[h].size(), 2u);
    EXPECT_DOUBLE_EQ(host_times[h][0], 15.0 * h);
    EXPECT_DOUBLE_EQ(host_times[h][1], 15.0 * h + 60);
  }
}

TEST(OpenLoopPlan, NothingDueGivesAnEmptyPlan) {
  struct Case {
    const char* name = "";
    OpenLoopRates rates;
  } cases[] = {
      {"no hosts, no rates", {0, 60, 0, 0, 0, 10}},
      {"guests without a rate", {0, 60, 5, 0, 0, 10}},
      {"a rate without guests", {0, 60, 0, 3, 0, 10}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = OpenLoopPlan(c.rates);
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(plan->empty());
  }
}

TEST(OpenLoopPlan, RefusesARunBeyondTheBound) {
  struct Case {
    const char* name = "";
    OpenLoopRates rates;
  } cases[] = {
      {"hosts", {100000, 1, 0, 0, 0, 3600}},
      {"guest rate", {0, 60, 10, 10000, 0, 3600}},
      {"tenant rate", {0, 60, 0, 0, 2000, 3600}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = OpenLoopPlan(c.rates);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().reason_id(), "cli.usage");
  }
}

}  // namespace
}  // namespace attest::bench::fleet
