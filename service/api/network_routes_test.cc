// Security group and net routes (issue 10) over a real SQLite store, requests signed with SigV4.
#include <gtest/gtest.h>

#include "launcher/network.h"
#include "launcher/nwfilter.h"
#include "service/api/testing/api_harness.h"
#include "service/http/ip_address.h"

namespace attest::service::api {
namespace {

using testing::ApiHarness;

constexpr char kWebGroup[] = R"({"description": "front end", "rules": [
  {"protocol": "tcp", "from_port": 443, "to_port": 443, "source_cidr": "0.0.0.0/0"},
  {"protocol": "icmp", "source_cidr": "10.0.0.0/8"}]})";

std::vector<std::string> AuditActions(ApiHarness& h, const sigv4::Credentials& who) {
  auto r = h.Call("GET", "/v1/audit", "", &who);
  std::vector<std::string> actions;
  for (const auto& e : r.json["entries"]) {
    actions.push_back(e["action"]);
  }
  return actions;
}

TEST(ApiSecurityGroupTest, CreateReplaceGetListDelete) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  auto r = h.Call("PUT", "/v1/security-groups/web", kWebGroup, &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["id"];
  EXPECT_EQ(id.rfind("sg-", 0), 0u) << id;
  launcher::SecurityGroup lg;
  lg.id = id;
  // The operator finds the group on a host under the launcher's filter name.
  EXPECT_EQ(r.json["filter_name"], launcher::FilterName(lg));
  EXPECT_EQ(r.json["description"], "front end");
  ASSERT_EQ(r.json["rules"].size(), 2u);
  EXPECT_EQ(r.json["rules"][0]["from_port"], 443);
  EXPECT_FALSE(r.json["rules"][1].contains("from_port"));  // icmp takes no ports

  // A group may admit its own members and name another of the caller's groups.
  r = h.Call("PUT", "/v1/security-groups/db", R"({"rules": [
    {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "source_group": "web"},
    {"protocol": "all", "source_group": "db"}]})",
             &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["description"], "");

  // A replace keeps the id (and so the host's filter name).
  r = h.Call("PUT", "/v1/security-groups/web", R"({"rules": []})", &acme);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["id"], id);
  EXPECT_EQ(r.json["rules"].size(), 0u);

  r = h.Call("GET", "/v1/security-groups/db", "", &acme);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["rules"][0]["source_group"], "web");
  r = h.Call("GET", "/v1/security-groups", "", &acme);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["security_groups"].size(), 2u);
  EXPECT_EQ(r.json["security_groups"][0]["name"], "db");
  EXPECT_EQ(r.json["security_groups"][1]["id"], id);

  // web is db's source: deleting it first would leave db unrenderable.
  r = h.Call("DELETE", "/v1/security-groups/web", "", &acme);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json["code"], "api.resource_in_use");
  EXPECT_EQ(h.Call("DELETE", "/v1/security-groups/db", "", &acme).status, 204);
  EXPECT_EQ(h.Call("DELETE", "/v1/security-groups/web", "", &acme).status, 204);
  EXPECT_EQ(h.Call("GET", "/v1/security-groups/web", "", &acme).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/security-groups", "", &acme).json["security_groups"].size(), 0u);

  EXPECT_EQ(
      AuditActions(h, acme),
      (std::vector<std::string>{"security_group.put", "security_group.put", "security_group.put",
                                "security_group.delete", "security_group.delete"}));
}

