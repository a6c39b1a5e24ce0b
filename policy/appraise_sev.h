// Appraisal of a legacy SEV / SEV-ES launch measurement against a tenant's SEV rules.
//
// SEV has no report: the firmware returns MEASURE = HMAC(TIK, ... || launch digest || MNONCE)
// while the guest is paused. The launch digest is accepted when MEASURE recomputes for one of the
// digests the policy names (directly, or computed by the caller from the firmware/kernel parts).
#pragma once

#include <vector>

#include "attest/core/digest.h"
#include "attest/policy/v1/policy.pb.h"
#include "attest/sev/measurement.h"
#include "policy/appraisal.h"

namespace attest::policy {

struct SevLaunchEvidence {
  Bytes tik;  // the owner's TIK for this launch session (16 bytes)
  uint8_t api_major = 0;
  uint8_t api_minor = 0;
  uint8_t build = 0;
  uint32_t policy = 0;  // the guest policy the launch used
  sev::LaunchMeasurement measurement;
};

// AppraiseSevLaunch tries every accepted digest (policy.launch_digests plus
// digests_from_parts, which the caller computed from policy.launch_parts with
// sev::ComputeLaunchDigest) and reports which matched; then policy bits (NODBG, ES) and the
// firmware API version and build. Every failure is listed.
Appraisal AppraiseSevLaunch(const SevLaunchEvidence& evidence, const v1::SevPolicy& policy,
                            const std::vector<Sha256Digest>& digests_from_parts);

}  // namespace attest::policy
