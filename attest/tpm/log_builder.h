// LogBuilder: writes TCG event logs (crypto agile or legacy SHA-1) for tests, fuzz seeds and the
// DRTM log the agent records. Digests default to the hash of the event data in every bank.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/tpm/alg.h"

namespace attest::tpm {

class LogBuilder {
 public:
  // Agile starts a crypto-agile log whose Spec ID event lists banks (TPM_ALG_IDs).
  static LogBuilder Agile(std::vector<uint16_t> banks);
  // Legacy starts a SHA-1 log (no Spec ID event).
  static LogBuilder Legacy();

  // Add appends a record measuring data (digest = H_bank(data) in every bank).
  LogBuilder& Add(uint32_t pcr, uint32_t type, ByteSpan data);
  // AddWithDigests appends a record with explicit (alg, digest) pairs.
  LogBuilder& AddWithDigests(uint32_t pcr, uint32_t type, ByteSpan data,
                             const std::vector<std::pair<uint16_t, Bytes>>& digests);
  // AddStartupLocality appends the EV_NO_ACTION StartupLocality record (PFP §10.4.5.3).
  LogBuilder& AddStartupLocality(uint8_t locality);

  const Bytes& bytes() const { return bytes_; }
  const std::vector<uint16_t>& banks() const { return banks_; }

 private:
  void U16(uint16_t v);
  void U32(uint32_t v);
  Bytes bytes_;
  std::vector<uint16_t> banks_;
  bool agile_ = true;
};

}  // namespace attest::tpm
