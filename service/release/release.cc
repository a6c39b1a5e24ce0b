#include "service/release/release.h"

#include <openssl/crypto.h>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/snp/claims.h"
#include "attest/snp/wire.h"
#include "policy/appraise_snp.h"
#include "policy/appraise_tdx.h"
#include "policy/loader.h"
#include "service/keys/volume.h"

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
  if (config.tdx_test_roots_pem.empty()) {
    a->tdx_.reset(new tdx::QuoteVerifier(tdx::QuoteVerifier::Default()));
  } else {
    std::vector<X509Ptr> roots;
    for (const Bytes& pem : config.tdx_test_roots_pem) {
      ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ParseCertificates(pem));
      for (X509Ptr& c : certs) roots.push_back(std::move(c));
    }
    a->tdx_.reset(new tdx::QuoteVerifier(std::move(roots)));
    a->uses_test_roots_ = true;
  }
  return a;
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

// What the evidence said, as far as it parsed and verified.
struct EvidenceFacts {
  std::optional<Bytes> report_data;    // 64 bytes
  std::optional<Bytes> ticket_digest;  // HOST_DATA (32) or MRCONFIGID (48)
  std::optional<snp::VerifiedSnpReport> snp;
  std::optional<tdx::VerifiedQuote> tdx;
};

EvidenceFacts CheckEvidence(const Evidence& e, const TrustAnchors& anchors, TimePoint now,
                            Failures& fail) {
  EvidenceFacts f;
  if (e.tee == "snp") {
    auto parsed = snp::ParseSnpReport(e.snp_report);
    if (!parsed.ok()) {
      fail.Add("evidence", parsed.status());
      return f;
    }
    f.report_data = Bytes(parsed->report_data.begin(), parsed->report_data.end());
    f.ticket_digest = Bytes(parsed->host_data.begin(), parsed->host_data.end());
    auto verified =
        snp::VerifySnpReport(*parsed, e.snp_collateral, anchors.snp(), now, anchors.snp_cache());
    if (!verified.ok()) {
      fail.Add("evidence", verified.status());
    } else {
      f.snp.emplace(std::move(verified).value());
    }
  } else if (e.tee == "tdx") {
    const tdx::Collateral* collateral = e.tdx_collateral ? &*e.tdx_collateral : nullptr;
    tdx::Verification v = anchors.tdx().Verify(e.tdx_quote, collateral, now);
    if (v.parsed && !v.parsed->td_report) {
      fail.Add("evidence", reasons::kReleaseEvidenceInvalid, "an SGX quote is not TDX evidence");
      return f;
    }
    if (v.parsed) {
      const tdx::TdReport& td = *v.parsed->td_report;
      f.report_data = Bytes(td.report_data.begin(), td.report_data.end());
      f.ticket_digest = Bytes(td.mr_config_id.begin(), td.mr_config_id.end());
    }
    if (!v.status.ok()) {
      fail.Add("evidence", v.status);
    } else if (v.verified) {
      f.tdx.emplace(std::move(*v.verified));
    }
  } else {
    fail.Add("evidence", reasons::kReleaseEvidenceInvalid,
             "evidence type \"" + e.tee.substr(0, 16) + "\" is not snp or tdx");
  }
  return f;
}

