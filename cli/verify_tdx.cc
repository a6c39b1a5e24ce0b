// attestctl verify tdx|sgx: offline verification of an Intel DCAP quote (TDX v4/v5, SGX v3).
#include <filesystem>
#include <optional>

#include "attest/core/file_io.h"
#include "attest/tdx/ccel.h"
#include "attest/tdx/claims.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/verify.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/policy_flags.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "policy/appraise_tdx.h"
#include "render/tdx_claims_json.h"
#include "service/collateral/bundle_source.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

// LoadCollateralDir reads the raw Intel PCS responses of form (b); see attest/tdx/README.md.
Result<tdx::Collateral> LoadCollateralDir(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    return Status(reasons::kFileUnreadable, "--collateral-dir " + dir + " is not a directory");
  }
  return service::collateral::LoadPcsDirectory(dir);
}

int RunVerifyDcap(int argc, char** argv, int first, bool want_tdx) {
  const std::string kind = want_tdx ? "tdx" : "sgx";
  const std::string usage = "attestctl verify " + kind +
                            " --quote FILE [--collateral FILE | --collateral-dir DIR]"
                            " [--ccel FILE] [--at RFC3339] [--policy FILE [--token-key PEM]]"
                            " [--json]";
  const FlagSpec spec{
      {"quote", "collateral", "collateral-dir", "ccel", "at", kPolicyFlag, kTokenKeyFlag},
      {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), usage);
  }
  auto quote_path = args->Require("quote");
  if (!quote_path.ok()) {
    return PrintUsageError(quote_path.status(), usage);
  }
  if (args->Get("collateral") && args->Get("collateral-dir")) {
    return PrintUsageError(
        Status(reasons::kCliUsage, "--collateral and --collateral-dir are exclusive"), usage);
  }
  if (args->Get("ccel") && !want_tdx) {
    return PrintUsageError(Status(reasons::kCliUsage, "--ccel applies to TDX quotes only"), usage);
  }
  auto now = VerificationTime(args->Get("at"));
  if (!now.ok()) {
    return PrintUsageError(now.status(), usage);
  }
  auto quote_bytes = LoadEvidenceFile(*quote_path);
  if (!quote_bytes.ok()) {
    return PrintUsageError(quote_bytes.status(), "");
  }
  std::optional<Bytes> ccel;
  if (auto path = args->Get("ccel")) {
    auto data = ReadFileBytes(*path);
    if (!data.ok()) {
      return PrintUsageError(data.status(), "");
    }
    ccel = std::move(data).value();
  }

  VerifyOutcome outcome{kind, std::nullopt, {}};
  const bool json = args->Has("json");
  std::optional<tdx::Collateral> collateral;
  if (auto path = args->Get("collateral")) {
    auto data = ReadFileBytes(*path);
    if (!data.ok()) {
      return PrintUsageError(data.status(), "");
    }
    auto parsed = tdx::ParseCollateralJson(
        std::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
    if (!parsed.ok()) {
      outcome.errors.push_back(parsed.status());
      return PrintVerifyOutcome(outcome, json);
    }
    collateral = std::move(parsed).value();
  } else if (auto dir = args->Get("collateral-dir")) {
    auto loaded = LoadCollateralDir(*dir);
    if (!loaded.ok()) {
      if (loaded.status().code() == ErrorCode::kUnavailable &&
          loaded.status().reason_id() == reasons::kFileUnreadable.id) {
        return PrintUsageError(loaded.status(), "");
      }
      outcome.errors.push_back(loaded.status());
      return PrintVerifyOutcome(outcome, json);
    }
    collateral = std::move(loaded).value();
  }

  // ParseQuote -> Verify -> ToClaims; a rejected quote still shows what it says.
  auto parsed = tdx::ParseQuote(*quote_bytes);
  if (parsed.ok() && parsed->is_tdx() != want_tdx) {
    outcome.claims = render::ClaimsToJson(tdx::UnverifiedClaims(*parsed));
    outcome.errors.push_back(
        Status(reasons::kTdxUnsupportedQuote,
               "quote: this is " + std::string(parsed->is_tdx() ? "a TDX" : "an SGX") +
                   " quote; use attestctl verify " + (parsed->is_tdx() ? "tdx" : "sgx")));
    return PrintVerifyOutcome(outcome, json);
  }
  Status status = parsed.status();
  std::optional<tdx::VerifiedQuote> verified;
  std::optional<tdx::Claims> claims;
  if (parsed.ok()) {
    tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
    tdx::Verification v = verifier.Verify(*parsed, collateral ? &*collateral : nullptr, *now);
    status = std::move(v.status);
    verified = std::move(v.verified);
    claims = verified ? tdx::ToClaims(*verified) : tdx::UnverifiedClaims(*parsed);
    outcome.claims = render::ClaimsToJson(*claims);
  }
  auto policy_flags = LoadPolicyFlags(*args);
  if (!policy_flags.ok()) {
    return PrintUsageError(policy_flags.status(), "");
  }
  if (!status.ok()) {
    outcome.errors.push_back(status);
  } else if (policy_flags->policy) {
    // The tenant's policy replaces the built-in TCB status rule.
    const auto& p = *policy_flags->policy;
    const policy::AppraisalContext ctx{*now};
    if (want_tdx ? !p.has_tdx() : !p.has_sgx()) {
      outcome.errors.push_back(
          Status(reasons::kPolicyNoRulesForEvidence,
                 "the policy has no " + kind + " section: it accepts no " + kind + " quote"));
    } else {
      ApplyAppraisal(want_tdx ? policy::AppraiseTdx(*claims, p.tdx(), ctx)
                              : policy::AppraiseSgx(*claims, p.sgx(), ctx),
                     *policy_flags, kind + "-quote", WallClockNow(), &outcome);
    }
  } else if (Status s = tdx::ApplyDefaultTcbPolicy(*verified); !s.ok()) {
    outcome.errors.push_back(s);
  }
  if (ccel && parsed.ok() && parsed->td_report) {
    auto replay = tdx::ReplayCcel(*ccel);
    if (!replay.ok()) {
      outcome.errors.push_back(replay.status());
    } else {
      Status s = tdx::CheckRtmrs(*replay, *parsed->td_report);
      if (!s.ok()) {
        outcome.errors.push_back(s);
      }
      if (outcome.claims) {
        (*outcome.claims)["ccel"] = {{"events", replay->events.size()}, {"rtmr_replay_ok", s.ok()}};
      }
    }
  }
  return PrintVerifyOutcome(outcome, json);
}

}  // namespace

int RunVerifyTdx(int argc, char** argv, int first) {
  return RunVerifyDcap(argc, argv, first, true);
}
int RunVerifySgx(int argc, char** argv, int first) {
  return RunVerifyDcap(argc, argv, first, false);
}

}  // namespace attest::cli
