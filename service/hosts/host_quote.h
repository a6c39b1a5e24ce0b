// Host trust decision (DESIGN.md "What it is for", step 1): one pure function over a host's quote
// evidence, its registered AK, the operator's host policy and the time. The twin of
// release::DecideRelease: it runs every check, returns every failure with its own stable reason,
// and says whether the host is trusted and until when.
//
// The caller (service/api, POST /v1/hosts/{id}/quote) does the I/O: it reads the host record
// (Store::GetHost), refuses an unknown or spent nonce (Store::CheckNonce), reads the newest version
// of the host's policy (Store::GetPolicy), calls DecideHostQuote, then consumes the nonce and
// records the new state and the audit entry in one transaction (Store::RecordHostQuote).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tpm/host.h"
#include "policy/appraisal.h"
#include "policy/policy_cache.h"
#include "protocol/host_platform.h"
#include "service/store/host_store.h"
#include "service/store/policy_store.h"

namespace attest::service::hosts {

// HostQuoteEvidence: what the host agent sent, decoded from the request body; only the PCR values
// are parsed already (they come as JSON or a file), and a failure to parse them is evidence that
// does not verify, decided like any other.
struct HostQuoteEvidence {
  Bytes quote;      // TPMS_ATTEST
  Bytes signature;  // TPMT_SIGNATURE
  Bytes nonce;      // the challenge's 32 bytes
  // platform: the canonical platform identity document the quote carried
  // (protocol::SerializeHostPlatform). The quote's extraData must equal
  // protocol::QuoteQualifyingData(nonce, platform), and the document must be the host's.
  std::string platform;
  // pcrs: the quoted PCR values (tpm::ParsePcrValues / PcrValuesFromJson); nullopt: derived from
  // the logs.
  std::optional<Result<tpm::PcrBanks>> pcrs;
  std::optional<Bytes> event_log;  // UEFI log
  std::optional<Bytes> drtm_log;   // Intel TXT dynamic-launch log
};

// HostQuoteInput: everything the decision reads. host must be non-null.
struct HostQuoteInput {
  const store::Host* host = nullptr;
  HostQuoteEvidence evidence;
  // host_policy: the newest stored version of host->host_policy, or the store's kNotFound
  // when the operator deleted it (the quote then cannot be appraised).
  Result<store::PolicyVersion> host_policy = Status(reasons::kStoreNotFound, "not read");
  TimePoint now;
  std::chrono::seconds trust_ttl{0};  // how long an accepted quote keeps the host trusted
  // host_policies: where documents loaded before are kept (attestd: TrustAnchors::host_policies);
  // null loads the document on every call. Either way the result is the same.
  policy::HostPolicyCache* host_policies = nullptr;
};

// HostQuoteDecision: the outcome. Exactly one of these holds:
//  - !verified(): evidence_errors lists why the evidence does not verify;
//  - verified, policy_error set: the host policy is missing or does not load;
//  - verified, appraisal set: the host policy was applied (policy_version names it).
struct HostQuoteDecision {
  std::vector<Status> evidence_errors;
  tpm::HostClaims claims;  // as far as the evidence verified
  std::optional<Status> policy_error;
  // platform_error: host.platform_changed when the quote carried another platform document than
  // the one recorded at enrollment, or the host's platform changed before and it was not
  // re-enrolled since (checked once the evidence verified: only then does the TPM vouch that the
  // measured host reported the document).
  std::optional<Status> platform_error;
  // platform_changed: record Host::platform_changed_at (HostQuoteWrite::platform_changed).
  bool platform_changed = false;
  std::optional<policy::Appraisal> appraisal;
  std::string policy_version;  // "<host policy name>@<version>" once appraised
  bool trusted = false;
  std::optional<TimePoint> trusted_until;  // now + trust_ttl when trusted

  bool verified() const { return evidence_errors.empty(); }
  // reason_codes lists every failure's reason id, evidence first (empty when trusted).
  std::vector<std::string> reason_codes() const;
};

// DecideHostQuote parses the registered AK and the PCR values, verifies the evidence
// (tpm::VerifyHostEvidence: quote signature, extraData = QuoteQualifyingData(nonce, platform), PCR
// digest, log replays, AK attributes), checks the platform document against the host's, then loads
// and applies the host policy (policy::AppraiseHost). Evidence failures carry the tpm.* and
// eventlog.* reasons; another platform host.platform_changed; a missing policy
// api.host_policy_missing; a broken one the loader's reason; a denied one every failed rule's
// reason. The host is trusted only when all of it passed.
HostQuoteDecision DecideHostQuote(const HostQuoteInput& input);

}  // namespace attest::service::hosts
