// attestctl token verify: check a signed attestation result token.
#include <iostream>

#include "cli/commands.h"
#include "cli/input.h"
#include "cli/policy_flags.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "policy/token.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

int RunTokenVerify(int argc, char** argv, int first) {
  constexpr char kUsage[] = "attestctl token verify TOKEN --key PEM [--at RFC3339]";
  auto args = Args::Parse(argc, argv, first, FlagSpec{{"key", "at"}, {}});
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  if (args->positional().size() != 1) {
    return PrintUsageError(Status(reasons::kCliUsage, "one token expected"), kUsage);
  }
  auto key_path = args->Require("key");
  if (!key_path.ok()) {
    return PrintUsageError(key_path.status(), kUsage);
  }
  auto key = LoadPublicKeyPem(*key_path);
  if (!key.ok()) {
    return PrintUsageError(key.status(), "");
  }
  auto now = VerificationTime(args->Get("at"));
  if (!now.ok()) {
    return PrintUsageError(now.status(), kUsage);
  }
  auto payload = policy::VerifyResultToken(args->positional()[0], key->get(), *now);
  if (!payload.ok()) {
    std::cout << nlohmann::json{{"valid", false},
                                {"error",
                                 {{"code", std::string(payload.status().reason_id())},
                                  {"message", payload.status().message()}}}}
                     .dump()
              << "\n";
    return kExitRejected;
  }
  std::cout << nlohmann::json{{"valid", true}, {"payload", *payload}}.dump() << "\n";
  return kExitAccepted;
}

}  // namespace attest::cli
