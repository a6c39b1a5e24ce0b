// SEV / SEV-ES launch evidence in the three steps of every TEE here:
//   ParseLaunchMeasurement (measurement.h) -> VerifyLaunch -> ToClaims (claims.h).
//
// A legacy SEV launch has no signed report. The firmware returns MEASURE = HMAC(TIK, 0x04 ||
// API version || build || policy || launch digest || MNONCE) while the guest is paused, keyed with
// the transport integrity key of the guest owner's own session, so MEASURE authenticates a launch
// digest only relative to a digest the owner expects: VerifyLaunch recomputes it for each
// expected digest (the tenant policy's) and records which one, if any, it proves. Appraisal then
// reads only the claims.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/sev/measurement.h"

namespace attest::sev {

// LaunchEvidence: what the guest owner has after LAUNCH_MEASURE.
struct LaunchEvidence {
  Bytes tik;  // the owner's TIK for this launch session (16 bytes)
  uint8_t api_major = 0;
  uint8_t api_minor = 0;
  uint8_t build = 0;
  uint32_t policy = 0;  // the guest policy the launch used
  LaunchMeasurement measurement;
};

// VerifiedLaunch: launch evidence whose MEASURE was recomputed for every expected digest. Only
// VerifyLaunch makes one. proven_digest is the expected digest MEASURE reproduces; nullopt when
// none does (a wrong digest and a forged MEASURE cannot be told apart: an appraisal rejects both).
class VerifiedLaunch {
 public:
  const LaunchEvidence& evidence() const { return evidence_; }
  const std::optional<Sha256Digest>& proven_digest() const { return proven_digest_; }
  size_t num_expected_digests() const { return num_expected_digests_; }

 private:
  friend Result<VerifiedLaunch> VerifyLaunch(const LaunchEvidence&, std::span<const Sha256Digest>);
  VerifiedLaunch() = default;
  LaunchEvidence evidence_;
  std::optional<Sha256Digest> proven_digest_;
  size_t num_expected_digests_ = 0;
};

// VerifyLaunch recomputes MEASURE (constant-time comparison) for each expected launch digest, in
// order, and records the first that matches. Fails with sev.bad_argument when the TIK is not 16
// bytes.
Result<VerifiedLaunch> VerifyLaunch(const LaunchEvidence& evidence,
                                    std::span<const Sha256Digest> expected_digests);

}  // namespace attest::sev
