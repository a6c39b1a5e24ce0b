#include "sigv4/request_file.h"

#include <gtest/gtest.h>

#include "sigv4/authorization.h"

namespace attest::sigv4 {
namespace {

TEST(ParseRequestFile, GoodFile) {
  auto req = ParseRequestFile(
      "POST /a b/?x=1&y HTTP/1.1\r\nHost:example.com\r\nMy-Header: a\r\n  b\r\n\tc\r\n"
      "Empty:\r\n\r\nbody\nline");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->path, "/a b/");
  EXPECT_EQ(req->query, "x=1&y");
  ASSERT_EQ(req->headers.size(), 3u);
  EXPECT_EQ(req->headers[0].name, "Host");
  EXPECT_EQ(req->headers[0].value, "example.com");
  EXPECT_EQ(req->headers[1].value, " a b c");
  EXPECT_EQ(req->headers[2].value, "");
  EXPECT_EQ(std::string(req->body.begin(), req->body.end()), "body\nline");
}

TEST(ParseRequestFile, NoBodyAndNoFinalNewline) {
  auto req = ParseRequestFile("GET / HTTP/1.1\nHost:h");
  ASSERT_TRUE(req.ok());
  EXPECT_TRUE(req->body.empty());
  EXPECT_EQ(req->headers.size(), 1u);
  EXPECT_EQ(SerializeRequest(*req), "GET / HTTP/1.1\nHost:h\n\n");
}

TEST(ParseRequestFile, Refusals) {
  const struct {
    std::string name, text;
  } cases[] = {
      {"empty", ""},
      {"no spaces", "GET"},
      {"one space", "GET /"},
      {"bad method", "G(T / HTTP/1.1\n"},
      {"bad version", "GET / HTTX/1.1\n"},
      {"long version", "GET / HTTP/1.10\n"},
      {"relative target", "GET a HTTP/1.1\n"},
      {"control in target", std::string("GET /\x01 HTTP/1.1\n")},
      {"nul in target", std::string("GET /\0 HTTP/1.1\n", 16)},
      {"header without colon", "GET / HTTP/1.1\nHost\n"},
      {"empty header name", "GET / HTTP/1.1\n:v\n"},
      {"space in header name", "GET / HTTP/1.1\nMy Header:v\n"},
      {"control in value", std::string("GET / HTTP/1.1\nA:b\x07\n")},
      {"continuation first", "GET / HTTP/1.1\n  folded\n"},
      {"control in continuation", std::string("GET / HTTP/1.1\nA:b\n c\x01\n")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ParseRequestFile(c.text).status().reason_id(), "sigv4.request_malformed");
  }
}

TEST(ParseRequestFile, Caps) {
  std::string many = "GET / HTTP/1.1\n";
  for (size_t i = 0; i <= kMaxHeaderCount; ++i) {
    many += "H" + std::to_string(i) + ":v\n";
  }
  EXPECT_EQ(ParseRequestFile(many).status().reason_id(), "sigv4.request_malformed");
  std::string huge = "GET / HTTP/1.1\n\n" + std::string(kMaxRequestFileBytes, 'x');
  EXPECT_EQ(ParseRequestFile(huge).status().reason_id(), "sigv4.request_malformed");
}

TEST(ParseRequestFile, EveryTruncationIsHandled) {
  const std::string good = "POST /p?q=1 HTTP/1.1\nHost:h\nA: x\n  y\nContent-Length:4\n\nbody";
  for (size_t n = 0; n <= good.size(); ++n) {
    auto req = ParseRequestFile(good.substr(0, n));
    // A prefix either parses or is refused with the parser's reason.
    if (req.ok()) {
      EXPECT_EQ(req->method, "POST");
    } else {
      EXPECT_EQ(req.status().reason_id(), "sigv4.request_malformed");
    }
  }
}

TEST(ParseAuthorizationHeader, GoodAnyOrderAndSpacing) {
  const std::string sig(64, '0');
  auto a = ParseAuthorizationHeader(
      "AWS4-HMAC-SHA256 Signature=" + sig +
      ",SignedHeaders=host;x-amz-date,  Credential=AKID/20150830/us-east-1/service/aws4_request");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->credential.access_key_id, "AKID");
  EXPECT_EQ(a->credential.date, "20150830");
  EXPECT_EQ(a->credential.region, "us-east-1");
  EXPECT_EQ(a->credential.service, "service");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(a->signature, sig);
}

TEST(ParseAuthorizationHeader, Caps) {
  std::string names;
  for (size_t i = 0; i <= kMaxSignedHeaders; ++i) {
    names += (i ? ";h" : "h") + std::string(4 - std::to_string(i).size(), '0') + std::to_string(i);
  }
  EXPECT_EQ(ParseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
                                     "SignedHeaders=" +
                                     names + ", Signature=" + std::string(64, '0'))
                .status()
                .reason_id(),
            "sigv4.authorization_malformed");
  EXPECT_EQ(
      ParseAuthorizationHeader(std::string(kMaxAuthorizationBytes + 1, 'A')).status().reason_id(),
      "sigv4.authorization_malformed");
  EXPECT_EQ(
      ParseCredential(std::string(kMaxAccessKeyIdBytes + 1, 'A') + "/20150830/r/s/aws4_request",
                      reasons::kSigv4AuthorizationMalformed)
          .status()
          .reason_id(),
      "sigv4.authorization_malformed");
  EXPECT_EQ(ParseCredential("A/20150830/r/s/aws4_request/x", reasons::kSigv4QueryMalformed)
                .status()
                .reason_id(),
            "sigv4.query_parameters_malformed");
}

}  // namespace
}  // namespace attest::sigv4
