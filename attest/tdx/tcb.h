// TCB status evaluation, as Intel's Quote Verification Library computes it.
//
// Source of the rules: Intel SGX/TDX DCAP Quote Verification Library, "Verify Quote" steps
// 4.1.2.4.11 (TDX module identity), 4.1.2.4.15 (QE identity), 4.1.2.4.17 (TCB level match,
// TDX module TCB, TD relaunch check, convergence with the QE status).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/tdx/claims.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/pck.h"
#include "attest/tdx/reasons.h"
#include "attest/tdx/wire.h"

namespace attest::tdx {

// CheckQeIdentity matches the QE report against the identity (MRSIGNER, ISVPRODID, masked
// MISCSELECT and ATTRIBUTES) and returns the QE's TCB level. Fails with tdx.qe_identity_mismatch
// or tdx.qe_tcb_level_not_found (ISVSVN below every level).
Result<IsvLevel> CheckQeIdentity(const EnclaveReport& qe_report, const QeIdentity& identity);

// CheckTdxModule checks MRSIGNERSEAM and SEAM attributes against the TCB info's TDX module (or
// the module identity "TDX_<version>" when TEE_TCB_SVN[1] > 0). Fails with tdx.tdx_module_mismatch.
Status CheckTdxModule(const Quote& quote, const TcbInfo& tcb_info);

// EvaluateTcb runs the level matching and convergence. The quote's TEE type must match the
// TCB info id (the caller checks it). Fails with tdx.tcb_level_not_found when no level matches
// (platform or TDX module), tdx.tdx_module_mismatch, or the errors of CheckQeIdentity.
Result<TcbEvaluation> EvaluateTcb(const Quote& quote, const PckExtensions& pck,
                                  const TcbInfo& tcb_info, const QeIdentity& qe_identity);

// IsRejectedByDefault is true for OutOfDate*, Revoked and TDRelaunchAdvised*: the statuses the
// built-in policy refuses when no tenant policy is given.
bool IsRejectedByDefault(TcbStatus status);

}  // namespace attest::tdx
