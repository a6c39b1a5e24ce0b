// Fuzzes the TCG event log parser, both replay modes, and claim decoding + JSON rendering (which
// `attestctl verify tpm` prints for any log that parses).
#include <cstddef>
#include <cstdint>
#include "tests/fuzz/fuzz_check.h"

#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "render/tpm_claims_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  auto log = tpm::ParseEventLog(ByteSpan(data, size));
  if (!log.ok()) {
    FUZZ_CHECK(!log.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(!log->banks.empty() && log->events.size() <= tpm::kMaxEvents);
  auto replay = tpm::ReplayEventLog(*log);
  if (replay.ok()) {
    (void)render::ClaimsToJson(tpm::ExtractBootClaims(*log, *replay)).dump();
  }
  auto drtm = tpm::ReplayEventLog(*log, tpm::ReplayMode::kDynamic);
  if (drtm.ok()) {
    (void)render::ClaimsToJson(tpm::ExtractDrtmClaims(*log, *drtm)).dump();
  }
  return 0;
}
