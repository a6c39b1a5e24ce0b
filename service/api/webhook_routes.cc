// Webhooks (issue 15): PUT/GET/DELETE /v1/webhooks/{name}, GET /v1/webhooks, and GET
// /v1/webhooks/{name}/deliveries (the newest outbox rows, to see why a receiver hears nothing).
// Any signed caller manages its own tenant's webhooks; which events it may subscribe to depends
// on its role: the operator hears about its hosts (host.*) and, as any tenant, about its own VMs
// (vm.host_untrusted, release.denied); a tenant only about its own VMs. The secret is write-only.
// Delivery is service/events; service/README.md "Webhooks" documents payloads and signatures.
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/time.h"
#include "service/api/routes.h"
#include "service/events/reasons.h"
#include "service/events/webhook_url.h"
#include "service/http/json_body.h"
#include "service/http/query.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

// An HMAC-SHA256 key shorter than 16 bytes is guessable offline from one signed delivery; longer
// than 256 bytes serves no purpose (HMAC hashes keys over 64 bytes down anyway).
constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxSecretBytes = 256;
constexpr int64_t kMaxDeliveriesListed = 100;

bool IsHostEvent(const std::string& type) { return type.rfind("host.", 0) == 0; }

Result<std::vector<std::string>> ReadEvents(const nlohmann::json& value, store::Role role) {
  if (!value.is_array() || value.empty()) {
    return Status(reasons::kApiInvalidField, "field \"events\": a non-empty array of event names");
  }
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const nlohmann::json& item : value) {
    if (!item.is_string()) {
      return Status(reasons::kApiInvalidField, "field \"events\": items are strings");
    }
    const std::string type = item.get<std::string>();
    if (!store::IsEventType(type)) {
      return Status(reasons::kWebhookEventUnknown,
                    "field \"events\": unknown event " + type.substr(0, 64));
    }
    if (IsHostEvent(type) && role != store::Role::kOperator) {
      return Status(reasons::kWebhookEventNotAllowed,
                    "field \"events\": " + type + " is for the operator (host events)");
    }
    if (!seen.insert(type).second) {
      return Status(reasons::kApiInvalidField, "field \"events\": " + type + " is repeated");
    }
    out.push_back(type);
  }
  return out;
}

nlohmann::json WebhookJson(const store::Webhook& w) {
  // No "secret": it is write-only, even for its owner.
  return {{"name", w.name},
          {"url", w.url},
          {"events", w.events},
          {"created_at", FormatRfc3339(w.created_at)},
          {"updated_at", FormatRfc3339(w.updated_at)}};
}

nlohmann::json DeliveryJson(const store::OutboxDelivery& d) {
  nlohmann::json j = {{"id", d.id},
                      {"event_id", d.event_id},
                      {"type", d.event_type},
                      {"created_at", FormatRfc3339(d.created_at)},
                      {"attempts", d.attempts},
                      {"state", d.delivered_at ? "delivered"
                                : d.failed_at  ? "failed"
                                               : "pending"}};
  if (d.delivered_at) {
    j["delivered_at"] = FormatRfc3339(*d.delivered_at);
  }
  if (d.failed_at) {
    j["failed_at"] = FormatRfc3339(*d.failed_at);
  }
  if (!d.delivered_at && !d.failed_at) {
    j["next_attempt_at"] = FormatRfc3339(d.next_attempt_at);
  }
  if (!d.last_error.empty()) {
    j["last_error"] = d.last_error;
  }
  return j;
}

Result<HttpResponse> PutWebhook(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  store::Webhook w;
  w.name = name;
  ATTEST_ASSIGN_OR_RETURN(w.url, reader.TakeString("url"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json events, reader.TakeJson("events"));
  ATTEST_ASSIGN_OR_RETURN(w.secret, reader.TakeString("secret"));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  ATTEST_RETURN_IF_ERROR(
      events::CheckWebhookUrl(w.url, ctx.service.config.webhooks_allow_loopback_http).status());
  ATTEST_ASSIGN_OR_RETURN(w.events, ReadEvents(events, ctx.caller.role));
  if (w.secret.size() < kMinSecretBytes || w.secret.size() > kMaxSecretBytes) {
    return Status(reasons::kWebhookSecretInvalid,
                  "field \"secret\": " + std::to_string(kMinSecretBytes) + ".." +
                      std::to_string(kMaxSecretBytes) + " bytes");
  }
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Webhook stored, db->PutWebhook(ctx.caller.tenant_id, w, ctx.now));
  std::string list;
  for (const std::string& e : stored.events) {
    list += (list.empty() ? "" : ",") + e;
  }
  // The URL may carry a token in its query: the audit entry leaves it out.
  ATTEST_RETURN_IF_ERROR(ctx.Audit("webhook.put", name, "ok", "events=" + list));
  return http::JsonResponse(200, WebhookJson(stored));
}

Result<HttpResponse> GetWebhook(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Webhook w,
                          db->GetWebhook(ctx.caller.tenant_id, ctx.Param("name")));
  return http::JsonResponse(200, WebhookJson(w));
}

Result<HttpResponse> ListWebhooks(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::Webhook> hooks,
                          db->ListWebhooks(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const store::Webhook& w : hooks) {
    list.push_back(WebhookJson(w));
  }
  return http::JsonResponse(200, {{"webhooks", list}});
}

Result<HttpResponse> DeleteWebhook(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_RETURN_IF_ERROR(db->DeleteWebhook(ctx.caller.tenant_id, name));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("webhook.delete", name, "ok"));
  return http::NoContentResponse();
}

Result<HttpResponse> ListDeliveries(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_RETURN_IF_ERROR(db->GetWebhook(ctx.caller.tenant_id, name).status());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::OutboxDelivery> rows,
                          db->ListDeliveries(ctx.caller.tenant_id, name, kMaxDeliveriesListed));
  nlohmann::json list = nlohmann::json::array();
  for (const store::OutboxDelivery& d : rows) {
    list.push_back(DeliveryJson(d));
  }
  return http::JsonResponse(200, {{"deliveries", list}});
}

}  // namespace

void AddWebhookRoutes(ApiRouter& router) {
  router.Add("GET", "/v1/webhooks", http::Access::kTenant, ListWebhooks);
  router.Add("PUT", "/v1/webhooks/{name}", http::Access::kTenant, PutWebhook);
  router.Add("GET", "/v1/webhooks/{name}", http::Access::kTenant, GetWebhook);
  router.Add("DELETE", "/v1/webhooks/{name}", http::Access::kTenant, DeleteWebhook);
  router.Add("GET", "/v1/webhooks/{name}/deliveries", http::Access::kTenant, ListDeliveries);
}

}  // namespace attest::service::api
