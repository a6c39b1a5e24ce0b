// attestctl verify tpm: offline verification of a TPM 2.0 quote with its UEFI and DRTM event logs.
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/host.h"
#include "attest/tpm/wire.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/policy_flags.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "policy/appraise_host.h"
#include "render/tpm_claims_json.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl verify tpm --quote FILE --sig FILE --ak FILE [--pcrs FILE] [--nonce HEX] "
    "[--eventlog FILE] [--drtm-log FILE] [--host-policy FILE] [--json]";

// LoadOptional reads the file named by flag, if given (binary, or hex text).
Result<std::optional<Bytes>> LoadOptional(const Args& args, const char* flag) {
  const auto path = args.Get(flag);
  if (!path) {
    return std::optional<Bytes>();
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes data, LoadEvidenceFile(*path));
  return std::optional<Bytes>(std::move(data));
}

}  // namespace

int RunVerifyTpm(int argc, char** argv, int first) {
  const FlagSpec spec{
      {"quote", "sig", "ak", "pcrs", "nonce", "eventlog", "drtm-log", "host-policy"}, {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  const bool json = args->Has("json");
  Bytes files[3];
  const char* required[3] = {"quote", "sig", "ak"};
  for (int i = 0; i < 3; ++i) {
    auto path = args->Require(required[i]);
    if (!path.ok()) {
      return PrintUsageError(path.status(), kUsage);
    }
    // The AK may be PEM text, so it is read as is; quote and signature may also be hex.
    auto data = i == 2 ? ReadFileBytes(*path) : LoadEvidenceFile(*path);
    if (!data.ok()) {
      return PrintUsageError(data.status(), "");
    }
    files[i] = std::move(data).value();
  }
  std::optional<Bytes> nonce;
  if (auto hex = args->Get("nonce")) {
    auto decoded = HexDecode(*hex);
    if (!decoded.ok()) {
      return PrintUsageError(Status(reasons::kCliUsage, "--nonce: " + decoded.status().message()),
                             kUsage);
    }
    nonce = std::move(decoded).value();
  }
  std::optional<Bytes> pcr_file, event_log, drtm_log;
  if (auto path = args->Get("pcrs")) {
    auto data = ReadFileBytes(*path);
    if (!data.ok()) {
      return PrintUsageError(data.status(), "");
    }
    pcr_file = std::move(data).value();
  }
  for (auto [flag, out] : {std::pair{"eventlog", &event_log}, std::pair{"drtm-log", &drtm_log}}) {
    auto data = LoadOptional(*args, flag);
    if (!data.ok()) {
      return PrintUsageError(data.status(), "");
    }
    *out = std::move(data).value();
  }

  VerifyOutcome outcome{"tpm", std::nullopt, {}};
  auto ak = tpm::ParsePublicKey(files[2]);
  if (!ak.ok()) {
    outcome.errors.push_back(ak.status().WithContext("--ak"));
    return PrintVerifyOutcome(outcome, json);
  }
  tpm::HostEvidence evidence;
  evidence.quote = files[0];
  evidence.signature = files[1];
  if (pcr_file) {
    auto pcrs = tpm::ParsePcrValues(*pcr_file);
    if (!pcrs.ok()) {
      outcome.errors.push_back(pcrs.status().WithContext("--pcrs"));
      return PrintVerifyOutcome(outcome, json);
    }
    evidence.pcrs = std::move(pcrs).value();
  }
  if (event_log) {
    evidence.event_log = ByteSpan(*event_log);
  }
  if (drtm_log) {
    evidence.drtm_log = ByteSpan(*drtm_log);
  }
  const tpm::ParsedHostEvidence parsed = tpm::ParseHostEvidence(evidence);
  tpm::HostVerification verification =
      tpm::VerifyHostEvidence(parsed, *ak, nonce ? std::optional<ByteSpan>(*nonce) : std::nullopt);
  const tpm::HostClaims claims = tpm::ToClaims(parsed, verification);
  if (claims.quote || claims.boot || claims.drtm) {
    outcome.claims = nlohmann::json(render::ClaimsToJson(claims));
  }
  outcome.errors = std::move(verification.errors);
  if (const auto path = args->Get("host-policy")) {
    // The operator's host policy decides once the evidence itself verified.
    auto text = ReadFileBytes(*path);
    if (!text.ok()) {
      return PrintUsageError(text.status(), "");
    }
    auto host_policy = policy::LoadHostPolicy(std::string(text->begin(), text->end()));
    if (!host_policy.ok()) {
      return PrintUsageError(host_policy.status().WithContext(*path), "");
    }
    if (outcome.errors.empty()) {
      PolicyFlags flags;
      flags.identity = policy::PolicyIdentity(*host_policy, host_policy->name());
      ApplyAppraisal(policy::AppraiseHost(claims, *host_policy, {WallClockNow()}), flags,
                     "tpm-quote", WallClockNow(), &outcome);
    }
  }
  return PrintVerifyOutcome(outcome, json);
}

}  // namespace attest::cli
