// Loading evidence and time arguments for attestctl.
#pragma once

#include <optional>
#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "flags/reasons.h"

namespace attest::cli {

// DecodeBinaryOrHex returns data as is, unless it is entirely hex text (optional surrounding
// whitespace, line breaks allowed), in which case it returns the decoded bytes.
Bytes DecodeBinaryOrHex(const Bytes& data);

// LoadEvidenceFile reads path and applies DecodeBinaryOrHex. Fails with kFileUnreadable.
Result<Bytes> LoadEvidenceFile(const std::string& path);

// VerificationTime parses --at (RFC 3339) or, when absent, reads the wall clock.
Result<TimePoint> VerificationTime(const std::optional<std::string>& at);

}  // namespace attest::cli
