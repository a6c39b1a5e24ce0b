#include "bench/fleet/fleet_options.h"

#include <charconv>
#include <cmath>
#include <initializer_list>

#include "flags/args.h"

namespace attest::bench::fleet {

const char kFleetUsage[] =
    "fleet_sim (--self | --url URL --ca CERT --operator-credentials FILE [--operator-profile P])\n"
    "          [--software-tee-state FILE] [--hosts N] [--guests-per-host M]\n"
    "          [--quote-interval S] [--duration S] [--mode open|closed] [--rate R]\n"
    "          [--concurrency C] [--tenant-ops-per-second T] [--attestd-pid PID[,PID...]]\n"
    "          [--no-boot-storm] [--json]\n";

namespace {

Status Usage(const std::string& what) { return Status(reasons::kCliUsage, what); }

// ReadNumber parses the whole of text as a finite decimal number within [min, max].
Result<double> ReadNumber(const std::string& flag, const std::string& text, double min,
                          double max) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < min ||
      value > max) {
    return Usage("--" + flag + ": want a number in " + std::to_string(min) + ".." +
                 std::to_string(max) + ", got \"" + text + "\"");
  }
  return value;
}

Result<int> ReadInt(const std::string& flag, const std::string& text, int min, int max) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return Usage("--" + flag + ": want an integer in " + std::to_string(min) + ".." +
                 std::to_string(max) + ", got \"" + text + "\"");
  }
  return value;
}

// ReadPids reads "PID[,PID...]" (at most 16 processes: the replicas of one machine).
Result<std::vector<int>> ReadPids(const std::string& text) {
  std::vector<int> pids;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    ATTEST_ASSIGN_OR_RETURN(int pid,
                            ReadInt("attestd-pid", text.substr(start, comma - start), 1, 1 << 22));
    pids.push_back(pid);
    if (comma == std::string::npos) {
      break;
    }
    if (pids.size() == 16) {
      return Usage("--attestd-pid: at most 16 processes");
    }
    start = comma + 1;
  }
  return pids;
}

}  // namespace

Result<FleetOptions> ParseFleetOptions(int argc, char** argv) {
  flags::FlagSpec spec;
  spec.with_value = {"url",
                     "ca",
                     "operator-credentials",
                     "operator-profile",
                     "software-tee-state",
                     "hosts",
                     "guests-per-host",
                     "quote-interval",
                     "duration",
                     "mode",
                     "rate",
                     "concurrency",
                     "tenant-ops-per-second",
                     "attestd-pid"};
  spec.boolean = {"self", "json", "no-boot-storm"};
  ATTEST_ASSIGN_OR_RETURN(flags::Args args, flags::Args::Parse(argc, argv, 1, spec));
  if (!args.positional().empty()) {
    return Usage("unexpected argument \"" + args.positional().front() + "\"");
  }
  FleetOptions o;
  o.self = args.Has("self");
  o.json = args.Has("json");
  o.boot_storm = !args.Has("no-boot-storm");
  o.url = args.Get("url").value_or("");
  o.ca_file = args.Get("ca").value_or("");
  o.operator_credentials_file = args.Get("operator-credentials").value_or("");
  o.software_tee_state_file = args.Get("software-tee-state").value_or("");
  o.operator_profile = args.Get("operator-profile").value_or("default");
  if (o.self && args.Get("operator-profile").has_value()) {
    return Usage("--self starts its own attestd: no --operator-profile");
  }
  if (o.self && (!o.url.empty() || !o.ca_file.empty() || !o.operator_credentials_file.empty())) {
    return Usage("--self starts its own attestd: no --url, --ca or --operator-credentials");
  }
  if (!o.self && (o.url.empty() || o.ca_file.empty() || o.operator_credentials_file.empty())) {
    return Usage("want --self, or --url, --ca and --operator-credentials");
  }
  // Ranges: a fleet one machine can simulate, runs bounded in time.
  struct IntFlag {
    const char* name;
    int* out;
    int min, max;
  };
  for (const IntFlag& f : {IntFlag{"hosts", &o.hosts, 1, 100000},
                           IntFlag{"guests-per-host", &o.guests_per_host, 0, 64},
                           IntFlag{"concurrency", &o.concurrency, 1, 256}}) {
    if (auto v = args.Get(f.name)) {
      ATTEST_ASSIGN_OR_RETURN(*f.out, ReadInt(f.name, *v, f.min, f.max));
    }
  }
  struct NumberFlag {
    const char* name;
    double* out;
    double min, max;
  };
  for (const NumberFlag& f :
       {NumberFlag{"quote-interval", &o.quote_interval_seconds, 1, 3600},
        NumberFlag{"duration", &o.duration_seconds, 1, 3600},
        NumberFlag{"rate", &o.guest_pairs_per_second, 0, 10000},
        NumberFlag{"tenant-ops-per-second", &o.tenant_ops_per_second, 0, 1000}}) {
    if (auto v = args.Get(f.name)) {
      ATTEST_ASSIGN_OR_RETURN(*f.out, ReadNumber(f.name, *v, f.min, f.max));
    }
  }
  if (auto v = args.Get("attestd-pid")) {
    ATTEST_ASSIGN_OR_RETURN(o.attestd_pids, ReadPids(*v));
  }
  if (auto v = args.Get("mode")) {
    if (*v != "open" && *v != "closed") {
      return Usage("--mode: want open or closed, got \"" + *v + "\"");
    }
    o.mode = *v == "open" ? LoadMode::kOpen : LoadMode::kClosed;
  }
  if (!o.self && o.guests_per_host > 0 && o.software_tee_state_file.empty()) {
    return Usage(
        "guests need --software-tee-state: the SNP test hierarchy the target attestd trusts "
        "(or --guests-per-host 0)");
  }
  return o;
}

}  // namespace attest::bench::fleet
