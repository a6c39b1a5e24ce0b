// ParseJsonText side by side with nlohmann's parser: every input accepted by one is accepted by
// the other with an equal value of the same types, except the refusals request bodies add
// (repeated keys, deep nesting, numbers a double cannot hold), which have their own table.
#include "service/http/json_parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest::service::http {
namespace {

using json = nlohmann::json;

// SameTypes reports whether a and b have the same JSON type at every node (nlohmann's == calls 1
// and 1u and 1.0 equal).
bool SameTypes(const json& a, const json& b) {
  if (a.type() != b.type()) {
    return false;
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !SameTypes(*it, b.at(it.key()))) {
        return false;
      }
    }
  }
  if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameTypes(a[i], b[i])) {
        return false;
      }
    }
  }
  return true;
}

// ExpectAgrees checks ParseJsonText against nlohmann on text. With may_repeat_keys, text may
// hold a repeated key, which nlohmann takes (the last value wins) and we refuse.
void ExpectAgrees(const std::string& text, bool may_repeat_keys = false) {
  const json theirs = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const Result<json> ours = ParseJsonText(text);
  if (may_repeat_keys && !ours.ok() && !theirs.is_discarded() &&
      ours.status().message().rfind("duplicate key", 0) == 0) {
    return;
  }
  ASSERT_EQ(ours.ok(), !theirs.is_discarded())
      << (ours.ok() ? "we accept, nlohmann refuses" : ours.status().ToString());
  if (!ours.ok()) {
    EXPECT_EQ(ours.status().reason_id(), "api.malformed_json");
    return;
  }
  EXPECT_EQ(*ours, theirs);
  EXPECT_TRUE(SameTypes(*ours, theirs)) << ours->dump() << " vs " << theirs.dump();
}

TEST(JsonParseTest, AgreesWithNlohmannOnValidText) {
  const std::vector<std::string> cases = {
      "{}",
      "[]",
      R"({"a":1})",
      R"({"a":[1,2,{"b":null}],"c":{"d":[]}})",
      " \t\r\n{\"a\" : true , \"b\":false}\n",
      R"("str")",
      "0",
      "-0",
      "-0.0",
      "7",
      "-7",
      "1.5e10",
      "1E-5",
      "2.5E+3",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "123456789012345678901234567890",
      "1.7976931348623157e308",
      "5e-324",
      "true",
      "false",
      "null",
      R"("\u00e9\u00E9")",
      R"("\ud83d\ude00")",
      R"("\uD834\uDD1E")",
      R"("\u0000")",
      R"("a\/b")",
      R"("\b\f\n\r\t\"\\")",
      "\"\xc3\xa9\"",
      "\"\xe6\x97\xa5\xe6\x9c\xac\"",
      "\"\xf0\x9f\x98\x80\"",
      "\"\xef\xbf\xbf\"",
      "\"\xf4\x8f\xbf\xbf\"",
      "\xef\xbb\xbf{}",
      "[1,[2,[3,[4]]]]",
      R"({"nonce":"00","eventlog":"QUJDRA==","pcrs":{"banks":{"sha256":{"0":"ab"}}}})",
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    ExpectAgrees(text);
  }
}

TEST(JsonParseTest, AgreesWithNlohmannOnInvalidText) {
  const std::vector<std::string> cases = {
      "",
      " ",
      "{",
      "}",
      "[1,]",
      R"({"a":1,})",
      "{a:1}",
      "{'a':1}",
      "01",
      "-",
      "-a",
      "1.",
      ".5",
      "1e",
      "1e+",
      "+1",
      "NaN",
      "Infinity",
      "tru",
      "nul",
      "truex",
      "\"abc",
      R"("\x41")",
      R"("\u12")",
      R"("\u12G4")",
      R"("\ud800")",
      R"("\udc00")",
      R"("\ud800\u0041")",
      R"("\ud800x")",
      "\"a\tb\"",
      "\"a\nb\"",
      "\"\x80\"",
      "\"\xc0\xaf\"",
      "\"\xc1\xbf\"",
      "\"\xe0\x80\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf0\x80\x80\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xf5\x80\x80\x80\"",
      "\"\xff\"",
      "\"\xe6\x97\"",
      "\"\xe6\x97",
      "{} {}",
      "[1] x",
      R"({"a":1}})",
      "[1 2]",
      R"({"a" 1})",
      R"({"a":})",
      "/* c */ {}",
      "{}//",
      "\xef\xbb\xbf",
      "\xef\xbb\xbf\xef\xbb\xbf{}",
      "\xef\xbb{}",
      std::string("\0", 1),
      std::string("\"a\0b\"", 5),
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    ExpectAgrees(text);
  }
}

