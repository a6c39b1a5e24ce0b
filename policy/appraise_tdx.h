// Appraisal of verified Intel TDX and SGX quotes against a tenant's TDX / SGX rules.
#pragma once

#include "attest/policy/v1/policy.pb.h"
#include "attest/tdx/verify.h"
#include "policy/appraisal.h"

namespace attest::policy {

// AppraiseTdx checks a verified TDX quote: MRTD, RTMRs, MRSEAM, MRCONFIGID (fixed or the launch
// ticket's SHA-384), MROWNER/MROWNERCONFIG, TD debug attribute, XFAM mask, TEE TCB SVN, and the
// collateral's verdict: TCB status accepted, advisories tolerated, collateral age. Every failure
// is listed. A quote verified without collateral fails tdx.no_tcb_status.
Appraisal AppraiseTdx(const tdx::VerifiedQuote& quote, const v1::TdxPolicy& policy,
                      const AppraisalContext& context);

// AppraiseSgx checks a verified SGX quote: MRENCLAVE/MRSIGNER, ISV product id and SVN, debug, and
// the TCB status and advisories.
Appraisal AppraiseSgx(const tdx::VerifiedQuote& quote, const v1::SgxPolicy& policy,
                      const AppraisalContext& context);

}  // namespace attest::policy
