// Key release decision (DESIGN.md "Key release protocol", step 3): one pure function over the
// evidence, the guest key, the nonce, the VM and its launch ticket, the host, the tenant policy,
// the time and the trust anchors. It runs every check and returns every failure, each with its
// own stable reason; only a decision with no failure may release keys (WrapKeysForGuest).
//
// The caller (service/api) does the I/O: it parses the evidence once (ParseSnpEvidence /
// ParseTdxEvidence) and finds collateral for it, consumes the nonce with Store::ConsumeNonce (one
// atomic UPDATE) and passes the result, looks up the VM (Store::LookupVm), its host
// (Store::LookupHost: the VM's host, whichever tenant enrolled it) and the policy version the
// ticket pins (Store::GetPolicy(..., version)), and afterwards appends the decision to the audit
// log.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/snp/chain_cache.h"
#include "attest/snp/trust.h"
#include "attest/snp/verify.h"
#include "attest/snp/wire.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/verify.h"
#include "attest/tdx/wire.h"
#include "policy/appraisal.h"
#include "policy/policy_cache.h"
#include "protocol/jwe.h"
#include "protocol/ticket.h"
#include "service/keys/kek.h"
#include "service/release/platform_check.h"
#include "service/release/reasons.h"
#include "service/store/store.h"

namespace attest::service::release {

// TrustAnchorConfig: which vendor roots key release trusts. The shipped configuration leaves
// both lists empty and gets exactly the built-in AMD ARKs and Intel SGX Root CA. A list that is
// set REPLACES the built-in roots for that TEE (a test hierarchy is never trusted beside the real
// one), and only a configuration that names it explicitly (`test_roots`) can set it.
struct TrustAnchorConfig {
  std::vector<Bytes> snp_test_root_chains_pem;  // each "ASK/ASVK..., ARK" (KDS cert_chain layout)
  std::vector<Bytes> tdx_test_roots_pem;        // self-signed root certificates
};

// TrustAnchors: the verifiers' anchors and their caches (validated chains, collateral), and the
// loaded policy versions, shared by all releases of a process (thread-safe: QuoteVerifier,
// SnpChainCache and the policy caches lock).
class TrustAnchors {
 public:
  // Make builds anchors from config; x509.* or snp.unknown_product for bad test roots.
  static Result<std::unique_ptr<TrustAnchors>> Make(const TrustAnchorConfig& config);
  const snp::SnpTrustRoots& snp() const { return *snp_; }
  snp::SnpChainCache* snp_cache() const { return snp_cache_.get(); }
  tdx::QuoteVerifier& tdx() const { return *tdx_; }
  // policies: stored tenant policy documents, each loaded once (keyed by its SHA-256).
  policy::TenantPolicyCache& policies() const { return *policies_; }
  // host_policies: stored host policy documents, each loaded once (host quotes; the same cache
  // kind, kept here so one object holds every process-wide verification cache).
  policy::HostPolicyCache& host_policies() const { return *host_policies_; }
  // uses_test_roots: true when a test hierarchy replaced a built-in root (log it loudly).
  bool uses_test_roots() const { return uses_test_roots_; }

