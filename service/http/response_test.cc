#include "service/http/response.h"

#include <gtest/gtest.h>

namespace attest::service::http {
namespace {

TEST(ResponseTest, NoContentHasNoBodyOrType) {
  HttpResponse r = NoContentResponse();
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.content_type.empty());
  EXPECT_TRUE(r.body.empty());
}

// Every 503 tells the client when to retry (issue 21: after a database restart, clients must back
// off rather than storm it); no other status invents a Retry-After.
TEST(ResponseTest, OnlyUnavailableCarriesRetryAfter) {
  const struct {
    Reason reason;
    int status = 0;
    bool retry_after = false;
  } cases[] = {
      {reasons::kApiShuttingDown, 503, true},   {reasons::kApiListenFailed, 503, true},
      {reasons::kApiMalformedJson, 400, false}, {reasons::kApiBodyTooLarge, 400, false},
      {reasons::kApiInternal, 500, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason.id);
    const HttpResponse r = ErrorFromStatus(Status(c.reason, "detail"));
    EXPECT_EQ(r.status, c.status);
    int found = 0;
    for (const HttpHeader& h : r.headers) {
      if (h.name == "Retry-After") {
        ++found;
        EXPECT_EQ(h.value, "1");
      }
    }
    EXPECT_EQ(found, c.retry_after ? 1 : 0);
  }
}

}  // namespace
}  // namespace attest::service::http
