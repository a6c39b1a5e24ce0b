#include "bench/fleet/fleet_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest::bench::fleet {
namespace {

Result<FleetOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fleet_sim");
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  return ParseFleetOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(FleetOptions, AcceptsEachFormOfTheCommandLine) {
  struct Case {
    const char* name;
    std::vector<std::string> args;
    int hosts, guests;
    LoadMode mode;
    std::vector<int> pids;
  } cases[] = {
      {"self defaults", {"--self"}, 10, 1, LoadMode::kOpen, {}},
      {"self sized",
       {"--self", "--hosts", "10000", "--guests-per-host", "0"},
       10000,
       0,
       LoadMode::kOpen,
       {}},
      {"external without guests",
       {"--url", "https://127.0.0.1:8443", "--ca", "c.pem", "--operator-credentials", "op",
        "--guests-per-host", "0", "--attestd-pid", "12,34"},
       10,
       0,
       LoadMode::kOpen,
       {12, 34}},
      {"external with guests",
       {"--url=https://127.0.0.1:8443", "--ca=c.pem", "--operator-credentials=op",
        "--software-tee-state=tee", "--mode", "closed", "--concurrency", "4"},
       10,
       1,
       LoadMode::kClosed,
       {}},
      {"fractional rates",
       {"--self", "--rate", "2.5", "--quote-interval", "0.5e1", "--tenant-ops-per-second", "0"},
       10,
       1,
       LoadMode::kOpen,
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = Parse(c.args);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(o->hosts, c.hosts);
    EXPECT_EQ(o->guests_per_host, c.guests);
    EXPECT_EQ(o->mode, c.mode);
    EXPECT_EQ(o->attestd_pids, c.pids);
  }
}

TEST(FleetOptions, OperatorProfileDefaultsToDefault) {
  const std::vector<std::string> external = {
      "--url", "https://127.0.0.1:8443", "--ca", "c.pem", "--operator-credentials",
      "op",    "--guests-per-host",      "0"};
  auto plain = Parse(external);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->operator_profile, "default");
  std::vector<std::string> named = external;
  named.insert(named.end(), {"--operator-profile", "attestd-operator"});
  auto profiled = Parse(named);
  ASSERT_TRUE(profiled.ok()) << profiled.status().ToString();
  EXPECT_EQ(profiled->operator_profile, "attestd-operator");
}

TEST(FleetOptions, RefusesBadCommandLinesWithUsage) {
  struct Case {
    const char* name;
    std::vector<std::string> args;
  } cases[] = {
      {"nothing", {}},
      {"self and url", {"--self", "--url", "https://127.0.0.1:1"}},
      {"url without ca", {"--url", "https://127.0.0.1:1", "--operator-credentials", "op"}},
      {"external guests without tee state",
       {"--url", "https://127.0.0.1:1", "--ca", "c", "--operator-credentials", "op"}},
      {"unknown flag", {"--self", "--hostz", "3"}},
      {"self with a profile", {"--self", "--operator-profile", "p"}},
      {"positional", {"--self", "extra"}},
      {"zero hosts", {"--self", "--hosts", "0"}},
      {"too many hosts", {"--self", "--hosts", "100001"}},
      {"hosts not a number", {"--self", "--hosts", "10k"}},
      {"hosts overflow", {"--self", "--hosts", "99999999999999999999"}},
      {"negative guests", {"--self", "--guests-per-host", "-1"}},
      {"interval zero", {"--self", "--quote-interval", "0"}},
      {"interval nan", {"--self", "--quote-interval", "nan"}},
      {"duration inf", {"--self", "--duration", "inf"}},
      {"rate empty", {"--self", "--rate", ""}},
      {"mode unknown", {"--self", "--mode", "half-open"}},
      {"concurrency too big", {"--self", "--concurrency", "257"}},
      {"pid list trailing comma", {"--self", "--attestd-pid", "12,"}},
      {"pid zero", {"--self", "--attestd-pid", "0"}},
      {"pid list too long",
       {"--self", "--attestd-pid", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = Parse(c.args);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().reason_id(), "cli.usage");
  }
}

}  // namespace
}  // namespace attest::bench::fleet
