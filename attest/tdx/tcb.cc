#include "attest/tdx/tcb.h"

#include <algorithm>
#include <cstdio>

#include "attest/core/encoding.h"

namespace attest::tdx {
namespace {

bool IsConfigurationNeeded(TcbStatus s) {
  return s == TcbStatus::kConfigurationNeeded || s == TcbStatus::kOutOfDateConfigurationNeeded ||
         s == TcbStatus::kConfigurationAndSwHardeningNeeded ||
         s == TcbStatus::kTdRelaunchAdvisedConfigurationNeeded;
}

// ConvergeOutOfDate folds an OutOfDate / Revoked component status (TDX module or QE) into the
// platform status the way QVL does: OutOfDate turns UpToDate/SWHardeningNeeded into OutOfDate and
// the Configuration* statuses into OutOfDateConfigurationNeeded; Revoked wins.
TcbStatus ConvergeOutOfDate(TcbStatus platform, TcbStatus component) {
  if (component == TcbStatus::kOutOfDate) {
    if (platform == TcbStatus::kUpToDate || platform == TcbStatus::kSwHardeningNeeded) {
      return TcbStatus::kOutOfDate;
    }
    if (platform == TcbStatus::kConfigurationNeeded ||
        platform == TcbStatus::kConfigurationAndSwHardeningNeeded) {
      return TcbStatus::kOutOfDateConfigurationNeeded;
    }
  }
  if (component == TcbStatus::kRevoked) {
    return TcbStatus::kRevoked;
  }
  return platform;
}

void AddAdvisories(const std::vector<std::string>& from, std::vector<std::string>& to) {
  for (const std::string& id : from) {
    if (std::find(to.begin(), to.end(), id) == to.end()) {
      to.push_back(id);
    }
  }
}

bool SgxComponentsAtLeast(const PckExtensions& pck, const TcbLevel& level) {
  for (size_t i = 0; i < 16; ++i) {
    if (pck.tcb_components[i] < level.sgx_components[i]) {
      return false;
    }
  }
  return pck.pce_svn >= level.pce_svn;
}

// TdxComponentsAtLeast compares TEE_TCB_SVN; with a module version (byte 1) > 0 the first two
// bytes are judged by the TDX module identity instead.
bool TdxComponentsAtLeast(const Bytes16& tee_tcb_svn, const TcbLevel& level) {
  for (size_t i = tee_tcb_svn[1] > 0 ? 2 : 0; i < 16; ++i) {
    if (tee_tcb_svn[i] < level.tdx_components[i]) {
      return false;
    }
  }
  return true;
}

std::string ModuleIdentityId(uint8_t version) {
  char id[8];
  std::snprintf(id, sizeof(id), "TDX_%02X", version);
  return id;
}

const TdxModuleIdentity* FindModuleIdentity(const TcbInfo& info, uint8_t version) {
  const std::string want = ModuleIdentityId(version);
  for (const TdxModuleIdentity& m : info.tdx_module_identities) {
    std::string id = m.id;
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (id == want) {
      return &m;
    }
  }
  return nullptr;
}

const IsvLevel* FirstLevelAtMost(const std::vector<IsvLevel>& levels, uint16_t isv_svn) {
  for (const IsvLevel& l : levels) {
    if (isv_svn >= l.isv_svn) {
      return &l;
    }
  }
  return nullptr;
}

// RelaunchCheck: for TD report 1.5, a TD that is OutOfDate only because it was launched before a
// TD-preserving module update (TEE_TCB_SVN_2 is current) is told to relaunch (QVL 4.1.2.4.17.4.3).
Result<TcbStatus> RelaunchCheck(const TdReport& td, const TcbInfo& info, TcbStatus sgx_status,
                                TcbStatus tdx_status, std::optional<TcbStatus> module_status,
                                TcbStatus qe_status) {
  if (qe_status == TcbStatus::kOutOfDate || qe_status == TcbStatus::kRevoked) {
    return tdx_status;
  }
  if (sgx_status != TcbStatus::kUpToDate && sgx_status != TcbStatus::kSwHardeningNeeded &&
      !IsConfigurationNeeded(sgx_status)) {
    return tdx_status;
  }
  if (sgx_status == TcbStatus::kOutOfDateConfigurationNeeded) {
    return tdx_status;
  }
  if (tdx_status != TcbStatus::kOutOfDate &&
      tdx_status != TcbStatus::kOutOfDateConfigurationNeeded) {
    return tdx_status;
  }
  if (module_status != TcbStatus::kOutOfDate) {
    return tdx_status;
  }
  const TcbLevel& latest = info.tcb_levels.front();
  const Bytes16& svn2 = td.tee_tcb_svn_2;
  uint16_t module_min = latest.tdx_components[0];
  if (svn2[1] != 0) {
    const TdxModuleIdentity* id2 = FindModuleIdentity(info, svn2[1]);
    if (id2 == nullptr) {
      return Status(reasons::kTdxModuleMismatch,
                    "tee_tcb_svn_2: no TDX module identity " + ModuleIdentityId(svn2[1]));
    }
    if (id2->tcb_levels.empty()) {
      return Status(reasons::kTdxTcbLevelNotFound, "tdx module identity without levels");
    }
    module_min = id2->tcb_levels.front().isv_svn;
  }
  if (svn2[0] >= module_min && svn2[2] >= latest.tdx_components[2]) {
    return IsConfigurationNeeded(sgx_status) || IsConfigurationNeeded(tdx_status)
               ? TcbStatus::kTdRelaunchAdvisedConfigurationNeeded
               : TcbStatus::kTdRelaunchAdvised;
  }
  return tdx_status;
}

}  // namespace

bool IsRejectedByDefault(TcbStatus status) {
  switch (status) {
    case TcbStatus::kOutOfDate:
    case TcbStatus::kOutOfDateConfigurationNeeded:
    case TcbStatus::kRevoked:
    case TcbStatus::kTdRelaunchAdvised:
    case TcbStatus::kTdRelaunchAdvisedConfigurationNeeded:
      return true;
    default:
      return false;
  }
}

Result<IsvLevel> CheckQeIdentity(const EnclaveReport& qe, const QeIdentity& identity) {
  auto mismatch = [](const std::string& what) {
    return Status(reasons::kTdxQeIdentityMismatch, "qe report: " + what);
  };
  if (!ConstantTimeEquals(qe.mr_signer, identity.mr_signer)) {
    return mismatch("MRSIGNER " + HexEncode(qe.mr_signer) + ", want " +
                    HexEncode(identity.mr_signer));
  }
  if (qe.isv_prod_id != identity.isv_prod_id) {
    return mismatch("ISVPRODID " + std::to_string(qe.isv_prod_id) + ", want " +
                    std::to_string(identity.isv_prod_id));
  }
  if ((qe.misc_select & identity.misc_select_mask) !=
      (identity.misc_select & identity.misc_select_mask)) {
    return mismatch("MISCSELECT does not match under the identity's mask");
  }
  for (size_t i = 0; i < 16; ++i) {
    if ((qe.attributes[i] & identity.attributes_mask[i]) !=
        (identity.attributes[i] & identity.attributes_mask[i])) {
      return mismatch("ATTRIBUTES byte " + std::to_string(i) +
                      " does not match under the identity's mask");
    }
  }
  const IsvLevel* level = FirstLevelAtMost(identity.tcb_levels, qe.isv_svn);
  if (level == nullptr) {
    return Status(reasons::kTdxQeTcbLevelNotFound,
                  "qe report: ISVSVN " + std::to_string(qe.isv_svn) +
                      " is below every TCB level of the QE identity");
  }
  return *level;
}

Status CheckTdxModule(const Quote& quote, const TcbInfo& info) {
  const TdReport& td = *quote.td_report;
  std::array<uint8_t, 48> mr_signer = info.tdx_module_mr_signer;
  std::array<uint8_t, 8> attributes = info.tdx_module_attributes;
  const uint8_t version = td.tee_tcb_svn[1];
  if (version > 0) {
    const TdxModuleIdentity* id = FindModuleIdentity(info, version);
    if (id == nullptr) {
      return Status(reasons::kTdxModuleMismatch,
                    "tcb info: no TDX module identity " + ModuleIdentityId(version));
    }
    mr_signer = id->mr_signer;
    attributes = id->attributes;
  }
  if (!ConstantTimeEquals(td.mr_signer_seam, mr_signer)) {
    return Status(reasons::kTdxModuleMismatch, "td report: MRSIGNERSEAM " +
                                                   HexEncode(td.mr_signer_seam) + ", want " +
                                                   HexEncode(mr_signer));
  }
  // QVL requires SEAM attributes to be zero and equal to the module's (no mask applied).
  for (size_t i = 0; i < 8; ++i) {
    if (td.seam_attributes[i] != 0 || attributes[i] != 0) {
      return Status(reasons::kTdxModuleMismatch,
                    "td report: SEAMATTRIBUTES " + HexEncode(td.seam_attributes) +
                        " not zero or not equal to the TDX module's " + HexEncode(attributes));
    }
  }
  return Status::Ok();
}

Result<TcbEvaluation> EvaluateTcb(const Quote& quote, const PckExtensions& pck, const TcbInfo& info,
                                  const QeIdentity& qe_identity) {
  TcbEvaluation out;
  ATTEST_ASSIGN_OR_RETURN(IsvLevel qe_level, CheckQeIdentity(quote.qe_report, qe_identity));
  out.qe_status = qe_level.status;

  const bool tdx = quote.is_tdx();
  if (tdx) {
    ATTEST_RETURN_IF_ERROR(CheckTdxModule(quote, info));
  }

  const TcbLevel* sgx_level = nullptr;
  const TcbLevel* tdx_level = nullptr;
  for (const TcbLevel& level : info.tcb_levels) {
    if (!SgxComponentsAtLeast(pck, level)) {
      continue;
    }
    if (sgx_level == nullptr) {
      sgx_level = &level;
    }
    if (!tdx) {
      break;
    }
    if (TdxComponentsAtLeast(quote.td_report->tee_tcb_svn, level)) {
      tdx_level = &level;
      break;
    }
  }
  if (sgx_level == nullptr || (tdx && tdx_level == nullptr)) {
    return Status(reasons::kTdxTcbLevelNotFound,
                  std::string("tcb info: no TCB level matches the ") +
                      (sgx_level == nullptr ? "PCK certificate's SGX TCB and PCESVN"
                                            : "quote's TEE_TCB_SVN"));
  }
  const TcbLevel& platform = tdx ? *tdx_level : *sgx_level;
  out.platform_status = platform.status;
  out.tcb_date = platform.tcb_date;
  AddAdvisories(platform.advisory_ids, out.advisory_ids);

  TcbStatus status = platform.status;
  if (tdx) {
    const TdReport& td = *quote.td_report;
    // Module TCB: only judged when the quote names a module version (TEE_TCB_SVN[1] > 0).
    if (td.tee_tcb_svn[1] > 0) {
      const TdxModuleIdentity* id = FindModuleIdentity(info, td.tee_tcb_svn[1]);
      if (id == nullptr) {
        return Status(reasons::kTdxModuleMismatch,
                      "tcb info: no TDX module identity " + ModuleIdentityId(td.tee_tcb_svn[1]));
      }
      const IsvLevel* module_level = FirstLevelAtMost(id->tcb_levels, td.tee_tcb_svn[0]);
      if (module_level == nullptr) {
        return Status(reasons::kTdxTcbLevelNotFound, "tcb info: TDX module SVN " +
                                                         std::to_string(td.tee_tcb_svn[0]) +
                                                         " is below every level of " + id->id);
      }
      out.tdx_module_status = module_level->status;
      AddAdvisories(module_level->advisory_ids, out.advisory_ids);
      status = ConvergeOutOfDate(status, module_level->status);
    }
    if (status == TcbStatus::kRevoked) {
      out.status = status;
      AddAdvisories(qe_level.advisory_ids, out.advisory_ids);
      return out;
    }
    if (td.is_1_5) {
      ATTEST_ASSIGN_OR_RETURN(status, RelaunchCheck(td, info, sgx_level->status, status,
                                                    out.tdx_module_status, out.qe_status));
    }
  }
  out.status = ConvergeOutOfDate(status, out.qe_status);
  AddAdvisories(qe_level.advisory_ids, out.advisory_ids);
  return out;
}

}  // namespace attest::tdx
