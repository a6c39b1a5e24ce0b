// Tenant policies (/v1/policies) and operator host policies (/v1/host-policies): immutable
// versions, validated on upload with the policy loader's JSON-path errors.
#include <nlohmann/json.hpp>

#include "attest/core/time.h"
#include "policy/loader.h"
#include "service/api/routes.h"
#include "service/http/json_body.h"
#include "service/http/query.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;
using store::PolicyKind;

nlohmann::json VersionJson(const store::PolicyVersion& v) {
  nlohmann::json j = {{"name", v.name},
                      {"version", v.version},
                      {"sha256", v.sha256},
                      {"created_at", FormatRfc3339(v.created_at)}};
  if (v.revoked_at) {
    j["revoked_at"] = FormatRfc3339(*v.revoked_at);
  }
  return j;
}

// ValidateDocument loads the document as its kind's policy and checks its name is the path's.
Status ValidateDocument(PolicyKind kind, const std::string& name, const std::string& document) {
  std::string doc_name;
  if (kind == PolicyKind::kTenantPolicy) {
    ATTEST_ASSIGN_OR_RETURN(policy::TenantPolicy p, policy::LoadTenantPolicy(document));
    doc_name = p.name();
  } else {
    ATTEST_ASSIGN_OR_RETURN(policy::HostPolicy p, policy::LoadHostPolicy(document));
    doc_name = p.name();
  }
  if (doc_name != name) {
    return Status(reasons::kApiInvalidField, "the policy's name \"" + doc_name +
                                                 "\" differs from the name in the path \"" + name +
                                                 "\"");
  }
  return Status::Ok();
}

const char* AuditPrefix(PolicyKind kind) {
  return kind == PolicyKind::kTenantPolicy ? "policy" : "host_policy";
}

Result<HttpResponse> PutPolicy(PolicyKind kind, RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  // The body must be a JSON object (media type, duplicate keys, size) before the loader sees it.
  ATTEST_RETURN_IF_ERROR(http::ParseJsonObject(ctx.request).status());
  std::string document(ctx.request.body.begin(), ctx.request.body.end());
  ATTEST_RETURN_IF_ERROR(ValidateDocument(kind, name, document));
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::PolicyVersion v,
                          db->PutPolicy(kind, ctx.caller.tenant_id, name, document, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit(std::string(AuditPrefix(kind)) + ".put", name, "ok",
                                   "sha256:" + v.sha256, "",
                                   name + "@" + std::to_string(v.version)));
  return http::JsonResponse(v.version == 1 ? 201 : 200, VersionJson(v));
}

Result<HttpResponse> GetPolicy(PolicyKind kind, RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(auto query, http::ParseQuery(ctx.request.query, {"version"}));
  ATTEST_ASSIGN_OR_RETURN(int64_t version, http::QueryInt(query, "version", 1, INT64_MAX, 0));
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(
      store::PolicyVersion v,
      db->GetPolicy(kind, ctx.caller.tenant_id, ctx.Param("name"),
                    version == 0 ? std::nullopt : std::optional<int64_t>(version)));
  nlohmann::json body = VersionJson(v);
  body["document"] = nlohmann::json::parse(v.document, nullptr, /*allow_exceptions=*/false);
  return http::JsonResponse(200, body);
}

Result<HttpResponse> ListPolicies(PolicyKind kind, RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(auto versions, db->ListPolicies(kind, ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : versions) {
    list.push_back(VersionJson(v));
  }
  return http::JsonResponse(200, {{"policies", list}});
}

Result<HttpResponse> DeletePolicy(PolicyKind kind, RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_RETURN_IF_ERROR(db->DeletePolicy(kind, ctx.caller.tenant_id, name, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit(std::string(AuditPrefix(kind)) + ".delete", name, "ok"));
  return http::NoContentResponse();
}

// RevokePolicyVersion: POST /v1/policies/{name}/versions/{version}/revoke (issue 17 #6). No key
// is released again to a VM whose ticket pins the version; revoking twice keeps the first time.
Result<HttpResponse> RevokePolicyVersion(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  const std::string& text = ctx.Param("version");
  int64_t version = 0;
  const bool digits = !text.empty() && text.size() <= 18 && text.front() != '0' &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || (version = std::stoll(text)) < 1) {
    return Status(reasons::kApiInvalidField, "version must be a positive decimal number");
  }
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::PolicyVersion v,
                          db->RevokePolicyVersion(ctx.caller.tenant_id, name, version, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("policy.revoke", name + "@" + std::to_string(version), "ok",
                                   "no further key release to VMs pinned to it"));
  return http::JsonResponse(200, VersionJson(v));
}

void AddPolicyKindRoutes(ApiRouter& router, PolicyKind kind, const std::string& base,
                         http::Access access) {
  auto bind = [kind](Result<HttpResponse> (*f)(PolicyKind, RequestContext&)) {
    return [kind, f](RequestContext& ctx) { return f(kind, ctx); };
  };
  router.Add("GET", base, access, bind(ListPolicies));
  router.Add("PUT", base + "/{name}", access, bind(PutPolicy));
  router.Add("GET", base + "/{name}", access, bind(GetPolicy));
  router.Add("DELETE", base + "/{name}", access, bind(DeletePolicy));
}

}  // namespace

void AddPolicyRoutes(ApiRouter& router) {
  AddPolicyKindRoutes(router, PolicyKind::kTenantPolicy, "/v1/policies", http::Access::kTenant);
  router.Add("POST", "/v1/policies/{name}/versions/{version}/revoke", http::Access::kTenant,
             RevokePolicyVersion);
}

void AddHostPolicyRoutes(ApiRouter& router) {
  AddPolicyKindRoutes(router, PolicyKind::kHostPolicy, "/v1/host-policies",
                      http::Access::kOperator);
}

}  // namespace attest::service::api
