// fleet_sim: a simulated fleet of hosts (software TPMs) and guests (software TEE) against attestd
// over HTTPS on loopback: enrollment, host quotes at an interval, a guest boot storm, guest key
// releases and tenant API traffic, with per-operation latency, errors and attestd CPU. See
// bench/README.md, "Fleet", for how to run it and the figures it gave.
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "attest/core/file_io.h"
#include "bench/fleet/fleet_options.h"
#include "bench/fleet/fleet_run.h"
#include "bench/fleet/fleet_session.h"
#include "bench/fleet/process_cpu.h"
#include "bench/fleet/self_attestd.h"
#include "client/aws_credentials.h"

namespace attest::bench::fleet {
namespace {

Result<FleetTarget> ExternalTarget(const FleetOptions& o) {
  FleetTarget t;
  t.client.endpoint = o.url;
  t.client.ca_cert_file = o.ca_file;
  t.client.sign = false;
  ATTEST_ASSIGN_OR_RETURN(Bytes creds, ReadFileBytes(o.operator_credentials_file));
  ATTEST_ASSIGN_OR_RETURN(
      t.operator_credentials,
      client::ParseCredentialsFile(std::string(creds.begin(), creds.end()), o.operator_profile));
  if (!o.software_tee_state_file.empty()) {
    ATTEST_ASSIGN_OR_RETURN(Bytes saved, ReadFileBytes(o.software_tee_state_file));
    t.snp_platform_saved.assign(saved.begin(), saved.end());
  }
  t.database = "external";
  if (!o.attestd_pids.empty()) {
    ATTEST_RETURN_IF_ERROR(ProcessesCpuMs(o.attestd_pids).status());
    t.cpu_ms = [pids = o.attestd_pids] { return ProcessesCpuMs(pids); };
  }
  return t;
}

int Run(const FleetOptions& o) {
  std::unique_ptr<SelfAttestd> self;
  FleetTarget target;
  if (o.self) {
    // As many handler threads and verification places as the simulator has workers: the figures
    // are of the service, not of a queue in front of it.
    self = SelfAttestd::Start(static_cast<size_t>(std::max(8, o.concurrency)),
                              static_cast<size_t>(o.concurrency));
    target = self->target();
  } else {
    Result<FleetTarget> t = ExternalTarget(o);
    if (!t.ok()) {
      std::fprintf(stderr, "fleet_sim: %s\n", t.status().ToString().c_str());
      return 2;
    }
    target = *t;
  }
  auto session = FleetSession::Create(target, o.hosts, o.guests_per_host);
  if (!session.ok()) {
    std::fprintf(stderr, "fleet_sim: setup: %s\n", session.status().ToString().c_str());
    return 1;
  }
  FleetSession& s = **session;
  std::vector<PhaseResult> phases;
  phases.push_back(RunSetup(s, o.concurrency, target));
  if (o.boot_storm && s.guests() > 0) {
    phases.push_back(RunBootStorm(s, o.concurrency, target));
  }
  Result<PhaseResult> steady = RunSteady(s, o, target);
  if (!steady.ok()) {
    std::fprintf(stderr, "fleet_sim: %s\n", steady.status().ToString().c_str());
    return 2;
  }
  phases.push_back(std::move(steady).value());

  size_t errors = 0;
  nlohmann::json summary = {{"fleet_sim", 1},
                            {"database", target.database},
                            {"mode", o.mode == LoadMode::kOpen ? "open" : "closed"},
                            {"hosts", o.hosts},
                            {"guests", s.guests()},
                            {"quote_interval_s", o.quote_interval_seconds},
                            {"duration_s", o.duration_seconds},
                            {"concurrency", o.concurrency},
                            {"hardware_threads", std::thread::hardware_concurrency()}};
  for (const PhaseResult& p : phases) {
    errors += p.rec->TotalErrors();
    summary["phases"][p.name] = PhaseJson(p);
  }
  summary["errors"] = errors;
  if (o.json) {
    std::printf("%s\n", summary.dump().c_str());
  } else {
    std::printf(
        "fleet: %d hosts x %d guests (%s), %s loop, quote interval %.0f s, %u hardware "
        "threads\n",
        o.hosts, o.guests_per_host, target.database.c_str(),
        o.mode == LoadMode::kOpen ? "open" : "closed", o.quote_interval_seconds,
        std::thread::hardware_concurrency());
    for (const PhaseResult& p : phases) {
      PrintPhase(p);
    }
  }
  return 0;
}

}  // namespace
}  // namespace attest::bench::fleet

int main(int argc, char** argv) {
  using namespace attest::bench::fleet;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help") {
      std::printf("%s", kFleetUsage);
      return 0;
    }
  }
  attest::Result<FleetOptions> o = ParseFleetOptions(argc, argv);
  if (!o.ok()) {
    std::fprintf(stderr, "fleet_sim: %s\n%s", o.status().ToString().c_str(), kFleetUsage);
    return 2;
  }
  try {
    return Run(*o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleet_sim: internal error: %s\n", e.what());
  }
  return 70;  // EX_SOFTWARE
}
