// The phases of a fleet run over a FleetSession, each with its own OpRecorder, wall time and the
// attestd CPU it used: setup (enroll + place, C at once), the boot storm (every guest's
// challenge + attest released at one instant), and the steady phase (open or closed loop).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/fleet/fleet_options.h"
#include "bench/fleet/fleet_session.h"
#include "bench/fleet/op_recorder.h"

namespace attest::bench::fleet {

struct PhaseResult {
  std::string name;
  double wall_seconds = 0;
  double attestd_cpu_ms = -1;  // -1: not measured
  std::unique_ptr<OpRecorder> rec = std::make_unique<OpRecorder>();
};

// RunSetup enrolls and places every host, `concurrency` at once.
PhaseResult RunSetup(FleetSession& s, int concurrency, const FleetTarget& target);
// RunBootStorm releases every guest's challenge + attest at once, `concurrency` in flight; its
// wall_seconds is the time until the last guest had its keys.
PhaseResult RunBootStorm(FleetSession& s, int concurrency, const FleetTarget& target);
// RunSteady runs the options' mode for their duration.
Result<PhaseResult> RunSteady(FleetSession& s, const FleetOptions& o, const FleetTarget& target);

// PhaseJson: {"seconds", "errors", "attestd_cpu_ms", "attestd_cpu_ms_per_op" (per recorded
// outcome), "ops": SummaryJson}.
nlohmann::json PhaseJson(const PhaseResult& p);
// PrintPhase writes the phase as a readable table to stdout.
void PrintPhase(const PhaseResult& p);

}  // namespace attest::bench::fleet
