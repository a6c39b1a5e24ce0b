// Fuzzes the SEV-SNP report parser and, for inputs that parse, the claims decoding and JSON
// rendering that `attestctl verify snp` prints even for rejected reports.
#include <cstddef>
#include <cstdint>
#include "tests/fuzz/fuzz_check.h"

#include "attest/snp/claims.h"
#include "attest/snp/wire.h"
#include "render/snp_claims_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  auto report = snp::ParseSnpReport(ByteSpan(data, size));
  if (!report.ok()) {
    FUZZ_CHECK(!report.status().message().empty());
    return 0;
  }
  // A successful parse consumed exactly one report.
  FUZZ_CHECK(size == snp::kReportSize);
  (void)render::ClaimsToJson(snp::UnverifiedClaims(*report)).dump();
  return 0;
}