// Every prefix and single-byte change of a realistic body: both parsers decide alike.
TEST(JsonParseTest, AgreesWithNlohmannOnEveryTruncationAndByteChange) {
  const std::string body =
      "{\"nonce\": \"0f1e\", \"quote\":\"/+AQ==\",\n \"pcrs\" : {\"banks\": {\"sha1\": "
      "{\"0\": \"ab\", \"7\": \"cd\"}}}, \"n\": [-1, 0, 2.5e-3, 1e2, true, false, null],"
      " \"s\": \"\\u00e9\\ud83d\\ude00\\n\xc3\xa9\xe6\x97\xa5\"}";
  ASSERT_TRUE(ParseJsonText(body).ok());
  for (size_t n = 0; n <= body.size(); ++n) {
    SCOPED_TRACE("prefix " + std::to_string(n));
    ExpectAgrees(body.substr(0, n));
  }
  const char replacements[] = {'\0', '"', '\\', ',', '}',    ']',    ':',   ' ',
                               'u',  '0', '-',  'e', '\x80', '\xc3', '\xff'};
  for (size_t i = 0; i < body.size(); ++i) {
    for (char r : replacements) {
      std::string changed = body;
      changed[i] = r;
      SCOPED_TRACE("byte " + std::to_string(i) + " := " + std::to_string(uint8_t(r)));
      ExpectAgrees(changed, /*may_repeat_keys=*/true);  // "7" := "0" repeats a key
    }
  }
}

TEST(JsonParseTest, RefusesWhatRequestBodiesMustNotCarry) {
  const struct {
    std::string name;
    std::string text;
    std::string want;  // reason id, "ok" for accepted
  } cases[] = {
      {"repeated key", R"({"a":1,"a":2})", "api.malformed_json"},
      {"repeated key nested", R"({"x":{"a":1,"b":2,"a":3}})", "api.malformed_json"},
      {"same key in sibling objects", R"([{"a":1},{"a":2}])", "ok"},
      {"same key at two levels", R"({"a":{"a":1}})", "ok"},
      {"nesting at the limit", std::string(64, '[') + std::string(64, ']'), "ok"},
      {"nesting past the limit", std::string(65, '[') + std::string(65, ']'), "api.malformed_json"},
      {"objects past the limit",
       [] {
         std::string s;
         for (int i = 0; i < 65; ++i) {
           s += "{\"a\":";
         }
         s += "1";
         for (int i = 0; i < 65; ++i) {
           s += "}";
         }
         return s;
       }(),
       "api.malformed_json"},
      {"overflow", "1e400", "api.malformed_json"},
      {"negative overflow", "-1e400", "api.malformed_json"},
      {"underflow", "1e-400", "api.malformed_json"},
      {"largest double", "1.7976931348623157e308", "ok"},
      // nlohmann stops at a NUL byte and ignores whatever follows; a body is all of its bytes.
      {"NUL after the value", std::string("{}\0", 3), "api.malformed_json"},
      {"NUL then more", std::string("{}\0{\"a\":1}", 10), "api.malformed_json"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ParseJsonText(c.text).status().reason_id(), c.want);
  }
}

// A long base64 string (the event log of a quote) comes back byte for byte.
TEST(JsonParseTest, LongStringsRoundTrip) {
  std::string blob;
  for (int i = 0; i < 60000; ++i) {
    blob += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
  }
  const json doc = {{"eventlog", blob}, {"other", "x\"y\\z\x01\xc3\xa9"}};
  const Result<json> parsed = ParseJsonText(doc.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, doc);
}

}  // namespace
}  // namespace attest::service::http
