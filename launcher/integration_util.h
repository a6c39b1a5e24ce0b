// Helpers of the launcher's integration tests: run a host command without a shell and capture its
// output, and the skip-or-fail rule for a missing service.
#pragma once

#include <string>
#include <vector>

namespace attest::launcher::itest {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Run executes argv[0] from PATH with argv (no shell), waits, and returns its exit code and
// output.
CommandResult RunCommand(const std::vector<std::string>& argv);

// Spawn starts argv in the background with output discarded and returns its pid.
int Spawn(const std::vector<std::string>& argv);
// Stop sends SIGTERM to pid and reaps it.
void Stop(int pid);

// RandomSuffix returns 8 hex digits, so concurrent runs on one host never share names.
std::string RandomSuffix();

}  // namespace attest::launcher::itest
