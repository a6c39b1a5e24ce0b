// BodySink: where the body of a streamed request goes (issue 20: boot images are too large to
// buffer). The server parses a request's head, lets the API accept or refuse it (authenticating
// the head), then feeds the body to the sink piece by piece as it arrives and asks it for the
// response once the last byte is in. Pure interface: no sockets, so handlers are tested without
// a server.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "attest/core/status.h"
#include "service/http/request_parser.h"
#include "service/http/response.h"
#include "sigv4/http_request.h"

namespace attest::service::http {

class BodySink {
 public:
  // Destroyed without Finish (the client went away, a deadline passed, the body was malformed or
  // too long): the upload failed, and the sink keeps nothing of it.
  virtual ~BodySink() = default;
  // Write takes the next body bytes (decoded from chunked framing). An error refuses the request:
  // the server answers ErrorFromStatus and closes the connection, the sink is destroyed.
  virtual Status Write(std::string_view bytes) = 0;
  // Finish is called once, after the body's last byte, and returns the response to send.
  virtual HttpResponse Finish() = 0;
};

// StreamStart: a streamed request's head accepted (sink set) or refused (refusal to send).
struct StreamStart {
  std::unique_ptr<BodySink> sink;
  HttpResponse refusal;
};

// StreamRoutes: how a server finds streamed requests. plan sees every request's head (0: an
// ordinary request); begin sees the head of each streamed one before any of its body is read.
struct StreamRoutes {
  StreamPlanner plan;
  std::function<StreamStart(const HttpRequest& head)> begin;
};

}  // namespace attest::service::http
