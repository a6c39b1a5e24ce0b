// attestctl policy check: validate a tenant (or, with --host, host) policy file.
#include <iostream>

#include "attest/core/file_io.h"
#include "cli/commands.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "policy/loader.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

int RunPolicyCheck(int argc, char** argv, int first) {
  constexpr char kUsage[] = "attestctl policy check FILE [--host]";
  auto args = Args::Parse(argc, argv, first, FlagSpec{{}, {"host"}});
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  if (args->positional().size() != 1) {
    return PrintUsageError(Status(reasons::kCliUsage, "one policy file expected"), kUsage);
  }
  const std::string& path = args->positional()[0];
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    return PrintUsageError(bytes.status(), "");
  }
  const std::string text(bytes->begin(), bytes->end());
  if (args->Has("host")) {
    auto policy = policy::LoadHostPolicy(text);
    if (!policy.ok()) {
      std::cout << path << ": " << policy.status().message() << "\n";
      return kExitRejected;
    }
    std::cout << path << ": ok, host policy " << policy::PolicyIdentity(*policy, policy->name())
              << "\n";
    return kExitAccepted;
  }
  auto policy = policy::LoadTenantPolicy(text);
  if (!policy.ok()) {
    std::cout << path << ": " << policy.status().message() << "\n";
    return kExitRejected;
  }
  std::cout << path << ": ok, tenant policy " << policy::PolicyIdentity(*policy, policy->name())
            << "\n";
  return kExitAccepted;
}

}  // namespace attest::cli