TEST(ApiSecurityGroupTest, RefusesInvalidGroupsWithoutWriting) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials evil = h.CreateTenant("evil");
  ASSERT_EQ(h.Call("PUT", "/v1/security-groups/theirs", R"({"rules": []})", &evil).status, 201);
  auto rule = [](const std::string& r) { return R"({"rules": [)" + r + "]}"; };
  std::string many = R"({"rules": [)";
  for (int i = 0; i <= 100; ++i) {
    many += std::string(i ? "," : "") + R"({"protocol":"icmp","source_cidr":"10.0.0.0/8"})";
  }
  many += "]}";
  struct Case {
    std::string name, body, code;
  };
  const Case cases[] = {
      {"not json", "{", "api.malformed_json"},
      {"unknown top field", R"({"rules": [], "egress": []})", "api.unknown_field"},
      {"rules missing", R"({"description": "x"})", "api.invalid_field"},
      {"rules not array", R"({"rules": {}})", "api.invalid_field"},
      {"rule not object", rule("1"), "api.invalid_field"},
      {"unknown rule field",
       rule(R"({"protocol":"tcp","from_port":1,"to_port":2,"source_cidr":"10.0.0.0/8","x":1})"),
       "api.unknown_field"},
      {"unknown protocol", rule(R"({"protocol":"sctp","source_cidr":"10.0.0.0/8"})"),
       "api.invalid_field"},
      {"protocol case",
       rule(R"({"protocol":"TCP","from_port":1,"to_port":1,"source_cidr":"10.0.0.0/8"})"),
       "api.invalid_field"},
      {"port above 65535",
       rule(R"({"protocol":"tcp","from_port":1,"to_port":65536,"source_cidr":"10.0.0.0/8"})"),
       "api.invalid_field"},
      {"negative port",
       rule(R"({"protocol":"udp","from_port":-1,"to_port":5,"source_cidr":"10.0.0.0/8"})"),
       "api.invalid_field"},
      {"port as string",
       rule(R"({"protocol":"tcp","from_port":"22","to_port":22,"source_cidr":"10.0.0.0/8"})"),
       "api.invalid_field"},
      {"from after to",
       rule(R"({"protocol":"tcp","from_port":30,"to_port":20,"source_cidr":"10.0.0.0/8"})"),
       "launcher.invalid_port_range"},
      {"tcp without ports", rule(R"({"protocol":"tcp","source_cidr":"10.0.0.0/8"})"),
       "launcher.invalid_port_range"},
      {"icmp with ports",
       rule(R"({"protocol":"icmp","from_port":1,"to_port":1,"source_cidr":"10.0.0.0/8"})"),
       "launcher.invalid_port_range"},
      {"host bits set",
       rule(R"({"protocol":"tcp","from_port":1,"to_port":1,"source_cidr":"10.0.0.1/8"})"),
       "launcher.invalid_cidr"},
      {"octet too big", rule(R"({"protocol":"all","source_cidr":"10.0.0.256"})"),
       "launcher.invalid_cidr"},
      {"prefix too long", rule(R"({"protocol":"all","source_cidr":"10.0.0.0/33"})"),
       "launcher.invalid_cidr"},
      {"ipv6", rule(R"({"protocol":"all","source_cidr":"::/0"})"), "launcher.invalid_cidr"},
      {"no source", rule(R"({"protocol":"all"})"), "launcher.invalid_spec"},
      {"both sources",
       rule(R"({"protocol":"all","source_cidr":"10.0.0.0/8","source_group":"web"})"),
       "launcher.invalid_spec"},
      {"unknown source group", rule(R"({"protocol":"all","source_group":"nothere"})"),
       "launcher.unknown_source_group"},
      {"another tenant's group", rule(R"({"protocol":"all","source_group":"theirs"})"),
       "launcher.unknown_source_group"},
      {"too many rules", many, "launcher.invalid_spec"},
      {"description too long",
       R"({"description": ")" + std::string(257, 'd') + R"(", "rules": []})", "api.invalid_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h.Call("PUT", "/v1/security-groups/web", c.body, &acme);
    // A source group that is not the caller's is a missing resource: 404, like any other.
    EXPECT_EQ(r.status, c.code == "launcher.unknown_source_group" ? 404 : 400) << r.body;
    EXPECT_EQ(r.json["code"], c.code) << r.body;
  }
  // Rule errors say which rule.
  auto r = h.Call("PUT", "/v1/security-groups/web",
                  rule(R"({"protocol":"all","source_cidr":"10.0.0.0/8"},{"protocol":"x"})"), &acme);
  EXPECT_NE(r.json["message"].get<std::string>().find("rules[1]"), std::string::npos) << r.body;
  r = h.Call("PUT", "/v1/security-groups/web", R"({"rules": []})", &acme, "text/plain");
  EXPECT_EQ(r.json["code"], "api.unsupported_media_type") << r.body;
  EXPECT_EQ(h.Call("GET", "/v1/security-groups/web", "", &acme).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/security-groups?x=1", "", &acme).json["code"], "api.invalid_query");
  EXPECT_TRUE(AuditActions(h, acme).empty());
}

TEST(ApiSecurityGroupTest, AnotherTenantsGroupLooksExactlyMissing) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials evil = h.CreateTenant("evil");
  ASSERT_EQ(h.Call("PUT", "/v1/security-groups/secret", kWebGroup, &acme).status, 201);
  for (const char* method : {"GET", "DELETE"}) {
    SCOPED_TRACE(method);
    auto theirs = h.Call(method, "/v1/security-groups/secret", "", &evil);
    auto missing = h.Call(method, "/v1/security-groups/nothere", "", &evil);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(theirs.status, missing.status);
    EXPECT_EQ(theirs.json["code"], missing.json["code"]);
    std::string msg = theirs.json["message"];
    msg.replace(msg.find("secret"), 6, "nothere");
    EXPECT_EQ(msg, missing.json["message"]);
  }
  EXPECT_EQ(h.Call("GET", "/v1/security-groups", "", &evil).json["security_groups"].size(), 0u);
  // The same name in another tenant is another group with another filter.
  auto mine = h.Call("PUT", "/v1/security-groups/secret", R"({"rules": []})", &evil);
  ASSERT_EQ(mine.status, 201) << mine.body;
  auto acmes = h.Call("GET", "/v1/security-groups/secret", "", &acme);
  ASSERT_EQ(acmes.status, 200);
  EXPECT_NE(mine.json["filter_name"], acmes.json["filter_name"]);
  EXPECT_EQ(acmes.json["rules"].size(), 2u);
}

