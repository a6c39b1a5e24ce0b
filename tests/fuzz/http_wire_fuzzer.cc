// Fuzzes attestd's whole request path from the bytes a client puts on the socket to the bytes it
// gets back, in process: the server's HTTP/1.1 parser (fed in pieces, as reads deliver them, with
// pipelined requests), Api::Handle over a real SQLite store, and the response framing. The first
// input byte picks the piece size. Every request must end in a well-formed response, and a parse
// error in a 4xx/5xx answer with a stable code, never a crash or a read out of bounds. Requests
// the API streams (boot image uploads) take the server's streamed path: the head to
// Api::BeginStream, the body piece by piece to its sink, bounded by the route's own limit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "service/http/body_sink.h"
#include "service/http/request_parser.h"
#include "service/http/response_wire.h"
#include "tests/fuzz/api_fixture.h"

namespace {

using namespace attest::service;

// CheckWire traps unless wire is one framed response: a status line, a header section, and exactly
// Content-Length body bytes (none for HEAD).
void CheckWire(const std::string& wire, bool head) {
  if (wire.rfind("HTTP/1.1 ", 0) != 0) {
    __builtin_trap();
  }
  const size_t end = wire.find("\r\n\r\n");
  if (end == std::string::npos) {
    __builtin_trap();
  }
  const size_t cl = wire.find("\r\nContent-Length: ");
  if (cl == std::string::npos || cl > end) {
    return;  // 204 and the like: nothing may follow the header section
  }
  const size_t length = std::stoul(wire.substr(cl + 18));
  if (wire.size() != end + 4 + (head ? 0 : length)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* fixture = new attest_fuzz::ApiFixture("wire");
  if (size == 0) {
    return 0;
  }
  const size_t piece = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  http::ParserLimits limits;
  limits.max_header_bytes = 4096;  // small limits so the fuzzer reaches them
  limits.max_body_bytes = 8192;
  http::RequestParser parser(limits, [](const attest::HttpRequest& head) -> uint64_t {
    // The route's own limit, scaled down so the fuzzer reaches it too.
    return fixture->handler->StreamLimit(head) == 0 ? 0 : 16384;
  });
  std::unique_ptr<http::BodySink> sink;
  bool begun = false;
  std::string pending;
  // Each response on the connection, as the server would send it; at most a few requests.
  for (int requests = 0; requests < 8;) {
    const size_t n = std::min(piece, input.size());
    pending.append(input.substr(0, n));
    input.remove_prefix(n);
    size_t used = 0;
    const http::RequestParser::State state = parser.Feed(pending, &used);
    if (used > pending.size()) {
      __builtin_trap();
    }
    pending.erase(0, used);
    // As the server does: a parse error is answered first, and whatever part of a streamed body
    // the parser decoded before it (even a stream that never began) is dropped with the sink.
    if (state == http::RequestParser::State::kError) {
      const http::ParseError& e = parser.error();
      if (e.status < 400 || e.status > 505 || e.reason.id.empty()) {
        __builtin_trap();
      }
      CheckWire(http::SerializeResponse(http::ErrorResponse(e.status, e.reason.id, e.message),
                                        {false, true}),
                false);
      return 0;
    }
    if (parser.streamed() && !begun) {
      begun = true;
      attest::HttpRequest head = parser.Head();
      head.remote_address = "192.0.2.1";
      http::StreamStart start = fixture->handler->BeginStream(head);
      if (start.sink == nullptr) {
        attest_fuzz::CheckResponse(start.refusal);
        CheckWire(http::SerializeResponse(start.refusal, {false, true}), false);
        return 0;  // refused: the server closes without reading the body
      }
      sink = std::move(start.sink);
    }
    if (sink != nullptr) {
      const std::string bytes = parser.TakeStreamedBytes();
      if (!bytes.empty() && !sink->Write(bytes).ok()) {
        return 0;  // refused mid-body: the connection closes, the sink drops the upload
      }
    } else if (!parser.TakeStreamedBytes().empty()) {
      __builtin_trap();  // streamed bytes without a stream
    }
    if (state == http::RequestParser::State::kComplete) {
      ++requests;
      const bool head = parser.is_head();
      const bool keep_alive = parser.keep_alive();
      attest::HttpRequest request = parser.Take();
      request.remote_address = "192.0.2.1";
      const http::HttpResponse response =
          sink != nullptr ? sink->Finish() : fixture->handler->Handle(request);
      sink.reset();
      begun = false;
      attest_fuzz::CheckResponse(response);
      CheckWire(http::SerializeResponse(response, {head, !keep_alive}), head);
      if (!keep_alive) {
        return 0;
      }
      continue;
    }
    if (input.empty()) {
      return 0;  // the client stopped mid-request: the server would wait, then time out
    }
  }
  return 0;
}
