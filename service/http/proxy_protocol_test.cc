#include "service/http/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace attest::service::http {
namespace {

const std::string kSig("\r\n\r\n\0\r\nQUIT\n", 12);

// Header builds a PROXY v2 header: version/command byte, family byte, then the address block.
std::string Header(uint8_t ver_cmd, uint8_t family, const std::string& block) {
  std::string out = kSig;
  out += static_cast<char>(ver_cmd);
  out += static_cast<char>(family);
  out += static_cast<char>(block.size() >> 8);
  out += static_cast<char>(block.size() & 0xff);
  return out + block;
}

std::string Tcp4(const std::string& tlvs = "") {
  // 192.0.2.7:51000 -> 10.0.0.1:8443
  return std::string("\xc0\x00\x02\x07\x0a\x00\x00\x01\xc7\x38\x20\xfb", 12) + tlvs;
}

std::string Tcp6(const std::string& source) {
  return source + std::string(16, '\0') + std::string("\x01\x02\x03\x04", 4);
}

TEST(ProxyProtocolTest, ReadsTheClientAddress) {
  struct Case {
    const char* name;
    std::string header;
    std::optional<std::string> client;
  } cases[] = {
      {"tcp4", Header(0x21, 0x11, Tcp4()), "192.0.2.7"},
      {"tcp4 with TLVs", Header(0x21, 0x11, Tcp4(std::string("\x04\x00\x02hi", 5))), "192.0.2.7"},
      {"tcp6",
       Header(0x21, 0x21,
              Tcp6(std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x05")),
       "2001:db8::5"},
      {"tcp6 mapped ipv4",
       Header(0x21, 0x21, Tcp6(std::string(10, '\0') + std::string("\xff\xff\x7f\x00\x00\x09", 6))),
       "127.0.0.9"},
      {"local (health check)", Header(0x20, 0x00, ""), std::nullopt},
      {"local with a block", Header(0x20, 0x11, Tcp4()), std::nullopt},
      {"unspec family", Header(0x21, 0x00, ""), std::nullopt},
      {"unix stream", Header(0x21, 0x31, std::string(216, 'x')), std::nullopt},
      {"udp4", Header(0x21, 0x12, Tcp4()), std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<size_t> length = ProxyV2Length(c.header.substr(0, kProxyV2FixedBytes));
    ASSERT_TRUE(length.ok()) << length.status().ToString();
    EXPECT_EQ(*length + kProxyV2FixedBytes, c.header.size());
    Result<std::optional<std::string>> client = ParseProxyV2(c.header);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    EXPECT_EQ(*client, c.client);
  }
}

TEST(ProxyProtocolTest, RefusesMalformedHeaders) {
  std::string wrong_sig = Header(0x21, 0x11, Tcp4());
  wrong_sig[3] = 'x';
  const std::string v1 = "PROXY TCP4 192.0.2.7 10.0.0.1 51000 8443\r\n";
  std::string big = Header(0x21, 0x11, std::string(1025, '\0'));
  struct Case {
    const char* name;
    std::string header;
  } cases[] = {
      {"wrong signature", wrong_sig},
      {"version 1 text", v1},
      {"version 3", Header(0x31, 0x11, Tcp4())},
      {"unknown command", Header(0x22, 0x11, Tcp4())},
      {"tcp4 block short", Header(0x21, 0x11, Tcp4().substr(0, 11))},
      {"tcp6 block short", Header(0x21, 0x21, std::string(35, '\0'))},
      {"too long", big},
      {"short fixed part", kSig + "\x21"},
      {"a TLS hello",
       std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(16, 'r')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::optional<std::string>> client = ParseProxyV2(c.header);
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.status().reason_id(), "api.bad_request");
  }
  // The length field must match what was read.
  std::string extra = Header(0x21, 0x11, Tcp4()) + "x";
  EXPECT_FALSE(ParseProxyV2(extra).ok());
}

}  // namespace
}  // namespace attest::service::http