constexpr char kLan[] = R"({"cidr": "10.0.0.0/24", "internet_gateway": false})";

TEST(ApiNetTest, CreateReplaceGetListDelete) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  auto r = h.Call("PUT", "/v1/nets/lan", kLan, &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["id"];
  const launcher::TenantNet net{id, "", "10.0.0.0/24", false};
  EXPECT_EQ(r.json["network_name"], launcher::NetworkName(net));
  EXPECT_EQ(r.json["bridge_name"], launcher::BridgeName(net));
  EXPECT_EQ(r.json["gateway_address"], "10.0.0.1");
  EXPECT_EQ(r.json["internet_gateway"], false);

  r = h.Call("PUT", "/v1/nets/lan", R"({"cidr": "10.0.0.0/16", "internet_gateway": true})", &acme);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["id"], id);
  EXPECT_EQ(r.json["bridge_name"], launcher::BridgeName(net));
  EXPECT_EQ(r.json["internet_gateway"], true);
  // internet_gateway defaults to false.
  r = h.Call("PUT", "/v1/nets/dmz", R"({"cidr": "192.168.8.0/29"})", &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["internet_gateway"], false);

  r = h.Call("GET", "/v1/nets/lan", "", &acme);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["cidr"], "10.0.0.0/16");
  r = h.Call("GET", "/v1/nets", "", &acme);
  ASSERT_EQ(r.json["nets"].size(), 2u);
  EXPECT_EQ(r.json["nets"][0]["name"], "dmz");
  EXPECT_EQ(h.Call("DELETE", "/v1/nets/lan", "", &acme).status, 204);
  EXPECT_EQ(h.Call("GET", "/v1/nets/lan", "", &acme).status, 404);
  EXPECT_EQ(h.Call("DELETE", "/v1/nets/lan", "", &acme).status, 404);

  EXPECT_EQ(AuditActions(h, acme),
            (std::vector<std::string>{"net.put", "net.put", "net.put", "net.delete"}));
  r = h.Call("GET", "/v1/audit", "", &acme);
  EXPECT_NE(r.json["entries"][1]["detail"].get<std::string>().find("cidr=10.0.0.0/16"),
            std::string::npos);
}

