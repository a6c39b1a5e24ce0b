#include "policy/appraise_tdx.h"

#include <algorithm>

#include "attest/core/encoding.h"
#include "policy/rules.h"

namespace attest::policy {
namespace {

// TD_ATTRIBUTES bit 0 DEBUG (TDX module ABI, TDREPORT TDINFO); SGX ATTRIBUTES bit 1 DEBUG (SDM
// Vol. 3D, SECS.ATTRIBUTES).
constexpr uint8_t kTdDebugBit = 0x01;
constexpr uint8_t kSgxDebugBit = 0x02;

std::string StatusList(const google::protobuf::RepeatedPtrField<std::string>& accepted) {
  return accepted.empty() ? "UpToDate (default)" : Join(accepted);
}

// AppraiseTcb applies the accepted statuses, tolerated advisories and collateral age: shared by
// TDX and SGX, whose collateral verdicts have the same shape.
void AppraiseTcb(const tdx::Claims& q,
                 const google::protobuf::RepeatedPtrField<std::string>& accepted,
                 const google::protobuf::RepeatedPtrField<std::string>& allowed_advisories,
                 uint64_t max_age_seconds, const AppraisalContext& ctx, const char* area,
                 Reason status_reason, Reason advisory_reason, Appraisal* a, RuleRecorder* rules) {
  TrustVector& t = a->trust;
  if (!q.collateral || !q.tcb) {
    rules->Fail(&t.hardware, reasons::kTdxNoTcbStatus, std::string(area) + ".accepted_tcb_statuses",
                "no verified collateral", "a TCB status from verified collateral");
    return;
  }
  const std::string status(tdx::TcbStatusName(q.tcb->status));
  const bool ok = accepted.empty()
                      ? status == "UpToDate"
                      : std::find(accepted.begin(), accepted.end(), status) != accepted.end();
  if (!ok) {
    rules->Fail(&t.hardware, status_reason, std::string(area) + ".accepted_tcb_statuses", status,
                StatusList(accepted));
  } else if (status != "UpToDate") {
    t.hardware = TrustTier::kWarning;
  }
  const bool any_advisory = std::find(allowed_advisories.begin(), allowed_advisories.end(), "*") !=
                            allowed_advisories.end();
  for (const std::string& id : q.tcb->advisory_ids) {
    if (!any_advisory && std::find(allowed_advisories.begin(), allowed_advisories.end(), id) ==
                             allowed_advisories.end()) {
      rules->Fail(&t.hardware, advisory_reason, std::string(area) + ".allowed_advisory_ids", id,
                  Join(allowed_advisories));
    }
  }
  if (max_age_seconds > 0) {
    const TimePoint oldest =
        std::min(q.collateral->tcb_info_issue_date, q.collateral->qe_identity_issue_date);
    const auto age = ctx.now - oldest;
    if (age > std::chrono::seconds(max_age_seconds)) {
      rules->Fail(&t.hardware, reasons::kTdxCollateralTooOld,
                  std::string(area) + ".max_collateral_age_seconds",
                  "issued " + FormatRfc3339(oldest),
                  "at most " + std::to_string(max_age_seconds) + "s old");
    }
  }
}

}  // namespace

Appraisal AppraiseTdx(const tdx::Claims& q, const v1::TdxPolicy& p, const AppraisalContext& ctx) {
  Appraisal a = TeeAppraisal("tdx");
  TrustVector& t = a.trust;
  RuleRecorder rules(&a);
  if (!q.td) {
    rules.Fail(&t.hardware, reasons::kPolicyNoRulesForEvidence, "tdx", "an SGX quote",
               "a TDX quote");
    return a;
  }
  const tdx::TdReport& r = *q.td;

  const std::string mr_td = HexEncode(r.mr_td);
  if (!p.any_mr_td() && !Listed(p.mr_td(), mr_td)) {
    rules.Fail(&t.executables, reasons::kTdxMrTdRejected, "tdx.mr_td", mr_td, Join(p.mr_td()));
  }
  for (const v1::RtmrRule& rule : p.rtmrs()) {
    const std::string value = HexEncode(r.rtmr[rule.index()]);
    if (!Listed(rule.values(), value)) {
      rules.Fail(&t.executables, reasons::kTdxRtmrRejected,
                 "tdx.rtmrs[index=" + std::to_string(rule.index()) + "]", value,
                 Join(rule.values()));
    }
  }
  const std::string mr_seam = HexEncode(r.mr_seam);
  if (p.mr_seam_size() > 0 && !Listed(p.mr_seam(), mr_seam)) {
    rules.Fail(&t.hardware, reasons::kTdxMrSeamRejected, "tdx.mr_seam", mr_seam, Join(p.mr_seam()));
  }

  const std::string config_id = HexEncode(r.mr_config_id);
  if (p.mr_config_id_launch_ticket()) {
    if (!ctx.launch_ticket_sha384_hex || config_id != *ctx.launch_ticket_sha384_hex) {
      rules.Fail(&t.instance_identity, reasons::kTdxMrConfigIdRejected,
                 "tdx.mr_config_id_launch_ticket", config_id,
                 ctx.launch_ticket_sha384_hex.value_or("(no launch ticket known)"));
    }
  } else if (!p.any_mr_config_id() && config_id != Lowered(p.mr_config_id())) {
    rules.Fail(&t.instance_identity, reasons::kTdxMrConfigIdRejected, "tdx.mr_config_id", config_id,
               Lowered(p.mr_config_id()));
  }
  const std::string owner = HexEncode(r.mr_owner);
  if (p.mr_owner_size() > 0 && !Listed(p.mr_owner(), owner)) {
    rules.Fail(&t.instance_identity, reasons::kTdxMrOwnerRejected, "tdx.mr_owner", owner,
               Join(p.mr_owner()));
  }
  const std::string owner_config = HexEncode(r.mr_owner_config);
  if (p.mr_owner_config_size() > 0 && !Listed(p.mr_owner_config(), owner_config)) {
    rules.Fail(&t.configuration, reasons::kTdxMrOwnerConfigRejected, "tdx.mr_owner_config",
               owner_config, Join(p.mr_owner_config()));
  }

  if ((r.td_attributes[0] & kTdDebugBit) != 0 && !p.allow_debug()) {
    rules.Fail(&t.runtime_opaque, reasons::kTdxDebugForbidden, "tdx.allow_debug",
               "td_attributes.debug=1", "debug=0");
    t.configuration = TrustTier::kContraindicated;
  }
  if (!p.xfam_mask().empty()) {
    const Bytes mask = *HexDecode(p.xfam_mask());
    const Bytes want = *HexDecode(p.xfam_value());
    bool match = true;
    for (size_t i = 0; i < 8; ++i) {
      match = match && ((r.xfam[i] & mask[i]) == want[i]);
    }
    if (!match) {
      rules.Fail(&t.configuration, reasons::kTdxXfamRejected, "tdx.xfam_mask", HexEncode(r.xfam),
                 "xfam & " + Lowered(p.xfam_mask()) + " == " + Lowered(p.xfam_value()));
    }
  }
  if (!p.min_tee_tcb_svn().empty()) {
    const Bytes min = *HexDecode(p.min_tee_tcb_svn());
    bool at_least = true;
    for (size_t i = 0; i < 16; ++i) {
      at_least = at_least && r.tee_tcb_svn[i] >= min[i];
    }
    if (!at_least) {
      rules.Fail(&t.hardware, reasons::kTdxTeeTcbSvnTooLow, "tdx.min_tee_tcb_svn",
                 HexEncode(r.tee_tcb_svn), ">= " + Lowered(p.min_tee_tcb_svn()) + " per component");
    }
  }
  AppraiseTcb(q, p.accepted_tcb_statuses(), p.allowed_advisory_ids(),
              p.max_collateral_age_seconds(), ctx, "tdx", reasons::kTdxTcbStatusRejected,
              reasons::kTdxAdvisoryRejected, &a, &rules);
  return a;
}

Appraisal AppraiseSgx(const tdx::Claims& q, const v1::SgxPolicy& p, const AppraisalContext& ctx) {
  Appraisal a = TeeAppraisal("sgx");
  TrustVector& t = a.trust;
  RuleRecorder rules(&a);
  if (!q.enclave) {
    rules.Fail(&t.hardware, reasons::kPolicyNoRulesForEvidence, "sgx", "a TDX quote",
               "an SGX quote");
    return a;
  }
  const tdx::EnclaveReport& r = *q.enclave;
  const std::string enclave = HexEncode(r.mr_enclave);
  const std::string signer = HexEncode(r.mr_signer);
  if (p.mr_enclave_size() > 0 && !Listed(p.mr_enclave(), enclave)) {
    rules.Fail(&t.executables, reasons::kSgxMrEnclaveRejected, "sgx.mr_enclave", enclave,
               Join(p.mr_enclave()));
  }
  if (p.mr_signer_size() > 0 && !Listed(p.mr_signer(), signer)) {
    rules.Fail(&t.executables, reasons::kSgxMrSignerRejected, "sgx.mr_signer", signer,
               Join(p.mr_signer()));
  }
  if (p.mr_signer_size() > 0 && r.isv_prod_id != p.isv_prod_id()) {
    rules.Fail(&t.instance_identity, reasons::kSgxProdIdRejected, "sgx.isv_prod_id",
               std::to_string(r.isv_prod_id), std::to_string(p.isv_prod_id()));
  }
  if (r.isv_svn < p.min_isv_svn()) {
    rules.Fail(&t.executables, reasons::kSgxIsvSvnTooLow, "sgx.min_isv_svn",
               std::to_string(r.isv_svn), ">=" + std::to_string(p.min_isv_svn()));
  }
  if ((r.attributes[0] & kSgxDebugBit) != 0 && !p.allow_debug()) {
    rules.Fail(&t.runtime_opaque, reasons::kSgxDebugForbidden, "sgx.allow_debug",
               "attributes.debug=1", "debug=0");
    t.configuration = TrustTier::kContraindicated;
  }
  AppraiseTcb(q, p.accepted_tcb_statuses(), p.allowed_advisory_ids(), 0, ctx, "sgx",
              reasons::kSgxTcbStatusRejected, reasons::kSgxAdvisoryRejected, &a, &rules);
  return a;
}

}  // namespace attest::policy
