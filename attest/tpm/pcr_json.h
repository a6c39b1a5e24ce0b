// PCR values as JSON: the {"sha1":{"0":"hex",...},...} form the host agent sends under
// "pcrs":{"banks":...}, `attestctl eventlog replay` prints, and ParsePcrValues (wire.h) reads back.
// A wire form, not a rendering of claims (those are render/tpm_claims_json.h).
#pragma once

#include <nlohmann/json.hpp>

#include "attest/tpm/eventlog.h"

namespace attest::tpm {

// PcrBanksToJson renders {"sha1":{"0":"hex",...},...}: banks by TPM_ALG_ID name, keys in numeric
// order, lower-case hex.
nlohmann::ordered_json PcrBanksToJson(const PcrBanks& banks);

}  // namespace attest::tpm
