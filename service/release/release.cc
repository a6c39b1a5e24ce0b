#include "service/release/release.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <variant>
#include "attest/core/encoding.h"
#include "attest/core/x509.h"

#include "attest/core/tee.h"
#include "attest/snp/claims.h"
#include "attest/tdx/claims.h"
#include "policy/appraise_snp.h"
#include "policy/appraise_tdx.h"
#include "policy/loader.h"
#include "service/keys/volume.h"
#include "service/release/wrap_keys.h"

namespace attest::service::release {

Result<std::unique_ptr<TrustAnchors>> TrustAnchors::Make(const TrustAnchorConfig& config) {
  std::unique_ptr<TrustAnchors> a(new TrustAnchors());
  if (config.snp_test_root_chains_pem.empty()) {
    a->snp_ = &snp::SnpTrustRoots::BuiltIn();
  } else {
    ATTEST_ASSIGN_OR_RETURN(snp::SnpTrustRoots roots,
                            snp::SnpTrustRoots::FromChains(config.snp_test_root_chains_pem));
    a->own_snp_.emplace(std::move(roots));
    a->snp_ = &*a->own_snp_;
    a->uses_test_roots_ = true;
  }
  a->snp_cache_ = std::make_unique<snp::SnpChainCache>();
  a->policies_ = std::make_unique<policy::TenantPolicyCache>();
  a->host_policies_ = std::make_unique<policy::HostPolicyCache>();
  if (config.tdx_test_roots_pem.empty()) {
    a->tdx_.reset(new tdx::QuoteVerifier(tdx::QuoteVerifier::Default()));
  } else {
    std::vector<X509Ptr> roots;
    for (const Bytes& pem : config.tdx_test_roots_pem) {
      ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ParseCertificates(pem));
      for (X509Ptr& c : certs) {
        roots.push_back(std::move(c));
      }
    }
    a->tdx_.reset(new tdx::QuoteVerifier(std::move(roots)));
    a->uses_test_roots_ = true;
  }
  return a;
}

SnpEvidence ParseSnpEvidence(Bytes report, snp::SnpCollateral collateral) {
  Result<snp::SnpReport> parsed = snp::ParseSnpReport(report);
  return SnpEvidence{std::move(report), std::move(parsed), std::move(collateral)};
}

TdxEvidence ParseTdxEvidence(Bytes quote, std::optional<tdx::Collateral> collateral) {
  Result<tdx::Quote> parsed = tdx::ParseQuote(quote);
  return TdxEvidence{std::move(quote), std::move(parsed), std::move(collateral)};
}

std::string_view EvidenceTee(const Evidence& evidence) {
  struct Name {
    std::string_view operator()(const OtherEvidence& e) const { return e.tee; }
    std::string_view operator()(const SnpEvidence&) const { return TeeTypeName(TeeType::kSevSnp); }
    std::string_view operator()(const TdxEvidence&) const { return TeeTypeName(TeeType::kTdx); }
  };
  return std::visit(Name{}, evidence);
}

ByteSpan EvidenceBytes(const Evidence& evidence) {
  struct Span {
    ByteSpan operator()(const OtherEvidence&) const { return {}; }
    ByteSpan operator()(const SnpEvidence& e) const { return e.report_bytes; }
    ByteSpan operator()(const TdxEvidence& e) const { return e.quote_bytes; }
  };
  return std::visit(Span{}, evidence);
}

namespace {

class Failures {
 public:
  explicit Failures(ReleaseDecision* d) : d_(d) {}
  void Add(const char* check, Reason reason, std::string detail) {
    d_->failures.push_back({check, reason, std::move(detail)});
  }
  void Add(const char* check, const Status& s) { Add(check, s.reason(), s.message()); }

