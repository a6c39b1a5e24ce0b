#include "policy/appraise_host.h"

#include <algorithm>

#include "attest/core/encoding.h"
#include "policy/rules.h"

namespace attest::policy {
namespace {

// TPM_ALG_ID values (TPM 2.0 Part 2, Table 9) for the banks a policy may name.
uint16_t BankId(const std::string& bank) {
  if (bank == "sha1") {
    return 0x0004;
  }
  if (bank == "sha256") {
    return 0x000B;
  }
  return 0x000C;  // sha384 (the loader admits no other)
}

std::string PcrValue(const tpm::PcrBanks& banks, uint16_t alg, uint32_t index) {
  auto bank = banks.find(alg);
  if (bank == banks.end()) {
    return "";
  }
  auto value = bank->second.find(index);
  return value == bank->second.end() ? "" : HexEncode(value->second);
}

}  // namespace

Appraisal AppraiseHost(const tpm::HostClaims& c, const v1::HostPolicy& p,
                       const AppraisalContext& /*context*/) {
  Appraisal a = HostAppraisal("tpm");
  TrustVector& t = a.trust;
  RuleRecorder rules(&a);

  const bool needs_log = !p.any_firmware() || p.require_secure_boot() ||
                         !p.any_boot_application() || p.allowed_db_digests_size() > 0 ||
                         p.allowed_dbx_digests_size() > 0 || p.kernel_cmdlines_size() > 0;
  if (needs_log && !c.boot) {
    rules.Fail(&t.executables, reasons::kHostNoEventLog, "(host policy)", "no event log",
               "a UEFI event log replaying to the quoted PCRs");
  }
  if (c.boot) {
    const tpm::BootClaims& b = *c.boot;
    if (!p.any_firmware()) {
      const std::string version = b.scrtm_version.value_or("(none)");
      if (std::find(p.scrtm_versions().begin(), p.scrtm_versions().end(), version) ==
          p.scrtm_versions().end()) {
        rules.Fail(&t.hardware, reasons::kHostFirmwareRejected, "scrtm_versions", version,
                   Join(p.scrtm_versions()));
      }
    }
    if (p.require_secure_boot() && b.secure_boot != true) {
      rules.Fail(&t.configuration, reasons::kHostSecureBootOff, "require_secure_boot",
                 b.secure_boot ? "SecureBoot=0" : "SecureBoot not measured", "SecureBoot=1");
    }
    const struct {
      const char* variable = nullptr;
      const google::protobuf::RepeatedPtrField<std::string>& allowed;
      Reason reason;
      const char* field = nullptr;
    } variables[] = {
        {"db", p.allowed_db_digests(), reasons::kHostDbRejected, "allowed_db_digests"},
        {"dbx", p.allowed_dbx_digests(), reasons::kHostDbxRejected, "allowed_dbx_digests"}};
    for (const auto& v : variables) {
      if (v.allowed.empty()) {
        continue;
      }
      auto it = b.secure_boot_variables.find(v.variable);
      const std::string got =
          it == b.secure_boot_variables.end() ? "(not measured)" : HexEncode(it->second);
      if (!Listed(v.allowed, got)) {
        rules.Fail(&t.configuration, v.reason, v.field, got, Join(v.allowed));
      }
    }
    if (!p.any_boot_application()) {
      for (const Bytes& digest : b.boot_application_digests) {
        const std::string hex = HexEncode(digest);
        if (!Listed(p.boot_application_digests(), hex)) {
          rules.Fail(&t.executables, reasons::kHostBootAppRejected, "boot_application_digests", hex,
                     Join(p.boot_application_digests()));
        }
      }
    }
    if (p.kernel_cmdlines_size() > 0) {
      const std::string cmdline = b.kernel_cmdline.value_or("(none)");
      if (std::find(p.kernel_cmdlines().begin(), p.kernel_cmdlines().end(), cmdline) ==
          p.kernel_cmdlines().end()) {
        rules.Fail(&t.configuration, reasons::kHostCmdlineRejected, "kernel_cmdlines", cmdline,
                   "listed command lines");
      }
    }
  }

  if (p.has_drtm()) {
    const v1::DrtmRule& d = p.drtm();
    if (!c.drtm) {
      if (p.require_drtm()) {
        rules.Fail(&t.executables, reasons::kHostDrtmMissing, "require_drtm", "no DRTM log",
                   "a dynamic launch");
      }
    } else {
      const tpm::DrtmClaims& dc = *c.drtm;
      const std::string sinit = dc.sinit_digest ? HexEncode(*dc.sinit_digest) : "(none)";
      if (d.sinit_digests_size() > 0 && !Listed(d.sinit_digests(), sinit)) {
        rules.Fail(&t.executables, reasons::kHostSinitRejected, "drtm.sinit_digests", sinit,
                   Join(d.sinit_digests()));
      }
      const std::string mle = dc.mle_digest ? HexEncode(*dc.mle_digest) : "(none)";
      if (d.mle_digests_size() > 0 && !Listed(d.mle_digests(), mle)) {
        rules.Fail(&t.executables, reasons::kHostMleRejected, "drtm.mle_digests", mle,
                   Join(d.mle_digests()));
      }
      for (const auto& [index, allowed] :
           {std::pair<uint32_t, const google::protobuf::RepeatedPtrField<std::string>*>{17,
                                                                                        &d.pcr17()},
            {18, &d.pcr18()}}) {
        if (allowed->empty()) {
          continue;
        }
        std::string got;
        for (const auto& [alg, bank] : dc.replayed) {
          const std::string value = PcrValue(dc.replayed, alg, index);
          if (Listed(*allowed, value)) {
            got = value;
          }
        }
        if (got.empty()) {
          rules.Fail(&t.executables, reasons::kHostPcrRejected, "drtm.pcr" + std::to_string(index),
                     "replayed PCR " + std::to_string(index) + " not listed", Join(*allowed));
        }
      }
    }
  } else if (p.require_drtm() && !c.drtm) {
    rules.Fail(&t.executables, reasons::kHostDrtmMissing, "require_drtm", "no DRTM log",
               "a dynamic launch");
  }

  for (const v1::PcrRule& rule : p.pcrs()) {
    const std::string got =
        c.quote ? PcrValue(c.quote->pcrs, BankId(rule.bank()), rule.index()) : std::string();
    if (!Listed(rule.values(), got)) {
      rules.Fail(&t.configuration, reasons::kHostPcrRejected,
                 "pcrs[" + rule.bank() + ":" + std::to_string(rule.index()) + "]",
                 got.empty() ? "(not quoted)" : got, Join(rule.values()));
    }
  }
  return a;
}

}  // namespace attest::policy
