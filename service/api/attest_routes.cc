// Guest key release (issue 9; DESIGN.md "Key release protocol"): public routes where the
// evidence, not a credential, authenticates.
//
//   POST /v1/attest/challenge {"vm_id"}                    -> 201 {"nonce", "expires_at"}
//   POST /v1/attest {"vm_id", "nonce", "guest_key", "evidence"}
//        -> 200 {"vm_id", "policy", "token", "keys": [{"volume_id", "jwe"}]}
//        -> 403 {"code": "release.denied", "message", "failures": [{"check", "code"}]}
//        -> 404 api.not_found for a VM that does not exist or was deleted (alike: issue 17)
//        -> 503 api.verifications_busy (Retry-After: 1), the nonce untouched
//   GET  /v1/attest/keys                                    -> the JWKS of the result-token key
//
// The release route does the I/O around release::DecideRelease, cheapest checks first: the body,
// the VM, then the nonce with a read-only Store::CheckNonce, so an unknown, spent or expired nonce
// is refused before any signature work (issue 17). Then a place among max_concurrent_verifications
// (none: 503 at once, the nonce still usable), then the nonce is consumed under the VM's tenant
// (one atomic UPDATE: of two requests with one nonce, one wins and the other is refused like a
// spent nonce), the VM's host and the policy version the ticket pins are read, and every check runs
// at once. Only a decision without failures unwraps the volume keys (in memory) and encrypts them
// to the guest key. Every decision is an audit entry `vm.release` under the VM's tenant.
//
// The caller is nobody in particular, so a refusal names the failed checks and their codes only;
// each check's detail (digests, host ids and states, times, the policy's wanted values) goes to
// the audit entry, which only the VM's tenant reads.
//
// Both POST routes are rate-limited per source address and per VM id (http/rate_limit.h), in
// memory and per replica; over a limit: 429 api.rate_limited with Retry-After.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/time.h"
#include "attest/core/x509.h"
#include "attest/snp/cert_table.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/pck.h"
#include "attest/tdx/wire.h"
#include "policy/token.h"
#include "protocol/jwe.h"
#include "service/api/routes.h"
#include "service/collateral/cache_source.h"
#include "service/collateral/store_source.h"
#include "service/http/json_body.h"
#include "service/http/query.h"
#include "service/release/ephemeral_key_pool.h"
#include "service/release/release.h"
#include "service/release/wrap_keys.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

// Caps on decoded sizes: an SNP report is 1184 bytes; a VCEK ~1.4 KiB DER; ASK + ARK PEM ~5 KiB;
// AMD CRLs are small; a TDX quote with its PCK chain ~5-10 KiB.
constexpr size_t kMaxReportBytes = 4096;
constexpr size_t kMaxCertBytes = size_t{16} * 1024;
constexpr size_t kMaxChainBytes = size_t{64} * 1024;
constexpr size_t kMaxCrlBytes = size_t{256} * 1024;
constexpr size_t kMaxQuoteBytes = size_t{64} * 1024;

Status InvalidField(const std::string& field, const std::string& what) {
  return Status(reasons::kApiInvalidField, "field \"" + field + "\": " + what);
}

// --- rate limits ----------------------------------------------------------------------------

// Limited checks one limiter for key; the 429 response when over the limit.
std::optional<HttpResponse> Limited(RequestContext& ctx, const std::string& route,
                                    const std::string& scope, const std::string& key) {
  ReleaseLimits& limits = *ctx.service.release_limits;
  http::RateLimiter& limiter = scope == "vm" ? limits.per_vm : limits.per_address;
  std::optional<std::chrono::seconds> wait = limiter.Take(route + "\n" + key, ctx.now);
  if (ctx.service.metrics != nullptr) {
    ctx.service.metrics->Set("attestd_rate_limit_tracked_keys", {{"scope", scope}},
                             static_cast<double>(limiter.tracked()));
  }
  if (!wait) {
    return std::nullopt;
  }
  if (ctx.service.metrics != nullptr) {
    ctx.service.metrics->Add("attestd_rate_limited_total", {{"route", route}, {"scope", scope}});
  }
  HttpResponse r = http::ErrorResponse(429, reasons::kApiRateLimited.id,
                                       "too many key release requests for this " +
                                           std::string(scope == "vm" ? "VM" : "address") +
                                           "; retry after " + std::to_string(wait->count()) + " s");
  r.headers.push_back({"Retry-After", std::to_string(wait->count())});
  return r;
}

