#include "service/http/request_id.h"

#include <gtest/gtest.h>

#include <set>

namespace attest::service::http {
namespace {

HttpRequest WithHeaders(std::vector<HttpHeader> headers) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/v1/policies";
  r.headers = std::move(headers);
  return r;
}

bool IsGenerated(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RequestIdTest, ClientIdsKeptWhenPlainTokens) {
  struct Case {
    const char* name;
    std::vector<HttpHeader> headers;
    std::string want;  // "" = a generated id
  } cases[] = {
      {"uuid",
       {{"X-Request-Id", "6f1c0b9e-2f4a-4c1e-9f3a-0c2d5e7b8a91"}},
       "6f1c0b9e-2f4a-4c1e-9f3a-0c2d5e7b8a91"},
      {"lower-case name", {{"x-request-id", "abc.DEF_1:2-3"}}, "abc.DEF_1:2-3"},
      {"surrounding spaces trimmed", {{"X-Request-Id", "  abc  "}}, "abc"},
      {"the first of two", {{"X-Request-Id", "one"}, {"X-Request-Id", "two"}}, "one"},
      {"exactly 128", {{"X-Request-Id", std::string(128, 'a')}}, std::string(128, 'a')},
      {"absent", {}, ""},
      {"empty", {{"X-Request-Id", ""}}, ""},
      {"129 characters", {{"X-Request-Id", std::string(129, 'a')}}, ""},
      {"inner space", {{"X-Request-Id", "a b"}}, ""},
      {"newline injection", {{"X-Request-Id", "a\r\nSet-Cookie: x"}}, ""},
      {"quote", {{"X-Request-Id", "a\"b"}}, ""},
      {"slash", {{"X-Request-Id", "a/b"}}, ""},
      {"nul", {{"X-Request-Id", std::string("a\0b", 3)}}, ""},
      {"utf-8", {{"X-Request-Id", "\xc3\xa9"}}, ""},
      {"similar header name", {{"X-Request-Ids", "abc"}}, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string id = RequestIdFor(WithHeaders(c.headers));
    if (c.want.empty()) {
      EXPECT_TRUE(IsGenerated(id)) << id;
    } else {
      EXPECT_EQ(id, c.want);
    }
  }
}

TEST(RequestIdTest, GeneratedIdsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(RequestIdFor(WithHeaders({})));
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace attest::service::http
