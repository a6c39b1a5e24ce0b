// Quote verification: the AK's signature over TPMS_ATTEST, freshness (extraData = nonce), the PCR
// digest recomputed from supplied PCR values, and agreement of those values with event-log replays.
#pragma once

#include <optional>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/reasons.h"
#include "attest/tpm/wire.h"

namespace attest::tpm {

// VerifiedQuote is a quote whose signature, nonce and PCR digest checked out; only VerifyQuote
// builds one. pcrs holds exactly the quoted PCR values. qualifiedSigner is the AK's Qualified Name
// (Part 1 §16.6: it hashes in the whole parent chain), so it is reported, not compared with the
// AK's Name; the AK is bound to the TPM by credential activation instead.
class VerifiedQuote {
 public:
  const Quote& quote() const { return quote_; }
  const PcrBanks& pcrs() const { return pcrs_; }
  // nonce_checked is false when the caller passed no nonce (freshness then is the caller's job).
  bool nonce_checked() const { return nonce_checked_; }

 private:
  friend Result<VerifiedQuote> VerifyQuote(ByteSpan, ByteSpan, const AkPublic&,
                                           std::optional<ByteSpan>, const PcrBanks&);
  VerifiedQuote(Quote quote, PcrBanks pcrs, bool nonce_checked)
      : quote_(std::move(quote)), pcrs_(std::move(pcrs)), nonce_checked_(nonce_checked) {}
  Quote quote_;
  PcrBanks pcrs_;
  bool nonce_checked_;
};

// VerifyQuote checks, in order: the TPMS_ATTEST parses as a quote; the TPMT_SIGNATURE verifies
// with ak over the exact attest bytes (RSASSA-PKCS1-v1_5, RSASSA-PSS, or ECDSA); extraData equals
// nonce (when given);
// the selected PCRs are all in pcrs and H_sig(concatenation in selection order) == pcrDigest.
// Fails with the reasons of ParseQuote / ParseSignature, tpm.signature_invalid,
// tpm.unsupported_algorithm (scheme does not fit the key), tpm.nonce_mismatch, tpm.pcr_missing or
// tpm.pcr_digest_mismatch.
Result<VerifiedQuote> VerifyQuote(ByteSpan attest, ByteSpan signature, const AkPublic& ak,
                                  std::optional<ByteSpan> nonce, const PcrBanks& pcrs);

// CheckAkAttributes requires a restricted signing key that never left its TPM: fixedTPM,
// fixedParent, sensitiveDataOrigin, restricted and sign set, decrypt clear (Part 2 table 31).
// Fails with tpm.ak_attributes_invalid naming the first wrong bit, or when ak has no public area.
Status CheckAkAttributes(const AkPublic& ak);

// CompareReplay checks that every PCR in `pcrs` (of the quoted banks the log replayed) equals the
// replayed value. For a static log pcrs 0-7 are always compared (a PCR the log never extended must
// still be zero) plus every PCR the log extended; for a dynamic log PCRs 17-22. Fails with
// eventlog.pcr_mismatch naming the first bank and PCR that differ (tpm.drtm_pcr_mismatch for a
// dynamic log), or eventlog.bank_missing when no quoted bank was replayed.
Status CompareReplay(const PcrBanks& quoted, const PcrBanks& replayed, ReplayMode mode);

}  // namespace attest::tpm
