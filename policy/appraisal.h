// Appraisal results: every failed rule with its stable code, the claim and what the policy wanted,
// plus a trust vector in the spirit of the IETF AR4SI / EAR drafts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attest/core/time.h"
#include "policy/reasons.h"

namespace attest::policy {

// TrustTier: AR4SI trustworthiness tiers with their claim values.
enum class TrustTier : int { kNone = 0, kAffirming = 2, kWarning = 32, kContraindicated = 96 };

std::string_view TrustTierName(
    TrustTier tier);  // "none", "affirming", "warning", "contraindicated"

// TrustVector: AR4SI trustworthiness claims (draft-ietf-rats-ar4si, section 2.3).
struct TrustVector {
  TrustTier instance_identity = TrustTier::kNone;
  TrustTier configuration = TrustTier::kNone;
  TrustTier executables = TrustTier::kNone;
  TrustTier file_system = TrustTier::kNone;
  TrustTier hardware = TrustTier::kNone;
  TrustTier runtime_opaque = TrustTier::kNone;
  TrustTier storage_opaque = TrustTier::kNone;
  TrustTier sourced_data = TrustTier::kNone;
};

struct RuleFailure {
  Reason reason;
  std::string field;  // the policy field, e.g. "snp.measurements"
  std::string got;    // the claim's value
  std::string want;   // what the policy accepts
};

struct Appraisal {
  std::string evidence;         // "snp", "tdx"...
  std::string policy_identity;  // "<name>@sha256:<hex>"
  std::vector<RuleFailure> failures;
  TrustVector trust;

  bool affirmed() const { return failures.empty(); }
  // Status is contraindicated when a rule failed, else the worst tier of the trust vector
  // (affirming, or warning when e.g. an accepted TCB is not up to date).
  TrustTier Status() const;
};

// AppraisalContext: what the caller (service or CLI) knows beside the claims.
struct AppraisalContext {
  TimePoint now;
  // launch_ticket_sha256 / _sha384: the digest the VM's launch ticket must appear as in
  // HOST_DATA / MRCONFIGID when the policy asks for the launch ticket. Absent: such a rule fails.
  std::optional<std::string> launch_ticket_sha256_hex;
  std::optional<std::string> launch_ticket_sha384_hex;
};

}  // namespace attest::policy
