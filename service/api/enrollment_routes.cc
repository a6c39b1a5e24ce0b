// Host enrollment: how a host becomes a principal of its own without ever holding the operator's
// credentials (service/README.md, "Host enrollment").
//
//  1. POST /v1/host-enrollments (operator): a one-time token, bound to a host policy, the TEEs the
//     host offers and its libvirt URI, valid 60 s..24 h. Only the token's SHA-256 is stored.
//  2. POST /v1/enroll (public, the token authenticates): the host's EK (certificate required unless
//     the operator allows hosts without one) and AK. attestd draws an activation secret, derives
//     the host's SigV4 secret key from it (protocol/host_credential.h), keeps that key sealed with
//     the new host (state "registered") and answers with the secret wrapped by
//     TPM2_MakeCredential for this EK and this AK.
//  3. POST /v1/enroll/activate (public, the proof authenticates): the host's TPM recovered the
//     secret (TPM2_ActivateCredential), the host derived the key and sends an HMAC made with it.
//     attestd checks it and only then makes the key the host's credential; the answer names the
//     access key id. Neither the secret nor the key ever travels outside MakeCredential's blob.
#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/tee.h"
#include "attest/core/x509.h"
#include "attest/tpm/credential.h"
#include "attest/tpm/verify.h"
#include "attest/tpm/wire.h"
#include "protocol/host_credential.h"
#include "service/api/libvirt_uri.h"
#include "service/api/routes.h"
#include "service/hosts/ek_trust.h"
#include "service/hosts/platform.h"
#include "service/http/json_body.h"
#include "service/http/router.h"
#include "service/store/secret_sealer.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

// A TPM2B_PUBLIC is at most ~640 bytes; an EK certificate a few KiB, its chain a few of them.
constexpr size_t kMaxPublicBytes = 2048;
constexpr size_t kMaxCertBytes = size_t{16} * 1024;
constexpr size_t kMaxChainBytes = size_t{64} * 1024;  // a few intermediates from NV indices
constexpr int64_t kMinEnrollmentSeconds = 60;
constexpr int64_t kMaxEnrollmentSeconds = 86400;
constexpr int64_t kDefaultEnrollmentSeconds = 3600;
constexpr size_t kMaxTokenBytes = 128;
constexpr char kTokenPrefix[] = "aht_";

std::string Sha256Hex(std::string_view text) { return HexEncode(Sha256(AsBytes(text))); }

