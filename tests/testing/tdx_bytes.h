// VerifyDcapBytes: ParseQuote then QuoteVerifier::Verify, for tests that start from quote bytes
// (mutated vectors, every-byte flips) and assert the first failure whichever step it came from.
#pragma once

#include <optional>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tdx/verify.h"
#include "attest/tdx/wire.h"

namespace attest::testing {

// DcapVerification: status is the parse failure or the verification status; parsed is set when
// the bytes parsed, verified as in tdx::Verification.
struct DcapVerification {
  Status status;
  std::optional<tdx::Quote> parsed;
  std::optional<tdx::VerifiedQuote> verified;
};

inline DcapVerification VerifyDcapBytes(tdx::QuoteVerifier& verifier, ByteSpan quote_bytes,
                                        const tdx::Collateral* collateral, TimePoint now) {
  DcapVerification out;
  auto parsed = tdx::ParseQuote(quote_bytes);
  if (!parsed.ok()) {
    out.status = parsed.status();
    return out;
  }
  out.parsed = std::move(parsed).value();
  tdx::Verification v = verifier.Verify(*out.parsed, collateral, now);
  out.status = std::move(v.status);
  out.verified = std::move(v.verified);
  return out;
}

}  // namespace attest::testing
