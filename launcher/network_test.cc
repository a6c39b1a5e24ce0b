#include "launcher/network.h"

#include <gtest/gtest.h>

#include "launcher/xml.h"

namespace attest::launcher {
namespace {

TEST(Network, IsolatedByDefault) {
  TenantNet net{"net-1", "tenant-a", "10.20.0.0/24", false};
  auto xml = BuildNetworkXml(net);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  auto doc = ParseXml(*xml, reasons::kLauncherXml);
  ASSERT_TRUE(doc.ok());
  xmlDoc* d = doc->get();
  EXPECT_EQ(XPathString(d, "/network/name"), "attest-net-net-1");
  EXPECT_EQ(XPathCount(d, "/network/forward"), 0u);
  EXPECT_EQ(XPathString(d, "/network/dns/@enable"), "no");
  EXPECT_EQ(XPathCount(d, "/network/ip/dhcp"), 0u);
  EXPECT_EQ(XPathString(d, "/network/bridge/@name"), BridgeName(net));
  EXPECT_EQ(XPathString(d, "/network/ip/@address"), "10.20.0.1");
  EXPECT_EQ(XPathString(d, "/network/ip/@netmask"), "255.255.255.0");
  EXPECT_EQ(BridgeName(net).size(), 15u);
}

TEST(Network, GatewayTurnsOnNat) {
  TenantNet net{"net-2", "tenant-a", "172.16.0.0/12", true};
  auto xml = BuildNetworkXml(net);
  ASSERT_TRUE(xml.ok());
  auto doc = ParseXml(*xml, reasons::kLauncherXml);
  EXPECT_EQ(XPathString(doc->get(), "/network/forward/@mode"), "nat");
  EXPECT_EQ(XPathString(doc->get(), "/network/ip/@netmask"), "255.240.0.0");
  EXPECT_EQ(XPathString(doc->get(), "/network/ip/@address"), "172.16.0.1");
}

TEST(Network, OverlappingCidrsOfTwoTenantsGetDistinctBridges) {
  TenantNet a{"net-a", "tenant-a", "10.0.0.0/24", false};
  TenantNet b{"net-b", "tenant-b", "10.0.0.0/24", false};
  ASSERT_TRUE(BuildNetworkXml(a).ok());
  ASSERT_TRUE(BuildNetworkXml(b).ok());
  EXPECT_NE(BridgeName(a), BridgeName(b));
  EXPECT_NE(NetworkName(a), NetworkName(b));
}

TEST(Network, RejectsBadNets) {
  struct Case {
    TenantNet net;
    const char* want = nullptr;
  };
  const Case cases[] = {
      {{"net 1", "t", "10.0.0.0/24", false}, "launcher.invalid_name"},
      {{"", "t", "10.0.0.0/24", false}, "launcher.invalid_name"},
      {{"n", "", "10.0.0.0/24", false}, "launcher.invalid_name"},
      {{"n", "t", "10.0.0.0/30", false}, "launcher.invalid_cidr"},
      {{"n", "t", "10.0.0.0/7", false}, "launcher.invalid_cidr"},
      {{"n", "t", "10.0.0.5/24", false}, "launcher.invalid_cidr"},
      {{"n", "t", "10.0.0.0", false}, "launcher.invalid_cidr"},
      {{"n", "t", "fd00::/64", false}, "launcher.invalid_cidr"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.net.id + " " + c.net.cidr);
    auto r = BuildNetworkXml(c.net);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::launcher
