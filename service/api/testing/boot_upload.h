// UploadPart: a boot image part sent through Api::BeginStream exactly as the server would feed
// it (head signed with the declared SHA-256, body in pieces), for tests without a socket.
#pragma once

#include <string>

#include "attest/core/bytes.h"
#include "service/api/testing/api_harness.h"
#include "sigv4/canonical.h"

namespace attest::service::api::testing {

struct UploadOptions {
  std::string declared_sha256;  // "" = the body's own SHA-256
  std::string content_type = "application/octet-stream";
  size_t piece_bytes = size_t{16} * 1024;
  size_t cut_after = SIZE_MAX;  // stop sending after this many bytes (client gone)
  bool declare = true;          // false: no x-amz-content-sha256 at all
  bool content_length = true;   // false: the head carries no Content-Length (chunked on the wire)
};

// StreamHead is the signed head of PUT path for body.
inline HttpRequest StreamHead(ApiHarness& h, const std::string& path, const Bytes& body,
                              const sigv4::Credentials& who, const UploadOptions& options,
                              int serial) {
  HttpRequest req;
  req.method = "PUT";
  req.path = path;
  req.headers = {{"Host", "127.0.0.1:8443"},
                 {"Content-Type", options.content_type},
                 {"X-Request-Id", "upload-" + std::to_string(serial)}};
  if (options.content_length) {
    req.headers.push_back({"Content-Length", std::to_string(body.size())});
  }
  sigv4::SignOptions sign;
  sign.region = h.api().service().config.region;
  sign.service = h.api().service().config.service;
  sign.time = h.now();
  sign.sign_body = options.declare;
  sign.payload_sha256 =
      options.declared_sha256.empty() ? sigv4::HexSha256(body) : options.declared_sha256;
  auto signed_req = sigv4::SignRequest(req, who, sign);
  return signed_req.ok() ? signed_req->signed_request : req;
}

// UploadPart returns the answer, or status 0 when the upload was cut off (no answer).
inline ApiHarness::Reply UploadPart(ApiHarness& h, const std::string& path, const Bytes& body,
                                    const sigv4::Credentials& who,
                                    const UploadOptions& options = {}) {
  static int serial = 0;
  const HttpRequest head = StreamHead(h, path, body, who, options, ++serial);
  ApiHarness::Reply reply;
  if (h.api().StreamLimit(head) == 0) {
    return h.Send(head);  // not a streamed route: the ordinary dispatch answers
  }
  http::StreamStart start = h.api().BeginStream(head);
  http::HttpResponse response = start.refusal;
  if (start.sink != nullptr) {
    for (size_t at = 0; at < body.size() && at < options.cut_after; at += options.piece_bytes) {
      const size_t n = std::min({options.piece_bytes, body.size() - at, options.cut_after - at});
      const Status s =
          start.sink->Write(std::string_view(reinterpret_cast<const char*>(body.data()) + at, n));
      if (!s.ok()) {
        response = http::ErrorFromStatus(s);
        start.sink.reset();
        break;
      }
    }
    if (start.sink != nullptr && options.cut_after < body.size()) {
      start.sink.reset();  // the client went away: the sink is dropped unfinished
      return reply;
    }
    if (start.sink != nullptr) {
      response = start.sink->Finish();
    }
  }
  reply.status = response.status;
  reply.body = response.body;
  reply.json = nlohmann::json::parse(response.body, nullptr, false);
  return reply;
}

}  // namespace attest::service::api::testing
