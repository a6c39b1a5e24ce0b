// Router: maps (method, path) to a handler. Patterns are literal segments and {name} captures;
// a capture matches one segment of [A-Za-z0-9._-] (1..128 bytes), so ids and names never need
// percent-decoding and a path can never alias another.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attest::service::http {

// Access says who may call a route.
enum class Access {
  kPublic,          // no authentication (health, metrics, guest key release, host enrollment)
  kTenant,          // any authenticated tenant or operator; acts on the caller's own resources
  kOperator,        // authenticated callers with the operator role only
  kHost,            // a host's own credential only, on a path whose {id} is that host
  kOperatorOrHost,  // the operator, or a host on a path whose {id} is that host
};

using PathParams = std::map<std::string, std::string, std::less<>>;

// MatchPattern reports whether path matches pattern, filling params with the captures.
bool MatchPattern(std::string_view pattern, std::string_view path, PathParams* params);

// IsValidName reports whether s is a legal capture / resource name: 1..128 bytes of
// [A-Za-z0-9._-], not "." or "..".
bool IsValidName(std::string_view s);

template <typename Handler>
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;  // "/v1/hosts/{id}/quote": also the metrics label
    Access access{};
    Handler handler;
  };

  struct Match {
    const Route* route = nullptr;  // null: no route for this path, or method not allowed
    bool path_known = false;       // some route has this path under another method (405)
    PathParams params;
  };

  void Add(std::string method, std::string pattern, Access access, Handler handler) {
    routes_.push_back(Route{std::move(method), std::move(pattern), access, std::move(handler)});
  }

  Match Find(std::string_view method, std::string_view path) const {
    Match m;
    for (const Route& r : routes_) {
      PathParams params;
      if (!MatchPattern(r.pattern, path, &params)) {
        continue;
      }
      if (r.method != method) {
        m.path_known = true;
        continue;
      }
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    return m;
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace attest::service::http
