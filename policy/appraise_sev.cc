#include "policy/appraise_sev.h"

#include "attest/core/encoding.h"
#include "policy/loader.h"
#include "policy/rules.h"

namespace attest::policy {

std::vector<Sha256Digest> AcceptedLaunchDigests(
    const v1::SevPolicy& p, const std::vector<Sha256Digest>& digests_from_parts) {
  std::vector<Sha256Digest> candidates = digests_from_parts;
  for (const std::string& hex : p.launch_digests()) {
    Sha256Digest d{};
    const Bytes bytes = *HexDecode(hex);  // length checked by the loader
    std::copy(bytes.begin(), bytes.end(), d.begin());
    candidates.push_back(d);
  }
  return candidates;
}

Appraisal AppraiseSevLaunch(const sev::LaunchClaims& c, const v1::SevPolicy& p) {
  Appraisal a = TeeAppraisal("sev");
  TrustVector& t = a.trust;
  RuleRecorder rules(&a);

  if (!c.launch_digest) {
    rules.Fail(&t.executables, reasons::kSevLaunchRejected, "sev.launch_digests",
               "measure " + HexEncode(c.measure) + " matches none",
               std::to_string(c.num_expected_digests) + " accepted launch digest(s)");
  }
  // SEV guest policy (SEV API spec, Table 2): bit 0 NODBG forbids debugging, bit 2 ES.
  if (!c.policy.no_debug && !p.allow_debug()) {
    rules.Fail(&t.runtime_opaque, reasons::kSevDebugForbidden, "sev.allow_debug", "NODBG=0",
               "NODBG=1");
    t.configuration = TrustTier::kContraindicated;
  }
  if (p.require_es() && !c.policy.es) {
    rules.Fail(&t.configuration, reasons::kSevEsRequired, "sev.require_es", "ES=0", "ES=1");
  }
  if (!p.min_api_version().empty()) {
    const auto min = ParseVersionString(p.min_api_version(), 2, "sev.min_api_version");
    const std::array<uint32_t, 3> have = {c.api_major, c.api_minor, 0};
    if (!min.ok() || have < *min) {
      rules.Fail(&t.hardware, reasons::kSevFirmwareTooOld, "sev.min_api_version",
                 std::to_string(c.api_major) + "." + std::to_string(c.api_minor),
                 ">=" + p.min_api_version());
    }
  }
  if (c.build < p.min_build()) {
    rules.Fail(&t.hardware, reasons::kSevFirmwareTooOld, "sev.min_build", std::to_string(c.build),
               ">=" + std::to_string(p.min_build()));
  }
  return a;
}

}  // namespace attest::policy
