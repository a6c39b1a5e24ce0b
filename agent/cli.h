// The attest-agent command line, split by where it runs: main.cc (usage text, dispatch, the host
// commands) and guest_cli.cc (the commands inside a confidential VM).
#pragma once

#include <iostream>
#include <string_view>

#include "attest/core/status.h"
#include "flags/reasons.h"

namespace attest::agent::cli {

// Fail prints status on stderr and returns the exit code: 2 for a usage error, 1 otherwise.
inline int Fail(const Status& status) {
  std::cerr << "attest-agent: " << status.ToString() << "\n";
  return status.reason_id() == ::attest::reasons::kCliUsage.id ? 2 : 1;
}

// RunGuest runs `attest-agent guest VERB ...` (argv[2] is the verb); usage is printed on a usage
// error.
int RunGuest(int argc, char** argv, std::string_view usage);

}  // namespace attest::agent::cli
