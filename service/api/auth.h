// Authenticate: SigV4 request authentication against the credential store, as an API step.
#pragma once

#include <variant>

#include "service/api/context.h"

namespace attest::service::api {

// Authenticate verifies ctx.request's SigV4 signature with the stored credentials and returns
// the caller, or the error response to send: the AWS error code as "code" (SignatureDoesNotMatch
// also carries the server's canonical request and string to sign, as AWS does).
// With body_streamed, ctx.request is a streamed request's head: its signed x-amz-content-sha256
// is required and lands in ctx.declared_sha256 for the sink to compare once the body is in.
std::variant<Caller, http::HttpResponse> Authenticate(RequestContext& ctx,
                                                      bool body_streamed = false);

}  // namespace attest::service::api
