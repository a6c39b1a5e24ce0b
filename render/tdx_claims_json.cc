#include "render/tdx_claims_json.h"

#include "attest/core/encoding.h"

namespace attest::render {
namespace {

using nlohmann::json;

void AddTdReport(const tdx::TdReport& t, json& c) {
  c["tee_tcb_svn"] = HexEncode(t.tee_tcb_svn);
  c["mr_seam"] = HexEncode(t.mr_seam);
  c["mr_signer_seam"] = HexEncode(t.mr_signer_seam);
  c["seam_attributes"] = HexEncode(t.seam_attributes);
  const tdx::TdAttributes a = tdx::DecodeTdAttributes(t.td_attributes);
  c["td_attributes"] = {{"hex", HexEncode(t.td_attributes)},
                        {"debug", a.debug},
                        {"sept_ve_disable", a.sept_ve_disable},
                        {"pks", a.pks},
                        {"kl", a.kl},
                        {"perfmon", a.perfmon},
                        {"reserved_bits_set", a.reserved_bits_set}};
  c["xfam"] = HexEncode(t.xfam);
  c["mr_td"] = HexEncode(t.mr_td);
  c["mr_config_id"] = HexEncode(t.mr_config_id);
  c["mr_owner"] = HexEncode(t.mr_owner);
  c["mr_owner_config"] = HexEncode(t.mr_owner_config);
  json rtmr = json::array();
  for (const tdx::Bytes48& r : t.rtmr) {
    rtmr.push_back(HexEncode(r));
  }
  c["rtmr"] = rtmr;
  c["report_data"] = HexEncode(t.report_data);
  if (t.is_1_5) {
    c["tee_tcb_svn_2"] = HexEncode(t.tee_tcb_svn_2);
    c["mr_service_td"] = HexEncode(t.mr_service_td);
  }
}

void AddEnclaveReport(const tdx::EnclaveReport& e, json& c) {
  c["cpu_svn"] = HexEncode(e.cpu_svn);
  c["misc_select"] = e.misc_select;
  c["attributes"] = {{"hex", HexEncode(e.attributes)},
                     {"debug", (e.attributes[0] & 0x02) != 0},
                     {"mode64bit", (e.attributes[0] & 0x04) != 0}};
  c["mr_enclave"] = HexEncode(e.mr_enclave);
  c["mr_signer"] = HexEncode(e.mr_signer);
  c["isv_prod_id"] = e.isv_prod_id;
  c["isv_svn"] = e.isv_svn;
  c["config_svn"] = e.config_svn;
  c["report_data"] = HexEncode(e.report_data);
}

void AddCollateral(const tdx::Claims& claims, json& c) {
  const tdx::CollateralDates& d = *claims.collateral;
  c["collateral"] = {{"tcb_info_issue_date", FormatRfc3339(d.tcb_info_issue_date)},
                     {"tcb_info_next_update", FormatRfc3339(d.tcb_info_next_update)},
                     {"qe_identity_issue_date", FormatRfc3339(d.qe_identity_issue_date)},
                     {"qe_identity_next_update", FormatRfc3339(d.qe_identity_next_update)},
                     {"pck_crl_this_update", FormatRfc3339(d.pck_crl_this_update)},
                     {"pck_crl_next_update", FormatRfc3339(d.pck_crl_next_update)},
                     {"root_crl_this_update", FormatRfc3339(d.root_crl_this_update)},
                     {"root_crl_next_update", FormatRfc3339(d.root_crl_next_update)},
                     {"tcb_evaluation_data_number", d.tcb_evaluation_data_number}};
  c["tcb_status"] = nullptr;
  c["advisory_ids"] = json::array();
  if (claims.tcb) {
    const tdx::TcbEvaluation& t = *claims.tcb;
    c["tcb_status"] = std::string(tdx::TcbStatusName(t.status));
    c["advisory_ids"] = t.advisory_ids;
    c["platform_tcb_status"] = std::string(tdx::TcbStatusName(t.platform_status));
    c["qe_tcb_status"] = std::string(tdx::TcbStatusName(t.qe_status));
    if (t.tdx_module_status) {
      c["tdx_module_tcb_status"] = std::string(tdx::TcbStatusName(*t.tdx_module_status));
    }
    c["tcb_date"] = t.tcb_date;
  }
}

}  // namespace

json ClaimsToJson(const tdx::Claims& claims) {
  json c;
  c["quote_version"] = claims.quote_version;
  c["tee_type"] = claims.is_tdx() ? "tdx" : "sgx";
  c["body_type"] = claims.body_type;
  c["qe_vendor_id"] = HexEncode(claims.qe_vendor_id);
  c["qe_svn"] = claims.qe_svn;
  if (claims.td) {
    AddTdReport(*claims.td, c);
  }
  if (claims.enclave) {
    AddEnclaveReport(*claims.enclave, c);
  }
  if (!claims.verified || !claims.pck) {
    return c;
  }
  const tdx::PckIdentity& p = *claims.pck;
  c["fmspc"] = HexEncode(p.fmspc);
  c["pce_id"] = HexEncode(p.pce_id);
  c["pce_svn"] = p.pce_svn;
  c["pck_tcb_components"] = HexEncode(p.tcb_components);
  c["collateral_checked"] = claims.collateral.has_value();
  if (claims.collateral) {
    AddCollateral(claims, c);
  }
  return c;
}

}  // namespace attest::render
