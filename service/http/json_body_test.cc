#include "service/http/json_body.h"

#include <gtest/gtest.h>

namespace attest::service::http {
namespace {

HttpRequest JsonRequest(const std::string& body, const std::string& type = "application/json") {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  if (!type.empty()) {
    r.headers.push_back({"content-type", " " + type + " "});
  }
  r.body.assign(body.begin(), body.end());
  return r;
}

TEST(JsonBodyTest, AcceptsObjects) {
  for (const char* type : {"application/json", "Application/JSON; charset=utf-8"}) {
    auto doc = ParseJsonObject(JsonRequest(R"({"a":1,"b":{"a":2}})", type));
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    EXPECT_EQ((*doc)["b"]["a"], 2);
  }
}

TEST(JsonBodyTest, RefusesHostileBodies) {
  struct Case {
    std::string body, type, want;
  };
  const Case cases[] = {
      {"{}", "", "api.unsupported_media_type"},
      {"{}", "text/plain", "api.unsupported_media_type"},
      {"{}", "application/jsonx", "api.unsupported_media_type"},
      {"", "application/json", "api.malformed_json"},
      {"[1]", "application/json", "api.malformed_json"},
      {"\"s\"", "application/json", "api.malformed_json"},
      {"{\"a\":1", "application/json", "api.malformed_json"},
      {"{\"a\":1,\"a\":2}", "application/json", "api.malformed_json"},
      {"{\"x\":{\"a\":1,\"a\":1}}", "application/json", "api.malformed_json"},
      {std::string(100, '[') + std::string(100, ']'), "application/json", "api.malformed_json"},
      {"{\"a\":\"\xff\"}", "application/json", "api.malformed_json"},
      {std::string(kMaxBodyBytes + 1, ' '), "application/json", "api.body_too_large"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 40) + " / " + c.type);
    auto doc = ParseJsonObject(JsonRequest(c.body, c.type));
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.status().reason_id(), c.want);
  }
}

TEST(JsonBodyTest, ObjectReaderIsStrict) {
  nlohmann::json doc = {{"name", "n"}, {"blob", "AAEC"}, {"n", 5}, {"extra", true}};
  ObjectReader r(doc);
  EXPECT_EQ(r.TakeString("name").value(), "n");
  EXPECT_EQ(r.TakeBase64("blob", true, 3).value(), (Bytes{0, 1, 2}));
  EXPECT_EQ(r.TakeInt("n", true, 0, 10).value(), 5);
  EXPECT_EQ(r.TakeString("absent", false).value(), "");
  Status finish = r.Finish();
  EXPECT_EQ(finish.reason_id(), "api.unknown_field");

  struct Case {
    nlohmann::json doc;
    std::string want;
  };
  const Case cases[] = {
      {{{"name", 1}}, "api.invalid_field"},
      {nlohmann::json::object(), "api.invalid_field"},
      {{{"name", "x"}, {"blob", "!!!"}}, "api.invalid_field"},
      {{{"name", "x"}, {"blob", "AAECAw=="}}, "api.invalid_field"},  // 4 bytes > 3
      {{{"name", "x"}, {"blob", ""}}, "api.invalid_field"},
      {{{"name", "x"}, {"blob", "AAEC"}, {"n", 11}}, "api.invalid_field"},
      {{{"name", "x"}, {"blob", "AAEC"}, {"n", 1.5}}, "api.invalid_field"},
      {{{"name", "x"}, {"blob", "AAEC"}, {"n", "1"}}, "api.invalid_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.doc.dump());
    ObjectReader reader(c.doc);
    Status s;
    if (auto v = reader.TakeString("name"); !v.ok()) {
      s = v.status();
    }
    if (s.ok()) {
      if (auto v = reader.TakeBase64("blob", true, 3); !v.ok()) {
        s = v.status();
      }
    }
    if (s.ok()) {
      if (auto v = reader.TakeInt("n", true, 0, 10); !v.ok()) {
        s = v.status();
      }
    }
    EXPECT_EQ(s.reason_id(), c.want);
  }
}

TEST(JsonBodyTest, HeaderValueIsCaseInsensitiveAndTrimmed) {
  HttpRequest r = JsonRequest("{}");
  EXPECT_EQ(HeaderValue(r, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderValue(r, "x-absent"), "");
}

}  // namespace
}  // namespace attest::service::http
