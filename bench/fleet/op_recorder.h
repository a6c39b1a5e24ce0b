// OpRecorder: the outcome of every operation of one phase of a fleet run (enroll, host_quote,
// guest_challenge, guest_attest, tenant ops): latencies, and failures counted by HTTP status and
// the answer's reason code. Thread-safe; summarised as JSON once the phase is over.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace attest::bench::fleet {

// OpSummary: one operation's figures over a phase.
struct OpSummary {
  size_t count = 0;  // successes and failures
  size_t errors = 0;
  double per_second = 0;                      // successes per second of the phase
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // over successes
  std::map<std::string, size_t>
      errors_by_code;  // "503 api.verifications_busy", "0 client.transport_error"
  std::vector<std::string> error_samples;  // the first few failures' messages, as given
};

// Percentile returns the q-quantile (0..1, nearest rank) of sorted values; 0 when empty.
double Percentile(const std::vector<double>& sorted, double q);

class OpRecorder {
 public:
  void Ok(const std::string& op, double latency_ms);
  // Failed counts a failure: http_status 0 when there was no answer (transport), reason the
  // answer's "code" (or the client's reason); detail (the message) is kept for the first
  // kMaxErrorSamples failures of op.
  void Failed(const std::string& op, int http_status, std::string_view reason,
              std::string_view detail = "");
  static constexpr size_t kMaxErrorSamples = 3;

  std::map<std::string, OpSummary> Summarise(double wall_seconds) const;
  size_t TotalOps() const;
  size_t TotalErrors() const;

 private:
  struct Samples {
    std::vector<double> latencies_ms;
    std::map<std::string, size_t> errors;
    std::vector<std::string> error_samples;
  };
  mutable std::mutex mu_;
  std::map<std::string, Samples> ops_;
};

// SummaryJson is {"op": {"count", "errors", "per_second", "p50_ms", "p99_ms", "max_ms",
// "errors_by_code", "error_samples" (when there were errors)}, ...}.
nlohmann::json SummaryJson(const std::map<std::string, OpSummary>& ops);

}  // namespace attest::bench::fleet
