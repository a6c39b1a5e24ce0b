// Liveness, readiness and Prometheus metrics: public, no database needed for /healthz.
#include <nlohmann/json.hpp>

#include "service/api/routes.h"

namespace attest::service::api {
namespace {

Result<http::HttpResponse> Healthz(RequestContext&) {
  return http::JsonResponse(200, {{"status", "ok"}});
}

Result<http::HttpResponse> Readyz(RequestContext& ctx) {
  Result<store::Store*> db = ctx.Db();
  Status ping = db.ok() ? (*db)->Ping() : db.status();
  if (!ping.ok()) {
    ctx.DiscardDb();
    return http::ErrorResponse(503, reasons::kStoreDatabase.id, "database unreachable");
  }
  return http::JsonResponse(200, {{"status", "ready"}});
}

Result<http::HttpResponse> Metrics(RequestContext& ctx) {
  if (ctx.service.metrics == nullptr) {
    return http::ErrorResponse(404, reasons::kApiRouteNotFound.id, "metrics are disabled");
  }
  // The gauges are read from the database at scrape time, so every replica reports the same.
  Result<store::Store*> db = ctx.Db();
  if (db.ok()) {
    Result<int64_t> trusted = (*db)->CountTrustedHosts(ctx.now);
    Result<store::OutboxCounts> outbox =
        trusted.ok() ? (*db)->CountOutbox() : Result<store::OutboxCounts>(trusted.status());
    if (outbox.ok()) {
      ctx.service.metrics->Set("attestd_trusted_hosts", {}, static_cast<double>(*trusted));
      ctx.service.metrics->Set("attestd_webhook_deliveries_pending", {},
                               static_cast<double>(outbox->pending));
      ctx.service.metrics->Set("attestd_webhook_deliveries_failed", {},
                               static_cast<double>(outbox->failed));
    } else {
      ctx.DiscardDb();
    }
  }
  http::HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.service.metrics->Render();
  return r;
}

}  // namespace

void AddHealthRoutes(ApiRouter& router) {
  router.Add("GET", "/healthz", http::Access::kPublic, Healthz);
  router.Add("GET", "/readyz", http::Access::kPublic, Readyz);
  router.Add("GET", "/metrics", http::Access::kPublic, Metrics);
}

}  // namespace attest::service::api
