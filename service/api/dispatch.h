// Dispatch: one request in, one response out: route, authenticate (SigV4), check the role, lease
// a database connection, run the handler, count it. Never throws; a handler's exception becomes a
// logged 500 with no detail.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "service/api/context.h"

namespace attest::service::api {

// RequestLog: what the access log line and the metrics of one request say besides its status.
struct RequestLog {
  std::string request_id;
  std::string route_label;
  std::string method;
  std::string client_address;
  std::string tenant_id;
  std::string access_key_id;
  std::chrono::steady_clock::time_point start;
};

// Api is the whole route table plus the service state behind it.
class Api {
 public:
  explicit Api(ServiceContext service);

  http::HttpResponse Handle(const HttpRequest& request);

  // StreamLimit returns the body limit of a streamed route matching head, or 0 (not streamed).
  uint64_t StreamLimit(const HttpRequest& head) const;
  // BeginStream routes, authenticates (the declared x-amz-content-sha256 is signed, the body is
  // still to come) and checks a streamed request's head, then opens its route's sink; or refuses.
  http::StreamStart BeginStream(const HttpRequest& head);
  // Streams is what HttpsServer::Start takes to serve the streamed routes (this Api outlives it).
  http::StreamRoutes Streams();

  ServiceContext& service() { return service_; }
  ApiRouter& router() { return router_; }
  StreamRouter& stream_router() { return stream_router_; }

 private:
  RequestLog LogFor(const RequestContext& ctx, std::string route_label,
                    std::chrono::steady_clock::time_point start) const;
  // Record writes the access log line and the request metrics of one answered request.
  void Record(const RequestLog& entry, int status);

  ServiceContext service_;
  ApiRouter router_;
  StreamRouter stream_router_;
};

// DefineApiMetrics declares the metric families the API updates.
void DefineApiMetrics(metrics::Registry& registry);

}  // namespace attest::service::api
