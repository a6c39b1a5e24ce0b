// Appraisal of a hypervisor host's measured boot (TPM quote + replayed event logs) against the
// operator's host policy.
#pragma once

#include "attest/policy/v1/policy.pb.h"
#include "attest/tpm/claims.h"
#include "policy/appraisal.h"

namespace attest::policy {

// AppraiseHost checks the claims of host evidence that verified (tpm::VerifyHostEvidence
// accepted it): S-CRTM/firmware version, Secure Boot on, db/dbx digests, boot applications
// (loaders, kernels), kernel command line, DRTM (SINIT ACM, MLE, PCR 17/18) and per-PCR values.
// Every failure is listed; claims without an event log fail host.no_event_log when the policy
// needs log contents.
Appraisal AppraiseHost(const tpm::HostClaims& claims, const v1::HostPolicy& policy,
                       const AppraisalContext& context);

}  // namespace attest::policy
