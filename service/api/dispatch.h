// Dispatch: one request in, one response out: route, authenticate (SigV4), check the role, lease
// a database connection, run the handler, count it. Never throws; a handler's exception becomes a
// logged 500 with no detail.
#pragma once

#include "service/api/context.h"

namespace attest::service::api {

// Api is the whole route table plus the service state behind it.
class Api {
 public:
  explicit Api(ServiceContext service);

  http::HttpResponse Handle(const HttpRequest& request);

  ServiceContext& service() { return service_; }
  ApiRouter& router() { return router_; }

 private:
  ServiceContext service_;
  ApiRouter router_;
};

// DefineApiMetrics declares the metric families the API updates.
void DefineApiMetrics(metrics::Registry& registry);

}  // namespace attest::service::api
