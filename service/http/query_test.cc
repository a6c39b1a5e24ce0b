#include "service/http/query.h"

#include <gtest/gtest.h>

namespace attest::service::http {
namespace {

TEST(QueryTest, ParsesAllowedKeysAndSkipsSigv4Parameters) {
  auto q = ParseQuery("after=5&limit=10&X-Amz-Signature=ab&X-Amz-Date=1", {"after", "limit"});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->at("after"), "5");
  EXPECT_EQ(q->at("limit"), "10");
  EXPECT_EQ(q->size(), 2u);
  q = ParseQuery("name=a%20b&", {"name"});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("name"), "a b");
  EXPECT_TRUE(ParseQuery("", {}).ok());
}

TEST(QueryTest, RefusesBadQueries) {
  const std::pair<std::string, std::vector<std::string>> cases[] = {
      {"other=1", {"after"}},  {"after=1&after=2", {"after"}}, {"after=%", {"after"}},
      {"after=%4", {"after"}}, {"after=%zz", {"after"}},       {"%41fter=1", {"after"}},
  };
  for (const auto& [raw, allowed] : cases) {
    SCOPED_TRACE(raw);
    auto q = ParseQuery(raw, allowed);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().reason_id(), "api.invalid_query");
  }
}

TEST(QueryTest, ReadsIntegersInRange) {
  std::map<std::string, std::string> q = {{"n", "42"}, {"neg", "-1"}, {"x", "4x"}, {"e", ""}};
  EXPECT_EQ(QueryInt(q, "n", 0, 100, 7).value(), 42);
  EXPECT_EQ(QueryInt(q, "absent", 0, 100, 7).value(), 7);
  for (const char* key : {"neg", "x", "e"}) {
    SCOPED_TRACE(key);
    auto r = QueryInt(q, key, 0, 100, 7);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "api.invalid_query");
  }
  EXPECT_FALSE(QueryInt(q, "n", 0, 41, 7).ok());
}

}  // namespace
}  // namespace attest::service::http
