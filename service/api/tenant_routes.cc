// POST /v1/tenants (operator): a tenant and its first credentials, shown once. POST/DELETE
// /v1/credentials: any caller adds or revokes access keys of its own tenant (key rotation).
#include <nlohmann/json.hpp>

#include "service/api/routes.h"
#include "service/http/json_body.h"
#include "service/http/router.h"

namespace attest::service::api {
namespace {

Result<http::HttpResponse> CreateTenant(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string name, reader.TakeString("name"));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  if (!http::IsValidName(name)) {
    return Status(reasons::kApiInvalidField,
                  "field \"name\": 1..128 characters of A-Z a-z 0-9 . _ -");
  }
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Tenant tenant,
                          db->CreateTenant(name, store::Role::kTenant, ctx.now));
  ATTEST_ASSIGN_OR_RETURN(store::Credential cred, db->CreateCredential(tenant.id, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("tenant.create", tenant.id, "ok",
                                   "name=" + name + " access_key_id=" + cred.access_key_id));
  return http::JsonResponse(201, {{"tenant_id", tenant.id},
                                  {"name", tenant.name},
                                  {"access_key_id", cred.access_key_id},
                                  {"secret_access_key", cred.secret_access_key},
                                  {"created_at", FormatRfc3339(tenant.created_at)}});
}

Result<http::HttpResponse> CreateCredential(RequestContext& ctx) {
  if (!ctx.request.body.empty()) {
    ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
    ATTEST_RETURN_IF_ERROR(http::ObjectReader(body).Finish());
  }
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Credential cred,
                          db->CreateCredential(ctx.caller.tenant_id, ctx.now));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("credential.create", cred.access_key_id, "ok"));
  return http::JsonResponse(201, {{"access_key_id", cred.access_key_id},
                                  {"secret_access_key", cred.secret_access_key},
                                  {"created_at", FormatRfc3339(cred.created_at)}});
}

Result<http::HttpResponse> DeleteCredential(RequestContext& ctx) {
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_RETURN_IF_ERROR(db->DeleteCredential(ctx.caller.tenant_id, id));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("credential.delete", id, "ok"));
  return http::NoContentResponse();
}

}  // namespace

void AddTenantRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/tenants", http::Access::kOperator, CreateTenant);
  router.Add("POST", "/v1/credentials", http::Access::kTenant, CreateCredential);
  router.Add("DELETE", "/v1/credentials/{id}", http::Access::kTenant, DeleteCredential);
}

}  // namespace attest::service::api
