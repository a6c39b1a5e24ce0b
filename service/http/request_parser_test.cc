#include "service/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest::service::http {
namespace {

struct Parsed {
  RequestParser::State state = RequestParser::State::kNeedMore;
  HttpRequest request;
  ParseError error;
  size_t consumed = 0;
  bool keep_alive = false;
};

// ParseAll feeds wire in pieces of at most step bytes, as a socket might deliver it.
Parsed ParseAll(const std::string& wire, size_t step = SIZE_MAX, const ParserLimits& limits = {}) {
  RequestParser parser(limits);
  Parsed out;
  std::string pending;
  for (size_t at = 0; at < wire.size() || !pending.empty();) {
    const size_t n = std::min(step, wire.size() - at);
    pending.append(wire, at, n);
    at += n;
    size_t used = 0;
    out.state = parser.Feed(pending, &used);
    out.consumed += used;
    pending.erase(0, used);
    if (out.state != RequestParser::State::kNeedMore) {
      break;
    }
    if (at == wire.size()) {
      break;
    }
  }
  if (out.state == RequestParser::State::kComplete) {
    out.keep_alive = parser.keep_alive();
    out.request = parser.Take();
  } else if (out.state == RequestParser::State::kError) {
    out.error = parser.error();
  }
  return out;
}

std::string Body(const HttpRequest& r) { return std::string(r.body.begin(), r.body.end()); }

TEST(RequestParserTest, ParsesRequests) {
  struct Case {
    const char* name;
    std::string wire;
    std::string method, path, query, body;
    size_t headers;
    bool keep_alive;
  } cases[] = {
      {"get", "GET /v1/vms?limit=2&x=%20 HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/v1/vms",
       "limit=2&x=%20", "", 1, true},
      {"post with length", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST",
       "/x", "", "hello", 2, true},
      {"chunked with extension and trailer",
       "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
       "POST", "/x", "", "abc0123456789", 2, true},
      {"chunked upper-case hex and coding",
       "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "Chunked\r\n\r\nF\r\n0123456789abcde\r\n0\r\n\r\n",
       "PUT", "/x", "", "0123456789abcde", 2, true},
      {"connection close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET", "/", "",
       "", 2, false},
      {"connection list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, Close\r\n\r\n", "GET", "/",
       "", "", 2, false},
      {"http 1.0 closes", "GET / HTTP/1.0\r\n\r\n", "GET", "/", "", "", 0, false},
      {"http 1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", "/", "",
       "", 1, true},
      {"absolute form", "GET https://attestd.example:8443/v1/x?a=b HTTP/1.1\r\nHost: a\r\n\r\n",
       "GET", "/v1/x", "a=b", "", 1, true},
      {"absolute form, no path", "GET http://a HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", "", "", 1,
       true},
      {"absolute form, query only", "GET http://a?q=1 HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/",
       "q=1", "", 1, true},
      {"options asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "*", "", "", 1,
       true},
      {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", "", "", 1,
       true},
      {"value whitespace trimmed, obs-text kept",
       "GET / HTTP/1.1\r\nHost:\t a \t\r\nX: \xe9t\xe9\r\n\r\n", "GET", "/", "", "", 2, true},
      {"empty value", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", "GET", "/", "", "", 2, true},
      {"zero length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST", "/", "",
       "", 2, true},
      {"leading zeros in length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc",
       "POST", "/", "", "abc", 2, true},
  };
  for (const Case& c : cases) {
    for (size_t step : {SIZE_MAX, size_t{1}, size_t{7}}) {
      SCOPED_TRACE(std::string(c.name) + " step " + std::to_string(step));
      const Parsed p = ParseAll(c.wire, step);
      ASSERT_EQ(p.state, RequestParser::State::kComplete) << p.error.message;
      EXPECT_EQ(p.consumed, c.wire.size());
      EXPECT_EQ(p.request.method, c.method);
      EXPECT_EQ(p.request.path, c.path);
      EXPECT_EQ(p.request.query, c.query);
      EXPECT_EQ(Body(p.request), c.body);
      EXPECT_EQ(p.request.headers.size(), c.headers);
      EXPECT_EQ(p.keep_alive, c.keep_alive);
    }
  }
}

TEST(RequestParserTest, KeepsHeadersAsSentWithoutSurroundingWhitespace) {
  const Parsed p = ParseAll(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Amz-Date:  20251124T000000Z \r\nx-dup: 1\r\nX-Dup: "
      "2\r\n\r\n");
  ASSERT_EQ(p.state, RequestParser::State::kComplete);
  ASSERT_EQ(p.request.headers.size(), 4u);
  EXPECT_EQ(p.request.headers[1].name, "X-Amz-Date");
  EXPECT_EQ(p.request.headers[1].value, "20251124T000000Z");
  EXPECT_EQ(p.request.headers[2].name, "x-dup");  // repeated names stay separate, case kept
  EXPECT_EQ(p.request.headers[3].value, "2");
}

TEST(RequestParserTest, RefusesMalformedRequests) {
  struct Case {
    const char* name;
    std::string wire;
    int status;
    const char* reason;
  } cases[] = {
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400, "api.bad_request"},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "api.bad_request"},
      {"bare LF line end", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "api.bad_request"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400, "api.bad_request"},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "api.bad_request"},
      {"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, "api.bad_request"},
      {"empty name", "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\nHost: a") + '\0' + "b\r\n\r\n", 400,
       "api.bad_request"},
      {"DEL in a value", "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "api.bad_request"},
      {"two spaces in request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"trailing space in request line", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400,
       "api.bad_request"},
      {"no version", "GET /\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"http 2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "api.http_version_unsupported"},
      {"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "api.http_version_unsupported"},
      {"http 0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "api.http_version_unsupported"},
      {"method with a slash", "GE/T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"relative target", "GET v1/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"authority form", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"fragment", "GET /x#y HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"raw UTF-8 in target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "api.bad_request"},
      {"absolute form without host", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "api.bad_request"},
      {"length and chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400, "api.bad_request"},
      {"two lengths",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400,
       "api.bad_request"},
      {"length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400,
       "api.bad_request"},
      {"signed length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400,
       "api.bad_request"},
      {"negative length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400,
       "api.bad_request"},
      {"hex length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc", 400,
       "api.bad_request"},
      {"empty length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400,
       "api.bad_request"},
      {"huge length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
       "api.body_too_large"},
      {"length over the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4194305\r\n\r\n",
       413, "api.body_too_large"},
      {"gzip coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
       "api.unsupported_transfer_encoding"},
      {"chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       400, "api.bad_request"},
      {"identity coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400,
       "api.bad_request"},
      {"chunked twice",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n",
       501, "api.unsupported_transfer_encoding"},
      {"chunked in http 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "api.bad_request"},
      {"chunk size not hex",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "g\r\n",
       400, "api.bad_request"},
      {"chunk size empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
       400, "api.bad_request"},
      {"chunk size overflows",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "1ffffffffffffffff\r\n",
       400, "api.bad_request"},
      {"chunk over the limit",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "400001\r\n",
       413, "api.body_too_large"},
      {"chunk longer than its size",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400,
       "api.bad_request"},
      {"chunk line with bare LF",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n", 400,
       "api.bad_request"},
      {"chunk extension too long",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;" +
           std::string(2000, 'x') + "\r\n",
       400, "api.bad_request"},
      {"trailer without colon",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnope\r\n\r\n", 400,
       "api.bad_request"},
      {"target too long", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414,
       "api.uri_too_long"},
      {"header section too large",
       "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(70000, 'a') + "\r\n\r\n", 431,
       "api.headers_too_large"},
  };
  for (const Case& c : cases) {
    for (size_t step : {SIZE_MAX, size_t{3}}) {
      SCOPED_TRACE(std::string(c.name) + " step " + std::to_string(step));
      const Parsed p = ParseAll(c.wire, step);
      ASSERT_EQ(p.state, RequestParser::State::kError);
      EXPECT_EQ(p.error.status, c.status) << p.error.message;
      EXPECT_EQ(p.error.reason.id, std::string_view(c.reason)) << p.error.message;
    }
  }
}

TEST(RequestParserTest, TooManyHeaderFields) {
  std::string wire = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 128; ++i) {
    wire += "X-" + std::to_string(i) + ": v\r\n";
  }
  const Parsed p = ParseAll(wire + "\r\n");
  ASSERT_EQ(p.state, RequestParser::State::kError);
  EXPECT_EQ(p.error.status, 431);
  ParserLimits roomy;
  roomy.max_headers = 200;
  EXPECT_EQ(ParseAll(wire + "\r\n", SIZE_MAX, roomy).state, RequestParser::State::kComplete);
}

// A header section that never ends is refused once it passes the limit, without buffering the
// rest: memory stays bounded however much a client sends.
TEST(RequestParserTest, StopsBufferingAtTheHeaderLimit) {
  RequestParser parser;
  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  size_t used = 0;
  ASSERT_EQ(parser.Feed(start, &used), RequestParser::State::kNeedMore);
  const std::string chunk(size_t{16} * 1024, 'a');
  size_t total = used;
  RequestParser::State s = RequestParser::State::kNeedMore;
  for (int i = 0; i < 640 && s == RequestParser::State::kNeedMore; ++i) {  // up to 10 MiB
    s = parser.Feed(chunk, &used);
    total += used;
  }
  ASSERT_EQ(s, RequestParser::State::kError);
  EXPECT_EQ(parser.error().status, 431);
  EXPECT_LE(total, ParserLimits{}.max_header_bytes);
}

TEST(RequestParserTest, ChunkedBodyLimitCountsDecodedBytes) {
  ParserLimits small;
  small.max_body_bytes = 10;
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(ParseAll(head + "5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n", SIZE_MAX, small).state,
            RequestParser::State::kComplete);
  const Parsed over = ParseAll(head + "5\r\n12345\r\n5\r\n67890\r\n1\r\nx\r\n0\r\n\r\n", 2, small);
  ASSERT_EQ(over.state, RequestParser::State::kError);
  EXPECT_EQ(over.error.status, 413);
}

TEST(RequestParserTest, PipelinedRequestsAreParsedOneAtATime) {
  const std::string first = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
  const std::string second = "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string wire = first + second;
  RequestParser parser;
  size_t used = 0;
  ASSERT_EQ(parser.Feed(wire, &used), RequestParser::State::kComplete);
  EXPECT_EQ(used, first.size());
  EXPECT_EQ(parser.Take().path, "/a");
  wire.erase(0, used);
  ASSERT_EQ(parser.Feed(wire, &used), RequestParser::State::kComplete);
  EXPECT_EQ(used, second.size());
  const HttpRequest b = parser.Take();
  EXPECT_EQ(b.path, "/b");
  EXPECT_TRUE(b.body.empty());
}

TEST(RequestParserTest, ExpectContinueOnlyWhileABodyIsDue) {
  RequestParser parser;
  size_t used = 0;
  ASSERT_EQ(parser.Feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                        "Content-Length: 3\r\n\r\n",
                        &used),
            RequestParser::State::kNeedMore);
  EXPECT_TRUE(parser.headers_done());
  EXPECT_TRUE(parser.expects_continue());
  ASSERT_EQ(parser.Feed("abc", &used), RequestParser::State::kComplete);
  EXPECT_FALSE(parser.expects_continue());

  RequestParser empty;
  ASSERT_EQ(empty.Feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", &used),
            RequestParser::State::kComplete);
  EXPECT_FALSE(empty.expects_continue());
}

TEST(RequestParserTest, HeadIsKnownAfterTake) {
  RequestParser parser;
  size_t used = 0;
  ASSERT_EQ(parser.Feed("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", &used),
            RequestParser::State::kComplete);
  EXPECT_EQ(parser.Take().method, "HEAD");
  EXPECT_TRUE(parser.is_head());
}

TEST(RequestParserTest, AnErrorIsFinal) {
  RequestParser parser;
  size_t used = 0;
  ASSERT_EQ(parser.Feed("BAD\r\n\r\n", &used), RequestParser::State::kError);
  EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &used), RequestParser::State::kError);
  EXPECT_EQ(used, 0u);
}

}  // namespace
}  // namespace attest::service::http

