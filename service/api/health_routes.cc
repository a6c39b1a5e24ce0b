// Liveness, readiness and Prometheus metrics: public, no database needed for /healthz. What
// /readyz and /metrics read from the database and the KEK comes from snapshots refreshed at most
// once per second (health_snapshot.h), so callers cannot make attestd lease connections at will.
#include <iostream>

#include <nlohmann/json.hpp>

#include "service/api/health_snapshot.h"
#include "service/api/routes.h"

namespace attest::service::api {

// CheckReadiness checks what every request needs: the database answers and the KEK still works
// (key file readable and unchanged, PKCS#11 session alive). The body names each check's outcome
// by reason code only: the route is public, so the detail (paths, CKR values) goes to the log.
http::HttpResponse CheckReadiness(RequestContext& ctx) {
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
  const Status ping = db.ok() ? (*db)->Ping(ctx.now) : db.status();
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

namespace {

Result<http::HttpResponse> Healthz(RequestContext&) {
  return http::JsonResponse(200, {{"status", "ok"}});
}

Result<http::HttpResponse> Readyz(RequestContext& ctx) {
  if (ctx.service.health == nullptr) {
    return CheckReadiness(ctx);
  }
  return ctx.service.health->readyz.Get(
      ctx.now, [&ctx] { return CheckReadiness(ctx); },
      [] {
        return http::JsonResponse(
            503, {{"code", std::string(reasons::kApiReadinessCheckHung.id)},
                  {"message", "not ready: the readiness check in progress has not finished for " +
                                  std::to_string(HealthSnapshots::kReadyzMaxStale.count()) + " s"},
                  {"checks", nlohmann::json::object()}});
      });
}

// RefreshDatabaseGauges reads the gauges every replica reports alike from the database; false
// when the database did not answer (the gauges keep their last values).
bool RefreshDatabaseGauges(RequestContext& ctx) {
  Result<store::Store*> db = ctx.Db();
  if (!db.ok()) {
    return false;
  }
  Result<int64_t> trusted = (*db)->CountTrustedHosts(ctx.now);
  Result<store::OutboxCounts> outbox =
      trusted.ok() ? (*db)->CountOutbox() : Result<store::OutboxCounts>(trusted.status());
  if (!outbox.ok()) {
    ctx.DiscardDb();
    return false;
  }
  ctx.service.metrics->Set("attestd_trusted_hosts", {}, static_cast<double>(*trusted));
  ctx.service.metrics->Set("attestd_webhook_deliveries_pending", {},
                           static_cast<double>(outbox->pending));
  ctx.service.metrics->Set("attestd_webhook_deliveries_failed", {},
                           static_cast<double>(outbox->failed));
  return true;
}

// MetricsAllowed reports whether the client may read /metrics (metrics_allowed_cidrs; a request
// without an address, or with one that is not an IP, is outside every list).
bool MetricsAllowed(const RequestContext& ctx) {
  const std::vector<http::IpNetwork>& allowed = ctx.service.config.metrics_allowed_cidrs;
  if (allowed.empty()) {
    return true;
  }
  const std::optional<http::IpAddress> client = http::ParseIpAddress(ctx.client_address);
  return client.has_value() && http::InAnyNetwork(*client, allowed);
}

Result<http::HttpResponse> Metrics(RequestContext& ctx) {
  if (ctx.service.metrics == nullptr) {
    return http::ErrorResponse(404, reasons::kApiRouteNotFound.id, "metrics are disabled");
  }
  if (!MetricsAllowed(ctx)) {
    return http::ErrorResponse(403, reasons::kApiMetricsNotAllowed.id,
                               "metrics are not served to this client address "
                               "(metrics_allowed_cidrs)");
  }
  if (ctx.service.health == nullptr) {
    (void)RefreshDatabaseGauges(ctx);
  } else {
    (void)ctx.service.health->metrics_db.Get(ctx.now,
                                             [&ctx] { return RefreshDatabaseGauges(ctx); });
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
