// JSON form of snp::SnpClaims, as `attestctl verify snp --json` prints it under "claims".
#pragma once

#include <nlohmann/json.hpp>

#include "attest/snp/claims.h"

namespace attest::render {

// ClaimsToJson: byte fields as lower-case hex; TCB values as {"raw": 8 bytes in report order as
// hex, "bootloader", "tee", "snp", "microcode"[, "fmc"]}; 64-bit bit fields as "0x..." strings.
nlohmann::json ClaimsToJson(const snp::SnpClaims& claims);

}  // namespace attest::render
