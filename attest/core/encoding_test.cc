#include "attest/core/encoding.h"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>

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

// Every length 0..99 round trips in both alphabets; each character of an encoding replaced by one
// outside the alphabet is refused, naming its offset; a flipped trailing bit is refused.
TEST(Base64Test, EveryLengthAndEveryPosition) {
  for (size_t n = 0; n < 100; ++n) {
    SCOPED_TRACE(n);
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) {
      data[i] = static_cast<uint8_t>(i * 37 + n);
    }
    const std::string std_text = Base64Encode(data), url_text = Base64UrlEncode(data);
    ASSERT_EQ(Base64Decode(std_text).value(), data);
    ASSERT_EQ(Base64UrlDecode(url_text).value(), data);
    for (size_t i = 0; i < std_text.size(); ++i) {
      if (std_text[i] == '=') {
        continue;
      }
      std::string bad = std_text;
      bad[i] = '*';
      auto r = Base64Decode(bad);
      ASSERT_FALSE(r.ok()) << bad;
      EXPECT_EQ(r.status().reason_id(), "core.bad_base64");
      EXPECT_EQ(r.status().message(), "base64: invalid character at offset " + std::to_string(i));
    }
    if (n % 3 != 0) {
      // The last character before the padding carries unused low bits: set one.
      std::string bad = std_text;
      const size_t last = bad.find('=') == std::string::npos ? bad.size() - 1 : bad.find('=') - 1;
      bad[last] = bad[last] == 'A' ? 'B' : 'A';
      if (Base64Decode(bad).ok()) {
        EXPECT_EQ(Base64Encode(*Base64Decode(bad)), bad);  // only a canonical encoding decodes
      } else {
        EXPECT_EQ(Base64Decode(bad).status().reason_id(), "core.bad_base64");
      }
    }
  }
}

TEST(PercentDecodeTest, DecodesEscapesAndRefusesBrokenOnes) {
  const struct {
    std::string in;
    std::optional<std::string> want;
  } cases[] = {
      {"", ""},
      {"plain+text", "plain+text"},
      {"a%20b", "a b"},
      {"%2f%2F", "//"},
      {"%00", std::string(1, '\0')},
      {"%ff", "\xff"},
      {"end%41", "endA"},
      {"%", std::nullopt},
      {"%4", std::nullopt},
      {"x%4", std::nullopt},
      {"%g0", std::nullopt},
      {"%0g", std::nullopt},
      {"%%41", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(PercentDecode(c.in), c.want) << c.in;
  }
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const int want = std::isxdigit(c) ? std::stoi(std::string(1, ch), nullptr, 16) : -1;
    EXPECT_EQ(HexDigitValue(ch), want) << c;
  }
}

}  // namespace
}  // namespace attest
