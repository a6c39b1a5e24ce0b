#include "attest/tpm/pcr_json.h"

#include <string>

#include "attest/core/encoding.h"
#include "attest/tpm/alg.h"

namespace attest::tpm {

nlohmann::ordered_json PcrBanksToJson(const PcrBanks& banks) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [alg, pcrs] : banks) {
    nlohmann::ordered_json bank = nlohmann::ordered_json::object();
    for (const auto& [index, value] : pcrs) {
      bank[std::to_string(index)] = HexEncode(value);
    }
    out[HashAlgName(alg)] = std::move(bank);
  }
  return out;
}

}  // namespace attest::tpm
