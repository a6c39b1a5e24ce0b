// Appraisal of a legacy SEV / SEV-ES launch against a tenant's SEV rules.
//
// SEV has no report: the firmware returns MEASURE = HMAC(TIK, ... || launch digest || MNONCE)
// while the guest is paused. The caller verifies it against the digests the policy accepts
// (AcceptedLaunchDigests -> sev::VerifyLaunch -> sev::ToClaims); appraisal reads the claims.
#pragma once

#include <vector>

#include "attest/core/digest.h"
#include "attest/policy/v1/policy.pb.h"
#include "attest/sev/claims.h"
#include "policy/appraisal.h"

namespace attest::policy {

// AcceptedLaunchDigests returns the digests a launch may prove: policy.launch_digests, then
// digests_from_parts (which the caller computed from policy.launch_parts with
// sev::ComputeLaunchDigest).
std::vector<Sha256Digest> AcceptedLaunchDigests(
    const v1::SevPolicy& policy, const std::vector<Sha256Digest>& digests_from_parts);

// AppraiseSevLaunch checks the claims of a launch verified against AcceptedLaunchDigests: one of
// them was proven (sev.launch_digest_rejected otherwise); then policy bits (NODBG, ES) and the
// firmware API version and build. Every failure is listed.
Appraisal AppraiseSevLaunch(const sev::LaunchClaims& claims, const v1::SevPolicy& policy);

}  // namespace attest::policy
