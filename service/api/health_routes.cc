// Liveness, readiness and Prometheus metrics: public, no database needed for /healthz.
#include <iostream>

#include <nlohmann/json.hpp>

#include "service/api/routes.h"

namespace attest::service::api {
namespace {

Result<http::HttpResponse> Healthz(RequestContext&) {
  return http::JsonResponse(200, {{"status", "ok"}});
}

// Readyz checks what every request needs: the database answers and the KEK still works (key
// file readable and unchanged, PKCS#11 session alive). The body names each check's outcome by
// reason code only: the route is public, so the detail (paths, CKR values) goes to the log.
Result<http::HttpResponse> Readyz(RequestContext& ctx) {
  nlohmann::json checks = nlohmann::json::object();
  std::string first_failed;
  auto record = [&](const char* name, const Status& s) {
    checks[name] = s.ok() ? std::string("ok") : std::string(s.reason_id());
    if (!s.ok()) {
      std::cerr << "attestd: /readyz: " << name << ": " << s.ToString() << "\n";
      if (first_failed.empty()) {
        first_failed = name;
      }
    }
  };
  Result<store::Store*> db = ctx.Db();
  const Status ping = db.ok() ? (*db)->Ping() : db.status();
  if (!ping.ok()) {
    ctx.DiscardDb();
  }
  record("database", ping.ok() ? ping : Status(reasons::kStoreDatabase, ping.message()));
  if (ctx.service.kek != nullptr) {
    record("kek", ctx.service.kek->CheckAvailable());
  }
  if (first_failed.empty()) {
    return http::JsonResponse(200, {{"status", "ready"}, {"checks", checks}});
  }
  return http::JsonResponse(503, {{"code", checks[first_failed]},
                                  {"message", "not ready: " + first_failed + " check failed"},
                                  {"checks", checks}});
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
  if (ctx.service.slow_work) {
    const work::SlowWork::Stats work = ctx.service.slow_work->stats();
    ctx.service.metrics->Set("attestd_slow_work_running", {}, static_cast<double>(work.running));
    ctx.service.metrics->Set("attestd_slow_work_queued", {}, static_cast<double>(work.queued));
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
