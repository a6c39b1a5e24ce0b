// Appraisal of verified Intel TDX and SGX quotes against a tenant's TDX / SGX rules.
#pragma once

#include "attest/policy/v1/policy.pb.h"
#include "attest/tdx/claims.h"
#include "policy/appraisal.h"

namespace attest::policy {

// AppraiseTdx checks the claims of a verified TDX quote (tdx::ToClaims): MRTD, RTMRs, MRSEAM,
// MRCONFIGID (fixed or the launch ticket's SHA-384), MROWNER/MROWNERCONFIG, TD debug attribute,
// XFAM mask, TEE TCB SVN, and the collateral's verdict: TCB status accepted, advisories tolerated,
// collateral age. Every failure is listed. A quote verified without collateral fails
// tdx.no_tcb_status; claims of an SGX quote fail policy.no_rules_for_evidence.
Appraisal AppraiseTdx(const tdx::Claims& claims, const v1::TdxPolicy& policy,
                      const AppraisalContext& context);

// AppraiseSgx checks the claims of a verified SGX quote: MRENCLAVE/MRSIGNER, ISV product id and
// SVN, debug, and the TCB status and advisories.
Appraisal AppraiseSgx(const tdx::Claims& claims, const v1::SgxPolicy& policy,
                      const AppraisalContext& context);

}  // namespace attest::policy
