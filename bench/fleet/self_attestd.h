// SelfAttestd: the attestd of `fleet_sim --self`, in this process: the API over HTTPS on a
// loopback port, on a scratch SQLite file or (PGHOST set) a PostgreSQL schema of its own, with a
// software-TEE SNP hierarchy as its test root, an operator tenant, and the settings a simulated
// fleet needs (see Start). Like the API benchmarks' fixture (bench/api_bench_support.h).
#pragma once

#include <memory>

#include "bench/fleet/fleet_target.h"

namespace attest::bench::fleet {

class SelfAttestd {
 public:
  // Start serves the API with `handler_threads` HTTPS threads; evidence verifications at once are
  // capped at max_verifications (attestd's max_concurrent_verifications). Dies on failure.
  static std::unique_ptr<SelfAttestd> Start(size_t handler_threads, size_t max_verifications);
  ~SelfAttestd();
  SelfAttestd(const SelfAttestd&) = delete;
  SelfAttestd& operator=(const SelfAttestd&) = delete;

  const FleetTarget& target() const { return target_; }

 private:
  SelfAttestd() = default;
  struct State;
  std::unique_ptr<State> state_;
  FleetTarget target_;
};

}  // namespace attest::bench::fleet
