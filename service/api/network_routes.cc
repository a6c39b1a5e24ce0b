// Tenant network resources (issue 10): security groups (/v1/security-groups) and private
// networks (/v1/nets). Bodies are validated here with the launcher's own validators
// (launcher/nwfilter.h ResolveRules, launcher/network.h BuildNetworkXml), so whatever the API
// accepts the launcher can render, and the API answers with the names of the libvirt documents
// (nwfilter, network, bridge) the launcher will define on a host.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/time.h"
#include "launcher/network.h"
#include "launcher/nwfilter.h"
#include "service/api/routes.h"
#include "service/http/ip_address.h"
#include "service/http/json_body.h"
#include "service/http/query.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

constexpr size_t kMaxDescription = 256;

// NewId is a global id for a new resource: it names libvirt objects on hosts shared by every
// tenant, so it never derives from the tenant's chosen name (launcher ids: ValidName, <= 48).
std::string NewId(std::string_view prefix) {
  return std::string(prefix) + HexEncode(store::RandomBytes(8));
}

// --- security groups ---

Result<launcher::Protocol> ParseProtocol(const std::string& text) {
  for (launcher::Protocol p : {launcher::Protocol::kTcp, launcher::Protocol::kUdp,
                               launcher::Protocol::kIcmp, launcher::Protocol::kAll}) {
    if (text == launcher::ProtocolName(p)) {
      return p;
    }
  }
  return Status(reasons::kApiInvalidField, "field \"protocol\": one of tcp, udp, icmp, all");
}

// ApiRule is one rule as the tenant wrote it (source_group by name).
// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 misreads json's noexcept moves
struct ApiRule {
  launcher::SecurityGroupRule rule;  // source_group holds the group's name
  nlohmann::json json;               // canonical form, stored and returned
};

