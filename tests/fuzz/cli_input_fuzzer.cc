// Fuzzes the CLI's evidence loading (binary or hex auto-detection) followed by the report parser,
// i.e. everything `attestctl verify snp --report FILE` does to file contents before verifying.
#include <cstddef>
#include <cstdint>

#include "attest/snp/wire.h"
#include "cli/input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const attest::Bytes input(data, data + size);
  const attest::Bytes decoded = attest::cli::DecodeBinaryOrHex(input);
  (void)attest::snp::ParseSnpReport(decoded);
  return 0;
}