// CheckTicket reads the VM's stored ticket and checks it describes this VM record.
std::optional<protocol::LaunchTicket> CheckTicket(const store::Vm& vm, Failures& fail) {
  auto t = protocol::ParseTicket(vm.ticket);
  if (!t.ok()) {
    fail.Add("launch_ticket", t.status());
    return std::nullopt;
  }
  std::string wrong;
  if (t->vm_id != vm.id) wrong = "vm_id";
  if (t->tenant_id != vm.tenant_id) wrong = "tenant_id";
  if (t->host_id != vm.host_id) wrong = "host_id";
  if (t->tee != vm.tee_type) wrong = "tee";
  if (t->policy_name != vm.policy_name || t->policy_version != vm.policy_version ||
      t->policy_sha256 != vm.policy_sha256) {
    wrong = "policy";
  }
  if (t->volume_ids != vm.volume_ids) wrong = "volume_ids";
  const Sha256Digest sha256 = protocol::TicketHostData(vm.ticket);
  const Sha384Digest sha384 = protocol::TicketMrConfigId(vm.ticket);
  if (HexEncode(sha256) != vm.ticket_sha256 || HexEncode(sha384) != vm.ticket_sha384) {
    wrong = "stored digest";
  }
  if (!wrong.empty()) {
    fail.Add("launch_ticket", reasons::kReleaseTicketInvalid,
             "the stored launch ticket's " + wrong + " does not match the VM record");
    return std::nullopt;
  }
  return t.value();
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

  const EvidenceFacts facts = CheckEvidence(in.evidence, anchors, in.now, fail);

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
  const std::optional<protocol::LaunchTicket> ticket = CheckTicket(vm, fail);
  if (in.evidence.tee != vm.tee_type) {
    fail.Add(
        "launch_ticket", reasons::kReleaseTeeMismatch,
        "evidence is " + in.evidence.tee.substr(0, 16) + ", the VM was launched as " + vm.tee_type);
  }
  const Bytes want_digest = [&] {
    if (vm.tee_type == "tdx") {
      const Sha384Digest d384 = protocol::TicketMrConfigId(vm.ticket);
      return Bytes(d384.begin(), d384.end());
    }
    const Sha256Digest d256 = protocol::TicketHostData(vm.ticket);
    return Bytes(d256.begin(), d256.end());
  }();
  const char* digest_field = vm.tee_type == "tdx" ? "MRCONFIGID" : "HOST_DATA";
  if (!facts.ticket_digest) {
    fail.Add("launch_ticket", reasons::kReleaseTicketMismatch,
             std::string(digest_field) + " unknown: the evidence did not parse");
  } else if (*facts.ticket_digest != want_digest) {
    fail.Add("launch_ticket", reasons::kReleaseTicketMismatch,
             std::string(digest_field) + " " + HexEncode(*facts.ticket_digest) +
                 " is not the VM's launch ticket digest " + HexEncode(want_digest));
  }

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
  } else if (in.host.state != "trusted") {
    fail.Add("host", reasons::kReleaseHostUntrusted,
             "host " + in.host.host_id + " is " + in.host.state.substr(0, 32));
  } else if (!in.host.trusted_until || *in.host.trusted_until <= in.now) {
    fail.Add("host", reasons::kReleaseHostUntrusted,
             "host " + in.host.host_id + " trust expired" +
                 (in.host.trusted_until ? " at " + FormatRfc3339(*in.host.trusted_until) : ""));
  }

  // policy: the pinned version, loaded, then appraised.
  const store::PolicyVersion& pv = *in.policy;
  std::optional<policy::TenantPolicy> tenant_policy;
  if (pv.tenant_id != vm.tenant_id || pv.name != vm.policy_name ||
      pv.version != vm.policy_version || pv.sha256 != vm.policy_sha256) {
    fail.Add("policy", reasons::kReleasePolicyMismatch,
             "policy " + pv.name + " version " + std::to_string(pv.version) +
                 " is not the version the launch ticket pins (" + vm.policy_name + " version " +
                 std::to_string(vm.policy_version) + ")");
  } else if (auto loaded = policy::LoadTenantPolicy(pv.document); !loaded.ok()) {
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
  if (tenant_policy) {
    policy::AppraisalContext ctx;
    ctx.now = in.now;
    if (ticket) {
      ctx.launch_ticket_sha256_hex = HexEncode(protocol::TicketHostData(vm.ticket));
      ctx.launch_ticket_sha384_hex = HexEncode(protocol::TicketMrConfigId(vm.ticket));
    }
    const std::string identity = policy::PolicyIdentity(*tenant_policy, tenant_policy->name());
    if (facts.snp && tenant_policy->has_snp()) {
      d.appraisal = policy::AppraiseSnp(snp::ToClaims(*facts.snp), tenant_policy->snp(), ctx);
    } else if (facts.tdx && tenant_policy->has_tdx()) {
      d.appraisal = policy::AppraiseTdx(*facts.tdx, tenant_policy->tdx(), ctx);
    }
    if (d.appraisal) {
      d.appraisal->policy_identity = identity;
      AddAppraisal(*d.appraisal, fail);
    } else if (facts.snp || facts.tdx) {
      fail.Add("policy", reasons::kReleasePolicyDenied,
               "policy " + identity + " has no " + in.evidence.tee.substr(0, 16) + " rules");
    } else {
      fail.Add("policy", reasons::kReleasePolicyDenied,
               "not appraised: the evidence did not verify");
    }
  }
  return d;
}

Result<std::vector<ReleasedKey>> WrapKeysForGuest(const keys::KeyEncryptionKey& kek,
                                                  const std::vector<store::Volume>& volumes,
                                                  const protocol::GuestPublicKey& guest_key) {
  std::vector<ReleasedKey> out;
  for (const store::Volume& v : volumes) {
    ATTEST_ASSIGN_OR_RETURN(Bytes key, keys::UnwrapVolumeKey(kek, v.id, v.wrapped_key));
    auto jwe = protocol::EncryptToGuest(key, guest_key, v.id);
    OPENSSL_cleanse(key.data(), key.size());
    if (!jwe.ok()) return jwe.status();
    out.push_back({v.id, std::move(jwe).value()});
  }
  return out;
}

}  // namespace attest::service::release
