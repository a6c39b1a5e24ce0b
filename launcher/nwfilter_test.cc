#include "launcher/nwfilter.h"

#include <gtest/gtest.h>

#include <functional>

#include "launcher/xml.h"

namespace attest::launcher {
namespace {

SecurityGroup WebGroup() {
  SecurityGroup g;
  g.id = "sg-web";
  g.tenant = "tenant-a";
  g.rules = {
      {Protocol::kTcp, 22, 22, "10.0.0.0/8", ""},
      {Protocol::kTcp, 8000, 8080, "", "sg-app"},
      {Protocol::kIcmp, 0, 0, "0.0.0.0/0", ""},
      {Protocol::kUdp, 53, 53, "192.168.1.7", ""},
  };
  return g;
}

const GroupMembers kMembers = {{"sg-app", {"10.1.0.5", "10.1.0.6"}}, {"sg-empty", {}}};

TEST(Cidr, ParsesStrictly) {
  struct Case {
    const char* text;
    bool ok;
    const char* want;
  };
  const Case cases[] = {
      {"10.0.0.0/8", true, "10.0.0.0/8"},
      {"0.0.0.0/0", true, "0.0.0.0/0"},
      {"192.168.1.7", true, "192.168.1.7/32"},
      {"255.255.255.255/32", true, "255.255.255.255/32"},
      {"10.0.0.1/8", false, ""},  // host bits
      {"10.0.0.0/33", false, ""},
      {"10.0.0.0/", false, ""},
      {"10.0.0.0/08", false, ""},
      {"10.0.0/8", false, ""},
      {"10.0.0.0.0/8", false, ""},
      {"256.0.0.0/8", false, ""},
      {"010.0.0.0/8", false, ""},
      {"+1.0.0.0/8", false, ""},
      {"1.0.0.0/-1", false, ""},
      {" 1.0.0.0/8", false, ""},
      {"1..0.0/8", false, ""},
      {"::1/128", false, ""},
      {"", false, ""},
      {"a.b.c.d/8", false, ""},
      {"1.2.3.4/32/1", false, ""},
      {"1.2.3.4\n", false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseCidr(c.text);
    ASSERT_EQ(r.ok(), c.ok);
    if (c.ok) {
      EXPECT_EQ(r->ToString(), c.want);
    } else {
      EXPECT_EQ(r.status().reason_id(), "launcher.invalid_cidr");
    }
  }
}

TEST(NwFilter, DocumentStructure) {
  auto xml = BuildNwFilterXml(WebGroup(), kMembers);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = ParseXml(*xml, reasons::kLauncherXml);
  ASSERT_TRUE(doc.ok());
  xmlDoc* d = doc->get();
  EXPECT_EQ(XPathString(d, "/filter/@name"), "attest-sg-sg-web");
  EXPECT_EQ(XPathString(d, "/filter/@chain"), "root");
  // 1 + 2 (expanded group) + 1 + 1 inbound accepts, nothing else: the VM filter adds the rest.
  EXPECT_EQ(XPathCount(d, "/filter/rule[@action='accept'][@direction='in']"), 5u);
  EXPECT_EQ(XPathCount(d, "/filter/rule"), 5u);
  EXPECT_EQ(XPathCount(d, "/filter/filterref"), 0u);
  EXPECT_EQ(XPathCount(d,
                       "/filter/rule/tcp[@srcipaddr='10.0.0.0'][@srcipmask='8']"
                       "[@dstportstart='22'][@dstportend='22']"),
            1u);
  EXPECT_EQ(XPathCount(d,
                       "/filter/rule/tcp[@srcipmask='32'][@dstportstart='8000']"
                       "[@dstportend='8080']"),
            2u);
  EXPECT_EQ(XPathString(d, "/filter/rule/tcp[@srcipaddr='10.1.0.6']/@dstportend"), "8080");
  EXPECT_EQ(XPathCount(d, "/filter/rule/icmp[@srcipaddr='0.0.0.0'][@srcipmask='0']"), 1u);
  EXPECT_EQ(XPathCount(d, "/filter/rule/icmp/@dstportstart"), 0u);
  EXPECT_EQ(XPathCount(d, "/filter/rule/udp[@srcipaddr='192.168.1.7'][@dstportstart='53']"), 1u);
  // No accept rule may come after the VM filter's drop in priority order.
  EXPECT_EQ(XPathCount(d, "/filter/rule[@action='accept'][@priority >= 1000]"), 0u);
}

TEST(NwFilter, VmFilterCleanTrafficGroupsAndFinalDrop) {
  auto xml =
      BuildVmFilterXml("3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01", {"attest-sg-web", "attest-sg-ssh"});
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = ParseXml(*xml, reasons::kLauncherXml);
  ASSERT_TRUE(doc.ok());
  xmlDoc* d = doc->get();
  EXPECT_EQ(XPathString(d, "/filter/@name"), "attest-vm-3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01");
  EXPECT_EQ(XPathStrings(d, "/filter/filterref/@filter"),
            (std::vector<std::string>{"clean-traffic", "attest-sg-web", "attest-sg-ssh"}));
  EXPECT_EQ(XPathCount(d, "/filter/rule[@action='accept'][@direction='out']/all"), 1u);
  EXPECT_EQ(XPathCount(d,
                       "/filter/rule[last()][@action='drop'][@direction='inout']"
                       "[@priority='1000']/all"),
            1u);
  EXPECT_EQ(XPathCount(d, "/filter/rule[@direction='in']"), 0u);
  // No groups: inbound is denied entirely.
  auto none = BuildVmFilterXml("3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01", {});
  ASSERT_TRUE(none.ok());
  auto nd = ParseXml(*none, reasons::kLauncherXml);
  EXPECT_EQ(XPathCount(nd->get(), "/filter/filterref"), 1u);
  EXPECT_EQ(XPathCount(nd->get(), "/filter/rule[@action='drop']"), 1u);
  EXPECT_EQ(BuildVmFilterXml("a/b", {}).status().reason_id(), "launcher.invalid_name");
  EXPECT_EQ(BuildVmFilterXml("u", {"x'y"}).status().reason_id(), "launcher.invalid_name");
  EXPECT_EQ(BuildVmFilterXml("u", std::vector<std::string>(17, "g")).status().reason_id(),
            "launcher.invalid_spec");
}

TEST(NwFilter, RejectsHostileGroups) {
  struct Case {
    std::string name;
    std::function<void(SecurityGroup&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"id with quote", [](SecurityGroup& g) { g.id = "x'/>"; }, "launcher.invalid_name"},
      {"id too long", [](SecurityGroup& g) { g.id = std::string(49, 'a'); },
       "launcher.invalid_name"},
      {"tenant empty", [](SecurityGroup& g) { g.tenant = ""; }, "launcher.invalid_name"},
      {"port zero", [](SecurityGroup& g) { g.rules[0].port_from = 0; },
       "launcher.invalid_port_range"},
      {"port reversed",
       [](SecurityGroup& g) {
         g.rules[0].port_from = 90;
         g.rules[0].port_to = 80;
       },
       "launcher.invalid_port_range"},
      {"icmp with port", [](SecurityGroup& g) { g.rules[2].port_from = 1; },
       "launcher.invalid_port_range"},
      {"all with port",
       [](SecurityGroup& g) {
         g.rules[2] = {Protocol::kAll, 0, 5, "1.0.0.0/8", ""};
       },
       "launcher.invalid_port_range"},
      {"bad cidr", [](SecurityGroup& g) { g.rules[0].source_cidr = "10.0.0.1/8"; },
       "launcher.invalid_cidr"},
      {"both sources", [](SecurityGroup& g) { g.rules[0].source_group = "sg-app"; },
       "launcher.invalid_spec"},
      {"no source", [](SecurityGroup& g) { g.rules[0].source_cidr = ""; }, "launcher.invalid_spec"},
      {"unknown group", [](SecurityGroup& g) { g.rules[1].source_group = "sg-other-tenant"; },
       "launcher.unknown_source_group"},
      {"too many rules", [](SecurityGroup& g) { g.rules.resize(kMaxRules + 1, g.rules[0]); },
       "launcher.invalid_spec"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SecurityGroup g = WebGroup();
    c.mutate(g);
    auto r = BuildNwFilterXml(g, kMembers);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want) << r.status().ToString();
  }
  // A member address that is a prefix, or too many expanded rules.
  GroupMembers wide = {{"sg-app", {"10.0.0.0/8"}}};
  EXPECT_EQ(BuildNwFilterXml(WebGroup(), wide).status().reason_id(), "launcher.invalid_cidr");
  GroupMembers many = {{"sg-app", std::vector<std::string>(kMaxResolvedRules, "10.1.0.5")}};
  EXPECT_EQ(BuildNwFilterXml(WebGroup(), many).status().reason_id(), "launcher.invalid_spec");
}

TEST(NwFilter, IptablesMirrorsRules) {
  auto rules = ResolveRules(WebGroup(), kMembers);
  ASSERT_TRUE(rules.ok());
  auto argv = IptablesArgv(*rules, "SG");
  ASSERT_EQ(argv.size(), rules->size() + 2);
  EXPECT_EQ(argv.front(), (std::vector<std::string>{"-A", "SG", "-m", "conntrack", "--ctstate",
                                                    "ESTABLISHED,RELATED", "-j", "ACCEPT"}));
  EXPECT_EQ(argv[1], (std::vector<std::string>{"-A", "SG", "-s", "10.0.0.0/8", "-p", "tcp",
                                               "--dport", "22:22", "-m", "conntrack", "--ctstate",
                                               "NEW", "-j", "ACCEPT"}));
  EXPECT_EQ(argv.back(), (std::vector<std::string>{"-A", "SG", "-j", "DROP"}));
}

}  // namespace
}  // namespace attest::launcher
