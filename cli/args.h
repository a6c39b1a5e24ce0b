// Args: a small, strict command-line parser for attestctl subcommands.
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
#include "cli/reasons.h"

namespace attest::cli {

struct FlagSpec {
  std::set<std::string> with_value;  // e.g. {"report", "vcek"}
  std::set<std::string> boolean;     // e.g. {"json"}
};

class Args {
 public:
  // Parse reads argv[first..argc). Fails with reasons::kCliUsage.
  static Result<Args> Parse(int argc, char** argv, int first, const FlagSpec& spec);

  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const;
  // Require fails with kCliUsage naming the missing flag.
  Result<std::string> Require(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace attest::cli