HttpResponse FieldError(std::string_view field, const Status& s) {
  return http::ErrorResponse(400, s.reason_id(),
                             "field \"" + std::string(field) + "\": " + s.message());
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

// --- POST /v1/host-enrollments (operator) ------------------------------------------------------

Result<HttpResponse> CreateEnrollment(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string host_policy, reader.TakeString("host_policy"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json tees_json, reader.TakeJson("tees", false));
  ATTEST_ASSIGN_OR_RETURN(std::string libvirt_uri, reader.TakeString("libvirt_uri", false));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json expires_json,
                          reader.TakeJson("expires_in_seconds", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> tees, ReadTees(tees_json));
  // Empty: attestd launches nothing on the host. Otherwise one of the allowed forms: the URI is
  // what attestd, holding the KEK, later hands to libvirt.
  if (!libvirt_uri.empty()) {
    ATTEST_RETURN_IF_ERROR(
        CheckLibvirtUri(libvirt_uri, ctx.service.config.allow_test_libvirt_uris));
  }
  if (!http::IsValidName(host_policy)) {
    return Status(reasons::kApiInvalidField,
                  "field \"host_policy\": 1..128 characters of A-Z a-z 0-9 . _ -");
  }
  int64_t expires_in = kDefaultEnrollmentSeconds;
  if (!expires_json.is_null()) {
    if (!expires_json.is_number_integer() || expires_json.get<int64_t>() < kMinEnrollmentSeconds ||
        expires_json.get<int64_t>() > kMaxEnrollmentSeconds) {
      return Status(reasons::kApiInvalidField,
                    "field \"expires_in_seconds\": want an integer in 60..86400");
    }
    expires_in = expires_json.get<int64_t>();
  }
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
  // 32 random bytes: a token cannot be guessed, and only its digest is stored.
  const std::string token = kTokenPrefix + Base64UrlEncode(store::RandomBytes(32));
  store::NewHostEnrollment enrollment;
  enrollment.token_sha256 = Sha256Hex(token);
  enrollment.host_policy = host_policy;
  enrollment.tees = std::move(tees);
  enrollment.libvirt_uri = libvirt_uri;
  enrollment.expires_at = ctx.now + std::chrono::seconds(expires_in);
  ATTEST_ASSIGN_OR_RETURN(
      store::HostEnrollment created,
      db->CreateEnrollment(
          ctx.caller.tenant_id, enrollment,
          ctx.AuditRecordFor("host.enrollment.create", "", "ok", "host_policy=" + host_policy),
          ctx.now));
  return http::JsonResponse(201, {{"enrollment_id", created.id},
                                  {"token", token},
                                  {"expires_at", FormatRfc3339(created.expires_at)}});
}

// CheckEndorsement applies the service's EK rule (hosts::EkTrust, loaded once at start) to a
// host's EK, its certificate and the TPM's EK chain.
Status CheckEndorsement(const RequestContext& ctx, const tpm::EkPublic& ek, ByteSpan ek_cert,
                        ByteSpan ek_chain) {
  if (ctx.service.ek_trust == nullptr) {
    return Status(reasons::kApiInternal, "ek trust: the EK CA bundle did not load");
  }
  return ctx.service.ek_trust->CheckEndorsement(ek, ek_cert, ek_chain, ctx.now);
}

// --- POST /v1/enroll (public: the token authenticates) -----------------------------------------

Result<HttpResponse> Enroll(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string token, reader.TakeString("token"));
  ATTEST_ASSIGN_OR_RETURN(Bytes ek_public, reader.TakeBase64("ek_public", true, kMaxPublicBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes ek_cert, reader.TakeBase64("ek_cert", false, kMaxCertBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes ek_chain, reader.TakeBase64("ek_chain", false, kMaxChainBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes ak_public, reader.TakeBase64("ak_public", true, kMaxPublicBytes));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json platform_json, reader.TakeJson("platform", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  // The host's TEE platform identity document (absent: a host without SNP/TDX); every quote must
  // carry the same one (service/hosts/platform.h).
  ATTEST_ASSIGN_OR_RETURN(std::string platform, hosts::ReadPlatformMember(platform_json));
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return Status(reasons::kStoreEnrollmentTokenInvalid, "no enrollment has this token");
  }
  const std::string token_sha256 = Sha256Hex(token);

  // The token is checked before any TPM or certificate work: a stranger costs one lookup. The
  // redemption below checks it again, atomically.
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::HostEnrollment enrollment, db->FindEnrollment(token_sha256));
  ATTEST_RETURN_IF_ERROR(store::CheckEnrollmentUsable(enrollment, ctx.now));

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
  ATTEST_RETURN_IF_ERROR(CheckEndorsement(ctx, *ek, ek_cert, ek_chain));

  // The secret leaves only encrypted to the EK. The database keeps its SHA-256 and, sealed, the
  // key derived from it; the key becomes a credential only once the host proves it has it.
  const Bytes secret = store::RandomBytes(protocol::kHostActivationSecretBytes);
  store::HostRedemption redemption;
  redemption.token_sha256 = token_sha256;
  redemption.host_id = store::NewHostId();
  redemption.ek_public = ek_public;
  redemption.ek_cert = ek_cert;
  redemption.ak_public = ak_public;
  redemption.activation_sha256 = HexEncode(Sha256(secret));
  redemption.platform = platform;
  ATTEST_ASSIGN_OR_RETURN(redemption.secret_access_key,
                          protocol::DeriveHostSecretKey(secret, redemption.host_id));
  ATTEST_ASSIGN_OR_RETURN(tpm::MadeCredential made, tpm::MakeCredential(*ek, *ak->name, secret));
  store::AuditRecord audit;
  audit.actor = "enrollment:" + enrollment.id;
  audit.client_address = ctx.client_address;
  audit.action = "host.enroll";
  audit.outcome = "ok";
  audit.policy_version = enrollment.host_policy;
  audit.detail = "ek=" + tpm::EkAlgorithmName(*ek) +
                 (ek_cert.empty() ? " ek_cert=none(allowed)" : " ek_cert=verified");
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->RedeemEnrollment(redemption, audit, ctx.now));
  return http::JsonResponse(201, {{"host_id", host.id},
                                  {"state", store::HostStateName(host.state)},
                                  {"credential_blob", Base64Encode(made.credential_blob)},
                                  {"encrypted_secret", Base64Encode(made.encrypted_secret)},
                                  {"activate_before", FormatRfc3339(enrollment.expires_at)}});
}

// --- POST /v1/enroll/activate (public: the proof authenticates) --------------------------------

Result<HttpResponse> Activate(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string host_id, reader.TakeString("host_id"));
  ATTEST_ASSIGN_OR_RETURN(std::string proof, reader.TakeString("proof"));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  // One answer for every failure: a stranger learns nothing about which host ids are pending.
  const Status refused(reasons::kApiActivationInvalid,
                       "the proof does not activate a host awaiting activation");
  if (!http::IsValidName(host_id)) {
    return refused;
  }
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Result<std::string> key = db->PendingSecretKey(host_id, ctx.now);
  if (!key.ok()) {
    return key.status().code() == ErrorCode::kNotFound ? refused : key.status();
  }
  if (!protocol::CheckHostActivationProof(*key, host_id, proof)) {
    return refused;
  }
  store::AuditRecord audit;
  audit.actor = host_id;
  audit.client_address = ctx.client_address;
  audit.action = "host.activate";
  audit.outcome = "ok";
  Result<store::Credential> credential = db->ActivateHost(host_id, audit, ctx.now);
  if (!credential.ok()) {
    return credential.status().code() == ErrorCode::kNotFound ? refused : credential.status();
  }
  return http::JsonResponse(200, {{"host_id", host_id},
                                  {"state", store::HostStateName(store::HostState::kActivated)},
                                  {"access_key_id", credential->access_key_id}});
}

}  // namespace

void AddEnrollmentRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/host-enrollments", http::Access::kOperator, CreateEnrollment);
  router.Add("POST", "/v1/enroll", http::Access::kPublic, Enroll);
  router.Add("POST", "/v1/enroll/activate", http::Access::kPublic, Activate);
}

}  // namespace attest::service::api
