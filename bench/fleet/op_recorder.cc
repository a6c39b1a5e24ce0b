#include "bench/fleet/op_recorder.h"

#include <algorithm>
#include <cmath>

namespace attest::bench::fleet {

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) {
    return 0;
  }
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void OpRecorder::Ok(const std::string& op, double latency_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_[op].latencies_ms.push_back(latency_ms);
}

void OpRecorder::Failed(const std::string& op, int http_status, std::string_view reason,
                        std::string_view detail) {
  const std::string key =
      std::to_string(http_status) + " " + (reason.empty() ? std::string("-") : std::string(reason));
  std::lock_guard<std::mutex> lock(mu_);
  Samples& samples = ops_[op];
  ++samples.errors[key];
  if (!detail.empty() && samples.error_samples.size() < kMaxErrorSamples) {
    samples.error_samples.push_back(key + ": " + std::string(detail.substr(0, 300)));
  }
}

std::map<std::string, OpSummary> OpRecorder::Summarise(double wall_seconds) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, OpSummary> out;
  for (const auto& [op, samples] : ops_) {
    OpSummary& s = out[op];
    std::vector<double> sorted = samples.latencies_ms;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [code, n] : samples.errors) {
      s.errors += n;
    }
    s.errors_by_code = samples.errors;
    s.error_samples = samples.error_samples;
    s.count = sorted.size() + s.errors;
    s.per_second = wall_seconds > 0 ? static_cast<double>(sorted.size()) / wall_seconds : 0;
    s.p50_ms = Percentile(sorted, 0.50);
    s.p99_ms = Percentile(sorted, 0.99);
    s.max_ms = sorted.empty() ? 0 : sorted.back();
  }
  return out;
}

size_t OpRecorder::TotalOps() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [op, samples] : ops_) {
    n += samples.latencies_ms.size();
    for (const auto& [code, count] : samples.errors) {
      n += count;
    }
  }
  return n;
}

size_t OpRecorder::TotalErrors() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [op, samples] : ops_) {
    for (const auto& [code, count] : samples.errors) {
      n += count;
    }
  }
  return n;
}

nlohmann::json SummaryJson(const std::map<std::string, OpSummary>& ops) {
  nlohmann::json out = nlohmann::json::object();
  // Rounded to 0.01 ms / 0.1 op/s: the JSON line stays short and diffable.
  auto round2 = [](double v) { return std::round(v * 100) / 100; };
  for (const auto& [op, s] : ops) {
    out[op] = {{"count", s.count},
               {"errors", s.errors},
               {"per_second", std::round(s.per_second * 10) / 10},
               {"p50_ms", round2(s.p50_ms)},
               {"p99_ms", round2(s.p99_ms)},
               {"max_ms", round2(s.max_ms)},
               {"errors_by_code", s.errors_by_code}};
    if (!s.error_samples.empty()) {
      out[op]["error_samples"] = s.error_samples;
    }
  }
  return out;
}

}  // namespace attest::bench::fleet
