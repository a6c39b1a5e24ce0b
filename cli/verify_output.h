// The shared result shape of every `attestctl verify <type>` subcommand.
//
// JSON: {"verdict":"accepted"|"rejected","evidence":"<type>","claims":{...},"errors":[{"code",
// "message"}]}. claims is present whenever the evidence parsed, even if rejected. Exit code 0 =
// accepted, 1 = rejected (any evidence problem, malformed input included), 2 = usage or file error.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "flags/reasons.h"

namespace attest::cli {

inline constexpr int kExitAccepted = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitUsage = 2;

struct VerifyOutcome {
  std::string evidence;                  // "snp", "tdx", "sgx", "tpm", "sev-chain"...
  std::optional<nlohmann::json> claims;  // present when the evidence parsed
  std::vector<Status> errors;            // empty = accepted
  // With --policy: the appraisal ({"policy","status","failures",...}); its failures are also
  // errors, so the verdict is the policy's. With --token-key: the signed result token.
  std::optional<nlohmann::json> appraisal;
  std::optional<std::string> token;
};

// PrintVerifyOutcome writes the outcome to stdout (JSON or a readable summary) and returns the
// exit code.
int PrintVerifyOutcome(const VerifyOutcome& outcome, bool json);

// PrintUsageError reports a usage or file problem on stderr and returns kExitUsage.
int PrintUsageError(const Status& status, const std::string& usage);

}  // namespace attest::cli
