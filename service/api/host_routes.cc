// Host attestation: the host itself (role host, its own id only) asks for nonces and sends quotes,
// verified with its AK and appraised with its host policy; the operator lists, reads and deletes
// hosts. Hosts enroll through enrollment_routes.cc.
//
// A host belongs to the operator tenant that enrolled it; another tenant's host, and for a host
// caller any other host, answers exactly like a missing one. Decisions:
//  - evidence that does not verify (signature, nonce, PCR digest, log replay, malformed TPM
//    structures): 422 with the decision and every reason; only the host's last attempt is
//    recorded, its trust state is unchanged (a host's own credential sends its quotes, so a
//    broken quote is a fault to fix, not a measurement that failed);
//  - evidence that verifies but that the host policy denies: 200 {"trusted": false, reasons};
//    the host becomes untrusted and the VMs on it are marked;
//  - accepted: 200 {"trusted": true, "trusted_until"}; trusted until now + host_trust_ttl.
#include <chrono>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/tpm/host.h"
#include "policy/appraisal_json.h"
#include "render/tpm_claims_json.h"
#include "service/api/routes.h"
#include "service/hosts/host_quote.h"
#include "service/hosts/platform.h"
#include "service/http/json_body.h"
#include "service/http/query.h"
#include "service/http/router.h"
#include "service/launch/tenant_vm.h"
#include "service/release/release.h"
#include "service/store/secret_sealer.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

// Caps on decoded sizes: a TPM2B_PUBLIC is at most ~640 bytes, a TPMS_ATTEST well under 1 KiB;
// real UEFI logs are tens of KiB (2 MiB leaves room for large db/dbx measurements).
constexpr size_t kMaxQuoteBytes = 4096;
constexpr size_t kMaxSignatureBytes = 2048;
constexpr size_t kMaxPcrsBytes = size_t{64} * 1024;
constexpr size_t kMaxEventLogBytes = size_t{2} * 1024 * 1024;
constexpr size_t kMaxDrtmLogBytes = size_t{512} * 1024;

std::string Sha256Hex(ByteSpan data) { return HexEncode(Sha256(data)); }

// OrderedResponse keeps the decision's key order (JsonResponse takes an unordered json).
HttpResponse OrderedResponse(int status, const nlohmann::ordered_json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

nlohmann::json HostJson(const store::Host& h, TimePoint now) {
  nlohmann::json j = {{"host_id", h.id},
                      {"state", store::HostStateName(h.state)},
                      {"trusted", h.TrustedAt(now)},
                      {"trusted_until", nullptr},
                      {"host_policy", h.host_policy},
                      {"tees", h.tees},
                      {"libvirt_uri", h.libvirt_uri},
                      {"last_good_quote", nullptr},
                      {"ek_public", Base64Encode(h.ek_public)},
                      {"ek_certificate", !h.ek_cert.empty()},
                      {"ak_public", Base64Encode(h.ak_public)},
                      {"last_quote_result", nullptr},
                      {"last_attempt_result", nullptr},
                      {"last_attempt_at", nullptr},
                      {"revoked_at", nullptr},
                      {"platform", nullptr},
                      {"platform_changed_at", nullptr},
                      {"created_at", FormatRfc3339(h.created_at)},
                      {"updated_at", FormatRfc3339(h.updated_at)}};
  if (h.trusted_until) {
    j["trusted_until"] = FormatRfc3339(*h.trusted_until);
  }
  if (h.last_good_quote) {
    j["last_good_quote"] = FormatRfc3339(*h.last_good_quote);
  }
  if (h.last_attempt_at) {
    j["last_attempt_at"] = FormatRfc3339(*h.last_attempt_at);
  }
  if (h.revoked_at) {
    j["revoked_at"] = FormatRfc3339(*h.revoked_at);
  }
  if (!h.last_attempt_result.empty()) {
    j["last_attempt_result"] =
        nlohmann::json::parse(h.last_attempt_result, nullptr, /*allow_exceptions=*/false);
  }
  if (auto platform = protocol::ParseHostPlatform(h.platform); platform.ok()) {
    j["platform"] = protocol::HostPlatformToJson(*platform);
  }
  if (h.platform_changed_at) {
    j["platform_changed_at"] = FormatRfc3339(*h.platform_changed_at);
  }
  if (!h.last_quote_result.empty()) {
    j["last_quote_result"] =
        nlohmann::json::parse(h.last_quote_result, nullptr, /*allow_exceptions=*/false);
  }
  return j;
}

Status RequireActivated(const store::Host& host) {
  if (host.state == store::HostState::kRegistered) {
    return Status(reasons::kApiHostNotActivated,
                  "host " + host.id + " has not completed credential activation");
  }
  return Status::Ok();
}

// --- POST /v1/hosts/{id}/challenge ------------------------------------------------------------

Result<HttpResponse> Challenge(RequestContext& ctx) {
  if (!ctx.request.body.empty()) {
    ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
    ATTEST_RETURN_IF_ERROR(http::ObjectReader(body).Finish());
  }
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->GetHost(ctx.caller.tenant_id, id));
  ATTEST_RETURN_IF_ERROR(RequireActivated(host));
  ATTEST_ASSIGN_OR_RETURN(
      store::Nonce nonce,
      db->IssueNonce(ctx.caller.tenant_id, id, ctx.service.config.nonce_ttl, ctx.now));
  return http::JsonResponse(
      201, {{"nonce", nonce.value}, {"expires_at", FormatRfc3339(nonce.expires_at)}});
}