// ReadVmId takes and checks the vm_id member.
Result<std::string> ReadVmId(http::ObjectReader& reader) {
  ATTEST_ASSIGN_OR_RETURN(std::string vm_id, reader.TakeString("vm_id"));
  if (!http::IsValidName(vm_id)) {
    return InvalidField("vm_id", "not a VM id");
  }
  return vm_id;
}

Status VmNotFound() { return Status(reasons::kApiRouteNotFound, "no such VM"); }

// --- POST /v1/attest/challenge --------------------------------------------------------------

Result<HttpResponse> Challenge(RequestContext& ctx) {
  const std::string route = "/v1/attest/challenge";
  if (auto r = Limited(ctx, route, "address", ctx.client_address)) {
    return std::move(*r);
  }
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string vm_id, ReadVmId(reader));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  if (auto r = Limited(ctx, route, "vm", vm_id)) {
    return std::move(*r);
  }

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Result<store::Vm> vm = db->LookupVm(vm_id);
  if (!vm.ok()) {
    if (vm.status().code() == ErrorCode::kNotFound) {
      return VmNotFound();
    }
    return vm.status();
  }
  // A deleted VM answers like an unknown one: it will never be released a key.
  if (vm->deleted_at) {
    return VmNotFound();
  }
  ATTEST_ASSIGN_OR_RETURN(
      store::Nonce nonce,
      db->IssueNonce(vm->tenant_id, vm->id, ctx.service.config.nonce_ttl, ctx.now));
  return http::JsonResponse(
      201, {{"nonce", nonce.value}, {"expires_at", FormatRfc3339(nonce.expires_at)}});
}

// --- POST /v1/attest ------------------------------------------------------------------------

struct AttestBody {
  std::string vm_id;
  std::string nonce_hex;
  Bytes nonce;
  protocol::GuestPublicKey guest_key;
  release::Evidence evidence;
  bool tdx_collateral_given = false;
};