 private:
  ReleaseDecision* d_;
};

// TeeClaims: the claims of evidence that verified, one alternative per TEE.
using TeeClaims = std::variant<snp::SnpClaims, tdx::Claims>;

// EvidenceFacts: what the evidence said, as far as it parsed and verified. The spans point into
// the parsed evidence (ReleaseInput outlives the decision).
struct EvidenceFacts {
  EvidencePlatform platform;              // which chip the evidence says it ran on
  std::optional<ByteSpan> report_data;    // 64 bytes
  std::optional<ByteSpan> ticket_digest;  // HOST_DATA (32) or MRCONFIGID (48)
  std::optional<ByteSpan> measurement;    // SNP MEASUREMENT or TDX MRTD (48)
  std::vector<ByteSpan> rtmrs;            // TDX RTMR0..3
  std::optional<TeeClaims> claims;        // set when the evidence verified
};

// CheckEvidence is step one of the one path, per TEE: parsed (by the caller) -> verified ->
// claims, with REPORT_DATA and the launch-ticket field read from the parse.
EvidenceFacts CheckEvidence(const SnpEvidence& e, const TrustAnchors& anchors, TimePoint now,
                            Failures& fail) {
  EvidenceFacts f;
  f.platform.tee = "snp";
  if (!e.report.ok()) {
    fail.Add("evidence", e.report.status());
    return f;
  }
  f.platform.snp_chip_id = e.report->chip_id;
  f.platform.snp_signing_key = e.report->signing_key;
  f.report_data = ByteSpan(e.report->report_data);
  f.ticket_digest = ByteSpan(e.report->host_data);
  f.measurement = ByteSpan(e.report->measurement);
  auto verified =
      snp::VerifySnpReport(*e.report, e.collateral, anchors.snp(), now, anchors.snp_cache());
  if (!verified.ok()) {
    fail.Add("evidence", verified.status());
  } else {
    f.claims.emplace(snp::ToClaims(*verified));
  }
  return f;
}

EvidenceFacts CheckEvidence(const TdxEvidence& e, const TrustAnchors& anchors, TimePoint now,
                            Failures& fail) {
  EvidenceFacts f;
  f.platform.tee = "tdx";
  if (!e.quote.ok()) {
    fail.Add("evidence", e.quote.status());
    return f;
  }
  if (!e.quote->td_report) {
    fail.Add("evidence", reasons::kReleaseEvidenceInvalid, "an SGX quote is not TDX evidence");
    return f;
  }
  const tdx::TdReport& td = *e.quote->td_report;
  f.report_data = ByteSpan(td.report_data);
  f.ticket_digest = ByteSpan(td.mr_config_id);
  f.measurement = ByteSpan(td.mr_td);
  for (const auto& r : td.rtmr) {
    f.rtmrs.push_back(ByteSpan(r));
  }
  tdx::Verification v =
      anchors.tdx().Verify(*e.quote, e.collateral ? &*e.collateral : nullptr, now);
  if (!v.status.ok()) {
    fail.Add("evidence", v.status);
  } else if (v.verified) {
    // The PCK identity of the certificate that verified the quote (not of any certificate the
    // quote merely carries).
    const tdx::PckExtensions& pck = v.verified->pck();
    f.platform.tdx_pck = protocol::TdxPlatformIdentity{pck.ppid, pck.pce_id, pck.fmspc};
    f.claims.emplace(tdx::ToClaims(std::move(*v.verified)));
  }
  return f;
}

EvidenceFacts CheckEvidence(const OtherEvidence& e, const TrustAnchors&, TimePoint,
                            Failures& fail) {
  EvidenceFacts f;
  f.platform.tee = e.tee;
  fail.Add("evidence", reasons::kReleaseEvidenceInvalid,
           "evidence type \"" + e.tee.substr(0, 16) + "\" is not snp or tdx");
  return f;
}

// Appraise is the last step of the one path, per TEE: the claims against the policy's section
// for that TEE; nullopt when the policy has none.
std::optional<policy::Appraisal> Appraise(const snp::SnpClaims& claims,
                                          const policy::TenantPolicy& p,
                                          const policy::AppraisalContext& ctx) {
  if (!p.has_snp()) {
    return std::nullopt;
  }
  return policy::AppraiseSnp(claims, p.snp(), ctx);
}

std::optional<policy::Appraisal> Appraise(const tdx::Claims& claims, const policy::TenantPolicy& p,
                                          const policy::AppraisalContext& ctx) {
  if (!p.has_tdx()) {
    return std::nullopt;
  }
  return policy::AppraiseTdx(claims, p.tdx(), ctx);
}

// TicketDigests: the launch ticket's two digests and their hex, computed once per decision.
struct TicketDigests {
  Sha256Digest host_data{};     // SNP HOST_DATA
  Sha384Digest mr_config_id{};  // TDX MRCONFIGID
  std::string host_data_hex;
  std::string mr_config_id_hex;
};

TicketDigests DigestTicket(const Bytes& ticket) {
  TicketDigests t;
  t.host_data = protocol::TicketHostData(ticket);
  t.mr_config_id = protocol::TicketMrConfigId(ticket);
  t.host_data_hex = HexEncode(t.host_data);
  t.mr_config_id_hex = HexEncode(t.mr_config_id);
  return t;
}

// CheckTicket reads the VM's stored ticket and checks it describes this VM record.
std::optional<protocol::LaunchTicket> CheckTicket(const store::Vm& vm, const TicketDigests& digests,
                                                  Failures& fail) {
  auto t = protocol::ParseTicket(vm.ticket);
  if (!t.ok()) {
    fail.Add("launch_ticket", t.status());
    return std::nullopt;
  }
  std::string wrong;
  if (t->vm_id != vm.id) {
    wrong = "vm_id";
  }
  if (t->tenant_id != vm.tenant_id) {
    wrong = "tenant_id";
  }
  if (t->host_id != vm.host_id) {
    wrong = "host_id";
  }
  if (t->tee != vm.tee_type) {
    wrong = "tee";
  }
  if (t->policy_name != vm.policy_name || t->policy_version != vm.policy_version ||
      t->policy_sha256 != vm.policy_sha256) {
    wrong = "policy";
  }
  if (t->volume_ids != vm.volume_ids) {
    wrong = "volume_ids";
  }
  if (digests.host_data_hex != vm.ticket_sha256 || digests.mr_config_id_hex != vm.ticket_sha384) {
    wrong = "stored digest";
  }
  if (!wrong.empty()) {
    fail.Add("launch_ticket", reasons::kReleaseTicketInvalid,
             "the stored launch ticket's " + wrong + " does not match the VM record");
    return std::nullopt;
  }
  return t.value();
}

// CheckMeasurement compares the evidence's launch measurement with the one attestd computed for
// the VM's boot image (store::Vm::expected). A VM without one is left to the tenant policy.
void CheckMeasurement(const store::ExpectedMeasurement& want, const EvidenceFacts& facts,
                      Failures& fail) {
  if (want.empty()) {
    return;
  }
  if (!facts.measurement) {
    fail.Add("measurement", reasons::kReleaseMeasurementMismatch,
             "measurement unknown: the evidence did not parse; expected " + want.measurement);
    return;
  }
  const std::string got = HexEncode(*facts.measurement);
  if (got != want.measurement) {
    fail.Add("measurement", reasons::kReleaseMeasurementMismatch,
             "launch measurement: expected " + want.measurement + ", got " + got);
  }
  for (size_t i = 0; i < want.rtmrs.size(); ++i) {
    const std::string got_rtmr = i < facts.rtmrs.size() ? HexEncode(facts.rtmrs[i]) : "none";
    if (got_rtmr != want.rtmrs[i]) {
      fail.Add("measurement", reasons::kReleaseMeasurementMismatch,
               "RTMR" + std::to_string(i) + ": expected " + want.rtmrs[i] + ", got " + got_rtmr);
    }
  }
}

void AddAppraisal(const policy::Appraisal& a, Failures& fail) {
  for (const policy::RuleFailure& r : a.failures) {
    fail.Add("policy", r.reason, r.field + ": got " + r.got + ", want " + r.want);
  }
}

}  // namespace

