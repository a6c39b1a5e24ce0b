// RequestParser: HTTP/1.1 requests from untrusted bytes (RFC 9112), incrementally, with every
// size bounded before it is buffered. Pure: no sockets, so the server, unit tests and the fuzzer
// drive the same code.
//
// Strict where leniency is what request smuggling feeds on: CRLF line ends only, no obsolete line
// folding, no whitespace before a field's colon, exactly one Host, Content-Length and
// Transfer-Encoding never together, one Content-Length value, "chunked" the only transfer coding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "attest/core/reasons.h"
#include "service/http/json_body.h"
#include "service/http/reasons.h"
#include "sigv4/http_request.h"

namespace attest::service::http {

struct ParserLimits {
  // The request line and every header field with their line ends, the blank line included.
  size_t max_header_bytes = size_t{64} * 1024;
  size_t max_headers = 128;
  size_t max_target_bytes = size_t{8} * 1024;
  size_t max_body_bytes = kMaxBodyBytes;  // decoded bytes for chunked bodies
};

// StreamPlanner looks at a request's parsed head (method, path, query, headers; no body yet) and
// returns the body limit of a route that takes its body as a stream, or 0 for an ordinary request
// (whole body buffered, ParserLimits::max_body_bytes). It runs before any body byte is read, so
// a Content-Length over the route's limit is refused (413) without reading it.
using StreamPlanner = std::function<uint64_t(const HttpRequest& head)>;

// ParseError: what the server answers before it closes the connection.
struct ParseError {
  int status = 400;  // 400, 413, 414, 431, 501 or 505
  Reason reason = reasons::kApiBadRequest;
  std::string message;
};

class RequestParser {
 public:
  enum class State { kNeedMore, kComplete, kError };

  explicit RequestParser(const ParserLimits& limits = {}, StreamPlanner planner = nullptr)
      : limits_(limits), planner_(std::move(planner)) {}

  // Feed consumes a prefix of data and reports where the request stands. Bytes after a complete
  // request are not consumed (they start the next, pipelined one): *consumed says how many were
  // taken. After kComplete, take the request with Take(); after kError, see error().
  State Feed(std::string_view data, size_t* consumed);

  // headers_done is true once the header section has been parsed (the body may still be due).
  bool headers_done() const { return stage_ > Stage::kHead; }
  // expects_continue is true when the client sent "Expect: 100-continue" and the body is still
  // to come: the server then answers "100 Continue" before it reads on.
  bool expects_continue() const { return expect_continue_ && stage_ != Stage::kDone; }
  // keep_alive says whether the connection may carry another request after this one's response
  // (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive() const { return keep_alive_; }
  // is_head is true for HEAD requests, whose response carries no body.
  bool is_head() const { return is_head_; }

  // streamed is true once the head is parsed and the planner made this a streamed request: body
  // bytes then go to TakeStreamedBytes, never into the request's body, and the request Take
  // returns has an empty body.
  bool streamed() const { return streamed_; }
  // TakeStreamedBytes hands out the (decoded) body bytes parsed since the last call.
  std::string TakeStreamedBytes() { return std::exchange(streamed_bytes_, std::string()); }
  // streamed_body_bytes counts the body bytes of a streamed request so far.
  uint64_t streamed_body_bytes() const { return body_received_; }
  // Head returns the request parsed so far (after headers_done: all but its body).
  const HttpRequest& Head() const { return request_; }

  const ParseError& error() const { return error_; }

  // Take returns the complete request and readies the parser for the next one on the connection.
  HttpRequest Take();

 private:
  enum class Stage {
    kHead,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
    kError
  };

  State Fail(int status, const Reason& reason, std::string message);
  State ParseHead(std::string_view head);
  State ParseRequestLine(std::string_view line);
  State ParseField(std::string_view line);
  State Framing();
  // Body stages; each returns kNeedMore when data ran out.
  State FeedHead(std::string_view data, size_t* used);
  State FeedBody(std::string_view data, size_t* used);
  State FeedChunked(std::string_view data, size_t* used);
  // TakeBody appends up to body_left_ bytes of data to the body; returns how many it took.
  size_t TakeBody(std::string_view data);
  // TakeLine appends data to line_ up to and including its first LF; true with the line (without
  // CRLF) in *line once one is complete. *bad when the line passes max or does not end in CRLF.
  bool TakeLine(std::string_view data, size_t* used, size_t max, std::string* line, bool* bad);

  ParserLimits limits_;
  StreamPlanner planner_;
  uint64_t body_max_ = 0;       // this request's body limit (max_body_bytes, or the planner's)
  uint64_t body_received_ = 0;  // decoded body bytes so far
  bool streamed_ = false;
  std::string streamed_bytes_;  // streamed body bytes not yet taken
  Stage stage_ = Stage::kHead;
  std::string head_;  // the header section so far
  size_t head_scanned_ = 0;
  std::string line_;  // a chunk-size or trailer line so far
  size_t trailer_bytes_ = 0;
  HttpRequest request_;
  size_t body_left_ = 0;  // Content-Length or current chunk bytes still to come
  bool chunked_ = false;
  bool expect_continue_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool is_head_ = false;
  ParseError error_;
};

}  // namespace attest::service::http
