// Host evidence in the three steps every TEE has: ParseHostEvidence (logs parsed and replayed),
// VerifyHostEvidence (the quote with the AK, and the quote against the replays), ToClaims (what a
// host policy reads).
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

// HostEvidence is what a host agent ships, as bytes. Spans must outlive every step below.
struct HostEvidence {
  ByteSpan quote;      // TPMS_ATTEST
  ByteSpan signature;  // TPMT_SIGNATURE
  // pcrs: the quoted PCR values. When absent they are taken from the log replays (static banks,
  // PCRs 17-22 from the DRTM log or all-FF without one), so the quote's pcrDigest itself proves the
  // logs.
  std::optional<PcrBanks> pcrs;
  std::optional<ByteSpan> event_log;  // TCG PC Client log (binary_bios_measurements)
  std::optional<ByteSpan> drtm_log;   // dynamic-launch log (attest/tpm/README.md)
};

// ReplayedLog is an event log that parsed, with the PCR values its replay computes.
struct ReplayedLog {
  EventLog log;
  PcrBanks replayed;
};

// ParsedHostEvidence is step 1's result. A log that fails to parse or replay does not stop the
// other steps: its failure is carried (and reported by VerifyHostEvidence) so that one answer lists
// every problem of the evidence.
struct ParsedHostEvidence {
  ByteSpan quote;
  ByteSpan signature;
  PcrBanks pcrs;  // the values the quote must cover: given, or derived from the replays
  std::optional<Result<ReplayedLog>> event_log;  // nullopt: no log was supplied
  std::optional<Result<ReplayedLog>> drtm_log;
};

// ParseHostEvidence parses and replays the logs (ReplayMode::kStatic / kDynamic) and settles the
// PCR values to check. It does not fail: failures travel in the log parts.
ParsedHostEvidence ParseHostEvidence(const HostEvidence& evidence);

// HostVerification is step 2's result: every failure, in the order found (log parse failures
// first), and what did verify. The evidence is accepted only when errors is empty.
struct HostVerification {
  std::optional<VerifiedQuote> quote;
  bool ak_attributes_checked = false;  // the AK came as a TPM public area and passed
  std::vector<Status> errors;
  bool accepted() const { return errors.empty(); }
};

// VerifyHostEvidence verifies the quote (VerifyQuote) with ak, checks the AK's attributes when it
// came as a TPM public area, and compares the quoted PCRs with the replays (CompareReplay: static
// log for PCRs 0-7 and those it extends, DRTM log for PCRs 17-22), requires the quote to cover
// every PCR a log extends (tpm.pcr_not_quoted), and with no DRTM log, quoted PCRs 17 and 18 must
// still read all-FF (no dynamic launch) unless the caller did not quote them. nonce nullopt:
// freshness is the caller's job (claim nonce_checked). Errors carry the reasons of those functions.
HostVerification VerifyHostEvidence(const ParsedHostEvidence& evidence, const AkPublic& ak,
                                    std::optional<ByteSpan> nonce);

// ToClaims gathers the claims of what parsed and verified: the quote's when it verified, each
// log's when it replayed. On evidence that was not accepted they are partial, for diagnosis only.
HostClaims ToClaims(const ParsedHostEvidence& evidence, const HostVerification& verification);

}  // namespace attest::tpm