ReleaseDecision DecideRelease(const ReleaseInput& in, const TrustAnchors& anchors) {
  ReleaseDecision d;
  Failures fail(&d);
  const store::Vm& vm = *in.vm;

  // nonce: consumed by the caller, atomically, for this VM.
  if (!in.nonce_status.ok()) {
    fail.Add("nonce", reasons::kReleaseNonceRejected, in.nonce_status.message());
  } else if (in.nonce.size() != 32) {
    fail.Add("nonce", reasons::kReleaseNonceRejected, "nonce is not 32 bytes");
  }

  const std::string_view tee = EvidenceTee(in.evidence);
  const EvidenceFacts facts = std::visit(
      [&](const auto& e) { return CheckEvidence(e, anchors, in.now, fail); }, in.evidence);
  const TicketDigests digests = DigestTicket(vm.ticket);

  // report_data: the TEE vouches for this nonce and this guest key together.
  const Sha512Digest want_binding = protocol::ReportDataBinding(in.nonce, in.guest_key);
  if (!facts.report_data) {
    fail.Add("report_data", reasons::kReleaseReportDataMismatch,
             "REPORT_DATA unknown: the evidence did not parse");
  } else if (!std::equal(facts.report_data->begin(), facts.report_data->end(), want_binding.begin(),
                         want_binding.end())) {
    fail.Add("report_data", reasons::kReleaseReportDataMismatch,
             "REPORT_DATA " + HexEncode(*facts.report_data) + " is not SHA-512(nonce || key) " +
                 HexEncode(want_binding));
  }

  // launch_ticket: the TEE was launched for this VM's ticket.
  const std::optional<protocol::LaunchTicket> ticket = CheckTicket(vm, digests, fail);
  if (tee != vm.tee_type) {
    fail.Add("launch_ticket", reasons::kReleaseTeeMismatch,
             "evidence is " + std::string(tee.substr(0, 16)) + ", the VM was launched as " +
                 vm.tee_type);
  }
  const ByteSpan want_digest =
      vm.tee_type == "tdx" ? ByteSpan(digests.mr_config_id) : ByteSpan(digests.host_data);
  const char* digest_field = vm.tee_type == "tdx" ? "MRCONFIGID" : "HOST_DATA";
  if (!facts.ticket_digest) {
    fail.Add("launch_ticket", reasons::kReleaseTicketMismatch,
             std::string(digest_field) + " unknown: the evidence did not parse");
  } else if (!std::equal(facts.ticket_digest->begin(), facts.ticket_digest->end(),
                         want_digest.begin(), want_digest.end())) {
    fail.Add("launch_ticket", reasons::kReleaseTicketMismatch,
             std::string(digest_field) + " " + HexEncode(*facts.ticket_digest) +
                 " is not the VM's launch ticket digest " + HexEncode(want_digest));
  }

  // measurement: the evidence shows the launch of the VM's boot image.
  CheckMeasurement(vm.expected, facts, fail);

  // vm
  if (vm.deleted_at) {
    fail.Add("vm", reasons::kReleaseVmDeleted,
             "VM " + vm.id + " was deleted at " + FormatRfc3339(*vm.deleted_at));
  }

  // host: trusted now, and never failed a quote while this VM was live (what ran on the host in
  // between is unknown, so a later good quote does not clear the VM).
  if (vm.host_untrusted_at) {
    fail.Add("host", reasons::kReleaseHostUntrusted,
             "host " + vm.host_id + " failed attestation at " +
                 FormatRfc3339(*vm.host_untrusted_at) + " while this VM was running");
  }
  if (in.host.host_id != vm.host_id) {
    fail.Add("host", reasons::kReleaseHostUntrusted, "host record is not the VM's host");
  } else if (!store::TrustedAt(in.host.state, in.host.trusted_until, in.now)) {
    fail.Add(
        "host", reasons::kReleaseHostUntrusted,
        in.host.state != store::HostState::kTrusted
            ? "host " + in.host.host_id + " is " + store::HostStateName(in.host.state)
            : "host " + in.host.host_id + " trust expired" +
                  (in.host.trusted_until ? " at " + FormatRfc3339(*in.host.trusted_until) : ""));
  }

  // policy: the pinned version, loaded, then appraised.
  const store::PolicyVersion& pv = *in.policy;
  std::shared_ptr<const policy::TenantPolicy> tenant_policy;
  if (pv.tenant_id != vm.tenant_id || pv.name != vm.policy_name ||
      pv.version != vm.policy_version || pv.sha256 != vm.policy_sha256) {
    fail.Add("policy", reasons::kReleasePolicyMismatch,
             "policy " + pv.name + " version " + std::to_string(pv.version) +
                 " is not the version the launch ticket pins (" + vm.policy_name + " version " +
                 std::to_string(vm.policy_version) + ")");
  } else if (pv.revoked_at || pv.deleted_at) {
    fail.Add("policy", reasons::kReleasePolicyRevoked,
             "policy " + pv.name + " version " + std::to_string(pv.version) +
                 (pv.revoked_at ? " was revoked at " + FormatRfc3339(*pv.revoked_at)
                                : " was deleted at " + FormatRfc3339(*pv.deleted_at)));
  } else if (auto loaded = anchors.policies().Load(pv.document); !loaded.ok()) {
    fail.Add("policy", reasons::kReleasePolicyDenied, loaded.status().message());
  } else {
    tenant_policy = std::move(loaded).value();
  }
  if (tenant_policy && tenant_policy->has_host() &&
      tenant_policy->host().max_quote_age_seconds() > 0) {
    const auto max_age = std::chrono::seconds(tenant_policy->host().max_quote_age_seconds());
    if (!in.host.last_good_quote || in.now - *in.host.last_good_quote > max_age) {
      fail.Add("host", reasons::kReleaseHostQuoteTooOld,
               "the host's last good quote is older than " +
                   std::to_string(tenant_policy->host().max_quote_age_seconds()) + " s");
    }
  }
  // host: the tenant's host policy, and the evidence's chip is one of the placed host's (the
  // ticket's host id alone would let the guest run on any other machine).
  if (tenant_policy && tenant_policy->has_host() && !tenant_policy->host().host_policy().empty() &&
      tenant_policy->host().host_policy() != in.host.host_policy) {
    fail.Add("host", reasons::kReleaseHostPolicyMismatch,
             "host " + in.host.host_id + " is appraised with host policy \"" + in.host.host_policy +
                 "\", the tenant policy wants \"" + tenant_policy->host().host_policy() + "\"");
  }
  const bool allow_masked =
      tenant_policy && tenant_policy->has_host() && tenant_policy->host().allow_masked_chip_id();
  if (std::optional<Status> platform =
          CheckHostPlatform(facts.platform, in.host.platform, allow_masked)) {
    fail.Add("host", *platform);
  }
  if (tenant_policy) {
    policy::AppraisalContext ctx;
    ctx.now = in.now;
    if (ticket) {
      ctx.launch_ticket_sha256_hex = digests.host_data_hex;
      ctx.launch_ticket_sha384_hex = digests.mr_config_id_hex;
    }
    const std::string identity = policy::PolicyIdentity(*tenant_policy, tenant_policy->name());
    if (facts.claims) {
      d.appraisal = std::visit(
          [&](const auto& claims) { return Appraise(claims, *tenant_policy, ctx); }, *facts.claims);
    }
    if (d.appraisal) {
      d.appraisal->policy_identity = identity;
      AddAppraisal(*d.appraisal, fail);
    } else if (facts.claims) {
      fail.Add("policy", reasons::kReleasePolicyDenied,
               "policy " + identity + " has no " + std::string(tee.substr(0, 16)) + " rules");
    } else {
      fail.Add("policy", reasons::kReleasePolicyDenied,
               "not appraised: the evidence did not verify");
    }
  }
  return d;
}

