#include "service/api/dispatch.h"

#include <chrono>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "service/api/auth.h"
#include "service/api/health_snapshot.h"
#include "service/api/routes.h"
#include "service/hosts/ek_trust.h"
#include "service/log/log.h"
#include "service/store/sql_row.h"

namespace attest::service::api {
namespace {

constexpr const char* kRequests = "attestd_http_requests_total";
constexpr const char* kRequestSeconds = "attestd_http_request_duration_seconds";

// CheckAccess applies the route's access rule to the authenticated caller. A host's credential
// opens only the host routes, and only for its own id: another host's answers as a missing one.
std::optional<http::HttpResponse> CheckAccess(http::Access access, const RequestContext& ctx) {
  const store::Role role = ctx.caller.role;
  const bool host_route = access == http::Access::kHost || access == http::Access::kOperatorOrHost;
  if (role == store::Role::kHost) {
    if (!host_route) {
      return http::ErrorResponse(403, "AccessDenied",
                                 "a host's credential may only attest that host");
    }
    auto id = ctx.params.find("id");
    if (id == ctx.params.end() || id->second != ctx.caller.host_id) {
      return http::ErrorFromStatus(
          store::NotFound("host", id == ctx.params.end() ? "" : id->second));
    }
    return std::nullopt;
  }
  if (access == http::Access::kHost) {
    return http::ErrorResponse(403, "AccessDenied",
                               "this operation needs the host's own credential");
  }
  if ((access == http::Access::kOperator || access == http::Access::kOperatorOrHost) &&
      role != store::Role::kOperator) {
    return http::ErrorResponse(403, "AccessDenied", "this operation needs the operator role");
  }
  return std::nullopt;
}

// RefuseWhileDatabaseUnready: while the readiness snapshot's database check fails (the database
// unreachable, or this replica's clock off the database server's: store.cc Ping), every route
// but the health ones answers at once 503 with Retry-After. Requests then neither open a
// connection each to a database coming back (a storm) nor decide anything on a wrong clock; the
// snapshot is refreshed at most once a second, by whoever asks first (issue 21).
std::optional<http::HttpResponse> RefuseWhileDatabaseUnready(Api& api, RequestContext& ctx,
                                                             const std::string& route) {
  HealthSnapshots* health = api.service().health.get();
  if (health == nullptr || route == "/healthz" || route == "/readyz" || route == "/metrics") {
    return std::nullopt;
  }
  const http::HttpResponse ready =
      health->readyz.Get(ctx.now, [&ctx] { return CheckReadiness(ctx); });
  if (ready.status == 200) {
    return std::nullopt;
  }
  const nlohmann::json body = nlohmann::json::parse(ready.body, nullptr, false);
  if (!body.is_object() || !body.contains("checks") || !body["checks"].is_object() ||
      body["checks"].value("database", "ok") == "ok") {
    return std::nullopt;
  }
  return http::ErrorFromStatus(Status(reasons::kStoreDatabase, "database check failed"));
}

http::HttpResponse Route(Api& api, RequestContext& ctx, std::string* route_label) {
  const HttpRequest& req = ctx.request;
  ApiRouter::Match match = api.router().Find(req.method, req.path);
  if (match.route == nullptr) {
    *route_label = "unmatched";
    if (match.path_known || api.stream_router().Find(req.method, req.path).path_known) {
      return http::ErrorResponse(405, reasons::kApiMethodNotAllowed.id,
                                 "method " + req.method + " not allowed on this path");
    }
    return http::ErrorResponse(404, reasons::kApiRouteNotFound.id, "no such resource");
  }
  *route_label = match.route->pattern;
  ctx.params = std::move(match.params);
  if (std::optional<http::HttpResponse> refused =
          RefuseWhileDatabaseUnready(api, ctx, *route_label)) {
    return std::move(*refused);
  }

  if (match.route->access != http::Access::kPublic) {
    std::variant<Caller, http::HttpResponse> auth = Authenticate(ctx);
    if (auto* refused = std::get_if<http::HttpResponse>(&auth)) {
      return std::move(*refused);
    }
    ctx.caller = std::get<Caller>(std::move(auth));
    if (std::optional<http::HttpResponse> refused = CheckAccess(match.route->access, ctx)) {
      return std::move(*refused);
    }
  }

  Result<http::HttpResponse> response = match.route->handler(ctx);
  if (response.ok()) {
    return std::move(response).value();
  }
  if (response.status().reason_id() == reasons::kWorkBusy.id) {
    // Nothing was done and the database is fine: keep the connection, tell the client when.
    if (api.service().metrics != nullptr) {
      api.service().metrics->Add("attestd_slow_work_refused_total", {{"route", *route_label}});
    }
    return http::ErrorFromStatus(response.status(), api.service().slow_work->RetryAfterSeconds());
  }
  if (response.status().code() == ErrorCode::kUnavailable) {
    ctx.DiscardDb();
  }
  if (response.status().code() == ErrorCode::kInternal) {
    log::Write(log::Level::kError, "request failed",
               {{"request_id", ctx.request_id},
                {"route", *route_label},
                {"client", ctx.client_address},
                {"error", response.status().ToString()}});
  }
  return http::ErrorFromStatus(response.status());
}

}  // namespace

void DefineApiMetrics(metrics::Registry& registry) {
  registry.DefineCounter(kRequests, "HTTP requests by route pattern, method and status.");
  registry.DefineHistogram(
      kRequestSeconds, "HTTP request latency by route pattern.",
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  registry.DefineHistogram("attestd_verification_duration_seconds",
                           "Evidence verification and appraisal latency by evidence type.",
                           {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1});
  registry.DefineCounter("attestd_decisions_total",
                         "Appraisal and release decisions by kind and outcome.");
  registry.DefineGauge("attestd_hosts_without_ek_cert_allowed",
                       "1 when hosts may register without an EK certificate "
                       "(allow_hosts_without_ek_cert), else 0.");
  registry.DefineGauge("attestd_trusted_hosts",
                       "Hosts whose last quote was accepted and is still fresh.");
  registry.DefineGauge("attestd_webhook_deliveries_pending",
                       "Webhook deliveries in the outbox not yet delivered nor given up (all "
                       "replicas).");
  registry.DefineGauge("attestd_webhook_deliveries_failed",
                       "Webhook deliveries given up after their last attempt (all replicas).");
  registry.DefineCounter("attestd_rate_limited_total",
                         "Key release requests refused by a rate limit, by route and scope.");
  registry.DefineGauge(
      "attestd_rate_limit_per_minute",
      "Configured key release rate limit (requests per minute per key), by scope.");
  registry.DefineCounter("attestd_slow_work_refused_total",
                         "Requests refused with work.busy (slow-work pool full), by route.");
  registry.DefineGauge("attestd_slow_work_running", "Slow jobs (luksFormat, libvirt) running.");
  registry.DefineGauge("attestd_slow_work_queued", "Slow jobs waiting for a slow-work thread.");
  registry.DefineGauge("attestd_rate_limit_tracked_keys",
                       "Rate limit buckets held in memory (this replica), by scope.");
  registry.DefineCounter("attestd_verifications_busy_total",
                         "Key release requests refused with api.verifications_busy (every "
                         "verification place taken).");
  registry.DefineGauge("attestd_max_concurrent_verifications",
                       "Configured bound on concurrent key release verifications (this replica).");
}

Api::Api(ServiceContext service) : service_(std::move(service)) {
  AddHealthRoutes(router_);
  AddPolicyRoutes(router_);
  AddAuditRoutes(router_);
  AddTenantRoutes(router_);
  AddHostPolicyRoutes(router_);
  AddHostRoutes(router_);
  AddEnrollmentRoutes(router_);
  AddCollateralRoutes(router_);
  AddNetworkRoutes(router_);
  AddVolumeRoutes(router_);
  AddVmRoutes(router_);
  AddAttestRoutes(router_);
  AddWebhookRoutes(router_);
  AddMeasurementRoutes(router_);
  AddBootImageRoutes(router_, stream_router_);
  if (!service_.release_limits) {
    service_.release_limits = std::make_shared<ReleaseLimits>(service_.config);
  }
  if (!service_.health) {
    service_.health = std::make_shared<HealthSnapshots>();
  }
  if (service_.config.luks.cryptsetup.empty()) {
    // Resolved once here (attestd resolves it at start already); never searched on PATH.
    Result<std::string> cryptsetup = keys::ResolveCryptsetup("");
    if (cryptsetup.ok()) {
      service_.config.luks.cryptsetup = *cryptsetup;
    }
  }
  if (!service_.slow_work) {
    service_.slow_work = std::make_shared<work::SlowWork>(service_.config.slow_work_threads,
                                                          service_.config.slow_work_queue);
  }
  if (!service_.ek_trust) {
    auto trust = hosts::EkTrust::Load(service_.config.ek_ca_bundle,
                                      service_.config.allow_hosts_without_ek_cert);
    if (trust.ok()) {
      service_.ek_trust = std::move(trust).value();
    }
  }
  if (service_.metrics != nullptr && service_.ek_trust) {
    service_.metrics->Set("attestd_hosts_without_ek_cert_allowed", {},
                          service_.ek_trust->allow_hosts_without_ek_cert() ? 1.0 : 0.0);
  }
  if (service_.metrics != nullptr) {
    service_.metrics->Set("attestd_rate_limit_per_minute", {{"scope", "vm"}},
                          static_cast<double>(service_.release_limits->per_vm.per_minute()));
    service_.metrics->Set("attestd_rate_limit_per_minute", {{"scope", "address"}},
                          static_cast<double>(service_.release_limits->per_address.per_minute()));
    service_.metrics->Set("attestd_max_concurrent_verifications", {},
                          static_cast<double>(service_.release_limits->verifications.max()));
  }
}

http::HttpResponse Api::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  RequestContext ctx(request, service_, service_.now());
  std::string route_label;
  http::HttpResponse response;
  try {
    response = Route(*this, ctx, &route_label);
  } catch (const std::exception& e) {
    log::Write(log::Level::kError, "request failed",
               {{"request_id", ctx.request_id},
                {"route", route_label},
                {"client", ctx.client_address},
                {"error", std::string("exception: ") + e.what()}});
    ctx.DiscardDb();
    response = http::ErrorResponse(500, reasons::kApiInternal.id, "internal error");
  }
  response.headers.push_back({"X-Request-Id", ctx.request_id});
  Record(LogFor(ctx, route_label, start), response.status);
  return response;
}

RequestLog Api::LogFor(const RequestContext& ctx, std::string route_label,
                       std::chrono::steady_clock::time_point start) const {
  // The method comes from the route table, never from an unmatched request: a client must not be
  // able to mint metric label values or fill the log with its own words.
  std::string method = route_label == "unmatched" ? "other" : ctx.request.method;
  return RequestLog{ctx.request_id,
                    std::move(route_label),
                    std::move(method),
                    ctx.client_address,
                    ctx.caller.tenant_id,
                    ctx.caller.access_key_id,
                    start};
}

void Api::Record(const RequestLog& entry, int status) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - entry.start).count();
  if (service_.config.access_log) {
    char latency[32];
    std::snprintf(latency, sizeof(latency), "%.3f", seconds * 1000);
    log::Write(log::Level::kInfo, "request",
               {{"request_id", entry.request_id},
                {"method", entry.method},
                {"route", entry.route_label},
                {"status", std::to_string(status)},
                {"latency_ms", latency},
                {"client", entry.client_address},
                {"tenant", entry.tenant_id},
                {"access_key_id", entry.access_key_id}});
  }
  if (service_.metrics != nullptr) {
    service_.metrics->Add(kRequests, {{"method", entry.method},
                                      {"route", entry.route_label},
                                      {"status", std::to_string(status)}});
    service_.metrics->Observe(kRequestSeconds, {{"route", entry.route_label}}, seconds);
  }
}

