#include "attest/core/encoding.h"

#include <gtest/gtest.h>

namespace attest {
namespace {

TEST(HexTest, RoundTrip) {
  const Bytes data = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(HexEncode(data), "00abff10");
  EXPECT_EQ(*HexDecode("00ABff10"), data);
  EXPECT_TRUE(HexDecode("")->empty());
}

TEST(HexTest, Rejects) {
  struct Case {
    const char* name;
    const char* input;
  } cases[] = {{"odd", "abc"}, {"bad char", "0g"}, {"space", "00 1"}, {"prefix", "0x00"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = HexDecode(c.input);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "core.bad_hex");
  }
}

TEST(Base64Test, Rfc4648Vectors) {
  struct Case {
    const char* plain;
    const char* encoded;
  } cases[] = {{"", ""},
               {"f", "Zg=="},
               {"fo", "Zm8="},
               {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="},
               {"fooba", "Zm9vYmE="},
               {"foobar", "Zm9vYmFy"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.plain);
    EXPECT_EQ(Base64Encode(AsBytes(c.plain)), c.encoded);
    auto decoded = Base64Decode(c.encoded);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), c.plain);
  }
}

TEST(Base64Test, UrlAlphabetUnpadded) {
  const Bytes data = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(data), "-_-_");
  EXPECT_EQ(Base64Encode(data), "+/+/");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), data);
  EXPECT_EQ(Base64UrlEncode(Bytes{0x01}), "AQ");
  EXPECT_EQ(*Base64UrlDecode("AQ"), Bytes{0x01});
}

TEST(Base64Test, Rejects) {
  const char* cases[] = {"Zg=", "Z", "Zm9v!", "Zh==", "Zm 9v", "====", "Zg==Zg=="};
  for (const char* c : cases) {
    SCOPED_TRACE(c);
    auto r = Base64Decode(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "core.bad_base64");
  }
}

}  // namespace
}  // namespace attest
