#include "bench/fleet/process_cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace attest::bench::fleet {
namespace {

// A real line of /proc/PID/stat (proc(5)) with utime 1234 and stime 56, then variations.
constexpr char kLine[] =
    "4242 (attestd) S 1 4242 4242 0 -1 4194560 2300 0 0 0 1234 56 0 0 20 0 9 0 1000 9650000 "
    "6500 18446744073709551615 1 1 0 0 0 0 0 4096 17638 0 0 0 17 1 0 0 0 0 0";

TEST(ProcStat, ReadsUserPlusSystemTicks) {
  struct Case {
    const char* name;
    std::string line;
    unsigned long long want;
  } cases[] = {
      {"plain", kLine, 1290},
      {"name with spaces and parens",
       "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 1 1 1", 30},
      {"zero", "1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 1 1", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto ticks = ParseProcStatCpuTicks(c.line);
    ASSERT_TRUE(ticks.ok()) << ticks.status().ToString();
    EXPECT_EQ(*ticks, c.want);
  }
}

TEST(ProcStat, RefusesOtherShapes) {
  struct Case {
    const char* name;
    std::string line;
  } cases[] = {
      {"empty", ""},
      {"no command", "4242 S 1 2 3"},
      {"unclosed command", "4242 (attestd S 1 2 3 4 5 6 7 8 9 10 11 12 13"},
      {"close before open", "4242 )attestd( S 1 2 3 4 5 6 7 8 9 10 11 12 13"},
      {"truncated before stime", "4242 (attestd) S 1 4242 4242 0 -1 4194560 2300 0 0 0 1234"},
      {"utime not a number", "4242 (attestd) S 1 4242 4242 0 -1 4194560 2300 0 0 0 12x4 56 0"},
      {"stime negative", "4242 (attestd) S 1 4242 4242 0 -1 4194560 2300 0 0 0 1234 -56 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto ticks = ParseProcStatCpuTicks(c.line);
    ASSERT_FALSE(ticks.ok());
    EXPECT_EQ(ticks.status().reason_id(), "cli.usage");
  }
}

TEST(ProcStat, ReadsThisProcessAndRefusesAMissingOne) {
  auto self = ProcessesCpuMs({static_cast<int>(getpid())});
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_GE(*self, 0);
  // pid_max is at most 2^22: this one cannot exist.
  auto missing = ProcessesCpuMs({static_cast<int>(getpid()), (1 << 22) + 1});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason_id(), "cli.usage");
}

}  // namespace
}  // namespace attest::bench::fleet