Result<ApiRule> ReadRule(const nlohmann::json& item) {
  if (!item.is_object()) {
    return Status(reasons::kApiInvalidField, "must be an object");
  }
  http::ObjectReader reader(item);
  ApiRule out;
  ATTEST_ASSIGN_OR_RETURN(std::string protocol, reader.TakeString("protocol"));
  ATTEST_ASSIGN_OR_RETURN(out.rule.protocol, ParseProtocol(protocol));
  ATTEST_ASSIGN_OR_RETURN(int64_t from, reader.TakeInt("from_port", false, 0, 65535));
  ATTEST_ASSIGN_OR_RETURN(int64_t to, reader.TakeInt("to_port", false, 0, 65535));
  out.rule.port_from = static_cast<uint16_t>(from);
  out.rule.port_to = static_cast<uint16_t>(to);
  ATTEST_ASSIGN_OR_RETURN(out.rule.source_cidr, reader.TakeString("source_cidr", false));
  ATTEST_ASSIGN_OR_RETURN(out.rule.source_group, reader.TakeString("source_group", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  out.json = {{"protocol", protocol}};
  if (out.rule.protocol == launcher::Protocol::kTcp ||
      out.rule.protocol == launcher::Protocol::kUdp || from != 0 || to != 0) {
    out.json["from_port"] = from;
    out.json["to_port"] = to;
  }
  if (!out.rule.source_cidr.empty()) {
    out.json["source_cidr"] = out.rule.source_cidr;
  }
  if (!out.rule.source_group.empty()) {
    out.json["source_group"] = out.rule.source_group;
  }
  return out;
}

nlohmann::json GroupJson(const store::SecurityGroupRecord& g) {
  launcher::SecurityGroup lg;
  lg.id = g.id;
  return {{"name", g.name},
          {"id", g.id},
          {"description", g.description},
          {"rules", nlohmann::json::parse(g.rules, nullptr, /*allow_exceptions=*/false)},
          {"filter_name", launcher::FilterName(lg)},
          {"created_at", FormatRfc3339(g.created_at)},
          {"updated_at", FormatRfc3339(g.updated_at)}};
}

// SourceGroups returns the source group names a stored rule list refers to.
std::vector<std::string> SourceGroups(const std::string& rules) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(rules, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    return out;
  }
  for (const auto& r : j) {
    if (r.is_object() && r.contains("source_group") && r["source_group"].is_string()) {
      out.push_back(r["source_group"].get<std::string>());
    }
  }
  return out;
}

Result<HttpResponse> PutSecurityGroup(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string description, reader.TakeString("description", false));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json rules, reader.TakeJson("rules"));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  if (description.size() > kMaxDescription) {
    return Status(reasons::kApiInvalidField,
                  "field \"description\": at most " + std::to_string(kMaxDescription) + " bytes");
  }
  if (!rules.is_array()) {
    return Status(reasons::kApiInvalidField, "field \"rules\": an array");
  }
  if (rules.size() > launcher::kMaxRules) {
    return Status(reasons::kLauncherInvalidSpec,
                  "field \"rules\": at most " + std::to_string(launcher::kMaxRules) + " rules");
  }

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(auto groups, db->ListSecurityGroups(ctx.caller.tenant_id));
  // The launcher names source groups by id; only the caller's groups (and this one, which may
  // admit its own members) are known to it, so another tenant's group is an unknown source.
  const std::string new_id = NewId("sg-");
  std::map<std::string, std::string> id_of;
  for (const auto& g : groups) {
    id_of[g.name] = g.id;
  }
  if (!id_of.count(name)) {
    id_of[name] = new_id;
  }
  launcher::GroupMembers members;
  for (const auto& [n, id] : id_of) {
    members[id] = {};
  }

  launcher::SecurityGroup check;
  check.id = id_of[name];
  check.tenant = ctx.caller.tenant_id;
  nlohmann::json canonical = nlohmann::json::array();
  for (size_t i = 0; i < rules.size(); ++i) {
    Result<ApiRule> r = ReadRule(rules[i]);
    if (!r.ok()) {
      return r.status().WithContext("rules[" + std::to_string(i) + "]");
    }
    canonical.push_back(r->json);
    launcher::SecurityGroupRule rule = r->rule;
    if (!rule.source_group.empty()) {
      auto it = id_of.find(rule.source_group);
      // An unknown name maps to no member entry; the launcher refuses it.
      rule.source_group = it == id_of.end() ? "unknown" : it->second;
    }
    check.rules.push_back(std::move(rule));
  }
  ATTEST_RETURN_IF_ERROR(launcher::ResolveRules(check, members).status());

  const std::string stored = canonical.dump();
  ATTEST_ASSIGN_OR_RETURN(
      store::SecurityGroupRecord g,
      db->PutSecurityGroup(ctx.caller.tenant_id, name, new_id, description, stored, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("security_group.put", name, "ok",
                                   "id=" + g.id + " rules=" + std::to_string(canonical.size()) +
                                       " sha256:" + HexEncode(Sha256(AsBytes(stored)))));
  return http::JsonResponse(g.id == new_id ? 201 : 200, GroupJson(g));
}

Result<HttpResponse> GetSecurityGroup(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::SecurityGroupRecord g,
                          db->GetSecurityGroup(ctx.caller.tenant_id, ctx.Param("name")));
  return http::JsonResponse(200, GroupJson(g));
}