TEST(ApiNetTest, RefusesInvalidNetsWithoutWriting) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  ASSERT_EQ(h.Call("PUT", "/v1/nets/lan", kLan, &acme).status, 201);
  struct Case {
    std::string name, body;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {"not json", "[1]", 400, "api.malformed_json"},
      {"cidr missing", R"({"internet_gateway": true})", 400, "api.invalid_field"},
      {"cidr not string", R"({"cidr": 10})", 400, "api.invalid_field"},
      {"unknown field", R"({"cidr": "10.1.0.0/24", "dhcp": true})", 400, "api.unknown_field"},
      {"gateway not bool", R"({"cidr": "10.1.0.0/24", "internet_gateway": "yes"})", 400,
       "api.invalid_field"},
      {"gateway as number", R"({"cidr": "10.1.0.0/24", "internet_gateway": 1})", 400,
       "api.invalid_field"},
      {"not a cidr", R"({"cidr": "lan"})", 400, "launcher.invalid_cidr"},
      {"host bits", R"({"cidr": "10.1.0.1/24"})", 400, "launcher.invalid_cidr"},
      {"prefix too short", R"({"cidr": "10.0.0.0/7"})", 400, "launcher.invalid_cidr"},
      {"prefix too long", R"({"cidr": "10.1.0.0/30"})", 400, "launcher.invalid_cidr"},
      {"leading zero", R"({"cidr": "10.01.0.0/16"})", 400, "launcher.invalid_cidr"},
      {"ipv6", R"({"cidr": "fd00::/64"})", 400, "launcher.invalid_cidr"},
      {"overlaps own net", R"({"cidr": "10.0.0.128/25"})", 409, "api.cidr_overlap"},
      {"contains own net", R"({"cidr": "10.0.0.0/8"})", 409, "api.cidr_overlap"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h.Call("PUT", "/v1/nets/other", c.body, &acme);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.code) << r.body;
  }
  EXPECT_EQ(h.Call("GET", "/v1/nets/other", "", &acme).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/nets", "", &acme).json["nets"].size(), 1u);
  EXPECT_EQ(AuditActions(h, acme), (std::vector<std::string>{"net.put"}));
  // Adjacent prefixes do not overlap; replacing a net never conflicts with itself.
  EXPECT_EQ(h.Call("PUT", "/v1/nets/other", R"({"cidr": "10.0.1.0/24"})", &acme).status, 201);
  EXPECT_EQ(h.Call("PUT", "/v1/nets/lan", R"({"cidr": "10.0.0.0/25"})", &acme).status, 200);
}

std::vector<http::IpNetwork> Networks(std::initializer_list<const char*> cidrs) {
  std::vector<http::IpNetwork> out;
  for (const char* c : cidrs) {
    out.push_back(http::ParseCidr(c).value());
  }
  return out;
}

// Tenant nets come from the operator's pools (default: RFC 1918) minus the reserved ranges.
TEST(ApiNetTest, NetsLieInsideAPoolAndOutsideTheReservedRanges) {
  ApiHarness h;
  h.api().service().config.reserved_cidrs = Networks({"10.10.0.0/16", "192.168.100.0/24"});
  const sigv4::Credentials acme = h.CreateTenant("acme");
  struct Case {
    std::string name, cidr;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {"loopback", "127.0.0.0/8", 400, "api.cidr_not_allowed"},
      {"loopback part", "127.0.0.0/24", 400, "api.cidr_not_allowed"},
      {"link-local", "169.254.0.0/16", 400, "api.cidr_not_allowed"},
      {"this network", "0.0.0.0/8", 400, "api.cidr_not_allowed"},
      {"multicast", "224.0.0.0/8", 400, "api.cidr_not_allowed"},
      {"multicast block", "224.0.0.0/4", 400, "launcher.invalid_cidr"},  // prefix below 8
      {"shared address space", "100.64.0.0/10", 400, "api.cidr_not_allowed"},
      {"public", "8.8.8.0/24", 400, "api.cidr_not_allowed"},
      {"next to 10/8", "11.0.0.0/8", 400, "api.cidr_not_allowed"},
      {"next to 172.16/12", "172.32.0.0/16", 400, "api.cidr_not_allowed"},
      {"straddles 172.16/12", "172.0.0.0/11", 400, "api.cidr_not_allowed"},
      {"straddles 192.168/16", "192.168.0.0/15", 400, "api.cidr_not_allowed"},
      {"inside reserved", "10.10.5.0/24", 400, "api.cidr_not_allowed"},
      {"is reserved", "192.168.100.0/24", 400, "api.cidr_not_allowed"},
      {"contains reserved", "10.0.0.0/8", 400, "api.cidr_not_allowed"},
      {"10/8", "10.11.0.0/16", 201, ""},
      {"172.16/12 whole", "172.16.0.0/12", 201, ""},
      {"192.168/16 smallest", "192.168.255.248/29", 201, ""},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string name = "net" + std::to_string(n++);
    auto r = h.CallJson("PUT", "/v1/nets/" + name, {{"cidr", c.cidr}}, &acme);
    EXPECT_EQ(r.status, c.status) << r.body;
    if (c.status != 201) {
      EXPECT_EQ(r.json["code"], c.code) << r.body;
      EXPECT_EQ(h.Call("GET", "/v1/nets/" + name, "", &acme).status, 404);
    }
    if (c.code == "api.cidr_not_allowed") {
      EXPECT_NE(
          r.json["message"].get<std::string>().find("10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"),
          std::string::npos)
          << r.body;
    }
  }
  EXPECT_EQ(h.Call("GET", "/v1/nets", "", &acme).json["nets"].size(), 3u);
}

