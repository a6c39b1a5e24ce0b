// Host evidence: one call that verifies a quote together with the UEFI event log and the DRTM log
// it vouches for, and gathers every claim a host policy reads.
#pragma once

#include <optional>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/reasons.h"
#include "attest/tpm/verify.h"
#include "attest/tpm/wire.h"

namespace attest::tpm {

// HostEvidence is what a host agent ships. Spans must outlive the call.
struct HostEvidence {
  ByteSpan quote;      // TPMS_ATTEST
  ByteSpan signature;  // TPMT_SIGNATURE
  const AkPublic* ak = nullptr;
  std::optional<ByteSpan> nonce;  // nullopt: freshness is the caller's job (claim nonce_checked)
  // pcrs: the quoted PCR values. When absent they are taken from the log replays (static banks,
  // PCRs 17-22 from the DRTM log or all-FF without one), so the quote's pcrDigest itself proves the
  // logs.
  std::optional<PcrBanks> pcrs;
  std::optional<ByteSpan> event_log;  // TCG PC Client log (binary_bios_measurements)
  std::optional<ByteSpan> drtm_log;   // dynamic-launch log (attest/tpm/README.md)
};

// HostVerification lists every failure; the evidence is accepted only when errors is empty.
struct HostVerification {
  HostClaims claims;
  std::vector<Status> errors;
  bool accepted() const { return errors.empty(); }
};

// VerifyHostEvidence parses and replays the logs, verifies the quote (VerifyQuote), checks the AK's
// attributes when it came as a TPM public area, and compares the quoted PCRs with the replays
// (CompareReplay: static log for PCRs 0-7 and those it extends, DRTM log for PCRs 17-22), requires
// the quote to cover every PCR a log extends (tpm.pcr_not_quoted), and with no
// DRTM log, quoted PCRs 17 and 18 must still read all-FF (no dynamic launch) unless the caller
// did not quote them. Errors carry the reasons of those functions.
HostVerification VerifyHostEvidence(const HostEvidence& evidence);

}  // namespace attest::tpm