Result<HttpResponse> ListSecurityGroups(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(auto groups, db->ListSecurityGroups(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& g : groups) {
    list.push_back(GroupJson(g));
  }
  return http::JsonResponse(200, {{"security_groups", list}});
}

Result<HttpResponse> DeleteSecurityGroup(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  // Existence first, so a missing (or another tenant's) group answers 404 before anything else.
  ATTEST_RETURN_IF_ERROR(db->GetSecurityGroup(ctx.caller.tenant_id, name).status());
  ATTEST_ASSIGN_OR_RETURN(auto groups, db->ListSecurityGroups(ctx.caller.tenant_id));
  std::string users;
  for (const auto& g : groups) {
    if (g.name == name) {
      continue;
    }
    for (const std::string& source : SourceGroups(g.rules)) {
      if (source == name) {
        users += (users.empty() ? "" : ", ") + g.name;
        break;
      }
    }
  }
  if (!users.empty()) {
    return Status(reasons::kApiResourceInUse,
                  "security group \"" + name + "\" is the source_group of: " + users);
  }
  ATTEST_RETURN_IF_ERROR(db->DeleteSecurityGroup(ctx.caller.tenant_id, name));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("security_group.delete", name, "ok"));
  return http::NoContentResponse();
}

// --- nets ---

launcher::TenantNet ToLauncherNet(const store::NetRecord& n) {
  return {n.id, n.tenant_id, n.cidr, n.internet_gateway};
}

nlohmann::json NetJson(const store::NetRecord& n) {
  const launcher::TenantNet net = ToLauncherNet(n);
  Result<std::string> gateway = launcher::GatewayAddress(net);
  return {{"name", n.name},
          {"id", n.id},
          {"cidr", n.cidr},
          {"internet_gateway", n.internet_gateway},
          {"network_name", launcher::NetworkName(net)},
          {"bridge_name", launcher::BridgeName(net)},
          {"gateway_address", gateway.ok() ? *gateway : ""},
          {"created_at", FormatRfc3339(n.created_at)},
          {"updated_at", FormatRfc3339(n.updated_at)}};
}

// Overlaps reports whether two prefixes share an address: they agree on the shorter prefix.
bool Overlaps(const launcher::Cidr& a, const launcher::Cidr& b) {
  const int shorter = std::min(a.prefix, b.prefix);
  for (int bit = 0; bit < shorter; ++bit) {
    const int byte = bit / 8, shift = 7 - bit % 8;
    if (((a.address[byte] >> shift) & 1) != ((b.address[byte] >> shift) & 1)) {
      return false;
    }
  }
  return true;
}

// Covers reports whether inner lies entirely inside outer.
bool Covers(const http::IpNetwork& outer, const http::IpNetwork& inner) {
  return outer.prefix_bits <= inner.prefix_bits && outer.Contains(inner.base);
}

std::string NetworkList(const std::vector<http::IpNetwork>& networks) {
  std::string out;
  for (const http::IpNetwork& n : networks) {
    out += (out.empty() ? "" : ", ") + n.ToString();
  }
  return out.empty() ? "none" : out;
}

// CheckNetAllowed: a tenant net lies inside one of the operator's pools and overlaps no reserved
// range, so that no tenant can route loopback, link-local, multicast or the operator's own
// networks onto a bridge on the hosts.
Status CheckNetAllowed(const ServiceConfig& config, const launcher::Cidr& net) {
  Result<http::IpNetwork> mine = http::ParseCidr(net.ToString());
  if (!mine.ok()) {
    return Status(reasons::kApiInternal, "cidr " + net.ToString() + ": " + mine.status().message());
  }
  const auto& pools = config.tenant_net_pools;
  if (std::none_of(pools.begin(), pools.end(),
                   [&](const http::IpNetwork& pool) { return Covers(pool, *mine); })) {
    return Status(reasons::kApiCidrNotAllowed, "cidr " + net.ToString() +
                                                   " is not inside one of the tenant net pools (" +
                                                   NetworkList(pools) + ")");
  }
  for (const http::IpNetwork& reserved : config.reserved_cidrs) {
    if (Covers(reserved, *mine) || Covers(*mine, reserved)) {
      return Status(reasons::kApiCidrNotAllowed,
                    "cidr " + net.ToString() + " overlaps the reserved range " +
                        reserved.ToString() + " (tenant net pools: " + NetworkList(pools) +
                        "; reserved: " + NetworkList(config.reserved_cidrs) + ")");
    }
  }
  return Status::Ok();
}

