// Parsing of SEV-SNP attestation reports from untrusted bytes.
#pragma once

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/snp/reasons.h"
#include "attest/snp/report.h"

namespace attest::snp {

// ParseSnpReport parses a 1184-byte ATTESTATION_REPORT of version 2, 3 or 5 (SNP ABI Table 23).
// It checks the layout only: sizes, version, signature algorithm, that reserved bytes and bits are
// zero and policy bit 17 is one. It verifies nothing cryptographic.
// Fails with snp.bad_size, snp.unsupported_version, snp.unsupported_signature_algo,
// snp.reserved_not_zero or snp.malformed_report.
Result<SnpReport> ParseSnpReport(ByteSpan bytes);

}  // namespace attest::snp
