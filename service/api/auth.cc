#include "service/api/auth.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "service/log/log.h"
#include "sigv4/verifier.h"

namespace attest::service::api {
namespace {

int AuthHttpStatus(const Status& status) {
  const std::string_view id = status.reason_id();
  if (id == reasons::kSigv4AuthorizationMalformed.id || id == reasons::kSigv4QueryMalformed.id ||
      id == reasons::kSigv4UnsupportedAlgorithm.id || id == reasons::kSigv4BadDate.id ||
      id == reasons::kSigv4ScopeMismatch.id || id == reasons::kSigv4ContentSha256Mismatch.id ||
      id == reasons::kSigv4RequestMalformed.id) {
    return 400;
  }
  return 403;
}

// RefuseOnOwnClockSkew: a request refused as too skewed may be right and this replica wrong (its
// clock stepped, and its once-a-second readiness check has not caught it yet). When this replica's
// clock is off the database server's too, the answer is 503 with Retry-After, so the client tries
// again (through the load balancer: another replica), not 403, which tells it its request was
// bad. One query, only on a skew refusal. The detail goes to the log, not to the caller.
std::optional<http::HttpResponse> RefuseOnOwnClockSkew(RequestContext& ctx, store::Store& db) {
  const Status ping = db.Ping(ctx.now);
  if (ping.ok()) {
    return std::nullopt;
  }
  log::Write(log::Level::kWarning, "own clock off the database's",
             {{"request_id", ctx.request_id}, {"error", ping.ToString()}});
  ctx.DiscardDb();
  return http::ErrorFromStatus(
      Status(reasons::kStoreDatabase, "this server's clock disagrees with the database's"));
}

}  // namespace

std::variant<Caller, http::HttpResponse> Authenticate(RequestContext& ctx, bool body_streamed) {
  Result<store::Store*> db = ctx.Db();
  if (!db.ok()) {
    return http::ErrorFromStatus(db.status());
  }

  // The lookup remembers what it found so the caller's tenant needs no second query. A database
  // error is not "unknown key": it must become a 503, not an InvalidAccessKeyId.
  std::optional<store::Credential> found;
  Status lookup_error;
  sigv4::CredentialLookup lookup =
      [&](std::string_view access_key_id) -> std::optional<sigv4::StoredCredential> {
    Result<store::Credential> cred = (*db)->LookupCredential(std::string(access_key_id));
    if (!cred.ok()) {
      if (cred.status().code() != ErrorCode::kNotFound) {
        lookup_error = cred.status();
      }
      return std::nullopt;
    }
    // The secret moves into the verifier, which wipes it once the signing key is derived; the
    // copy kept for after the check has none (issue 17 #12).
    sigv4::StoredCredential stored{std::move(cred->secret_access_key), std::nullopt,
                                   cred->tenant_id};
    found = std::move(*cred);
    return stored;
  };

  sigv4::VerifierConfig config;
  config.region = ctx.service.config.region;
  config.service = ctx.service.config.service;
  // A presigned URL works until it expires, as often as anyone sends it: only for reads.
  config.presigned_methods = {"GET", "HEAD"};
  config.max_presign_expires = ctx.service.config.max_presign;
  config.body_streamed = body_streamed;
  sigv4::VerifyDiagnostics diagnostics;
  Result<sigv4::VerifiedRequest> verified =
      sigv4::VerifyRequest(ctx.request, config, lookup, ctx.now, &diagnostics);
  if (!lookup_error.ok()) {
    ctx.DiscardDb();
    return http::ErrorFromStatus(lookup_error);
  }
  if (!verified.ok()) {
    const Status& s = verified.status();
    if (s.reason_id() == reasons::kSigv4TimeTooSkewed.id) {
      if (std::optional<http::HttpResponse> own_clock = RefuseOnOwnClockSkew(ctx, **db)) {
        return std::move(*own_clock);
      }
    }
    nlohmann::json body = {{"code", sigv4::AwsErrorCode(s)}, {"message", s.message()}};
    if (s.reason_id() == reasons::kSigv4SignatureDoesNotMatch.id) {
      body["canonical_request"] = diagnostics.canonical_request;
      body["string_to_sign"] = diagnostics.string_to_sign;
    }
    return http::JsonResponse(AuthHttpStatus(s), body);
  }

  ctx.body_sha256 = verified->body_sha256;
  ctx.declared_sha256 = verified->declared_sha256;

  // A request that may change something is accepted once: its signature is remembered (by every
  // replica: in the database) until SigV4's time window refuses it anyway (a skew of exactly
  // max_skew is still accepted, hence the second more). A client that retries signs again (AWS
  // SDKs do; X-Amz-Date moves on).
  if (ctx.request.method != "GET" && ctx.request.method != "HEAD") {
    const TimePoint window_end = verified->signed_at + config.max_skew + std::chrono::seconds(1);
    if (Status s = (*db)->RecordSignature(verified->signature, window_end, ctx.now); !s.ok()) {
      return http::ErrorFromStatus(s);
    }
  }

  Result<store::Tenant> tenant = (*db)->GetTenant(found->tenant_id);
  if (!tenant.ok()) {
    // The credential outlived its tenant: treat like an unknown key.
    if (tenant.status().code() == ErrorCode::kNotFound) {
      return http::ErrorResponse(403, "InvalidAccessKeyId",
                                 "the access key id does not exist in our records");
    }
    return http::ErrorFromStatus(tenant.status());
  }
  if (!found->host_id.empty()) {
    return Caller{tenant->id, store::Role::kHost, found->access_key_id, found->host_id};
  }
  return Caller{tenant->id, tenant->role, found->access_key_id, ""};
}

}  // namespace attest::service::api