Result<HttpResponse> PutNet(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string cidr, reader.TakeString("cidr"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json gateway, reader.TakeJson("internet_gateway", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  if (!gateway.is_null() && !gateway.is_boolean()) {
    return Status(reasons::kApiInvalidField, "field \"internet_gateway\": true or false");
  }
  const std::string new_id = NewId("net-");
  launcher::TenantNet net{new_id, ctx.caller.tenant_id, cidr, gateway.is_boolean() && gateway};
  // The launcher's own renderer is the validator: prefix 8..29, strict IPv4 CIDR.
  ATTEST_RETURN_IF_ERROR(launcher::BuildNetworkXml(net).status());
  ATTEST_ASSIGN_OR_RETURN(launcher::Cidr mine, launcher::ParseCidr(cidr));
  ATTEST_RETURN_IF_ERROR(CheckNetAllowed(ctx.service.config, mine));

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(auto nets, db->ListNets(ctx.caller.tenant_id));
  // One tenant's nets never overlap (a VM on two of them would have ambiguous routes); other
  // tenants' nets are separate L2 segments and may reuse any CIDR. The check and the write are
  // two statements: two concurrent puts of different names can both pass it (documented).
  for (const auto& other : nets) {
    if (other.name == name) {
      continue;
    }
    Result<launcher::Cidr> theirs = launcher::ParseCidr(other.cidr);
    if (theirs.ok() && Overlaps(mine, *theirs)) {
      return Status(reasons::kApiCidrOverlap,
                    "cidr " + cidr + " overlaps net \"" + other.name + "\" (" + other.cidr + ")");
    }
  }
  ATTEST_ASSIGN_OR_RETURN(store::NetRecord n, db->PutNet(ctx.caller.tenant_id, name, new_id, cidr,
                                                         net.internet_gateway, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("net.put", name, "ok",
                                   "id=" + n.id + " cidr=" + n.cidr + " internet_gateway=" +
                                       (n.internet_gateway ? "true" : "false")));
  return http::JsonResponse(n.id == new_id ? 201 : 200, NetJson(n));
}

Result<HttpResponse> GetNet(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::NetRecord n, db->GetNet(ctx.caller.tenant_id, ctx.Param("name")));
  return http::JsonResponse(200, NetJson(n));
}

Result<HttpResponse> ListNets(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(auto nets, db->ListNets(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& n : nets) {
    list.push_back(NetJson(n));
  }
  return http::JsonResponse(200, {{"nets", list}});
}

Result<HttpResponse> DeleteNet(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_RETURN_IF_ERROR(db->DeleteNet(ctx.caller.tenant_id, name));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("net.delete", name, "ok"));
  return http::NoContentResponse();
}

}  // namespace

std::vector<http::IpNetwork> DefaultTenantNetPools() {
  std::vector<http::IpNetwork> pools;
  for (const char* cidr : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}) {
    pools.push_back(http::ParseCidr(cidr).value());
  }
  return pools;
}

void AddNetworkRoutes(ApiRouter& router) {
  router.Add("GET", "/v1/security-groups", http::Access::kTenant, ListSecurityGroups);
  router.Add("PUT", "/v1/security-groups/{name}", http::Access::kTenant, PutSecurityGroup);
  router.Add("GET", "/v1/security-groups/{name}", http::Access::kTenant, GetSecurityGroup);
  router.Add("DELETE", "/v1/security-groups/{name}", http::Access::kTenant, DeleteSecurityGroup);
  router.Add("GET", "/v1/nets", http::Access::kTenant, ListNets);
  router.Add("PUT", "/v1/nets/{name}", http::Access::kTenant, PutNet);
  router.Add("GET", "/v1/nets/{name}", http::Access::kTenant, GetNet);
  router.Add("DELETE", "/v1/nets/{name}", http::Access::kTenant, DeleteNet);
}

}  // namespace attest::service::api
