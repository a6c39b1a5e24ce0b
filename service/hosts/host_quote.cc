#include "service/hosts/host_quote.h"

#include "attest/tpm/wire.h"
#include "policy/appraise_host.h"
#include "policy/loader.h"
#include "service/api/reasons.h"

namespace attest::service::hosts {
namespace {

// VerifyEvidence parses what the request carried and verifies it against the registered AK.
tpm::HostVerification VerifyEvidence(const store::Host& host, const HostQuoteEvidence& e) {
  tpm::HostVerification verification;
  Result<tpm::AkPublic> ak = tpm::ParsePublicKey(host.ak_public);
  if (!ak.ok()) {
    verification.errors.push_back(ak.status());
    return verification;
  }
  Result<tpm::PcrBanks> pcrs = e.pcrs ? tpm::ParsePcrValues(*e.pcrs) : tpm::PcrBanks{};
  if (!pcrs.ok()) {
    verification.errors.push_back(pcrs.status());
    return verification;
  }
  tpm::HostEvidence evidence;
  evidence.quote = e.quote;
  evidence.signature = e.signature;
  evidence.ak = &*ak;
  evidence.nonce = ByteSpan(e.nonce);
  if (e.pcrs) {
    evidence.pcrs = std::move(pcrs).value();
  }
  if (e.event_log) {
    evidence.event_log = ByteSpan(*e.event_log);
  }
  if (e.drtm_log) {
    evidence.drtm_log = ByteSpan(*e.drtm_log);
  }
  return tpm::VerifyHostEvidence(evidence);
}

}  // namespace

std::vector<std::string> HostQuoteDecision::reason_codes() const {
  std::vector<std::string> codes;
  for (const Status& s : evidence_errors) {
    codes.emplace_back(s.reason_id());
  }
  if (policy_error) {
    codes.emplace_back(policy_error->reason_id());
  }
  if (appraisal) {
    for (const policy::RuleFailure& f : appraisal->failures) {
      codes.emplace_back(f.reason.id);
    }
  }
  return codes;
}

HostQuoteDecision DecideHostQuote(const HostQuoteInput& in) {
  HostQuoteDecision d;
  tpm::HostVerification verification = VerifyEvidence(*in.host, in.evidence);
  d.evidence_errors = std::move(verification.errors);
  d.claims = std::move(verification.claims);
  if (!d.verified()) {
    return d;
  }

  // Appraise with the newest version of the host's policy, and name which one.
  if (!in.host_policy.ok()) {
    d.policy_error = Status(reasons::kApiHostPolicyMissing,
                            "host policy \"" + in.host->host_policy + "\" no longer exists");
    return d;
  }
  policy::HostPolicyCache uncached(1);
  policy::HostPolicyCache& cache = in.host_policies != nullptr ? *in.host_policies : uncached;
  Result<std::shared_ptr<const policy::HostPolicy>> loaded = cache.Load(in.host_policy->document);
  if (!loaded.ok()) {
    d.policy_error = loaded.status();
    return d;
  }
  d.policy_version = in.host->host_policy + "@" + std::to_string(in.host_policy->version);
  policy::AppraisalContext context;
  context.now = in.now;
  d.appraisal = policy::AppraiseHost(d.claims, **loaded, context);
  d.trusted = d.appraisal->affirmed();
  if (d.trusted) {
    d.trusted_until = in.now + in.trust_ttl;
  }
  return d;
}

}  // namespace attest::service::hosts
