#include "service/metrics/registry.h"

#include <charconv>
#include <cmath>

namespace attest::service::metrics {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(v)) {
    return "NaN";
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
  return std::string(buf, ec == std::errc() ? end : buf);
}

std::string LabelText(const Labels& labels, const std::string& extra_name = "",
                      const std::string& extra_value = "") {
  std::string out;
  auto add = [&out](const std::string& name, const std::string& value) {
    out += out.empty() ? "{" : ",";
    out += name + "=\"" + EscapeLabelValue(value) + "\"";
  };
  for (const auto& [name, value] : labels) {
    add(name, value);
  }
  if (!extra_name.empty()) {
    add(extra_name, extra_value);
  }
  if (!out.empty()) {
    out += "}";
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Registry::DefineCounter(std::string name, std::string help) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.try_emplace(std::move(name), Family{Type::kCounter, std::move(help), {}, {}});
}

void Registry::DefineGauge(std::string name, std::string help) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.try_emplace(std::move(name), Family{Type::kGauge, std::move(help), {}, {}});
}

void Registry::DefineHistogram(std::string name, std::string help, std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.try_emplace(std::move(name),
                        Family{Type::kHistogram, std::move(help), std::move(buckets), {}});
}

Registry::Family* Registry::Find(std::string_view name, Type type) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != type) {
    return nullptr;
  }
  return &it->second;
}

void Registry::Add(std::string_view name, const Labels& labels, double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  Family* f = Find(name, Type::kCounter);
  if (f == nullptr || delta < 0) {
    return;
  }
  f->series[labels].value += delta;
}

void Registry::Set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Family* f = Find(name, Type::kGauge);
  if (f == nullptr) {
    return;
  }
  f->series[labels].value = value;
}

void Registry::Observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Family* f = Find(name, Type::kHistogram);
  if (f == nullptr) {
    return;
  }
  Series& s = f->series[labels];
  if (s.bucket_hits.empty()) {
    s.bucket_hits.assign(f->buckets.size(), 0);
  }
  for (size_t i = 0; i < f->buckets.size(); ++i) {
    if (value <= f->buckets[i]) {
      ++s.bucket_hits[i];
      break;
    }
  }
  s.value += value;
  ++s.count;
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + kTypeNames[static_cast<int>(f.type)] + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += name + LabelText(labels) + " " + FormatValue(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += s.bucket_hits[i];
        out += name + "_bucket" + LabelText(labels, "le", FormatValue(f.buckets[i])) + " " +
               std::to_string(cumulative) + "\n";
      }
      out +=
          name + "_bucket" + LabelText(labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
      out += name + "_sum" + LabelText(labels) + " " + FormatValue(s.value) + "\n";
      out += name + "_count" + LabelText(labels) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace attest::service::metrics
