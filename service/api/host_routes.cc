// Host attestation (operator): registration with a TPM2_MakeCredential challenge, activation,
// nonces, and quotes verified with the host's AK and appraised with its host policy.
//
// A host belongs to the operator tenant that registered it; another tenant's host answers exactly
// like a missing one (the store's getters take the caller's tenant). Decisions:
//  - evidence that does not verify (signature, nonce, PCR digest, log replay, malformed TPM
//    structures): 422 with the decision and every reason; the host becomes untrusted;
//  - evidence that verifies but that the host policy denies: 200 {"trusted": false, reasons};
//    the host becomes untrusted;
//  - accepted: 200 {"trusted": true, "trusted_until"}; trusted until now + host_trust_ttl.
#include <algorithm>
#include <cctype>
#include <chrono>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/tee.h"
#include "attest/tpm/credential.h"
#include "attest/tpm/host.h"
#include "policy/appraisal_json.h"
#include "render/tpm_claims_json.h"
#include "service/api/routes.h"
#include "service/hosts/ek_trust.h"
#include "service/hosts/host_quote.h"
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
constexpr size_t kMaxPublicBytes = 2048;
constexpr size_t kMaxCertBytes = 16 * 1024;
constexpr size_t kMaxChainBytes =
    size_t{64} * 1024;  // a few intermediates from the TPM's NV indices
constexpr size_t kMaxQuoteBytes = 4096;
constexpr size_t kMaxSignatureBytes = 2048;
constexpr size_t kMaxPcrsBytes = 64 * 1024;
constexpr size_t kMaxEventLogBytes = 2 * 1024 * 1024;
constexpr size_t kMaxDrtmLogBytes = 512 * 1024;
constexpr size_t kSecretBytes = 32;  // the EK nameAlg (SHA-256) digest size

std::string Sha256Hex(ByteSpan data) { return HexEncode(Sha256(data)); }

// FieldError re-labels a TPM parse failure of a request field as a 400 naming the field, keeping
// the TPM reason as the code.
HttpResponse FieldError(std::string_view field, const Status& s) {
  return http::ErrorResponse(400, s.reason_id(),
                             "field \"" + std::string(field) + "\": " + s.message());
}

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
                      {"created_at", FormatRfc3339(h.created_at)},
                      {"updated_at", FormatRfc3339(h.updated_at)}};
  if (h.trusted_until) {
    j["trusted_until"] = FormatRfc3339(*h.trusted_until);
  }
  if (h.last_good_quote) {
    j["last_good_quote"] = FormatRfc3339(*h.last_good_quote);
  }
  if (!h.last_quote_result.empty()) {
    j["last_quote_result"] =
        nlohmann::json::parse(h.last_quote_result, nullptr, /*allow_exceptions=*/false);
  }
  return j;
}

// ReadTees reads the optional "tees" list: distinct names among the TEE types the launcher knows.
Result<std::vector<std::string>> ReadTees(const nlohmann::json& value) {
  std::vector<std::string> tees;
  if (value.is_null()) {
    return tees;
  }
  const Status bad(reasons::kApiInvalidField,
                   "field \"tees\": want a list of distinct \"snp\", \"tdx\", \"sev\", \"sev-es\"");
  if (!value.is_array()) {
    return bad;
  }
  // Names must be known and distinct, so a longer list fails by its fifth element at the latest.
  for (const nlohmann::json& t : value) {
    if (!t.is_string()) {
      return bad;
    }
    const std::string name = t.get<std::string>();
    if (!ParseTeeType(name) || std::find(tees.begin(), tees.end(), name) != tees.end()) {
      return bad;
    }
    tees.push_back(name);
  }
  return tees;
}

// IsPlausibleLibvirtUri accepts the shape of a libvirt connection URI ("qemu:///system",
// "qemu+tls://host.example/system", "test:///default"): libvirt itself validates the rest when
// attestd connects.
bool IsPlausibleLibvirtUri(const std::string& uri) {
  if (uri.size() > 256) {
    return false;
  }
  const size_t sep = uri.find("://");
  if (sep == std::string::npos || sep == 0) {
    return false;
  }
  for (size_t i = 0; i < sep; ++i) {
    const char c = uri[i];
    if (!(std::islower(static_cast<unsigned char>(c)) || c == '+')) {
      return false;
    }
  }
  for (char c : uri) {
    if (c <= 0x20 || c >= 0x7f) {
      return false;
    }
  }
  return true;
}

