#include "attest/sev/launch.h"

namespace attest::sev {

Result<VerifiedLaunch> VerifyLaunch(const LaunchEvidence& e,
                                    std::span<const Sha256Digest> expected_digests) {
  if (e.tik.size() != 16) {
    return Status(reasons::kSevBadArgument,
                  "tik: " + std::to_string(e.tik.size()) + " bytes, want 16");
  }
  VerifiedLaunch v;
  v.evidence_ = e;
  v.num_expected_digests_ = expected_digests.size();
  for (const Sha256Digest& digest : expected_digests) {
    LaunchMeasureInput input;
    input.api_major = e.api_major;
    input.api_minor = e.api_minor;
    input.build = e.build;
    input.policy = e.policy;
    input.launch_digest = digest;
    input.mnonce = e.measurement.mnonce;
    if (VerifyLaunchMeasure(e.tik, input, e.measurement.measure).ok()) {
      v.proven_digest_ = digest;
      break;
    }
  }
  return v;
}

}  // namespace attest::sev