// --- POST /v1/hosts/{id}/quote ----------------------------------------------------------------

struct QuoteBody {
  std::string nonce_hex;
  hosts::HostQuoteEvidence evidence;
};

Result<QuoteBody> ReadQuoteBody(const HttpRequest& request) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(request));
  http::ObjectReader reader(body);
  QuoteBody q;
  ATTEST_ASSIGN_OR_RETURN(q.nonce_hex, reader.TakeString("nonce"));
  ATTEST_ASSIGN_OR_RETURN(q.evidence.quote, reader.TakeBase64("quote", true, kMaxQuoteBytes));
  ATTEST_ASSIGN_OR_RETURN(q.evidence.signature,
                          reader.TakeBase64("signature", true, kMaxSignatureBytes));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json pcrs, reader.TakeJson("pcrs", false));
  ATTEST_ASSIGN_OR_RETURN(Bytes log, reader.TakeBase64("eventlog", false, kMaxEventLogBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes drtm, reader.TakeBase64("drtm_log", false, kMaxDrtmLogBytes));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json platform, reader.TakeJson("platform", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  ATTEST_ASSIGN_OR_RETURN(q.evidence.platform, hosts::ReadPlatformMember(platform));
  // Store nonces are 32 random bytes as 64 lower-case hex digits; anything else is no nonce of
  // ours.
  Result<Bytes> nonce = HexDecode(q.nonce_hex);
  if (!nonce.ok() || nonce->size() != 32) {
    return Status(reasons::kApiInvalidField,
                  "field \"nonce\": want the 64 hex digits of a challenge");
  }
  q.evidence.nonce = std::move(nonce).value();
  if (pcrs.is_string()) {
    Result<Bytes> bytes = Base64Decode(pcrs.get<std::string>());
    if (!bytes.ok() || bytes->size() > kMaxPcrsBytes) {
      return Status(reasons::kApiInvalidField, "field \"pcrs\": want base64 of at most " +
                                                   std::to_string(kMaxPcrsBytes) + " bytes");
    }
    q.evidence.pcrs = tpm::ParsePcrValues(*bytes);
  } else if (pcrs.is_object()) {
    q.evidence.pcrs = tpm::PcrValuesFromJson(pcrs);
  } else if (!pcrs.is_null()) {
    return Status(reasons::kApiInvalidField,
                  "field \"pcrs\": want a JSON object or a base64 PCR file");
  }
  if (!log.empty()) {
    q.evidence.event_log = std::move(log);
  }
  if (!drtm.empty()) {
    q.evidence.drtm_log = std::move(drtm);
  }
  return q;
}

nlohmann::json ErrorsJson(const std::vector<Status>& errors) {
  nlohmann::json list = nlohmann::json::array();
  for (const Status& s : errors) {
    list.push_back({{"code", s.reason_id()}, {"message", s.message()}});
  }
  return list;
}

// DecisionJson renders a host quote decision as the API answers it and stores it as the host's
// last_quote_result or, for evidence that does not verify, last attempt (the claims are added to
// the answer only). trusted, state and trusted_until are the host's after the decision: for
// evidence that does not verify, unchanged.
nlohmann::ordered_json DecisionJson(const store::Host& host, TimePoint at,
                                    const std::string& evidence_sha256,
                                    const hosts::HostQuoteDecision& d) {
  nlohmann::ordered_json decision;
  decision["host_id"] = host.id;
  decision["at"] = FormatRfc3339(at);
  decision["evidence_sha256"] = evidence_sha256;
  decision["verified"] = d.verified();
  if (!d.verified()) {
    decision["reasons"] = ErrorsJson(d.evidence_errors);
  } else if (d.policy_error) {
    decision["reasons"] = ErrorsJson({*d.policy_error});
  } else if (d.appraisal) {
    nlohmann::ordered_json appraisal_json = policy::AppraisalToJson(*d.appraisal);
    decision["policy"] = d.policy_version;
    decision["reasons"] = appraisal_json["failures"];
    decision["trust_vector"] = appraisal_json["trust_vector"];
  }
  if (d.platform_error) {
    // A changed platform is a host-policy failure listed first (the reason codes' order).
    nlohmann::ordered_json reasons = ErrorsJson({*d.platform_error});
    if (decision.contains("reasons")) {
      for (auto& r : decision["reasons"]) {
        reasons.push_back(r);
      }
    }
    decision["reasons"] = reasons;
  }
  const bool trusted = d.verified() ? d.trusted : host.TrustedAt(at);
  const std::optional<TimePoint> until = d.verified() ? d.trusted_until : host.trusted_until;
  decision["trusted"] = trusted;
  decision["state"] =
      d.verified() ? (d.trusted ? "trusted" : "untrusted") : store::HostStateName(host.state);
  decision["trusted_until"] = until && trusted ? nlohmann::ordered_json(FormatRfc3339(*until))
                                               : nlohmann::ordered_json(nullptr);
  return decision;
}

Result<HttpResponse> SubmitQuote(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(QuoteBody q, ReadQuoteBody(ctx.request));
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->GetHost(ctx.caller.tenant_id, id));
  ATTEST_RETURN_IF_ERROR(RequireActivated(host));
  // A stale, foreign or unknown nonce is refused before any verification work; the nonce is
  // consumed below, with the decision, by exactly one submission (also across replicas).
  ATTEST_RETURN_IF_ERROR(db->CheckNonce(ctx.caller.tenant_id, id, q.nonce_hex, ctx.now));

  // Read everything the decision needs, decide, then write.
  hosts::HostQuoteInput input;
  input.host = &host;
  input.evidence = std::move(q.evidence);
  input.host_policy =
      db->GetPolicy(store::PolicyKind::kHostPolicy, ctx.caller.tenant_id, host.host_policy);
  if (!input.host_policy.ok() && input.host_policy.status().code() != ErrorCode::kNotFound) {
    return input.host_policy.status();
  }
  input.now = ctx.now;
  input.trust_ttl = ctx.service.config.host_trust_ttl;
  if (ctx.service.anchors != nullptr) {
    input.host_policies = &ctx.service.anchors->host_policies();
  }
  const auto start = std::chrono::steady_clock::now();
  const hosts::HostQuoteDecision d = hosts::DecideHostQuote(input);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The evidence digest is the body's SHA-256, which authentication has already computed.
  const std::string evidence_sha256 =
      ctx.body_sha256.empty() ? Sha256Hex(ctx.request.body) : ctx.body_sha256;
  nlohmann::ordered_json decision = DecisionJson(host, ctx.now, evidence_sha256, d);
  std::string detail;
  for (const std::string& code : d.reason_codes()) {
    detail += (detail.empty() ? "" : ",") + code;
  }
  // The nonce, the host's new state and the audit entry in one transaction: a submission that
  // loses the nonce to a concurrent one writes nothing, and no decision is ever missing from the
  // log.
  store::HostQuoteWrite write;
  write.nonce = q.nonce_hex;
  if (d.verified()) {
    write.state = d.trusted ? store::HostState::kTrusted : store::HostState::kUntrusted;
  }
  write.last_quote_result = decision.dump();
  write.trusted_until = d.trusted_until;
  write.platform_changed = d.platform_changed;
  write.audit = ctx.AuditRecordFor("host.quote", id, d.trusted ? "accepted" : "rejected", detail,
                                   "sha256:" + evidence_sha256, d.policy_version);
  ATTEST_RETURN_IF_ERROR(db->RecordHostQuote(ctx.caller.tenant_id, id, write, ctx.now).status());
  if (ctx.service.metrics != nullptr) {
    ctx.service.metrics->Observe("attestd_verification_duration_seconds", {{"evidence", "tpm"}},
                                 seconds);
    ctx.service.metrics->Add("attestd_decisions_total",
                             {{"kind", "host"}, {"outcome", d.trusted ? "accepted" : "rejected"}});
  }

  if (!d.verified()) {
    // An error response keeps the API's {code, message} shape, with the decision beside it.
    nlohmann::ordered_json body;
    body["code"] = d.evidence_errors.front().reason_id();
    body["message"] = "the evidence does not verify: " + d.evidence_errors.front().message();
    for (auto& [key, value] : decision.items()) {
      body[key] = value;
    }
    return OrderedResponse(422, body);
  }
  decision["claims"] = render::ClaimsToJson(d.claims);
  return OrderedResponse(200, decision);
}

