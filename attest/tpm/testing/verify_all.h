// VerifyAll runs host evidence through the three steps (ParseHostEvidence, VerifyHostEvidence,
// ToClaims) as a caller does, for tests that check the outcome as a whole. Test-only.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/host.h"

namespace attest::testing {

// EvidenceWithKey is the evidence together with what the verifier brings: the AK and the nonce.
struct EvidenceWithKey : tpm::HostEvidence {
  const tpm::AkPublic* ak = nullptr;
  std::optional<ByteSpan> nonce;
};

struct VerifiedAll {
  tpm::HostClaims claims;
  std::vector<Status> errors;
  bool accepted() const { return errors.empty(); }
};

inline VerifiedAll VerifyAll(const EvidenceWithKey& ev) {
  const tpm::ParsedHostEvidence parsed = tpm::ParseHostEvidence(ev);
  tpm::HostVerification verification = tpm::VerifyHostEvidence(parsed, *ev.ak, ev.nonce);
  tpm::HostClaims claims = tpm::ToClaims(parsed, verification);
  return {std::move(claims), std::move(verification.errors)};
}

}  // namespace attest::testing
