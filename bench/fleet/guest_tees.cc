#include "bench/fleet/guest_tees.h"

#include "attest/core/time.h"
#include "flags/reasons.h"

namespace attest::bench::fleet {

Result<GuestTees::Machine*> GuestTees::Get(int machine) {
  if (machine < 0 || machine >= kSimulatedMachines) {
    return Status(reasons::kCliUsage, "software TEE: no machine " + std::to_string(machine));
  }
  Machine* m = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Machine>& slot = machines_[machine];
    if (!slot) {
      slot = std::make_unique<Machine>();
    }
    m = slot.get();
  }
  std::lock_guard<std::mutex> lock(m->mu);
  if (!m->tee) {
    auto platform = testing::FakeSnpPlatform::Load(saved_, snp::Product::kMilan);
    if (!platform) {
      return Status(reasons::kCliUsage, "software TEE: the saved SNP hierarchy does not load");
    }
    auto tee = std::make_unique<testing::SoftwareTee>(std::move(platform));
    tee->UseHost(machine, WallClockNow());
    m->vcek_der = tee->snp().EndorsementDer();
    m->tee = std::move(tee);
  }
  return m;
}

Status GuestTees::Prepare(int machine) { return Get(machine).status(); }

Result<SignedSnpEvidence> GuestTees::Sign(int machine, const testing::TeeLaunch& launch) {
  ATTEST_ASSIGN_OR_RETURN(Machine * m, Get(machine));
  std::lock_guard<std::mutex> lock(m->mu);
  return SignedSnpEvidence{m->tee->SnpReport(launch), m->vcek_der};
}

}  // namespace attest::bench::fleet
