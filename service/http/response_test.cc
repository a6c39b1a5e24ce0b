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

}  // namespace
}  // namespace attest::service::http