 private:
  TrustAnchors() = default;
  std::optional<snp::SnpTrustRoots> own_snp_;
  const snp::SnpTrustRoots* snp_ = nullptr;
  std::unique_ptr<snp::SnpChainCache> snp_cache_;
  std::unique_ptr<tdx::QuoteVerifier> tdx_;
  std::unique_ptr<policy::TenantPolicyCache> policies_;
  std::unique_ptr<policy::HostPolicyCache> host_policies_;
  bool uses_test_roots_ = false;
};

// SnpEvidence: an SNP report as the guest sent it and its parse (ParseSnpReport, run once by
// ParseSnpEvidence).
struct SnpEvidence {
  Bytes report_bytes;
  Result<snp::SnpReport> report;
  snp::SnpCollateral collateral;
};

// TdxEvidence: a TDX quote as the guest sent it and its parse (ParseQuote, run once by
// ParseTdxEvidence). The caller may fill collateral afterwards from the parsed quote (its FMSPC
// names the platform's collateral), so the quote is never parsed twice.
struct TdxEvidence {
  Bytes quote_bytes;
  Result<tdx::Quote> quote;
  std::optional<tdx::Collateral> collateral;
};

// OtherEvidence: evidence of a type key release does not verify; the decision reports it.
struct OtherEvidence {
  std::string tee;
};

// Evidence: what the guest sent, one alternative per TEE. DecideRelease runs one path for all:
// check (verify to claims), report_data, launch-ticket digest, appraisal.
using Evidence = std::variant<OtherEvidence, SnpEvidence, TdxEvidence>;

// ParseSnpEvidence / ParseTdxEvidence parse the evidence bytes once; a parse failure is kept and
// reported by DecideRelease under "evidence".
SnpEvidence ParseSnpEvidence(Bytes report, snp::SnpCollateral collateral);
TdxEvidence ParseTdxEvidence(Bytes quote, std::optional<tdx::Collateral> collateral);

// EvidenceTee is the API's name of the evidence type ("snp", "tdx"; OtherEvidence's own tee).
std::string_view EvidenceTee(const Evidence& evidence);
// EvidenceBytes is the report or quote as sent (the audit log records its digest); empty for
// OtherEvidence.
ByteSpan EvidenceBytes(const Evidence& evidence);

// HostStatus: the VM's host as the store knows it.
struct HostStatus {
  std::string host_id;
  // state: kTrusted after a good quote.
  store::HostState state = store::HostState::kUntrusted;
  std::optional<TimePoint> trusted_until;    // set by the last good appraisal
  std::optional<TimePoint> last_good_quote;  // when that appraisal happened
  std::string host_policy;                   // the name of the host policy it is appraised with
  // platform: the host's canonical platform identity document (store::Host::platform): the
  // evidence must come from one of its chips.
  std::string platform;
};

// ReleaseInput: everything the decision reads. Pointers must be non-null.
struct ReleaseInput {
  Status nonce_status;  // the result of Store::ConsumeNonce for (VM's tenant, vm id, nonce)
  Bytes nonce;          // the 32 nonce bytes (hex-decoded)
  protocol::GuestPublicKey guest_key;
  Evidence evidence;
  const store::Vm* vm = nullptr;
  HostStatus host;
  const store::PolicyVersion* policy = nullptr;  // the stored version the ticket pins
  TimePoint now;
};

// CheckFailure: one failed check. check is one of "nonce", "report_data", "evidence",
// "launch_ticket", "measurement", "vm", "host", "policy"; reason is release.* or, for evidence and
// policy, the verifier's or appraisal's own reason (snp.signature_invalid,
// snp.measurement_rejected...).
struct CheckFailure {
  std::string check;
  Reason reason;
  std::string detail;
};

struct ReleaseDecision {
  std::vector<CheckFailure> failures;
  std::optional<policy::Appraisal> appraisal;  // set when the evidence verified
  bool released() const { return failures.empty(); }
};

// DecideRelease runs every check (none short-circuits another) and lists every failure. Every
// TEE takes the same path: its evidence is verified to typed claims (attest/<tee>/claims.h), its
// REPORT_DATA and launch-ticket field are compared, its claims are appraised with the policy's
// section for that TEE; the policy version is loaded through anchors.policies().
//  nonce        release.nonce_rejected (not consumed, or not 32 bytes)
//  report_data  release.report_data_mismatch (REPORT_DATA != ReportDataBinding)
//  evidence     the verifier's reason (does not parse, signature, chain, collateral...)
//  launch_ticket release.ticket_invalid (stored ticket unreadable, or not this VM/tenant/host/
//               policy), release.tee_type_mismatch, release.ticket_mismatch (HOST_DATA /
//               MRCONFIGID != SHA-256 / SHA-384 of the ticket)
//  measurement  release.measurement_mismatch (the VM has an expected measurement, store::Vm::
//               expected, and the SNP MEASUREMENT / TDX MRTD or RTMR0..2 differ; no check when
//               the VM was created without a boot image)
//  vm           release.vm_deleted
//  host         release.host_untrusted (not trusted, trusted_until passed, or the VM is marked:
//               its host failed a quote while the VM was live),
//               release.host_quote_too_old (older than policy host.max_quote_age_seconds),
//               release.host_policy_mismatch (policy host.host_policy set and not the host's),
//               release.host_platform_mismatch / release.host_chip_masked (the evidence's SNP
//               CHIP_ID or TDX PCK identity is not the host's: CheckHostPlatform)
//  policy       release.policy_version_mismatch (not the version the ticket pins), each failed
//               appraisal rule's reason, or release.policy_denied when it could not be appraised
ReleaseDecision DecideRelease(const ReleaseInput& input, const TrustAnchors& anchors);

// ReleasedKey: one volume key as compact JWE to the guest, kid = volume id.
struct ReleasedKey {
  std::string volume_id;
  std::string jwe;
};

// WrapKeysForGuest unwraps each volume's key with kek (only in memory, wiped after use) and
// encrypts it to the guest key. Call only after a decision with released(). volumes must be the
// VM's volumes in ticket order. Fails with the KEK's reasons or release.jwe_failed; on failure no
// key is returned.
Result<std::vector<ReleasedKey>> WrapKeysForGuest(const keys::KeyEncryptionKey& kek,
                                                  const std::vector<store::Volume>& volumes,
                                                  const protocol::GuestPublicKey& guest_key);

}  // namespace attest::service::release