uint64_t Api::StreamLimit(const HttpRequest& head) const {
  const StreamRouter::Match match = stream_router_.Find(head.method, head.path);
  return match.route == nullptr ? 0 : match.route->handler.max_body_bytes(service_.config);
}

namespace {

// RecordedSink logs and counts a streamed request when its answer is known, as Api::Handle does
// for a buffered one; an upload cut off before its end is logged with status 0 (no answer).
class RecordedSink final : public http::BodySink {
 public:
  RecordedSink(std::unique_ptr<http::BodySink> inner, std::string request_id,
               std::function<void(int status)> record)
      : inner_(std::move(inner)), request_id_(std::move(request_id)), record_(std::move(record)) {}
  ~RecordedSink() override {
    if (record_) {
      inner_.reset();
      record_(0);
    }
  }
  RecordedSink(const RecordedSink&) = delete;
  RecordedSink& operator=(const RecordedSink&) = delete;

  Status Write(std::string_view bytes) override {
    Status s = inner_->Write(bytes);
    if (!s.ok()) {
      Answered(http::HttpStatusFor(s));
    }
    return s;
  }
  http::HttpResponse Finish() override {
    http::HttpResponse response = inner_->Finish();
    response.headers.push_back({"X-Request-Id", request_id_});
    Answered(response.status);
    return response;
  }

