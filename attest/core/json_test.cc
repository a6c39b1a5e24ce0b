// ReadJson's own rules and outputs. Its agreement with nlohmann on every valid and invalid text is
// tested through the API's adapter in service/http/json_parse_test.cc (every truncation and byte
// change of a realistic body).
#include "attest/core/json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest {
namespace {

// The reader fails with its caller's reason; core names no caller's, so the test has its own.
constexpr Reason kTestReason{"test.malformed_json", ErrorCode::kInvalidArgument};

TEST(ReadJson, SaysWhichRuleRefused) {
  const struct {
    const char* name;
    std::string text;
    JsonReadOptions options;
    bool ok;
    JsonErrorKind kind;
    std::string describe;
  } cases[] = {
      {"object", R"({"a":[1,2]})", {}, true, JsonErrorKind::kSyntax, ""},
      {"trailing bytes",
       "{} x",
       {},
       false,
       JsonErrorKind::kSyntax,
       "trailing characters after the JSON value at byte 3"},
      {"bytes after a NUL",
       std::string("{}\0{}", 5),
       {},
       false,
       JsonErrorKind::kSyntax,
       "trailing characters after the JSON value at byte 2"},
      {"NUL inside a string",
       std::string("\"a\0\"", 4),
       {},
       false,
       JsonErrorKind::kSyntax,
       "control character in a string at byte 2"},
      {"empty", "", {}, false, JsonErrorKind::kSyntax, "unexpected end of text at byte 0"},
      {"repeated key",
       R"({"k":1,"k":2})",
       {},
       false,
       JsonErrorKind::kDuplicateKey,
       "duplicate key \"k\""},
      {"repeated long key",
       "{\"" + std::string(200, 'k') + "\":1,\"" + std::string(200, 'k') + "\":2}",
       {},
       false,
       JsonErrorKind::kDuplicateKey,
       "duplicate key \"" + std::string(128, 'k') + "\""},
      {"depth at the limit", "[[[]]]", {SIZE_MAX, 3}, true, JsonErrorKind::kSyntax, ""},
      {"depth past the limit",
       "[[[[]]]]",
       {SIZE_MAX, 3},
       false,
       JsonErrorKind::kTooDeep,
       "nesting deeper than 3 at byte 3"},
      {"size at the limit", "[1]", {3}, true, JsonErrorKind::kSyntax, ""},
      {"size past the limit",
       "[1] ",
       {3},
       false,
       JsonErrorKind::kTooLarge,
       "text larger than 3 bytes at byte 3"},
      {"overflow",
       "1e400",
       {},
       false,
       JsonErrorKind::kSyntax,
       "number out of the range of a double at byte 5"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    JsonError error;
    Result<nlohmann::json> doc = ReadJson(c.text, kTestReason, c.options, &error);
    ASSERT_EQ(doc.ok(), c.ok) << doc.status().ToString();
    if (c.ok) {
      continue;
    }
    EXPECT_EQ(doc.status().reason_id(), "test.malformed_json");
    EXPECT_EQ(error.kind, c.kind);
    EXPECT_EQ(error.Describe(), c.describe);
    EXPECT_EQ(doc.status().message(), c.describe);
  }
}

TEST(ReadJson, KeepsTheDecodedKeyOfARepeat) {
  JsonError error;
  EXPECT_FALSE(ReadJson(R"({"x":{"\u0061":1,"a":2}})", kTestReason, {}, &error).ok());
  EXPECT_EQ(error.kind, JsonErrorKind::kDuplicateKey);
  EXPECT_EQ(error.key, "a");
}

TEST(ReadJson, HandsBackTopLevelMemberText) {
  const struct {
    const char* name;
    std::string text;
    std::vector<std::pair<std::string, std::string>> want;
  } cases[] = {
      {"compact",
       R"({"tcbInfo":{"a":1},"signature":"ab"})",
       {{"tcbInfo", R"({"a":1})"}, {"signature", R"("ab")"}}},
      {"spaces kept inside, trimmed outside",
       R"({ "signature" : "ab" , "tcbInfo" : {"a" : [1, {"b":"}"}]} })",
       {{"signature", R"("ab")"}, {"tcbInfo", R"({"a" : [1, {"b":"}"}]})"}}},
      {"escaped quote and brace in a string",
       R"({"t":{"s":"\"}"},"x":1})",
       {{"t", R"({"s":"\"}"})"}, {"x", "1"}}},
      {"nested members are not top level",
       R"({"x":{"t":{"a":1}},"t":{"b":2}})",
       {{"x", R"({"t":{"a":1}})"}, {"t", R"({"b":2})"}}},
      {"escaped name is decoded", R"({"\u0074":true})", {{"t", "true"}}},
      {"not an object", R"([{"t":1}])", {}},
      {"scalar", "7", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<JsonMemberText> members = {{"stale", "x"}};
    JsonReadOptions options;
    options.top_level_members = &members;
    Result<nlohmann::json> doc = ReadJson(c.text, kTestReason, options);
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    ASSERT_EQ(members.size(), c.want.size());
    for (size_t i = 0; i < members.size(); ++i) {
      EXPECT_EQ(members[i].name, c.want[i].first);
      EXPECT_EQ(members[i].text, c.want[i].second);
      // A view into the text read, never a copy.
      EXPECT_GE(members[i].text.data(), c.text.data());
      EXPECT_LE(members[i].text.data() + members[i].text.size(), c.text.data() + c.text.size());
    }
  }
}

