#include "service/log/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace attest::service::log {
namespace {

constexpr long long kAt = 1796601600123;  // 2026-12-07T00:00:00.123Z

TEST(LogTest, TextLines) {
  struct Case {
    const char* name;
    Level level;
    std::string message;
    std::string value;
    std::string want;
  } cases[] = {
      {"plain", Level::kInfo, "request", "abc", "attestd: request k=abc"},
      {"warning", Level::kWarning, "w", "1", "attestd: warning: w k=1"},
      {"error", Level::kError, "e", "1", "attestd: error: e k=1"},
      {"empty value", Level::kInfo, "m", "", "attestd: m k=\"\""},
      {"space", Level::kInfo, "m", "a b", "attestd: m k=\"a b\""},
      {"quote and backslash", Level::kInfo, "m", "a\"b\\c", "attestd: m k=\"a\\\"b\\\\c\""},
      {"equals sign", Level::kInfo, "m", "a=b", "attestd: m k=\"a=b\""},
      {"newline injection", Level::kInfo, "m", "x\nattestd: forged",
       "attestd: m k=\"x\\x0aattestd: forged\""},
      {"control byte", Level::kInfo, "m", std::string("a\0b", 3), "attestd: m k=\"a\\x00b\""},
      {"delete", Level::kInfo, "m", "\x7f", "attestd: m k=\"\\x7f\""},
      {"newline in the message", Level::kInfo, "two\nlines", "v", "attestd: two lines k=v"},
      {"high bytes kept", Level::kInfo, "m", "\xc3\xa9", "attestd: m k=\xc3\xa9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FormatLine(Format::kText, c.level, c.message, {{"k", c.value}}, kAt), c.want);
  }
}

TEST(LogTest, TextWithoutFields) {
  EXPECT_EQ(FormatLine(Format::kText, Level::kInfo, "stopping", {}, kAt), "attestd: stopping");
}

TEST(LogTest, JsonLines) {
  const std::string line = FormatLine(Format::kJson, Level::kWarning, "access",
                                      {{"route", "/v1/vms/{id}"}, {"status", "200"}}, kAt);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-12-07T00:00:00.123Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "access");
  EXPECT_EQ(j["route"], "/v1/vms/{id}");
  EXPECT_EQ(j["status"], "200");
}

TEST(LogTest, JsonEscapesAndReplacesWhatIsNotText) {
  struct Case {
    const char* name;
    std::string value;
    std::string want;  // the value parsed back
  } cases[] = {
      {"newline", "a\nb", "a\nb"},
      {"quote", "a\"b", "a\"b"},
      {"nul", std::string("a\0b", 3), std::string("a\0b", 3)},
      {"invalid utf-8",
       "a\xff"
       "b",
       "a\xef\xbf\xbd"
       "b"},
      {"truncated utf-8", "\xc3", "\xef\xbf\xbd"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string line = FormatLine(Format::kJson, Level::kInfo, "m", {{"k", c.value}}, kAt);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(line)["k"], c.want);
  }
}

TEST(LogTest, JsonTimestampsAcrossTheEpoch) {
  struct Case {
    long long ms;
    const char* want;
  } cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {999, "1970-01-01T00:00:00.999Z"},
      {951782400000, "2000-02-29T00:00:00.000Z"},
      {4102444799999, "2099-12-31T23:59:59.999Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(nlohmann::json::parse(FormatLine(Format::kJson, Level::kInfo, "m", {}, c.ms))["ts"],
              c.want);
  }
}

}  // namespace
}  // namespace attest::service::log
