// Process CPU for "attestd CPU per operation": user + system time of other processes, read from
// /proc/PID/stat (proc(5): fields 14 utime and 15 stime, in clock ticks).
#pragma once

#include <string_view>
#include <vector>

#include "attest/core/status.h"

namespace attest::bench::fleet {

// ParseProcStatCpuTicks returns utime + stime of one /proc/PID/stat line. The command name (field
// 2) is in parentheses and may hold spaces and ')': fields are counted after its last ')'. Fails
// with cli.usage on a line of any other shape.
Result<unsigned long long> ParseProcStatCpuTicks(std::string_view stat_line);

// ProcessesCpuMs is the CPU time used so far by every process in pids, in milliseconds. Fails when
// one of them cannot be read (it exited: its CPU would silently drop out of the figure).
Result<double> ProcessesCpuMs(const std::vector<int>& pids);

}  // namespace attest::bench::fleet