// --- GET /v1/hosts[/{id}] ---------------------------------------------------------------------

Result<HttpResponse> GetHost(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->GetHost(ctx.caller.tenant_id, ctx.Param("id")));
  return http::JsonResponse(200, HostJson(host, ctx.now));
}

// --- DELETE /v1/hosts/{id} (operator) ----------------------------------------------------------

// DeleteHost revokes a host at once: its credential is deleted, the VMs on it are marked as on an
// untrusted host (no key release for them again), and the record stays for the audit trail. The
// same EK enrolls again only with a new enrollment.
Result<HttpResponse> DeleteHost(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_RETURN_IF_ERROR(db->RevokeHost(ctx.caller.tenant_id, id,
                                        ctx.AuditRecordFor("host.delete", id, "ok"), ctx.now));
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->GetHost(ctx.caller.tenant_id, id));
  return http::JsonResponse(200, HostJson(host, ctx.now));
}

Result<HttpResponse> ListHosts(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::Host> hosts, db->ListHosts(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const store::Host& h : hosts) {
    list.push_back(HostJson(h, ctx.now));
  }
  return http::JsonResponse(200, {{"hosts", list}});
}

}  // namespace

void AddHostRoutes(ApiRouter& router) {
  router.Add("GET", "/v1/hosts", http::Access::kOperator, ListHosts);
  router.Add("GET", "/v1/hosts/{id}", http::Access::kOperatorOrHost, GetHost);
  router.Add("DELETE", "/v1/hosts/{id}", http::Access::kOperator, DeleteHost);
  router.Add("POST", "/v1/hosts/{id}/challenge", http::Access::kHost, Challenge);
  router.Add("POST", "/v1/hosts/{id}/quote", http::Access::kHost, SubmitQuote);
}

}  // namespace attest::service::api
