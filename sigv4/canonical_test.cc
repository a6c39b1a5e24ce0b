#include "sigv4/canonical.h"

#include <gtest/gtest.h>

namespace attest::sigv4 {
namespace {

TEST(UriEncode, Table) {
  const struct {
    std::string in;
    bool keep_slash;
    std::string want;
  } cases[] = {
      {"-._~AZaz09", false, "-._~AZaz09"},
      {"a b", false, "a%20b"},
      {"a/b", false, "a%2Fb"},
      {"a/b", true, "a/b"},
      {"+=&%", false, "%2B%3D%26%25"},
      {"\xe1\x88\xb4", false, "%E1%88%B4"},
      {std::string("\0\xff", 2), false, "%00%FF"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(UriEncode(c.in, c.keep_slash), c.want);
  }
}

TEST(PercentDecode, Table) {
  const struct {
    std::string in, want;
  } cases[] = {
      {"%E1%88%b4", "\xe1\x88\xb4"},
      {"a%20b", "a b"},
      {"100%", "100%"},
      {"%2", "%2"},
      {"%zz", "%zz"},
      {"a+b", "a+b"},
      {"", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(PercentDecode(c.in), c.want);
  }
}

TEST(NormalizePath, Table) {
  const struct {
    std::string in, want;
  } cases[] = {
      {"", "/"},
      {"/", "/"},
      {"//example//", "/example/"},
      {"/./", "/"},
      {"/./example", "/example"},
      {"/example1/example2/../..", "/"},
      {"/example/..", "/"},
      {"/a/b/..", "/a/"},
      {"/a/b/.", "/a/b/"},
      {"/../../a", "/a"},
      {"/a/./b/../c", "/a/c"},
      {"/a..b/.c", "/a..b/.c"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(NormalizePath(c.in), c.want);
  }
}

TEST(CanonicalUri, DoubleEncodingIsOptional) {
  EXPECT_EQ(CanonicalUri("/a%20b", true, true), "/a%2520b");
  EXPECT_EQ(CanonicalUri("/a%20b", true, false), "/a%20b");
  EXPECT_EQ(CanonicalUri("/a b//c", false, true), "/a%20b//c");
  EXPECT_EQ(CanonicalUri("", false, true), "/");
}

TEST(CanonicalQuery, SortsAndEncodes) {
  const struct {
    std::string in, want;
  } cases[] = {
      {"", ""},
      {"b=2&a=1", "a=1&b=2"},
      {"a=2&a=1", "a=1&a=2"},
      {"a&b=", "a=&b="},
      {"&&a=1&&", "a=1"},
      {"Param-3=v&Param=v", "Param=v&Param-3=v"},
      {"k=a b", "k=a%20b"},
      {"k=a%2Fb", "k=a%2Fb"},
      {"k=a=b", "k=a%3Db"},
      {"%e1%88%b4=1", "%E1%88%B4=1"},
      {"B=1&a=1", "B=1&a=1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(CanonicalQuery(ParseQuery(c.in)), c.want);
  }
  EXPECT_EQ(CanonicalQuery(ParseQuery("a=1&X-Amz-Signature=ff"), "X-Amz-Signature"), "a=1");
}

TEST(TrimAll, Table) {
  const struct {
    std::string in, want;
  } cases[] = {
      {"  value1 ", "value1"},
      {"\"a   b   c\"", "\"a b c\""},
      {"a\t \tb", "a b"},
      {"", ""},
      {"   ", ""},
      {"x", "x"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(TrimAll(c.in), c.want);
  }
}

TEST(CanonicalHeaders, JoinsRepeatsAndFailsOnMissing) {
  HttpRequest req;
  req.headers = {{"My-Header1", "value2"}, {"Host", " h "}, {"my-header1", "  value1  x "}};
  auto block = CanonicalHeaders(req, {"host", "my-header1"});
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, "host:h\nmy-header1:value2,value1 x\n");
  EXPECT_EQ(CanonicalHeaders(req, {"host", "x-absent"}).status().reason_id(),
            "sigv4.authorization_malformed");
}

TEST(AmzDate, ParseAndFormat) {
  auto t = ParseAmzDate("20150830T123600Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ToUnixSeconds(*t), 1440938160);
  EXPECT_EQ(FormatAmzDate(*t), "20150830T123600Z");
  EXPECT_EQ(FormatAmzDate(*ParseAmzDate("20240229T235959Z")), "20240229T235959Z");
  for (const char* bad :
       {"", "20150830T123600", "20150830 123600Z", "2015083OT123600Z", "20150230T123600Z",
        "20150830T243600Z", "20150830T126000Z", "20150830T123660Z", "20151330T123600Z",
        "20150830T123600Z0", "+0150830T123600Z"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseAmzDate(bad).status().reason_id(), "sigv4.bad_date");
  }
}

}  // namespace
}  // namespace attest::sigv4
