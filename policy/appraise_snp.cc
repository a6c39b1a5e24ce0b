#include "policy/appraise_snp.h"

#include <algorithm>

#include "attest/core/encoding.h"
#include "policy/loader.h"
#include "policy/rules.h"

namespace attest::policy {
namespace {

using snp::SnpClaims;
using snp::TcbParts;

std::string TcbText(const TcbParts& p) {
  std::string out = "bootloader=" + std::to_string(p.bootloader) + " tee=" + std::to_string(p.tee) +
                    " snp=" + std::to_string(p.snp) + " microcode=" + std::to_string(p.microcode);
  if (p.fmc) {
    out += " fmc=" + std::to_string(*p.fmc);
  }
  return out;
}

std::string MinText(const v1::SnpTcb& m) {
  return "bootloader>=" + std::to_string(m.bootloader()) + " tee>=" + std::to_string(m.tee()) +
         " snp>=" + std::to_string(m.snp()) + " microcode>=" + std::to_string(m.microcode()) +
         (m.fmc() != 0 ? " fmc>=" + std::to_string(m.fmc()) : "");
}

bool TcbAtLeast(const TcbParts& p, const v1::SnpTcb& m) {
  return p.bootloader >= m.bootloader() && p.tee >= m.tee() && p.snp >= m.snp() &&
         p.microcode >= m.microcode() && p.fmc.value_or(0) >= m.fmc();
}

}  // namespace

Appraisal AppraiseSnp(const SnpClaims& c, const v1::SnpPolicy& p, const AppraisalContext& ctx) {
  Appraisal a = TeeAppraisal("snp");
  TrustVector& t = a.trust;
  RuleRecorder rules(&a);
  const snp::SnpReport& r = c.report;
  if (!c.verified || !c.product) {
    rules.Fail(&t.hardware, reasons::kPolicyNoRulesForEvidence, "snp", "unverified report",
               "a verified report");
    return a;
  }

  // Executables: the launch measurement.
  const std::string measurement = HexEncode(r.measurement);
  if (!p.any_measurement() && !Listed(p.measurements(), measurement)) {
    rules.Fail(&t.executables, reasons::kSnpMeasurementRejected, "snp.measurements", measurement,
               Join(p.measurements()));
  }

  // Instance identity: HOST_DATA, signing key, chip, ID/author keys.
  const std::string host_data = HexEncode(r.host_data);
  if (p.host_data_launch_ticket()) {
    const std::string want = ctx.launch_ticket_sha256_hex.value_or("(no launch ticket known)");
    if (!ctx.launch_ticket_sha256_hex || host_data != *ctx.launch_ticket_sha256_hex) {
      rules.Fail(&t.instance_identity, reasons::kSnpHostDataRejected, "snp.host_data_launch_ticket",
                 host_data, want);
    }
  } else if (!p.any_host_data() && host_data != Lowered(p.host_data())) {
    rules.Fail(&t.instance_identity, reasons::kSnpHostDataRejected, "snp.host_data", host_data,
               Lowered(p.host_data()));
  }
  const bool vlek = c.signing_key == snp::EndorsementKind::kVlek;
  const bool kind_ok = p.signing_keys_size() == 0
                           ? !vlek
                           : std::any_of(p.signing_keys().begin(), p.signing_keys().end(),
                                         [&](int k) { return k == (vlek ? v1::VLEK : v1::VCEK); });
  if (!kind_ok) {
    rules.Fail(&t.instance_identity, reasons::kSnpSigningKeyRejected, "snp.signing_keys",
               vlek ? "VLEK" : "VCEK",
               p.signing_keys_size() == 0 ? "VCEK (default)" : "listed kinds");
  }
  const std::string chip = HexEncode(r.chip_id);
  if (p.chip_ids_size() > 0 && !Listed(p.chip_ids(), chip)) {
    rules.Fail(&t.instance_identity, reasons::kSnpChipRejected, "snp.chip_ids", chip,
               Join(p.chip_ids()));
  }
  const std::string id_key = HexEncode(r.id_key_digest);
  if (p.id_key_digests_size() > 0 && !Listed(p.id_key_digests(), id_key)) {
    rules.Fail(&t.instance_identity, reasons::kSnpIdKeyRejected, "snp.id_key_digests", id_key,
               Join(p.id_key_digests()));
  }
  const std::string author_key = HexEncode(r.author_key_digest);
  if (p.author_key_digests_size() > 0 &&
      (!r.author_key_en || !Listed(p.author_key_digests(), author_key))) {
    rules.Fail(&t.instance_identity, reasons::kSnpAuthorKeyRejected, "snp.author_key_digests",
               r.author_key_en ? author_key : "(author key not enabled)",
               Join(p.author_key_digests()));
  }

  // Configuration: guest policy bits, VMPL, guest SVN, firmware version.
  if (c.policy.debug && !p.allow_debug()) {
    rules.Fail(&t.runtime_opaque, reasons::kSnpDebugForbidden, "snp.allow_debug", "debug=1",
               "debug=0");
    t.configuration = TrustTier::kContraindicated;
  }
  if (c.policy.migrate_ma && !p.allow_migrate_ma()) {
    rules.Fail(&t.configuration, reasons::kSnpMigrateMaForbidden, "snp.allow_migrate_ma",
               "migrate_ma=1", "migrate_ma=0");
  }
  if (p.require_smt_disabled() && c.policy.smt) {
    rules.Fail(&t.configuration, reasons::kSnpSmtForbidden, "snp.require_smt_disabled", "smt=1",
               "smt=0");
  }
  const bool vmpl_ok = p.vmpls_size() == 0 ? r.vmpl == 0
                                           : std::find(p.vmpls().begin(), p.vmpls().end(),
                                                       r.vmpl) != p.vmpls().end();
  if (!vmpl_ok) {
    rules.Fail(&t.configuration, reasons::kSnpVmplRejected, "snp.vmpls", std::to_string(r.vmpl),
               p.vmpls_size() == 0 ? "0 (default)" : "listed VMPLs");
  }
  if (r.guest_svn < p.min_guest_svn()) {
    rules.Fail(&t.configuration, reasons::kSnpGuestSvnTooLow, "snp.min_guest_svn",
               std::to_string(r.guest_svn), ">=" + std::to_string(p.min_guest_svn()));
  }
  if (!p.min_firmware().empty()) {
    const auto min = ParseVersionString(p.min_firmware(), 3, "snp.min_firmware");
    const std::array<uint32_t, 3> have = {r.current_major, r.current_minor, r.current_build};
    if (!min.ok() || have < *min) {
      rules.Fail(
          &t.hardware, reasons::kSnpFirmwareTooOld, "snp.min_firmware",
          std::to_string(have[0]) + "." + std::to_string(have[1]) + "." + std::to_string(have[2]),
          ">=" + p.min_firmware());
    }
  }

  // Hardware: TCB levels.
  const struct {
    const char* field;
    const snp::TcbClaim& claim;
    const v1::SnpTcb& min;
    bool given;
  } tcbs[] = {
      {"snp.min_reported_tcb", c.reported_tcb, p.min_reported_tcb(), p.has_min_reported_tcb()},
      {"snp.min_committed_tcb", c.committed_tcb, p.min_committed_tcb(), p.has_min_committed_tcb()},
      {"snp.min_launch_tcb", c.launch_tcb, p.min_launch_tcb(), p.has_min_launch_tcb()}};
  for (const auto& tcb : tcbs) {
    if (tcb.given && tcb.claim.parts && !TcbAtLeast(*tcb.claim.parts, tcb.min)) {
      rules.Fail(&t.hardware, reasons::kSnpTcbTooLow, tcb.field, TcbText(*tcb.claim.parts),
                 MinText(tcb.min));
    }
  }
  return a;
}

}  // namespace attest::policy
