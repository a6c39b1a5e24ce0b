// RatioReporter: Google Benchmark's console output, followed by "ours vs limit" lines computed from
// the same run, so each figure is printed beside the limit measured on the same machine and moment.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace attest::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // AddRatio prints ops/s of `ours` as a percentage of `limit` (both benchmark names), with a
  // limit multiplier (e.g. a floor of three verifies is 1/3 of the single-verify rate).
  void AddRatio(std::string label, std::string ours, std::string limit,
                double limit_ops_scale = 1.0) {
    ratios_.push_back({std::move(label), std::move(ours), std::move(limit), limit_ops_scale});
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        const double seconds_per_op =
            run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
        ops_per_second_[run.benchmark_name()] = 1.0 / seconds_per_op;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n");
    for (const auto& r : ratios_) {
      auto ours = ops_per_second_.find(r.ours);
      auto limit = ops_per_second_.find(r.limit);
      if (ours == ops_per_second_.end() || limit == ops_per_second_.end()) continue;
      const double limit_ops = limit->second * r.scale;
      std::printf("%-52s %10.0f /s  limit %10.0f /s  = %5.1f%% of limit\n", r.label.c_str(),
                  ours->second, limit_ops, 100.0 * ours->second / limit_ops);
    }
  }

 private:
  struct Ratio {
    std::string label, ours, limit;
    double scale;
  };
  std::vector<Ratio> ratios_;
  std::map<std::string, double> ops_per_second_;
};

}  // namespace attest::bench