 private:
  void Answered(int status) {
    if (record_) {
      std::exchange(record_, nullptr)(status);
    }
  }
  std::unique_ptr<http::BodySink> inner_;
  std::string request_id_;
  std::function<void(int status)> record_;
};

}  // namespace

http::StreamStart Api::BeginStream(const HttpRequest& head) {
  const auto start = std::chrono::steady_clock::now();
  RequestContext ctx(head, service_, service_.now());
  const StreamRouter::Match match = stream_router_.Find(head.method, head.path);
  std::string route_label = "unmatched";
  std::optional<http::HttpResponse> refused;
  Result<std::unique_ptr<http::BodySink>> sink =
      Status(reasons::kApiRouteNotFound, "no such resource");
  try {
    if (match.route != nullptr) {
      route_label = match.route->pattern;
      ctx.params = match.params;
      std::variant<Caller, http::HttpResponse> auth = Authenticate(ctx, /*body_streamed=*/true);
      if (auto* denied = std::get_if<http::HttpResponse>(&auth)) {
        refused = std::move(*denied);
      } else {
        ctx.caller = std::get<Caller>(std::move(auth));
        refused = CheckAccess(match.route->access, ctx);
        if (!refused) {
          sink = match.route->handler.open(ctx);
        }
      }
    }
  } catch (const std::exception& e) {
    log::Write(log::Level::kError, "request failed",
               {{"request_id", ctx.request_id},
                {"route", route_label},
                {"error", std::string("exception: ") + e.what()}});
    ctx.DiscardDb();
    sink = Status(reasons::kApiInternal, "internal error");
  }
  http::StreamStart out;
  if (!refused && sink.ok()) {
    // The sink outlives this context: it records with a copy of what the log line needs.
    out.sink = std::make_unique<RecordedSink>(
        std::move(sink).value(), ctx.request_id,
        [this, entry = LogFor(ctx, route_label, start)](int status) { Record(entry, status); });
    return out;
  }
  out.refusal = refused ? std::move(*refused) : http::ErrorFromStatus(sink.status());
  out.refusal.headers.push_back({"X-Request-Id", ctx.request_id});
  Record(LogFor(ctx, route_label, start), out.refusal.status);
  return out;
}

http::StreamRoutes Api::Streams() {
  return {[this](const HttpRequest& head) { return StreamLimit(head); },
          [this](const HttpRequest& head) { return BeginStream(head); }};
}

}  // namespace attest::service::api
