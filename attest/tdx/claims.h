// Claims of a DCAP quote: the stable facts a policy reads, as JSON (the shape `attestctl verify
// tdx|sgx --json` prints under "claims" and the service stores).
//
// TDX: quote_version, tee_type, body_type, mr_seam, mr_signer_seam, seam_attributes,
// td_attributes (hex and decoded: debug, sept_ve_disable, pks, kl, perfmon, reserved_bits_set),
// xfam, mr_td, mr_config_id, mr_owner, mr_owner_config, rtmr[0..3], report_data, tee_tcb_svn
// (+ tee_tcb_svn_2, mr_service_td for TD 1.5). SGX: mr_enclave, mr_signer, isv_prod_id, isv_svn,
// attributes (hex and decoded debug, mode64bit), misc_select, report_data, cpu_svn. Both: fmspc,
// pce_id, pce_svn (from the PCK certificate), qe_svn, collateral dates, tcb_status,
// advisory_ids (always present once collateral was verified; tcb_status is null when no level
// matched). Byte strings are lower-case hex.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "attest/tdx/verify.h"
#include "attest/tdx/wire.h"

namespace attest::tdx {

// QuoteClaims returns the claims readable from the quote alone (no verification implied).
nlohmann::json QuoteClaims(const Quote& quote);

// VerifiedClaims returns QuoteClaims plus what verification established (PCK facts, collateral
// dates, TCB status and advisories).
nlohmann::json VerifiedClaims(const VerifiedQuote& verified);

// TdAttributes decodes the TD ATTRIBUTES bit field (TDX module ABI, TDREPORT.TDINFO.ATTRIBUTES):
// bit 0 DEBUG, bit 28 SEPT_VE_DISABLE, bit 30 PKS, bit 31 KL, bit 63 PERFMON.
struct TdAttributes {
  bool debug = false;
  bool sept_ve_disable = false;
  bool pks = false;
  bool kl = false;
  bool perfmon = false;
  bool reserved_bits_set = false;
};
TdAttributes DecodeTdAttributes(const std::array<uint8_t, 8>& attributes);

}  // namespace attest::tdx
