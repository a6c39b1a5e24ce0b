// Appraisal of verified SEV-SNP claims against a tenant's SNP rules.
#pragma once

#include "attest/policy/v1/policy.pb.h"
#include "attest/snp/claims.h"
#include "policy/appraisal.h"

namespace attest::policy {

// AppraiseSnp checks every rule of policy against claims and returns all failures (not only the
// first). Pure: same inputs, same result, byte for byte. Unverified claims are refused outright.
Appraisal AppraiseSnp(const snp::SnpClaims& claims, const v1::SnpPolicy& policy,
                      const AppraisalContext& context);

}  // namespace attest::policy
