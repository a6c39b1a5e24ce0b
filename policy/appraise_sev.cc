#include "policy/appraise_sev.h"

#include "attest/core/encoding.h"
#include "policy/loader.h"
#include "policy/rules.h"

namespace attest::policy {

Appraisal AppraiseSevLaunch(const SevLaunchEvidence& e, const v1::SevPolicy& p,
                            const std::vector<Sha256Digest>& digests_from_parts) {
  Appraisal a = TeeAppraisal("sev");
  TrustVector& t = a.trust;
  RuleRecorder rules(&a);

  std::vector<Sha256Digest> candidates = digests_from_parts;
  for (const std::string& hex : p.launch_digests()) {
    Sha256Digest d{};
    const Bytes bytes = *HexDecode(hex);  // length checked by the loader
    std::copy(bytes.begin(), bytes.end(), d.begin());
    candidates.push_back(d);
  }
  bool matched = false;
  for (const Sha256Digest& digest : candidates) {
    sev::LaunchMeasureInput input;
    input.api_major = e.api_major;
    input.api_minor = e.api_minor;
    input.build = e.build;
    input.policy = e.policy;
    input.launch_digest = digest;
    input.mnonce = e.measurement.mnonce;
    if (sev::VerifyLaunchMeasure(e.tik, input, e.measurement.measure).ok()) {
      matched = true;
      break;
    }
  }
  if (!matched) {
    rules.Fail(&t.executables, reasons::kSevLaunchRejected, "sev.launch_digests",
               "measure " + HexEncode(e.measurement.measure) + " matches none",
               std::to_string(candidates.size()) + " accepted launch digest(s)");
  }
  // SEV guest policy (SEV API spec, Table 2): bit 0 NODBG forbids debugging, bit 2 ES.
  if ((e.policy & sev::kPolicyNoDebug) == 0 && !p.allow_debug()) {
    rules.Fail(&t.runtime_opaque, reasons::kSevDebugForbidden, "sev.allow_debug", "NODBG=0",
               "NODBG=1");
    t.configuration = TrustTier::kContraindicated;
  }
  if (p.require_es() && (e.policy & sev::kPolicyEs) == 0) {
    rules.Fail(&t.configuration, reasons::kSevEsRequired, "sev.require_es", "ES=0", "ES=1");
  }
  if (!p.min_api_version().empty()) {
    const auto min = ParseVersionString(p.min_api_version(), 2, "sev.min_api_version");
    const std::array<uint32_t, 3> have = {e.api_major, e.api_minor, 0};
    if (!min.ok() || have < *min) {
      rules.Fail(&t.hardware, reasons::kSevFirmwareTooOld, "sev.min_api_version",
                 std::to_string(e.api_major) + "." + std::to_string(e.api_minor),
                 ">=" + p.min_api_version());
    }
  }
  if (e.build < p.min_build()) {
    rules.Fail(&t.hardware, reasons::kSevFirmwareTooOld, "sev.min_build", std::to_string(e.build),
               ">=" + std::to_string(p.min_build()));
  }
  return a;
}

}  // namespace attest::policy
