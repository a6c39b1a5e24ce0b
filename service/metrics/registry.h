// Metrics registry in the Prometheus text exposition format (version 0.0.4): counters, gauges
// and histograms with labels, safe to update from any request thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attest::service::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Define* declare a family once, before use; using an undeclared family is a programming error
  // and is ignored (never a crash in a request).
  void DefineCounter(std::string name, std::string help);
  void DefineGauge(std::string name, std::string help);
  // bucket upper bounds in ascending order (seconds for latencies); +Inf is implicit.
  void DefineHistogram(std::string name, std::string help, std::vector<double> buckets);

  void Add(std::string_view name, const Labels& labels, double delta = 1);
  void Set(std::string_view name, const Labels& labels, double value);
  void Observe(std::string_view name, const Labels& labels, double value);

  // Render is the whole exposition: HELP and TYPE lines, then samples sorted by label values.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                   // counter / gauge; histogram sum
    uint64_t count = 0;                 // histogram
    std::vector<uint64_t> bucket_hits;  // histogram, per bucket (not cumulative)
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  Family* Find(std::string_view name, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// EscapeLabelValue escapes backslash, double quote and newline as the text format requires.
std::string EscapeLabelValue(std::string_view value);

}  // namespace attest::service::metrics
