#include "attest/core/time.h"

#include <gtest/gtest.h>

namespace attest {
namespace {

TEST(TimeTest, ParsesRfc3339Forms) {
  struct Case {
    const char* text;
    int64_t unix_seconds;
  } cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2025-06-19T10:32:27Z", 1750329147},
      {"2025-06-19T10:32:27.999Z", 1750329147},
      {"2025-06-19T12:32:27+02:00", 1750329147},
      {"2025-06-19t10:32:27z", 1750329147},
      {"2000-02-29T00:00:00Z", 951782400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto t = ParseRfc3339(c.text);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(ToUnixSeconds(*t), c.unix_seconds);
  }
}

TEST(TimeTest, RejectsMalformed) {
  const char* cases[] = {"",
                         "2025-06-19",
                         "2025-06-19T10:32:27",
                         "2025-13-01T00:00:00Z",
                         "2025-02-30T00:00:00Z",
                         "2025-06-19T24:00:00Z",
                         "2025-06-19T10:32:27Zjunk",
                         "2025-06-19T10:32:27.Z",
                         "2025-06-19T10:32:27+0200",
                         "20250619T103227Z"};
  for (const char* c : cases) {
    SCOPED_TRACE(c);
    auto t = ParseRfc3339(c);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().reason_id(), "core.bad_time");
  }
}

TEST(TimeTest, FormatRoundTrips) {
  const TimePoint t = FromUnixSeconds(1750329147);
  EXPECT_EQ(FormatRfc3339(t), "2025-06-19T10:32:27Z");
  EXPECT_EQ(*ParseRfc3339(FormatRfc3339(t)), t);
}

}  // namespace
}  // namespace attest
