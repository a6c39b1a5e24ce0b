// GuestTees: the software-TEE "hardware" of every simulated machine guests run on. Machine n signs
// SNP reports with its own VCEK (SoftwareTee::UseHost) under the one hierarchy the target attestd
// trusts, so a guest's report carries the CHIP_ID its host enrolled with.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "attest/core/status.h"
#include "tests/testing/software_tee.h"

namespace attest::bench::fleet {

// kSimulatedMachines: SoftwareTee::SimulatedPlatform knows machines 0..255; host i is machine
// i % kSimulatedMachines (chip ids repeat across hosts beyond that, which attestd allows).
inline constexpr int kSimulatedMachines = 256;

struct SignedSnpEvidence {
  Bytes report;
  Bytes vcek_der;
};

class GuestTees {
 public:
  // saved_platform: FakeSnpPlatform::Save of the trusted hierarchy.
  explicit GuestTees(std::string saved_platform) : saved_(std::move(saved_platform)) {}

  // Prepare makes machine's TEE now (a VCEK issued under the ASK), so that signing later costs
  // only the report signature. Fails with cli.usage when the saved hierarchy does not load.
  Status Prepare(int machine);
  // Sign returns an SNP report of machine for launch (Prepare-d on first use) and its VCEK.
  Result<SignedSnpEvidence> Sign(int machine, const testing::TeeLaunch& launch);

 private:
  struct Machine {
    std::mutex mu;
    std::unique_ptr<testing::SoftwareTee> tee;
    Bytes vcek_der;
  };
  Result<Machine*> Get(int machine);
  std::string saved_;
  std::mutex mu_;
  std::map<int, std::unique_ptr<Machine>> machines_;
};

}  // namespace attest::bench::fleet
