#include "attest/tdx/claims.h"

#include "attest/core/encoding.h"

namespace attest::tdx {

using nlohmann::json;

TdAttributes DecodeTdAttributes(const std::array<uint8_t, 8>& a) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | a[i];
  TdAttributes t;
  t.debug = v & 1;
  t.sept_ve_disable = (v >> 28) & 1;
  t.pks = (v >> 30) & 1;
  t.kl = (v >> 31) & 1;
  t.perfmon = (v >> 63) & 1;
  // Defined bits: 0, 28, 30, 31, 63; everything else is reserved in TDX 1.0/1.5.
  constexpr uint64_t kDefined = 1ull | (1ull << 28) | (1ull << 30) | (1ull << 31) | (1ull << 63);
  t.reserved_bits_set = (v & ~kDefined) != 0;
  return t;
}

json QuoteClaims(const Quote& q) {
  json c;
  c["quote_version"] = q.header.version;
  c["tee_type"] = q.is_tdx() ? "tdx" : "sgx";
  c["body_type"] = q.body_type;
  c["qe_vendor_id"] = HexEncode(q.header.qe_vendor_id);
  c["qe_svn"] = q.qe_report.isv_svn;
  if (q.td_report) {
    const TdReport& t = *q.td_report;
    c["tee_tcb_svn"] = HexEncode(t.tee_tcb_svn);
    c["mr_seam"] = HexEncode(t.mr_seam);
    c["mr_signer_seam"] = HexEncode(t.mr_signer_seam);
    c["seam_attributes"] = HexEncode(t.seam_attributes);
    const TdAttributes a = DecodeTdAttributes(t.td_attributes);
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
    for (const Bytes48& r : t.rtmr) rtmr.push_back(HexEncode(r));
    c["rtmr"] = rtmr;
    c["report_data"] = HexEncode(t.report_data);
    if (t.is_1_5) {
      c["tee_tcb_svn_2"] = HexEncode(t.tee_tcb_svn_2);
      c["mr_service_td"] = HexEncode(t.mr_service_td);
    }
  }
  if (q.enclave_report) {
    const EnclaveReport& e = *q.enclave_report;
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
  return c;
}

json VerifiedClaims(const VerifiedQuote& v) {
  json c = QuoteClaims(v.quote());
  const PckExtensions& p = v.pck();
  c["fmspc"] = HexEncode(p.fmspc);
  c["pce_id"] = HexEncode(p.pce_id);
  c["pce_svn"] = p.pce_svn;
  c["pck_tcb_components"] = HexEncode(p.tcb_components);
  c["collateral_checked"] = v.collateral_checked();
  if (v.dates()) {
    const CollateralDates& d = *v.dates();
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
    if (v.tcb()) {
      const TcbEvaluation& t = *v.tcb();
      c["tcb_status"] = std::string(TcbStatusName(t.status));
      c["advisory_ids"] = t.advisory_ids;
      c["platform_tcb_status"] = std::string(TcbStatusName(t.platform_status));
      c["qe_tcb_status"] = std::string(TcbStatusName(t.qe_status));
      if (t.tdx_module_status) {
        c["tdx_module_tcb_status"] = std::string(TcbStatusName(*t.tdx_module_status));
      }
      c["tcb_date"] = t.tcb_date;
    }
  }
  return c;
}

}  // namespace attest::tdx