// --- POST /v1/hosts ---------------------------------------------------------------------------

Result<HttpResponse> RegisterHost(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(Bytes ek_public, reader.TakeBase64("ek_public", true, kMaxPublicBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes ek_cert, reader.TakeBase64("ek_cert", false, kMaxCertBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes ek_chain, reader.TakeBase64("ek_chain", false, kMaxChainBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes ak_public, reader.TakeBase64("ak_public", true, kMaxPublicBytes));
  ATTEST_ASSIGN_OR_RETURN(std::string host_policy, reader.TakeString("host_policy"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json tees_json, reader.TakeJson("tees", false));
  ATTEST_ASSIGN_OR_RETURN(std::string libvirt_uri, reader.TakeString("libvirt_uri", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> tees, ReadTees(tees_json));
  if (!libvirt_uri.empty() && !IsPlausibleLibvirtUri(libvirt_uri)) {
    return Status(reasons::kApiInvalidField,
                  "field \"libvirt_uri\": want DRIVER[+TRANSPORT]://[HOST]/PATH, at most 256 "
                  "printable characters");
  }
  if (!http::IsValidName(host_policy)) {
    return Status(reasons::kApiInvalidField,
                  "field \"host_policy\": 1..128 characters of A-Z a-z 0-9 . _ -");
  }

  Result<tpm::EkPublic> ek = tpm::ParseEkPublic(ek_public);
  if (!ek.ok()) {
    return FieldError("ek_public", ek.status());
  }
  // The AK must be a TPM public area (not PEM) of a restricted signing key that never left its
  // TPM: only such a key signs quotes that the TPM itself composed.
  Result<tpm::AkPublic> ak = tpm::ParsePublicKey(ak_public);
  if (!ak.ok()) {
    return FieldError("ak_public", ak.status());
  }
  if (!ak->name.has_value()) {
    return Status(reasons::kApiInvalidField, "field \"ak_public\": want a TPM2B_PUBLIC, not PEM");
  }
  if (Status s = tpm::CheckAkAttributes(*ak); !s.ok()) {
    return FieldError("ak_public", s);
  }

  // The EK: its certificate chains to a TPM vendor's (or the operator's) EK CA and carries this
  // key, or the operator explicitly accepts hosts without one.
  if (ctx.service.ek_trust == nullptr) {
    return Status(reasons::kApiInternal, "ek trust: the EK CA bundle did not load");
  }
  ATTEST_RETURN_IF_ERROR(ctx.service.ek_trust->CheckEndorsement(*ek, ek_cert, ek_chain, ctx.now));

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Result<store::PolicyVersion> policy =
      db->GetPolicy(store::PolicyKind::kHostPolicy, ctx.caller.tenant_id, host_policy);
  if (!policy.ok()) {
    if (policy.status().code() != ErrorCode::kNotFound) {
      return policy.status();
    }
    return Status(reasons::kApiInvalidField,
                  "field \"host_policy\": no host policy named \"" + host_policy + "\"");
  }

  // The secret leaves only encrypted to the EK; the database keeps its SHA-256, which lets the
  // service check an activation but not perform one.
  const Bytes secret = store::RandomBytes(kSecretBytes);
  ATTEST_ASSIGN_OR_RETURN(tpm::MadeCredential made, tpm::MakeCredential(*ek, *ak->name, secret));
  store::HostRegistration registration;
  registration.ek_public = ek_public;
  registration.ek_cert = ek_cert;
  registration.ak_public = ak_public;
  registration.host_policy = host_policy;
  registration.activation_sha256 = Sha256Hex(secret);
  registration.tees = std::move(tees);
  registration.libvirt_uri = libvirt_uri;
  ATTEST_ASSIGN_OR_RETURN(store::Host host,
                          db->RegisterHost(ctx.caller.tenant_id, registration, ctx.now));
  ATTEST_RETURN_IF_ERROR(
      ctx.Audit("host.register", host.id, "ok",
                "host_policy=" + host_policy + " ek=" + tpm::EkAlgorithmName(*ek) +
                    (ek_cert.empty() ? " ek_cert=none(allowed)" : " ek_cert=verified")));
  return http::JsonResponse(201, {{"host_id", host.id},
                                  {"state", store::HostStateName(host.state)},
                                  {"credential_blob", Base64Encode(made.credential_blob)},
                                  {"encrypted_secret", Base64Encode(made.encrypted_secret)}});
}

// --- POST /v1/hosts/{id}/activate -------------------------------------------------------------

Result<HttpResponse> ActivateHost(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(Bytes secret, reader.TakeBase64("secret", true, 64));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->GetHost(ctx.caller.tenant_id, id));
  // Compare digests in constant time; the stored digest is never sent back.
  Result<Bytes> issued = HexDecode(host.activation_sha256);
  const Sha256Digest returned = Sha256(secret);
  Status match = issued.ok() && !issued->empty()
                     ? tpm::CheckActivatedCredential(*issued, returned)
                     : Status(reasons::kTpmCredentialInvalid, "host has no activation pending");
  if (!match.ok()) {
    ATTEST_RETURN_IF_ERROR(
        ctx.Audit("host.activate", id, "rejected", std::string(match.reason_id())));
    return match;
  }
  // Activation is idempotent: a retry after a lost answer must not demote a trusted host.
  if (host.state == store::HostState::kRegistered) {
    ATTEST_RETURN_IF_ERROR(db->UpdateHostState(
        ctx.caller.tenant_id, id, store::HostState::kActivated, "", std::nullopt, ctx.now));
    host.state = store::HostState::kActivated;
    ATTEST_RETURN_IF_ERROR(ctx.Audit("host.activate", id, "ok"));
  }
  return http::JsonResponse(200, {{"host_id", id}, {"state", store::HostStateName(host.state)}});
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
  ATTEST_RETURN_IF_ERROR(reader.Finish());
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
// last_quote_result (the claims are added to the answer only).
nlohmann::ordered_json DecisionJson(const std::string& host_id, TimePoint at,
                                    const std::string& evidence_sha256,
                                    const hosts::HostQuoteDecision& d) {
  nlohmann::ordered_json decision;
  decision["host_id"] = host_id;
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
  decision["trusted"] = d.trusted;
  decision["state"] = d.trusted ? "trusted" : "untrusted";
  decision["trusted_until"] = d.trusted_until
                                  ? nlohmann::ordered_json(FormatRfc3339(*d.trusted_until))
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
  nlohmann::ordered_json decision = DecisionJson(id, ctx.now, evidence_sha256, d);
  std::string detail;
  for (const std::string& code : d.reason_codes()) {
    detail += (detail.empty() ? "" : ",") + code;
  }
  // The nonce, the host's new state and the audit entry in one transaction: a submission that
  // loses the nonce to a concurrent one writes nothing, and no decision is ever missing from the
  // log.
  store::HostQuoteWrite write;
  write.nonce = q.nonce_hex;
  write.state = d.trusted ? store::HostState::kTrusted : store::HostState::kUntrusted;
  write.last_quote_result = decision.dump();
  write.trusted_until = d.trusted_until;
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
  router.Add("POST", "/v1/hosts", http::Access::kOperator, RegisterHost);
  router.Add("GET", "/v1/hosts", http::Access::kOperator, ListHosts);
  router.Add("GET", "/v1/hosts/{id}", http::Access::kOperator, GetHost);
  router.Add("POST", "/v1/hosts/{id}/activate", http::Access::kOperator, ActivateHost);
  router.Add("POST", "/v1/hosts/{id}/challenge", http::Access::kOperator, Challenge);
  router.Add("POST", "/v1/hosts/{id}/quote", http::Access::kOperator, SubmitQuote);
}

}  // namespace attest::service::api
