// Args: a small, strict command-line parser for the three binaries (attestctl subcommands,
// attestd, attest-agent).
//
// Flags are "--name value" or "--name=value"; boolean flags take no value. A flag not declared by
// the subcommand is a usage error (exit 2), so a typo never silently changes a verdict.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "flags/reasons.h"

namespace attest::flags {

// FlagSpec declares the flags one command accepts.
struct FlagSpec {
  std::set<std::string> with_value;  // e.g. {"report", "vcek"}
  std::set<std::string> boolean;     // e.g. {"json"}
};

// Args holds one parsed command line: flag values, boolean flags and positional arguments.
class Args {
 public:
  // Parse reads argv[first..argc). Fails with reasons::kCliUsage.
  static Result<Args> Parse(int argc, char** argv, int first, const FlagSpec& spec);

  // Get returns the value of a flag declared with_value, or nullopt when it was not given.
  std::optional<std::string> Get(const std::string& name) const;
  // Has reports whether a boolean flag was given.
  bool Has(const std::string& name) const;
  // Require fails with kCliUsage naming the missing flag.
  Result<std::string> Require(const std::string& name) const;
  // positional returns the non-flag arguments in order ("--" itself counts as one).
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace attest::flags
