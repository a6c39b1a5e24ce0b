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

TEST(ResponseTest, LoopbackHosts) {
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"", "0.0.0.0", "10.0.0.1", "128.0.0.1", "127.example.com",
                           "localhost.example.com", "::", "::2", "1270.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace attest::service::http