TEST(ApiNetTest, TheOperatorChoosesThePools) {
  ApiHarness h;
  h.api().service().config.tenant_net_pools = Networks({"100.64.0.0/10"});
  const sigv4::Credentials acme = h.CreateTenant("acme");
  auto r = h.CallJson("PUT", "/v1/nets/cgnat", {{"cidr", "100.64.8.0/24"}}, &acme);
  EXPECT_EQ(r.status, 201) << r.body;
  r = h.CallJson("PUT", "/v1/nets/lan", {{"cidr", "10.0.0.0/24"}}, &acme);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["code"], "api.cidr_not_allowed");
  // No pools: no tenant nets at all.
  h.api().service().config.tenant_net_pools.clear();
  r = h.CallJson("PUT", "/v1/nets/other", {{"cidr", "100.65.0.0/24"}}, &acme);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["code"], "api.cidr_not_allowed");
}

TEST(ApiNetTest, TenantsMayReuseCidrsAndNeverSeeEachOther) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials evil = h.CreateTenant("evil");
  auto a = h.Call("PUT", "/v1/nets/lan", kLan, &acme);
  ASSERT_EQ(a.status, 201) << a.body;
  for (const char* method : {"GET", "DELETE"}) {
    SCOPED_TRACE(method);
    auto theirs = h.Call(method, "/v1/nets/lan", "", &evil);
    auto missing = h.Call(method, "/v1/nets/nothere", "", &evil);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(theirs.json["code"], missing.json["code"]);
    std::string msg = theirs.json["message"];
    msg.replace(msg.find("lan"), 3, "nothere");
    EXPECT_EQ(msg, missing.json["message"]);
  }
  EXPECT_EQ(h.Call("GET", "/v1/nets", "", &evil).json["nets"].size(), 0u);
  // Same name and CIDR in another tenant: another net, another libvirt network and bridge.
  auto b = h.Call("PUT", "/v1/nets/lan", kLan, &evil);
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_NE(a.json["network_name"], b.json["network_name"]);
  EXPECT_NE(a.json["bridge_name"], b.json["bridge_name"]);
  EXPECT_EQ(h.Call("GET", "/v1/nets/lan", "", &acme).json["id"], a.json["id"]);
}

TEST(ApiNetworkTest, RoutesAreForSignedTenantsOnly) {
  ApiHarness h;
  for (const char* path :
       {"/v1/nets", "/v1/security-groups", "/v1/nets/x", "/v1/security-groups/x"}) {
    SCOPED_TRACE(path);
    auto r = h.Call("GET", path);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json["code"], "MissingAuthenticationToken");
  }
  EXPECT_EQ(h.Call("POST", "/v1/nets/x", kLan, &h.operator_credentials()).status, 405);
}

}  // namespace
}  // namespace attest::service::api