TEST(SkipJsonValue, ChecksOneValueAndStopsAfterIt) {
  const struct {
    const char* name;
    std::string text;
    size_t pos;
    size_t want_end;  // 0: refused
  } cases[] = {
      {"object then garbage", R"({"a":[1,"]"]} garbage)", 0, 13},
      {"value inside a larger text", R"(xx"abc",)", 2, 7},
      {"number ends at the comma", "12,3", 0, 2},
      {"literal", "true}", 0, 4},
      {"leading space is not skipped", " 1", 0, 0},
      {"bad escape", R"("\x")", 0, 0},
      {"unterminated object", R"({"a":1)", 0, 0},
      {"repeated key", R"({"a":1,"a":1})", 0, 0},
      {"position past the end", "1", 1, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Result<size_t> end = SkipJsonValue(c.text, c.pos, kTestReason);
    if (c.want_end == 0) {
      EXPECT_EQ(end.status().reason_id(), "test.malformed_json");
    } else {
      ASSERT_TRUE(end.ok()) << end.status().ToString();
      EXPECT_EQ(*end, c.want_end);
    }
  }
}

TEST(Members, ReadOnlyTheirOwnTypeAndNeverThrow) {
  const nlohmann::json doc = {{"s", "text"}, {"n", 1},     {"b", true},
                              {"f", false},  {"a", {"x"}}, {"o", {{"s", "inner"}}},
                              {"z", nullptr}};
  EXPECT_EQ(StringMember(doc, "s"), "text");
  for (const char* other : {"n", "b", "a", "o", "z", "missing"}) {
    SCOPED_TRACE(other);
    EXPECT_EQ(StringMember(doc, other), "");
  }
  EXPECT_TRUE(BoolMember(doc, "b"));
  for (const char* other : {"f", "s", "n", "a", "o", "z", "missing"}) {
    SCOPED_TRACE(other);
    EXPECT_FALSE(BoolMember(doc, other));
  }
  for (const nlohmann::json& not_object :
       {nlohmann::json(), nlohmann::json("s"), nlohmann::json::array({"s"}), nlohmann::json(3)}) {
    EXPECT_EQ(StringMember(not_object, "s"), "");
    EXPECT_FALSE(BoolMember(not_object, "b"));
  }
}

}  // namespace
}  // namespace attest