Result<std::vector<ReleasedKey>> WrapKeysForGuest(const keys::KeyEncryptionKey& kek,
                                                  const std::vector<store::Volume>& volumes,
                                                  const protocol::GuestPublicKey& guest_key,
                                                  protocol::EphemeralKey ephemeral) {
  ATTEST_ASSIGN_OR_RETURN(protocol::JweSealer sealer,
                          protocol::JweSealer::Make(std::move(ephemeral), guest_key));
  std::vector<ReleasedKey> out;
  for (const store::Volume& v : volumes) {
    ATTEST_ASSIGN_OR_RETURN(Bytes key, keys::UnwrapVolumeKey(kek, v.id, v.wrapped_key));
    auto jwe = sealer.Seal(key, v.id);
    OPENSSL_cleanse(key.data(), key.size());
    if (!jwe.ok()) {
      return jwe.status();
    }
    out.push_back({v.id, std::move(jwe).value()});
  }
  return out;
}

Result<std::vector<ReleasedKey>> WrapKeysForGuest(const keys::KeyEncryptionKey& kek,
                                                  const std::vector<store::Volume>& volumes,
                                                  const protocol::GuestPublicKey& guest_key) {
  ATTEST_ASSIGN_OR_RETURN(protocol::EphemeralKey ephemeral, protocol::EphemeralKey::Generate());
  return WrapKeysForGuest(kek, volumes, guest_key, std::move(ephemeral));
}

}  // namespace attest::service::release
