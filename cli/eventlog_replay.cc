// attestctl eventlog replay: replay a TCG PC Client event log to PCR values, every bank.
#include <iostream>

#include "attest/core/encoding.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/pcr_json.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/verify_output.h"
#include "flags/args.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] = "attestctl eventlog replay FILE [--drtm] [--json]";

}  // namespace

// RunEventlogReplay prints {"banks":{"sha1":{"0":"hex",...},...}} (or one line per PCR). Exit 0 on
// success, 1 for a malformed log (the message names the offset), 2 for usage or an unreadable file.
int RunEventlogReplay(int argc, char** argv, int first) {
  const FlagSpec spec{{}, {"json", "drtm"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  if (args->positional().size() != 1) {
    return PrintUsageError(Status(reasons::kCliUsage, "want exactly one FILE"), kUsage);
  }
  auto bytes = LoadEvidenceFile(args->positional().front());
  if (!bytes.ok()) {
    return PrintUsageError(bytes.status(), "");
  }
  const tpm::ReplayMode mode =
      args->Has("drtm") ? tpm::ReplayMode::kDynamic : tpm::ReplayMode::kStatic;
  auto log = tpm::ParseEventLog(*bytes);
  auto replay = log.ok() ? tpm::ReplayEventLog(*log, mode) : Result<tpm::PcrBanks>(log.status());
  if (!replay.ok()) {
    std::cerr << "attestctl: " << replay.status().ToString() << "\n";
    return kExitRejected;
  }
  if (args->Has("json")) {
    nlohmann::ordered_json out;
    out["banks"] = tpm::PcrBanksToJson(*replay);
    std::cout << out.dump() << "\n";
  } else {
    for (const auto& [alg, pcrs] : *replay) {
      std::cout << tpm::HashAlgName(alg) << ":\n";
      for (const auto& [index, value] : pcrs) {
        std::cout << "  " << index << (index < 10 ? " " : "") << " : " << HexEncode(value) << "\n";
      }
    }
  }
  return kExitAccepted;
}

}  // namespace attest::cli
