#include "bench/fleet/process_cpu.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

#include "flags/reasons.h"

namespace attest::bench::fleet {

Result<unsigned long long> ParseProcStatCpuTicks(std::string_view stat_line) {
  const Status bad(reasons::kCliUsage, "/proc/PID/stat: unexpected shape");
  const size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos || stat_line.find('(') == std::string_view::npos ||
      stat_line.find('(') > close) {
    return bad;
  }
  // After "pid (comm)": field 3 (state) is the first token; utime and stime are fields 14, 15.
  std::string_view rest = stat_line.substr(close + 1);
  unsigned long long ticks[2] = {0, 0};
  int field = 2;
  size_t pos = 0;
  while (field < 15) {
    while (pos < rest.size() && rest[pos] == ' ') {
      ++pos;
    }
    if (pos >= rest.size()) {
      return bad;
    }
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) {
      end = rest.size();
    }
    ++field;
    if (field == 14 || field == 15) {
      const std::string_view token = rest.substr(pos, end - pos);
      unsigned long long v = 0;
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
      if (ec != std::errc() || ptr != token.data() + token.size()) {
        return bad;
      }
      ticks[field - 14] = v;
    }
    pos = end;
  }
  return ticks[0] + ticks[1];
}

Result<double> ProcessesCpuMs(const std::vector<int>& pids) {
  const double ms_per_tick = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) {
      return Status(reasons::kCliUsage,
                    "--attestd-pid " + std::to_string(pid) + ": no such process");
    }
    ATTEST_ASSIGN_OR_RETURN(unsigned long long ticks, ParseProcStatCpuTicks(line));
    total += static_cast<double>(ticks) * ms_per_tick;
  }
  return total;
}

}  // namespace attest::bench::fleet
