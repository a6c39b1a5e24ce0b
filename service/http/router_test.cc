#include "service/http/router.h"

#include <gtest/gtest.h>

namespace attest::service::http {
namespace {

TEST(RouterTest, MatchesPatternsAndCaptures) {
  struct Case {
    std::string pattern, path;
    bool want;
    std::string id;
  };
  const Case cases[] = {
      {"/v1/hosts", "/v1/hosts", true, ""},
      {"/v1/hosts/{id}", "/v1/hosts/h-1", true, "h-1"},
      {"/v1/hosts/{id}/quote", "/v1/hosts/abc.DEF_9/quote", true, "abc.DEF_9"},
      {"/v1/hosts", "/v1/hosts/", false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/", false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/a/b", false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/..", false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/.", false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/a%2Fb", false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/" + std::string(129, 'a'), false, ""},
      {"/v1/hosts/{id}", "/v1/hosts/" + std::string(128, 'a'), true, std::string(128, 'a')},
      {"/v1/hosts", "v1/hosts", false, ""},
      {"/v1/hosts", "", false, ""},
      {"/v1/hosts", "/v1//hosts", false, ""},
      {"/healthz", "/healthz?x", false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pattern + " vs " + c.path);
    PathParams params;
    EXPECT_EQ(MatchPattern(c.pattern, c.path, &params), c.want);
    if (c.want && !c.id.empty()) {
      EXPECT_EQ(params["id"], c.id);
    }
  }
}

TEST(RouterTest, FindsByMethodAndReportsKnownPaths) {
  Router<int> router;
  router.Add("GET", "/v1/policies/{name}", Access::kTenant, 1);
  router.Add("PUT", "/v1/policies/{name}", Access::kTenant, 2);
  auto m = router.Find("PUT", "/v1/policies/p");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler, 2);
  EXPECT_EQ(m.params.at("name"), "p");
  m = router.Find("POST", "/v1/policies/p");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  m = router.Find("GET", "/v1/nothing");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.path_known);
}

}  // namespace
}  // namespace attest::service::http