namespace attest::service::http {
namespace {

// StreamAll feeds wire to a parser whose planner streams PUT /up (limit 64 KiB) in pieces of
// step bytes, collecting what it hands out.
struct Streamed {
  RequestParser::State state = RequestParser::State::kNeedMore;
  bool streamed = false;
  std::string bytes;
  HttpRequest request;
  ParseError error;
};

Streamed StreamAll(const std::string& wire, size_t step) {
  ParserLimits limits;
  limits.max_body_bytes = 1024;  // ordinary bodies: far less than a streamed one may carry
  RequestParser parser(limits, [](const HttpRequest& head) -> uint64_t {
    return head.method == "PUT" && head.path == "/up" ? 64 * 1024 : 0;
  });
  Streamed out;
  std::string pending;
  for (size_t at = 0; at < wire.size();) {
    const size_t n = std::min(step, wire.size() - at);
    pending.append(wire, at, n);
    at += n;
    size_t used = 0;
    out.state = parser.Feed(pending, &used);
    pending.erase(0, used);
    out.streamed = out.streamed || parser.streamed();
    out.bytes += parser.TakeStreamedBytes();
    if (out.state != RequestParser::State::kNeedMore) {
      break;
    }
  }
  if (out.state == RequestParser::State::kComplete) {
    out.request = parser.Take();
  } else if (out.state == RequestParser::State::kError) {
    out.error = parser.error();
  }
  return out;
}

TEST(RequestParserTest, StreamedBodiesAreHandedOutNotBuffered) {
  std::string body(size_t{40} * 1024, 'b');
  for (size_t i = 0; i < body.size(); i += 97) {
    body[i] = static_cast<char>('a' + i % 26);
  }
  std::string chunked;
  for (size_t at = 0; at < body.size(); at += 5000) {
    const std::string piece = body.substr(at, 5000);
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", piece.size());
    chunked += std::string(size) + "\r\n" + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  const std::string head = "PUT /up HTTP/1.1\r\nHost: h\r\n";
  for (size_t step : {size_t{1}, size_t{7}, size_t{4096}, SIZE_MAX}) {
    SCOPED_TRACE(step);
    for (const std::string& wire :
         {head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
          head + "Transfer-Encoding: chunked\r\n\r\n" + chunked}) {
      const Streamed s = StreamAll(wire, step == SIZE_MAX ? wire.size() : step);
      ASSERT_EQ(s.state, RequestParser::State::kComplete) << s.error.message;
      EXPECT_TRUE(s.streamed);
      EXPECT_EQ(s.bytes, body);
      EXPECT_TRUE(s.request.body.empty());
      EXPECT_EQ(s.request.path, "/up");
    }
  }
}

TEST(RequestParserTest, StreamedBodiesHaveTheirRoutesLimit) {
  const std::string over = std::to_string(64 * 1024 + 1);
  const struct {
    std::string name;
    std::string wire;
    int status;  // 0: completes
    bool streamed;
  } cases[] = {
      {"at the streamed limit",
       "PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n" + std::string(65536, 'x'), 0,
       true},
      {"content-length past it",
       "PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: " + over + "\r\n\r\n", 413, true},
      {"chunks past it",
       "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n" +
           std::string(0x8000, 'x') + "\r\n8001\r\n",
       413, true},
      {"another route keeps the buffered limit",
       "PUT /other HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", 413, false},
      {"another method keeps the buffered limit",
       "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", 413, false},
      {"framing is as strict when streamed",
       "PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       400, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Streamed s = StreamAll(c.wire, 1000);
    if (c.status == 0) {
      EXPECT_EQ(s.state, RequestParser::State::kComplete);
    } else {
      EXPECT_EQ(s.state, RequestParser::State::kError);
      EXPECT_EQ(s.error.status, c.status) << s.error.message;
    }
    if (c.status != 400) {
      EXPECT_EQ(s.streamed, c.streamed);
    }
  }
}

}  // namespace
}  // namespace attest::service::http
