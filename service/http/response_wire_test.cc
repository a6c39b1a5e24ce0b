#include "service/http/response_wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace attest::service::http {
namespace {

TEST(ResponseWireTest, FramesResponses) {
  HttpResponse json = JsonResponse(201, nlohmann::json{{"id", "vm-1"}});
  json.headers.push_back({"Location", "/v1/vms/vm-1"});
  EXPECT_EQ(SerializeResponse(json, {}),
            "HTTP/1.1 201 Created\r\nLocation: /v1/vms/vm-1\r\nContent-Type: application/json\r\n"
            "Content-Length: 13\r\n\r\n{\"id\":\"vm-1\"}");
  // HEAD: the length GET would have, no body.
  EXPECT_EQ(SerializeResponse(json, {.head = true, .close = true}),
            "HTTP/1.1 201 Created\r\nLocation: /v1/vms/vm-1\r\nContent-Type: application/json\r\n"
            "Content-Length: 13\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(SerializeResponse(NoContentResponse(), {}), "HTTP/1.1 204 No Content\r\n\r\n");
  HttpResponse bytes;
  bytes.content_type.clear();
  bytes.body = "x";
  EXPECT_EQ(
      SerializeResponse(bytes, {}),
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1\r\n\r\nx");
  HttpResponse empty;
  empty.content_type.clear();
  EXPECT_EQ(SerializeResponse(empty, {}), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseWireTest, OnlyTheServerFrames) {
  HttpResponse r = ErrorResponse(429, "api.rate_limited", "slow down");
  r.headers = {{"Content-Length", "0"},      {"transfer-encoding", "chunked"},
               {"Connection", "keep-alive"}, {"X-Split", "a\r\nSet-Cookie: b"},
               {"Bad\r\nName", "v"},         {"Retry-After", "3"}};
  const std::string wire = SerializeResponse(r, {});
  EXPECT_EQ(wire.find("chunked"), std::string::npos);
  EXPECT_EQ(wire.find("keep-alive"), std::string::npos);
  EXPECT_EQ(wire.find("Set-Cookie"), std::string::npos);
  EXPECT_EQ(wire.find("Bad"), std::string::npos);
  EXPECT_NE(wire.find("Retry-After: 3\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Content-Length: " + std::to_string(r.body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_EQ(wire.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0), 0u);
}

TEST(ResponseWireTest, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(599), "Unknown");
}

}  // namespace
}  // namespace attest::service::http
