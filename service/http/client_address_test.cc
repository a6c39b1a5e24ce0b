#include "service/http/client_address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest::service::http {
namespace {

std::vector<IpNetwork> Networks(std::initializer_list<const char*> cidrs) {
  std::vector<IpNetwork> out;
  for (const char* c : cidrs) {
    Result<IpNetwork> n = ParseCidr(c);
    EXPECT_TRUE(n.ok()) << c;
    out.push_back(*n);
  }
  return out;
}

HttpRequest From(const std::string& peer, std::vector<HttpHeader> headers) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/v1/attest";
  r.remote_address = peer;
  r.headers = std::move(headers);
  return r;
}

std::string Repeat(const std::string& item, size_t n, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += (i == 0 ? "" : sep) + item;
  }
  return out;
}

TEST(ClientAddressTest, Resolve) {
  const std::vector<IpNetwork> trusted = Networks({"127.0.0.0/8", "10.0.0.0/8", "2001:db8:f::/48"});
  const std::string proxy = "127.0.0.1";
  struct Case {
    std::string name;
    std::string peer;
    std::vector<HttpHeader> headers;
    std::string want;
  } cases[] = {
      // --- the peer itself ---
      {"no headers", proxy, {}, "127.0.0.1"},
      {"untrusted peer ignores xff",
       "203.0.113.5",
       {{"X-Forwarded-For", "198.51.100.1"}},
       "203.0.113.5"},
      {"untrusted peer ignores forwarded",
       "203.0.113.5",
       {{"Forwarded", "for=198.51.100.1"}},
       "203.0.113.5"},
      {"peer canonicalised", "::ffff:203.0.113.5", {}, "203.0.113.5"},
      {"v4-mapped trusted peer",
       "::ffff:127.0.0.1",
       {{"X-Forwarded-For", "198.51.100.1"}},
       "198.51.100.1"},
      {"no peer (tests)", "", {{"X-Forwarded-For", "198.51.100.1"}}, ""},
      {"peer not an address", "garbage", {{"X-Forwarded-For", "198.51.100.1"}}, "garbage"},

      // --- X-Forwarded-For ---
      {"xff one hop", proxy, {{"X-Forwarded-For", "198.51.100.1"}}, "198.51.100.1"},
      {"xff header name case", proxy, {{"x-fOrWaRdEd-FoR", "198.51.100.1"}}, "198.51.100.1"},
      {"xff right-most untrusted",
       proxy,
       {{"X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.1.2.3"}},
       "198.51.100.1"},
      {"xff spoofed left part ignored",
       proxy,
       {{"X-Forwarded-For", "127.0.0.1, 198.51.100.1"}},
       "198.51.100.1"},
      {"xff all trusted: left-most",
       proxy,
       {{"X-Forwarded-For", "10.0.0.9, 10.0.0.8"}},
       "10.0.0.9"},
      {"xff fields joined in order",
       proxy,
       {{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "198.51.100.1, 10.0.0.1"}},
       "198.51.100.1"},
      {"xff ipv6", proxy, {{"X-Forwarded-For", "2001:DB8::1"}}, "2001:db8::1"},
      {"xff ipv6 brackets", proxy, {{"X-Forwarded-For", "[2001:db8::1]"}}, "2001:db8::1"},
      {"xff ipv6 brackets port", proxy, {{"X-Forwarded-For", "[2001:db8::1]:4711"}}, "2001:db8::1"},
      {"xff ipv4 port", proxy, {{"X-Forwarded-For", "198.51.100.1:4711"}}, "198.51.100.1"},
      {"xff trusted ipv6 proxy skipped",
       proxy,
       {{"X-Forwarded-For", "198.51.100.1, 2001:db8:f::7"}},
       "198.51.100.1"},
      {"xff empty elements ignored",
       proxy,
       {{"X-Forwarded-For", " , 198.51.100.1 ,, "}},
       "198.51.100.1"},
      {"xff tabs", proxy, {{"X-Forwarded-For", "\t198.51.100.1\t"}}, "198.51.100.1"},
      {"xff garbage tail falls back", proxy, {{"X-Forwarded-For", "198.51.100.1, garbage"}}, proxy},
      {"xff garbage left of client ignored",
       proxy,
       {{"X-Forwarded-For", "garbage, <script>, 198.51.100.1"}},
       "198.51.100.1"},
      {"xff unknown falls back", proxy, {{"X-Forwarded-For", "unknown"}}, proxy},
      {"xff name falls back", proxy, {{"X-Forwarded-For", "client.example"}}, proxy},
      {"xff empty falls back", proxy, {{"X-Forwarded-For", ""}}, proxy},
      {"xff only commas", proxy, {{"X-Forwarded-For", ",,,"}}, proxy},
      {"xff port too big", proxy, {{"X-Forwarded-For", "198.51.100.1:65536"}}, proxy},
      {"xff port zero", proxy, {{"X-Forwarded-For", "198.51.100.1:0"}}, proxy},
      {"xff ipv6 zone", proxy, {{"X-Forwarded-For", "fe80::1%eth0"}}, proxy},
      {"xff ipv4 in brackets", proxy, {{"X-Forwarded-For", "[198.51.100.1]"}}, proxy},
      {"xff unclosed bracket", proxy, {{"X-Forwarded-For", "[2001:db8::1"}}, proxy},
      {"xff junk after bracket", proxy, {{"X-Forwarded-For", "[2001:db8::1]x"}}, proxy},
      {"xff cidr", proxy, {{"X-Forwarded-For", "198.51.100.0/24"}}, proxy},
      {"xff nul byte", proxy, {{"X-Forwarded-For", std::string("198.51.100.1\0", 13)}}, proxy},
      {"xff high bytes", proxy, {{"X-Forwarded-For", "\xff\xfe\x80"}}, proxy},
      {"xff huge list of clients: right-most wins",
       proxy,
       {{"X-Forwarded-For", Repeat("6.6.6.6", 100000, ",") + ",198.51.100.1"}},
       "198.51.100.1"},
      {"xff too many trusted hops",
       proxy,
       {{"X-Forwarded-For", "198.51.100.1," + Repeat("10.0.0.1", kMaxForwardedHops, ",")}},
       proxy},
      {"xff as many trusted hops as allowed",
       proxy,
       {{"X-Forwarded-For", "198.51.100.1," + Repeat("10.0.0.1", kMaxForwardedHops - 1, ",")}},
       "198.51.100.1"},
      {"xff huge garbage", proxy, {{"X-Forwarded-For", std::string(1 << 20, 'x')}}, proxy},

      // --- Forwarded (RFC 7239) ---
      {"fwd ipv4", proxy, {{"Forwarded", "for=198.51.100.1"}}, "198.51.100.1"},
      {"fwd name case", proxy, {{"FORWARDED", "For=198.51.100.1"}}, "198.51.100.1"},
      {"fwd quoted ipv6 port", proxy, {{"Forwarded", "for=\"[2001:db8::1]:4711\""}}, "2001:db8::1"},
      {"fwd quoted ipv6", proxy, {{"Forwarded", "for=\"[2001:db8::1]\""}}, "2001:db8::1"},
      {"fwd quoted ipv4 port", proxy, {{"Forwarded", "for=\"198.51.100.1:80\""}}, "198.51.100.1"},
      {"fwd other pairs",
       proxy,
       {{"Forwarded", "by=10.0.0.1;for=198.51.100.1;host=a.example;proto=https"}},
       "198.51.100.1"},
      {"fwd spaces around pairs",
       proxy,
       {{"Forwarded", " for=198.51.100.1 ; proto=https "}},
       "198.51.100.1"},
      {"fwd right-most untrusted",
       proxy,
       {{"Forwarded", "for=6.6.6.6, for=198.51.100.1, for=10.0.0.1"}},
       "198.51.100.1"},
      {"fwd fields joined",
       proxy,
       {{"Forwarded", "for=6.6.6.6"}, {"Forwarded", "for=198.51.100.1"}},
       "198.51.100.1"},
      {"fwd wins over xff",
       proxy,
       {{"X-Forwarded-For", "6.6.6.6"}, {"Forwarded", "for=198.51.100.1"}},
       "198.51.100.1"},
      {"fwd wins over later xff",
       proxy,
       {{"Forwarded", "for=198.51.100.1"}, {"X-Forwarded-For", "6.6.6.6"}},
       "198.51.100.1"},
      {"fwd quoted comma does not split",
       proxy,
       {{"Forwarded", "for=198.51.100.1;x=\"a, for=6.6.6.6\""}},
       "198.51.100.1"},
      {"fwd escaped quote",
       proxy,
       {{"Forwarded", "for=198.51.100.1;x=\"a\\\"b\""}},
       "198.51.100.1"},
      {"fwd unbalanced quote in client field",
       proxy,
       {{"Forwarded", "for=\"6.6.6.6"}, {"Forwarded", "for=198.51.100.1"}},
       "198.51.100.1"},
      {"fwd unbalanced quote in last field",
       proxy,
       {{"Forwarded", "for=198.51.100.1, for=\"6.6.6.6"}},
       proxy},
      {"fwd unknown", proxy, {{"Forwarded", "for=unknown"}}, proxy},
      {"fwd obfuscated", proxy, {{"Forwarded", "for=_hidden"}}, proxy},
      {"fwd obfuscated behind trusted", proxy, {{"Forwarded", "for=_hidden, for=10.0.0.1"}}, proxy},
      {"fwd obfuscated port", proxy, {{"Forwarded", "for=\"198.51.100.1:_p1\""}}, "198.51.100.1"},
      {"fwd unbracketed ipv6", proxy, {{"Forwarded", "for=\"2001:db8::1\""}}, proxy},
      {"fwd no for", proxy, {{"Forwarded", "proto=https;by=10.0.0.1"}}, proxy},
      {"fwd two fors", proxy, {{"Forwarded", "for=198.51.100.1;for=6.6.6.6"}}, proxy},
      {"fwd empty value", proxy, {{"Forwarded", "for="}}, proxy},
      {"fwd no equals", proxy, {{"Forwarded", "198.51.100.1"}}, proxy},
      {"fwd bad pair name", proxy, {{"Forwarded", "f(r=198.51.100.1"}}, proxy},
      {"fwd junk after value", proxy, {{"Forwarded", "for=198.51.100.1 junk"}}, proxy},
      {"fwd trailing backslash", proxy, {{"Forwarded", "for=\"198.51.100.1\\"}}, proxy},
      {"fwd empty", proxy, {{"Forwarded", ""}}, proxy},
      {"fwd empty does not enable xff",
       proxy,
       {{"Forwarded", ""}, {"X-Forwarded-For", "198.51.100.1"}},
       proxy},
      {"fwd huge list",
       proxy,
       {{"Forwarded", Repeat("for=6.6.6.6", 50000, ", ") + ", for=198.51.100.1"}},
       "198.51.100.1"},
      {"fwd huge quoted value",
       proxy,
       {{"Forwarded", "for=\"" + std::string(1 << 20, '[') + "\""}},
       proxy},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ResolveClientAddress(From(c.peer, c.headers), trusted), c.want);
  }
}

TEST(ClientAddressTest, NoTrustedProxiesIgnoresHeaders) {
  EXPECT_EQ(ResolveClientAddress(From("127.0.0.1", {{"X-Forwarded-For", "198.51.100.1"},
                                                    {"Forwarded", "for=198.51.100.2"}}),
                                 {}),
            "127.0.0.1");
}

}  // namespace
}  // namespace attest::service::http
