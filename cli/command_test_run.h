// RunCommand: drive an attestctl subcommand through its entry point in a test, capturing stdout.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/commands.h"

namespace attest::cli {

struct CliRun {
  int code;
  std::string out;  // stdout; stderr is captured and dropped
};

// RunCommand calls fn as `attestctl x y <args...>` (the subcommand's flags start at index 3).
inline CliRun RunCommand(CommandFn fn, std::vector<std::string> args) {
  args.insert(args.begin(), {"attestctl", "x", "y"});
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = fn(static_cast<int>(argv.size()), argv.data(), 3);
  CliRun r{code, ::testing::internal::GetCapturedStdout()};
  ::testing::internal::GetCapturedStderr();
  return r;
}

}  // namespace attest::cli