Result<snp::SnpCollateral> ReadSnpCollateral(http::ObjectReader& reader) {
  ATTEST_ASSIGN_OR_RETURN(Bytes vcek, reader.TakeBase64("vcek", false, kMaxCertBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes chain, reader.TakeBase64("cert_chain", false, kMaxChainBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes crl, reader.TakeBase64("crl", false, kMaxCrlBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes auxblob,
                          reader.TakeBase64("auxblob", false, snp::kMaxCertTableBytes));
  if (!vcek.empty() && !auxblob.empty()) {
    // Neither: the operator's cached VCEK for the chip and TCB is used (AddOperatorCollateral).
    return InvalidField("evidence", "want at most one of \"vcek\" and \"auxblob\"");
  }
  snp::SnpCollateral c;
  if (!auxblob.empty()) {
    Result<snp::SnpCollateral> table = snp::ParseCertTable(auxblob);
    if (!table.ok()) {
      return InvalidField("evidence.auxblob", table.status().message());
    }
    c = std::move(table).value();
  } else {
    c.endorsement_cert = std::move(vcek);
  }
  if (!chain.empty()) {
    c.chain.push_back(std::move(chain));
  }
  if (!crl.empty()) {
    c.crls.push_back(std::move(crl));
  }
  return c;
}

Status ReadEvidence(const nlohmann::json& value, AttestBody& out) {
  if (!value.is_object()) {
    return InvalidField("evidence", "an object");
  }
  http::ObjectReader reader(value);
  ATTEST_ASSIGN_OR_RETURN(std::string tee, reader.TakeString("tee"));
  // The report or quote is parsed here, once: the collateral lookup and the verifier both read
  // the parse.
  if (tee == "snp") {
    ATTEST_ASSIGN_OR_RETURN(Bytes report, reader.TakeBase64("report", true, kMaxReportBytes));
    ATTEST_ASSIGN_OR_RETURN(snp::SnpCollateral collateral, ReadSnpCollateral(reader));
    out.evidence = release::ParseSnpEvidence(std::move(report), std::move(collateral));
  } else if (tee == "tdx") {
    ATTEST_ASSIGN_OR_RETURN(Bytes quote, reader.TakeBase64("quote", true, kMaxQuoteBytes));
    ATTEST_ASSIGN_OR_RETURN(nlohmann::json collateral, reader.TakeJson("collateral", false));
    std::optional<tdx::Collateral> given;
    if (!collateral.is_null()) {
      if (!collateral.is_object()) {
        return InvalidField("evidence.collateral", "an object");
      }
      Result<tdx::Collateral> parsed = tdx::CollateralFromJson(collateral);
      if (!parsed.ok()) {
        return InvalidField("evidence.collateral", parsed.status().message());
      }
      given = std::move(parsed).value();
      out.tdx_collateral_given = true;
    }
    out.evidence = release::ParseTdxEvidence(std::move(quote), std::move(given));
  } else {
    return InvalidField("evidence.tee", "\"snp\" or \"tdx\"");
  }
  return reader.Finish().WithContext("evidence");
}

// AddOperatorCollateral puts the operator's collateral beside the guest's (issue 19): verifiers
// never fetch, so it comes from the shared cache the refresher fills (and, for TDX, the host
// operator's imports). A guest may send collateral, but never in place of newer cached data nor
// without the cached revocation list: an SNP report is always checked against the cached CRL of
// its product, and a TDX quote's guest collateral is replaced by the cached one unless it claims
// a newer evaluation (which the verifier then checks). Fails with collateral.stale when cached
// revocation data or TCB info is past max_collateral_age_seconds, or with the store's reason.
Status AddOperatorCollateral(RequestContext& ctx, store::Store& db, const Result<store::Host>& host,
                             bool tdx_collateral_given, release::Evidence& evidence) {
  service::collateral::CacheCollateralSource cache(db, ctx.now,
                                                   ctx.service.config.max_collateral_age);
  if (auto* snp_evidence = std::get_if<release::SnpEvidence>(&evidence)) {
    if (!snp_evidence->report.ok()) {
      return Status::Ok();
    }
    snp::SnpCollateral& c = snp_evidence->collateral;
    // A version 2 report names no product; the guest's VCEK does (its chain is checked later).
    std::optional<snp::Product> product;
    if (!c.endorsement_cert.empty()) {
      Result<std::vector<X509Ptr>> certs = ParseCertificates(c.endorsement_cert);
      if (certs.ok()) {
        Result<snp::EndorsementInfo> info = snp::ParseEndorsementCert((*certs)[0].get());
        product = info.ok() ? std::optional<snp::Product>(info->product) : std::nullopt;
      }
    }
    ATTEST_ASSIGN_OR_RETURN(service::collateral::CachedSnp cached,
                            cache.SnpEndorsements(*snp_evidence->report, product));
    if (c.endorsement_cert.empty() && !cached.vcek.empty()) {
      c.endorsement_cert = std::move(cached.vcek);
    }
    if (!cached.cert_chain.empty()) {
      c.chain.push_back(std::move(cached.cert_chain));
    }
    if (!cached.crl.empty()) {
      c.crls.push_back(std::move(cached.crl));
    }
    return Status::Ok();
  }
  auto* tdx_evidence = std::get_if<release::TdxEvidence>(&evidence);
  if (tdx_evidence == nullptr || !tdx_evidence->quote.ok()) {
    return Status::Ok();  // a quote that does not parse gets none (the verifier reports why)
  }
  if (tdx_collateral_given) {
    ATTEST_ASSIGN_OR_RETURN(auto cached_version, cache.CachedDcapEvaluation(*tdx_evidence->quote));
    Result<tdx::TcbInfo> claimed = tdx::ParseTcbInfo(tdx_evidence->collateral->tcb_info_body);
    const bool cache_is_newer =
        cached_version &&
        (!claimed.ok() || cached_version->first > claimed->tcb_evaluation_data_number ||
         (cached_version->first == claimed->tcb_evaluation_data_number &&
          cached_version->second >= claimed->issue_date));
    if (cache_is_newer) {
      ATTEST_ASSIGN_OR_RETURN(tdx_evidence->collateral, cache.TdxCollateral(*tdx_evidence->quote));
    }
    return Status::Ok();
  }
  ATTEST_ASSIGN_OR_RETURN(tdx_evidence->collateral, cache.TdxCollateral(*tdx_evidence->quote));
  if (!tdx_evidence->collateral && host.ok()) {
    // The host operator's imported collateral (POST /v1/collateral before the shared cache).
    service::collateral::StoreCollateralSource imported(db, host->tenant_id);
    ATTEST_ASSIGN_OR_RETURN(tdx_evidence->collateral, imported.TdxCollateral(*tdx_evidence->quote));
  }
  return Status::Ok();
}

Result<AttestBody> ReadAttestBody(const HttpRequest& request) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(request));
  http::ObjectReader reader(body);
  AttestBody out;
  ATTEST_ASSIGN_OR_RETURN(out.vm_id, ReadVmId(reader));
  ATTEST_ASSIGN_OR_RETURN(out.nonce_hex, reader.TakeString("nonce"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json guest_key, reader.TakeJson("guest_key"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json evidence, reader.TakeJson("evidence"));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  // Store nonces are 32 random bytes as 64 lower-case hex digits; anything else is no nonce.
  Result<Bytes> nonce = HexDecode(out.nonce_hex);
  if (out.nonce_hex.size() != 64 || !nonce.ok() || nonce->size() != 32) {
    return InvalidField("nonce", "want the 64 hex digits of a challenge");
  }
  out.nonce = std::move(nonce).value();
  if (!guest_key.is_object()) {
    return InvalidField("guest_key", "a public P-384 JWK object");
  }
  ATTEST_ASSIGN_OR_RETURN(out.guest_key, protocol::GuestJwkFromJson(guest_key));
  ATTEST_RETURN_IF_ERROR(ReadEvidence(evidence, out));
  return out;
}

// ReleaseRecord is the audit record of a decision under the VM's tenant; the actor is the guest
// (no credential signed the request).
store::AuditRecord ReleaseRecord(RequestContext& ctx, const store::Vm& vm,
                                 const std::string& outcome, const std::string& detail,
                                 const std::string& evidence_digest) {
  store::AuditRecord record;
  record.tenant_id = vm.tenant_id;
  record.at = ctx.now;
  record.actor = "guest";
  record.action = "vm.release";
  record.subject = vm.id;
  record.evidence_digest = evidence_digest;
  record.policy_version = vm.policy_name + "@" + std::to_string(vm.policy_version);
  record.outcome = outcome;
  record.detail = detail;
  record.client_address = ctx.client_address;
  return record;
}

Status AuditRelease(store::Store& db, RequestContext& ctx, const store::Vm& vm,
                    const std::string& outcome, const std::string& detail,
                    const std::string& evidence_digest) {
  return db.AppendAudit(ReleaseRecord(ctx, vm, outcome, detail, evidence_digest)).status();
}

// ChangeFailure is the check failure of something that changed while a release was decided.
release::CheckFailure ChangeFailure(const store::ReleaseChange& change) {
  switch (change.check) {
    case store::ReleaseChange::Check::kVm:
      return {"vm", reasons::kReleaseVmDeleted, change.detail};
    case store::ReleaseChange::Check::kVolume:
      return {"volume", reasons::kReleaseVolumeUnavailable, change.detail};
    case store::ReleaseChange::Check::kPolicy:
      return {"policy", reasons::kReleasePolicyRevoked, change.detail};
    case store::ReleaseChange::Check::kHost:
      break;
  }
  return {"host", reasons::kReleaseHostUntrusted, change.detail};
}

// Bounds on the failure details an audit entry keeps: one check's detail, and the whole text.
constexpr size_t kMaxAuditFailureDetailBytes = 512;
constexpr size_t kMaxAuditDetailBytes = size_t{8} * 1024;

// Clip cuts text to at most max bytes, never inside a UTF-8 sequence, marking the cut.
std::string Clip(const std::string& text, size_t max) {
  if (text.size() <= max) {
    return text;
  }
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return text.substr(0, cut) + "...";
}

// DenialDetail is the audit detail of a refusal: "check:code (detail)" per failure, "; " between
// them, bounded (kMaxAudit*); what the public answer leaves out is kept here for the VM's tenant.
std::string DenialDetail(const std::vector<release::CheckFailure>& failures) {
  std::string out;
  for (size_t i = 0; i < failures.size(); ++i) {
    const release::CheckFailure& f = failures[i];
    std::string item = f.check + ":" + std::string(f.reason.id);
    if (!f.detail.empty()) {
      item += " (" + Clip(f.detail, kMaxAuditFailureDetailBytes) + ")";
    }
    if (out.size() + item.size() + 2 > kMaxAuditDetailBytes) {
      out += "; ... " + std::to_string(failures.size() - i) + " more";
      break;
    }
    out += (out.empty() ? "" : "; ") + item;
  }
  return out;
}

// AuditDenial appends the denial and raises release.denied to the VM's owner in one transaction
// (issue 15): the event carries the failed checks' codes, not their details.
Status AuditDenial(store::Store& db, RequestContext& ctx, const store::Vm& vm,
                   const std::vector<release::CheckFailure>& failures,
                   const std::string& evidence_digest) {
  nlohmann::json codes = nlohmann::json::array();
  for (const release::CheckFailure& f : failures) {
    codes.push_back({{"check", f.check}, {"code", f.reason.id}});
  }
  const nlohmann::json data = {{"vm_id", vm.id}, {"host_id", vm.host_id}, {"failures", codes}};
  return db
      .AppendAuditAndRaise(
          ReleaseRecord(ctx, vm, "denied", DenialDetail(failures), evidence_digest),
          {std::string(store::kEventReleaseDenied), vm.tenant_id, vm.id, data.dump()}, ctx.now)
      .status();
}

void CountDecision(RequestContext& ctx, const std::string& outcome) {
  if (ctx.service.metrics != nullptr) {
    ctx.service.metrics->Add("attestd_decisions_total",
                             {{"kind", "release"}, {"outcome", outcome}});
  }
}

// DenialResponse is the 403 of a refusal: the failed checks' names and codes only, as the caller
// is unauthenticated.
HttpResponse DenialResponse(const std::vector<release::CheckFailure>& failures) {
  nlohmann::json list = nlohmann::json::array();
  for (const release::CheckFailure& f : failures) {
    list.push_back({{"check", f.check}, {"code", f.reason.id}});
  }
  return http::JsonResponse(
      403, {{"code", reasons::kReleaseDenied.id},
            {"message", "key release refused: " + std::to_string(failures.size()) +
                            " check(s) failed; the VM's owner finds each check's detail in its "
                            "audit log"},
            {"failures", list}});
}

// Deny records a refusal (audit entry, release.denied event, metric) and answers it.
Result<HttpResponse> Deny(store::Store& db, RequestContext& ctx, const store::Vm& vm,
                          const std::vector<release::CheckFailure>& failures,
                          const std::string& evidence_digest) {
  ATTEST_RETURN_IF_ERROR(AuditDenial(db, ctx, vm, failures, evidence_digest));
  CountDecision(ctx, "denied");
  return DenialResponse(failures);
}

// DenyNonce refuses an attempt whose nonce the store rejected (unknown, spent, expired or another
// VM's), before any verification. Anyone can send such requests in bulk, so they are counted
// (outcome "nonce_refused") and rate-limited, not audited one by one: the audit log keeps every
// decision made with a live nonce (issue 17). A database failure is returned as it is.
Result<HttpResponse> DenyNonce(RequestContext& ctx, const Status& nonce_status) {
  if (nonce_status.reason_id() != reasons::kStoreNonceRejected.id) {
    return nonce_status;
  }
  CountDecision(ctx, "nonce_refused");
  return DenialResponse({{"nonce", reasons::kReleaseNonceRejected, nonce_status.message()}});
}

// Busy is the 503 of a full verification gate: nothing was done, the nonce is still good.
HttpResponse Busy(RequestContext& ctx) {
  if (ctx.service.metrics != nullptr) {
    ctx.service.metrics->Add("attestd_verifications_busy_total", {});
  }
  HttpResponse r = http::ErrorResponse(
      503, reasons::kApiVerificationsBusy.id,
      "every evidence verification place is taken (max_concurrent_verifications " +
          std::to_string(ctx.service.release_limits->verifications.max()) +
          "); retry with the same nonce after 1 s");
  r.headers.push_back({"Retry-After", "1"});
  return r;
}

// WrapForGuest seals the released volume keys to the guest under one ephemeral key, made ahead by
// attestd's pool when it has one (EphemeralKeyPool::Take makes a fresh one when the pool is empty).
Result<std::vector<release::ReleasedKey>> WrapForGuest(RequestContext& ctx,
                                                       const std::vector<store::Volume>& volumes,
                                                       const protocol::GuestPublicKey& guest_key) {
  if (ctx.service.ephemeral_keys == nullptr) {
    return release::WrapKeysForGuest(*ctx.service.kek, volumes, guest_key);
  }
  ATTEST_ASSIGN_OR_RETURN(protocol::EphemeralKey ephemeral, ctx.service.ephemeral_keys->Take());
  return release::WrapKeysForGuest(*ctx.service.kek, volumes, guest_key, std::move(ephemeral));
}

Result<HttpResponse> Attest(RequestContext& ctx) {
  const std::string route = "/v1/attest";
  if (ctx.service.kek == nullptr || ctx.service.anchors == nullptr ||
      ctx.service.token_key == nullptr || !ctx.service.release_limits) {
    return Status(reasons::kApiInternal, "key release is not configured");
  }
  if (auto r = Limited(ctx, route, "address", ctx.client_address)) {
    return std::move(*r);
  }
  ATTEST_ASSIGN_OR_RETURN(AttestBody body, ReadAttestBody(ctx.request));
  if (auto r = Limited(ctx, route, "vm", body.vm_id)) {
    return std::move(*r);
  }

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Result<store::Vm> vm = db->LookupVm(body.vm_id);
  if (!vm.ok()) {
    if (vm.status().code() == ErrorCode::kNotFound) {
      return VmNotFound();
    }
    return vm.status();
  }
  // A deleted VM answers exactly like one that never existed (as the challenge route does), and
  // before any other database work: a stranger cannot tell which VM ids existed. Its nonces are
  // spent and no new ones are issued, so nothing could be released to it anyway.
  if (vm->deleted_at) {
    return VmNotFound();
  }
  // The cheap check first: an unknown, spent, expired or foreign nonce costs one SELECT, no
  // signature. Only the consume below decides (another request may take the nonce in between).
  if (Status nonce = db->CheckNonce(vm->tenant_id, vm->id, body.nonce_hex, ctx.now); !nonce.ok()) {
    return DenyNonce(ctx, nonce);
  }
  // A place among the verifications, taken before the nonce is consumed: a refused request has
  // spent nothing and may be sent again as it is.
  http::ConcurrencyGate::Pass pass(ctx.service.release_limits->verifications);
  if (!pass.held()) {
    return Busy(ctx);
  }
  const std::string evidence_digest =
      "sha256:" + HexEncode(Sha256(release::EvidenceBytes(body.evidence)));

  release::ReleaseInput in;
  in.now = ctx.now;
  in.nonce = body.nonce;
  in.guest_key = body.guest_key;
  in.vm = &*vm;
  // One atomic UPDATE: of requests racing with one nonce exactly one gets past here.
  in.nonce_status = db->ConsumeNonce(vm->tenant_id, vm->id, body.nonce_hex, ctx.now);
  if (!in.nonce_status.ok()) {
    return DenyNonce(ctx, in.nonce_status);
  }

  Result<store::Host> host = db->LookupHost(vm->host_id);
  if (host.ok()) {
    in.host = {host->id,          host->state,   host->trusted_until, host->last_good_quote,
               host->host_policy, host->platform};
  } else if (host.status().code() == ErrorCode::kNotFound) {
    in.host = {"", store::HostState::kUntrusted, std::nullopt, std::nullopt, "", ""};
  } else {
    return host.status();
  }

  Result<store::PolicyVersion> pv = db->GetPolicy(store::PolicyKind::kTenantPolicy, vm->tenant_id,
                                                  vm->policy_name, vm->policy_version);
  store::PolicyVersion missing_policy;  // version 0: the decision reports the mismatch
  if (!pv.ok() && pv.status().code() != ErrorCode::kNotFound) {
    return pv.status();
  }
  in.policy = pv.ok() ? &*pv : &missing_policy;

  in.evidence = std::move(body.evidence);
  ATTEST_RETURN_IF_ERROR(
      AddOperatorCollateral(ctx, *db, host, body.tdx_collateral_given, in.evidence));

  const auto start = std::chrono::steady_clock::now();
  release::ReleaseDecision decision = release::DecideRelease(in, *ctx.service.anchors);
  if (ctx.service.metrics != nullptr) {
    ctx.service.metrics->Observe(
        "attestd_verification_duration_seconds",
        {{"evidence", std::string(release::EvidenceTee(in.evidence))}},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // The volumes the ticket names must still exist: a deleted volume's key is shredded.
  std::vector<store::Volume> volumes;
  if (decision.released()) {
    for (const std::string& id : vm->volume_ids) {
      Result<store::Volume> v = db->GetVolume(vm->tenant_id, id);
      if (v.ok()) {
        volumes.push_back(std::move(v).value());
      } else if (v.status().code() == ErrorCode::kNotFound) {
        decision.failures.push_back(
            {"volume", reasons::kReleaseVolumeUnavailable, "volume " + id + " was deleted"});
      } else {
        return v.status();
      }
    }
  }

  if (!decision.released()) {
    return Deny(*db, ctx, *vm, decision.failures, evidence_digest);
  }

  Result<std::vector<release::ReleasedKey>> keys = WrapForGuest(ctx, volumes, in.guest_key);
  policy::TokenFields fields{ctx.service.config.token_issuer,
                             vm->id,
                             body.nonce_hex,
                             ctx.now,
                             ctx.now + ctx.service.config.token_ttl,
                             protocol::JwkThumbprint(in.guest_key)};
  Result<std::string> token =
      keys.ok() ? policy::SignResultToken(*decision.appraisal, fields, ctx.service.token_key)
                : Result<std::string>(keys.status());
  if (!token.ok()) {
    ATTEST_RETURN_IF_ERROR(AuditRelease(*db, ctx, *vm, "error",
                                        std::string(token.status().reason_id()), evidence_digest));
    CountDecision(ctx, "error");
    return token.status();
  }
  std::string released;
  nlohmann::json key_list = nlohmann::json::array();
  for (const release::ReleasedKey& k : *keys) {
    key_list.push_back({{"volume_id", k.volume_id}, {"jwe", k.jwe}});
    released += (released.empty() ? "" : ",") + k.volume_id;
  }
  // Recorded only if the VM, its volumes and its host still hold now that the evidence is
  // verified: a deletion or failed host quote that committed meanwhile wins (issue 17 #4), and
  // the keys wrapped above are dropped unsent.
  const store::ReleaseBasis basis{vm->tenant_id,  vm->id,          vm->host_id,
                                  vm->volume_ids, vm->policy_name, vm->policy_version,
                                  ctx.now};
  ATTEST_ASSIGN_OR_RETURN(
      const std::optional<store::ReleaseChange> change,
      db->CommitRelease(basis, ReleaseRecord(ctx, *vm, "released",
                                             "volumes=" + (released.empty() ? "none" : released),
                                             evidence_digest)));
  if (change) {
    return Deny(*db, ctx, *vm, {ChangeFailure(*change)}, evidence_digest);
  }
  CountDecision(ctx, "released");
  return http::JsonResponse(200,
                            {{"vm_id", vm->id},
                             {"policy", vm->policy_name + "@" + std::to_string(vm->policy_version)},
                             {"token", *token},
                             {"keys", key_list}});
}

// --- GET /v1/attest/keys --------------------------------------------------------------------

// PublicJwk is the RFC 7517 public JWK of an EC P-256/P-384 key, kid its RFC 7638 thumbprint.
Result<nlohmann::json> TokenPublicJwk(EVP_PKEY* key) {
  char group[32] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) != 1) {
    return Status(reasons::kApiInternal, "token key is not an EC key");
  }
  const std::string curve = group;
  std::string crv, alg;
  size_t coord = 0;
  if (curve == "prime256v1" || curve == "P-256") {
    crv = "P-256", alg = "ES256", coord = 32;
  } else if (curve == "secp384r1" || curve == "P-384") {
    crv = "P-384", alg = "ES384", coord = 48;
  } else {
    return Status(reasons::kApiInternal, "token key curve " + curve + " is not P-256/P-384");
  }
  Bytes point(1 + 2 * coord);
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &point_len) != 1 ||
      point_len != point.size() || point[0] != 0x04) {
    return Status(reasons::kApiInternal, "token key: no uncompressed public point");
  }
  const std::string x = Base64UrlEncode(ByteSpan(point.data() + 1, coord));
  const std::string y = Base64UrlEncode(ByteSpan(point.data() + 1 + coord, coord));
  // RFC 7638 section 3.2: the required members in lexicographic order, no whitespace.
  const std::string thumb_input =
      R"({"crv":")" + crv + R"(","kty":"EC","x":")" + x + R"(","y":")" + y + R"("})";
  const std::string kid = Base64UrlEncode(Sha256(AsBytes(thumb_input)));
  return nlohmann::json{{"kty", "EC"}, {"crv", crv},   {"x", x},    {"y", y},
                        {"alg", alg},  {"use", "sig"}, {"kid", kid}};
}

Result<HttpResponse> TokenKeys(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  if (ctx.service.token_key == nullptr) {
    return Status(reasons::kApiInternal, "no result token key configured");
  }
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json jwk, TokenPublicJwk(ctx.service.token_key));
  return http::JsonResponse(200, {{"keys", nlohmann::json::array({jwk})}});
}

}  // namespace

void AddAttestRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/attest/challenge", http::Access::kPublic, Challenge);
  router.Add("POST", "/v1/attest", http::Access::kPublic, Attest);
  router.Add("GET", "/v1/attest/keys", http::Access::kPublic, TokenKeys);
}

}  // namespace attest::service::api
