#include "bench/fleet/fleet_run.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "bench/fleet/load_plan.h"

namespace attest::bench::fleet {
namespace {

double CpuNow(const FleetTarget& target) {
  if (!target.cpu_ms) {
    return -1;
  }
  Result<double> cpu = target.cpu_ms();
  return cpu.ok() ? *cpu : -1;
}

// Timed runs body on `workers` threads and fills the phase's wall and CPU figures.
void Timed(PhaseResult& p, const FleetTarget& target, int workers,
           const std::function<void(int worker)>& body) {
  const double cpu0 = CpuNow(target);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back(body, w);
  }
  for (auto& t : threads) {
    t.join();
  }
  p.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu1 = CpuNow(target);
  p.attestd_cpu_ms = cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0;
}

void Dispatch(FleetSession& s, const PlannedOp& op, Clock::time_point scheduled, OpRecorder& rec) {
  switch (op.kind) {
    case OpKind::kHostQuote:
      s.HostQuote(op.index, scheduled, rec);
      return;
    case OpKind::kGuestRelease:
      s.GuestRelease(op.index, scheduled, rec);
      return;
    case OpKind::kTenantOp:
      s.TenantOp(op.index, scheduled, rec);
      return;
  }
}

}  // namespace

PhaseResult RunSetup(FleetSession& s, int concurrency, const FleetTarget& target) {
  PhaseResult p;
  p.name = "setup";
  std::atomic<int> next{0};
  Timed(p, target, std::min(concurrency, s.hosts()), [&](int) {
    for (int h = next++; h < s.hosts(); h = next++) {
      (void)s.EnrollAndPlace(h, *p.rec);
    }
  });
  return p;
}

PhaseResult RunBootStorm(FleetSession& s, int concurrency, const FleetTarget& target) {
  PhaseResult p;
  p.name = "boot_storm";
  const int guests = s.guests();
  std::atomic<int> next{0};
  const auto start = Clock::now();
  Timed(p, target, std::max(1, std::min(concurrency, guests)), [&](int) {
    for (int g = next++; g < guests; g = next++) {
      s.GuestRelease(g, start, *p.rec);
    }
  });
  return p;
}

Result<PhaseResult> RunSteady(FleetSession& s, const FleetOptions& o, const FleetTarget& target) {
  PhaseResult p;
  p.name = o.mode == LoadMode::kOpen ? "steady_open" : "steady_closed";
  OpenLoopRates rates;
  rates.hosts = s.hosts();
  rates.quote_interval_seconds = o.quote_interval_seconds;
  rates.guests = s.guests();
  rates.guest_pairs_per_second = rates.guests > 0 ? o.guest_pairs_per_second : 0;
  rates.tenant_ops_per_second = o.tenant_ops_per_second;
  // Closed loop: one interval's mix of operations, repeated back to back.
  rates.duration_seconds = o.mode == LoadMode::kOpen
                               ? o.duration_seconds
                               : std::min(o.duration_seconds, o.quote_interval_seconds);
  ATTEST_ASSIGN_OR_RETURN(std::vector<PlannedOp> plan, OpenLoopPlan(rates));
  if (plan.empty()) {
    return p;
  }
  std::atomic<size_t> next{0};
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.duration_seconds));
  if (o.mode == LoadMode::kOpen) {
    // Workers take operations in time order and wait for each one's time; one that is late
    // (every worker busy) starts at once and its latency still counts from its planned time.
    Timed(p, target, o.concurrency, [&](int) {
      for (size_t i = next++; i < plan.size(); i = next++) {
        const auto scheduled = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(plan[i].at_seconds));
        std::this_thread::sleep_until(scheduled);
        Dispatch(s, plan[i], scheduled, *p.rec);
      }
    });
  } else {
    Timed(p, target, o.concurrency, [&](int) {
      while (Clock::now() < deadline) {
        Dispatch(s, plan[next++ % plan.size()], Clock::now(), *p.rec);
      }
    });
  }
  return p;
}

nlohmann::json PhaseJson(const PhaseResult& p) {
  const size_t ops = p.rec->TotalOps();
  nlohmann::json j = {{"seconds", std::round(p.wall_seconds * 100) / 100},
                      {"errors", p.rec->TotalErrors()},
                      {"ops", SummaryJson(p.rec->Summarise(p.wall_seconds))}};
  // Per recorded outcome: a guest pair records three (challenge, attest, release), a host's setup
  // two (enroll, first quote) plus its guests'; the total lets a reader divide by what they count.
  j["attestd_cpu_ms"] =
      p.attestd_cpu_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(std::round(p.attestd_cpu_ms));
  j["attestd_cpu_ms_per_op"] =
      p.attestd_cpu_ms < 0 || ops == 0
          ? nlohmann::json(nullptr)
          : nlohmann::json(std::round(p.attestd_cpu_ms / ops * 1000) / 1000);
  return j;
}

void PrintPhase(const PhaseResult& p) {
  const size_t ops = p.rec->TotalOps();
  std::printf("%s: %.2f s, %zu operations, %zu errors", p.name.c_str(), p.wall_seconds, ops,
              p.rec->TotalErrors());
  if (p.attestd_cpu_ms >= 0 && ops > 0) {
    std::printf(", attestd CPU %.2f ms per operation", p.attestd_cpu_ms / ops);
  }
  std::printf("\n");
  for (const auto& [op, s] : p.rec->Summarise(p.wall_seconds)) {
    std::printf("  %-22s %7zu  %8.1f /s  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  errors %zu\n",
                op.c_str(), s.count, s.per_second, s.p50_ms, s.p99_ms, s.max_ms, s.errors);
    for (const auto& [code, n] : s.errors_by_code) {
      std::printf("      %s: %zu\n", code.c_str(), n);
    }
    for (const std::string& sample : s.error_samples) {
      std::printf("      e.g. %s\n", sample.c_str());
    }
  }
}

}  // namespace attest::bench::fleet
