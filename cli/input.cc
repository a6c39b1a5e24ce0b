#include "cli/input.h"

#include <cctype>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"

namespace attest::cli {

Bytes DecodeBinaryOrHex(const Bytes& data) {
  std::string hex;
  hex.reserve(data.size());
  for (uint8_t c : data) {
    if (std::isspace(c)) {
      continue;
    }
    if (!std::isxdigit(c)) {
      return data;
    }
    hex += static_cast<char>(c);
  }
  if (hex.empty() || hex.size() % 2 != 0) {
    return data;
  }
  auto decoded = HexDecode(hex);
  return decoded.ok() ? std::move(decoded).value() : data;
}

Result<Bytes> LoadEvidenceFile(const std::string& path) {
  ATTEST_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(path));
  return DecodeBinaryOrHex(data);
}

Result<TimePoint> VerificationTime(const std::optional<std::string>& at) {
  if (!at) {
    return WallClockNow();
  }
  return ParseRfc3339(*at);
}

}  // namespace attest::cli
