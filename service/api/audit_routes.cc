// GET /v1/audit: the caller's own entries of the audit log, oldest first, paged by sequence.
#include <nlohmann/json.hpp>

#include "service/api/routes.h"
#include "service/http/query.h"

namespace attest::service::api {
namespace {

Result<http::HttpResponse> ListAudit(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(auto query, http::ParseQuery(ctx.request.query, {"after", "limit"}));
  ATTEST_ASSIGN_OR_RETURN(int64_t after, http::QueryInt(query, "after", 0, INT64_MAX, 0));
  ATTEST_ASSIGN_OR_RETURN(int64_t limit, http::QueryInt(query, "limit", 1, 1000, 100));
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(auto entries, db->ListAudit(ctx.caller.tenant_id, after, limit));
  nlohmann::json list = nlohmann::json::array();
  for (const store::AuditEntry& e : entries) {
    const store::AuditRecord& r = e.record;
    list.push_back({{"seq", e.seq},
                    {"at", FormatRfc3339(r.at)},
                    {"actor", r.actor},
                    {"action", r.action},
                    {"subject", r.subject},
                    {"evidence_digest", r.evidence_digest},
                    {"policy_version", r.policy_version},
                    {"outcome", r.outcome},
                    {"detail", r.detail},
                    {"client_address", r.client_address},
                    {"prev_hash", e.prev_hash}});
  }
  nlohmann::json body = {{"entries", list}};
  if (static_cast<int64_t>(entries.size()) == limit) {
    body["next_after"] = entries.back().seq;
  }
  return http::JsonResponse(200, body);
}

}  // namespace

void AddAuditRoutes(ApiRouter& router) {
  router.Add("GET", "/v1/audit", http::Access::kTenant, ListAudit);
}

}  // namespace attest::service::api
