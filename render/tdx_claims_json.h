// JSON form of tdx::Claims, as `attestctl verify tdx|sgx --json` prints it under "claims".
#pragma once

#include <nlohmann/json.hpp>

#include "attest/tdx/claims.h"

namespace attest::render {

// ClaimsToJson: byte strings as lower-case hex. Always: quote_version, tee_type ("tdx"/"sgx"),
// body_type, qe_vendor_id, qe_svn and the TD or enclave report fields (td_attributes and SGX
// attributes as {hex, decoded bits}). When verified: fmspc, pce_id, pce_svn, pck_tcb_components,
// collateral_checked; with collateral: collateral {dates, tcb_evaluation_data_number},
// tcb_status (null when no level matched) and advisory_ids (always present), and with a matched
// level platform_tcb_status, qe_tcb_status, tdx_module_tcb_status (when known), tcb_date.
nlohmann::json ClaimsToJson(const tdx::Claims& claims);

}  // namespace attest::render
