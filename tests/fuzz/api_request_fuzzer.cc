// Fuzzes attestd's API over a real SQLite store: a raw HTTP request goes through Api::Handle
// (routing, SigV4 authentication, public handlers) and, to reach past authentication, straight to
// the matched route's handler as an operator. Every answer must be a well-formed response: a
// status in 200..599, a JSON body for JSON answers, and never a 5xx for what a client sent.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sigv4/request_file.h"
#include "tests/fuzz/api_fixture.h"

using namespace attest::service;
using attest_fuzz::CheckResponse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* fixture = new attest_fuzz::ApiFixture("api");
  auto req =
      attest::sigv4::ParseRequestFile(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!req.ok()) {
    return 0;
  }
  CheckResponse(fixture->handler->Handle(*req));

  api::ApiRouter::Match match = fixture->handler->router().Find(req->method, req->path);
  if (match.route == nullptr) {
    return 0;
  }
  api::RequestContext ctx(*req, fixture->handler->service(), attest::FromUnixSeconds(1764000000));
  ctx.params = match.params;
  ctx.caller = {fixture->operator_id, store::Role::kOperator, "AKIDFUZZ"};
  attest::Result<http::HttpResponse> r = match.route->handler(ctx);
  if (r.ok()) {
    CheckResponse(*r);
  } else {
    CheckResponse(http::ErrorFromStatus(r.status()));
  }
  return 0;
}
