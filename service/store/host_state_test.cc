// HostState names and TrustedAt, the one "is this host trusted now".
#include "service/store/host_state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST(HostStateTest, NamesAreTheStoredTextAndReadBack) {
  const struct {
    HostState state;
    std::string name;
  } cases[] = {{HostState::kRegistered, "registered"},
               {HostState::kActivated, "activated"},
               {HostState::kTrusted, "trusted"},
               {HostState::kUntrusted, "untrusted"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(HostStateName(c.state), c.name);
    auto parsed = ParseHostState(c.name);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, c.state);
  }
}

TEST(HostStateTest, UnknownStoredTextIsCorrupt) {
  for (const char* name : {"", "Trusted", "trusted ", "missing", "unknown"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ParseHostState(name).status().reason_id(), "store.database_error");
  }
}

TEST(HostStateTest, TrustedAtNeedsTrustedAndAnEndAfterNow) {
  const TimePoint now = FromUnixSeconds(1764057600);
  const struct {
    std::string name;
    HostState state;
    std::optional<TimePoint> trusted_until;
    bool want;
  } cases[] = {
      {"trusted, ends later", HostState::kTrusted, now + seconds(1), true},
      {"trusted, ends now", HostState::kTrusted, now, false},
      {"trusted, ended", HostState::kTrusted, now - seconds(1), false},
      {"trusted without an end", HostState::kTrusted, std::nullopt, false},
      {"untrusted, end left over", HostState::kUntrusted, now + seconds(60), false},
      {"registered", HostState::kRegistered, now + seconds(60), false},
      {"activated", HostState::kActivated, std::nullopt, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(TrustedAt(c.state, c.trusted_until, now), c.want);
  }
}

}  // namespace
}  // namespace attest::service::store
