#include "service/http/ip_address.h"

#include <gtest/gtest.h>

#include "service/http/reasons.h"

namespace attest::service::http {
namespace {

TEST(IpAddressTest, ParsesLiteralsToCanonicalText) {
  struct Case {
    const char* name;
    const char* input;
    const char* want;  // "" = refused
  } cases[] = {
      {"ipv4", "192.0.2.1", "192.0.2.1"},
      {"ipv4 any", "0.0.0.0", "0.0.0.0"},
      {"ipv6 loopback", "::1", "::1"},
      {"ipv6 any", "::", "::"},
      {"ipv6 long form", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"ipv6 upper case", "2001:DB8::A", "2001:db8::a"},
      {"v4-mapped becomes ipv4", "::ffff:127.0.0.1", "127.0.0.1"},
      {"empty", "", ""},
      {"name", "localhost", ""},
      {"leading space", " 192.0.2.1", ""},
      {"trailing space", "192.0.2.1 ", ""},
      {"three parts", "192.0.2", ""},
      {"octet too large", "192.0.2.256", ""},
      {"leading zero octet", "192.0.2.01", ""},
      {"hex ipv4", "0xc0.0.2.1", ""},
      {"brackets", "[::1]", ""},
      {"port", "192.0.2.1:80", ""},
      {"zone id", "fe80::1%eth0", ""},
      {"two double colons", "1::2::3", ""},
      {"nine groups", "1:2:3:4:5:6:7:8:9", ""},
      {"cidr", "10.0.0.0/8", ""},
      {"very long", "1111111111111111111111111111111111111111111111111111111111111111111", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::optional<IpAddress> a = ParseIpAddress(c.input);
    if (std::string(c.want).empty()) {
      EXPECT_FALSE(a.has_value());
    } else {
      ASSERT_TRUE(a.has_value());
      EXPECT_EQ(a->ToString(), c.want);
    }
  }
  EXPECT_FALSE(ParseIpAddress(std::string_view("1.2.3.4\0", 8)).has_value());
}

TEST(IpAddressTest, ParseCidr) {
  struct Case {
    const char* name;
    const char* input;
    const char* want;  // canonical network, "" = refused with api.config_invalid
  } cases[] = {
      {"ipv4 /8", "10.0.0.0/8", "10.0.0.0/8"},
      {"ipv4 /0", "0.0.0.0/0", "0.0.0.0/0"},
      {"ipv4 /32", "192.0.2.7/32", "192.0.2.7/32"},
      {"ipv4 host", "192.0.2.7", "192.0.2.7/32"},
      {"ipv4 /20", "172.16.0.0/12", "172.16.0.0/12"},
      {"ipv6 /32", "2001:db8::/32", "2001:db8::/32"},
      {"ipv6 /0", "::/0", "::/0"},
      {"ipv6 host", "::1", "::1/128"},
      {"ipv6 /127", "2001:db8::2/127", "2001:db8::2/127"},
      {"ipv4 host bits set", "10.0.0.1/8", ""},
      {"ipv6 host bits set", "2001:db8::1/64", ""},
      {"ipv4 prefix too long", "10.0.0.0/33", ""},
      {"ipv6 prefix too long", "::/129", ""},
      {"negative prefix", "10.0.0.0/-1", ""},
      {"empty prefix", "10.0.0.0/", ""},
      {"leading zero prefix", "10.0.0.0/08", ""},
      {"plus prefix", "10.0.0.0/+8", ""},
      {"space", "10.0.0.0 /8", ""},
      {"two slashes", "10.0.0.0/8/8", ""},
      {"prefix text", "10.0.0.0/eight", ""},
      {"name", "proxy.example/32", ""},
      {"empty", "", ""},
      {"slash only", "/8", ""},
      {"v4-mapped network", "::ffff:10.0.0.0/104", ""},
      {"brackets", "[::1]/128", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<IpNetwork> n = ParseCidr(c.input);
    if (std::string(c.want).empty()) {
      ASSERT_FALSE(n.ok());
      EXPECT_EQ(n.status().reason_id(), reasons::kApiConfig.id);
    } else {
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      EXPECT_EQ(n->ToString(), c.want);
    }
  }
}

TEST(IpAddressTest, Contains) {
  struct Case {
    const char* name;
    const char* network;
    const char* address;
    bool want;
  } cases[] = {
      {"inside /8", "10.0.0.0/8", "10.255.1.2", true},
      {"outside /8", "10.0.0.0/8", "11.0.0.0", false},
      {"inside /12 edge", "172.16.0.0/12", "172.31.255.255", true},
      {"outside /12 edge", "172.16.0.0/12", "172.32.0.0", false},
      {"host", "192.0.2.7", "192.0.2.7", true},
      {"host neighbour", "192.0.2.7", "192.0.2.6", false},
      {"all ipv4", "0.0.0.0/0", "203.0.113.9", true},
      {"ipv4 net never holds ipv6", "0.0.0.0/0", "::1", false},
      {"ipv6 net never holds ipv4", "::/0", "127.0.0.1", false},
      {"v4-mapped peer in ipv4 net", "127.0.0.0/8", "::ffff:127.0.0.1", true},
      {"ipv6 /32", "2001:db8::/32", "2001:db8:ffff::1", true},
      {"ipv6 outside /32", "2001:db8::/32", "2001:db9::1", false},
      {"ipv6 /127", "2001:db8::2/127", "2001:db8::3", true},
      {"ipv6 outside /127", "2001:db8::2/127", "2001:db8::4", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<IpNetwork> n = ParseCidr(c.network);
    ASSERT_TRUE(n.ok());
    std::optional<IpAddress> a = ParseIpAddress(c.address);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(n->Contains(*a), c.want);
  }
}

}  // namespace
}  // namespace attest::service::http
