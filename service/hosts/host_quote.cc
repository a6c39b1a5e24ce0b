#include "service/hosts/host_quote.h"

#include "attest/tpm/host.h"
#include "attest/tpm/wire.h"
#include "policy/appraise_host.h"
#include "policy/loader.h"
#include "service/api/reasons.h"

namespace attest::service::hosts {
namespace {

// VerifiedEvidence is the evidence's verification and claims, in the TPM's three steps.
struct VerifiedEvidence {
  std::vector<Status> errors;
  tpm::HostClaims claims;
};

// VerifyEvidence parses what the request carried and verifies it against the registered AK.
VerifiedEvidence VerifyEvidence(const store::Host& host, const HostQuoteEvidence& e,
                                ByteSpan qualifying_data) {
  Result<tpm::AkPublic> ak = tpm::ParsePublicKey(host.ak_public);
  if (!ak.ok()) {
    return {{ak.status()}, {}};
  }
  if (e.pcrs && !e.pcrs->ok()) {
    return {{e.pcrs->status()}, {}};
  }
  tpm::HostEvidence evidence;
  evidence.quote = e.quote;
  evidence.signature = e.signature;
  if (e.pcrs) {
    evidence.pcrs = **e.pcrs;
  }
  if (e.event_log) {
    evidence.event_log = ByteSpan(*e.event_log);
  }
  if (e.drtm_log) {
    evidence.drtm_log = ByteSpan(*e.drtm_log);
  }
  const tpm::ParsedHostEvidence parsed = tpm::ParseHostEvidence(evidence);
  tpm::HostVerification verification = tpm::VerifyHostEvidence(parsed, *ak, qualifying_data);
  tpm::HostClaims claims = tpm::ToClaims(parsed, verification);
  return {std::move(verification.errors), std::move(claims)};
}

// CheckPlatform compares the document a verified quote carried with the one recorded at
// enrollment. A difference is a host-policy failure that latches (the store keeps
// platform_changed_at) until the operator re-enrolls the host: the same TPM now reports other
// chips, which is a moved disk, a swapped board, or a host OS lying about its platform.
std::optional<Status> CheckPlatform(const store::Host& host, const std::string& reported,
                                    bool* changed) {
  if (host.platform_changed_at) {
    return Status(reasons::kHostPlatformChanged, "host " + host.id + ": its platform changed at " +
                                                     FormatRfc3339(*host.platform_changed_at) +
                                                     "; re-enroll the host");
  }
  if (host.platform.empty()) {
    return Status(reasons::kHostPlatformChanged,
                  "host " + host.id + " has no platform document recorded; re-enroll the host");
  }
  if (reported != host.platform) {
    *changed = true;
    return Status(reasons::kHostPlatformChanged, "host " + host.id + ": quote reports platform " +
                                                     reported + ", enrolled with " + host.platform);
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> HostQuoteDecision::reason_codes() const {
  std::vector<std::string> codes;
  for (const Status& s : evidence_errors) {
    codes.emplace_back(s.reason_id());
  }
  if (platform_error) {
    codes.emplace_back(platform_error->reason_id());
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
  // The TPM quoted over the nonce and the platform document together (protocol/host_platform.h).
  const Sha256Digest qualifying_data =
      protocol::QuoteQualifyingData(in.evidence.nonce, in.evidence.platform);
  VerifiedEvidence verification = VerifyEvidence(*in.host, in.evidence, qualifying_data);
  d.evidence_errors = std::move(verification.errors);
  d.claims = std::move(verification.claims);
  if (!d.verified()) {
    return d;
  }
  d.platform_error = CheckPlatform(*in.host, in.evidence.platform, &d.platform_changed);

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
  d.trusted = d.appraisal->affirmed() && !d.platform_error;
  if (d.trusted) {
    d.trusted_until = in.now + in.trust_ttl;
  }
  return d;
}

}  // namespace attest::service::hosts
